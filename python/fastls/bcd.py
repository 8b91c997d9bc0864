"""Greedy block coordinate descent (Nutini, Laradji, Schmidt, JMLR 2022).

:func:`minimize` runs BCD with any of the paper's selection rules, block
partitions and block updates on six problem classes; :func:`lasso` and
:class:`GreedyLasso` are a fast Lasso built on greedy working sets. The whole
iteration loop runs natively with the GIL released; it is deterministic for a
given ``random_state``.

Rules (score maximised over blocks; VB = variable blocks, FB = fixed partition):
  "cyclic", "random", "lipschitz" (sampling ~ L_b), "gs" (||g_b||), "gsl"
  (||g_b||^2/L_b; for VB the Gershgorin bound G_i = sum_j |H_ij|, as in the
  paper's plots: one pass over A^T A at setup, O(m n^2) for dense A),
  "gsd" (sum g_i^2/D_i; VB: D_i = tau L_i), "gsq" (g_b^T H_b^-1 g_b; VB by
  greedy forward selection), and for L1 problems "gs-q", "gsl-q", "gs-r",
  "gsl-r" (plain "gs"/"gsl"/"gsd" use the minimum-norm subgradient there).
Partitions: "variable"; fixed "sorted" (by L_i), "order", "random", "avg";
  label propagation also "red-black", "tree" (lattice combs with grid_shape,
  else a greedy forest partition) and "forest" (greedy forest partition).
Updates: "gradient" (1/L_b), "matrix" (H_b solve), "newton" (Hessian +
  Armijo backtracking), "prox-gradient", "prox-newton" (exact block Lasso with
  the block Hessian; backtracking on F for logistic), "message-passing"
  (linear-time exact solve on forest blocks; with partition="variable" the
  forest is grown greedily in the rule's order, or randomly for "random").
For L1 problems "gradient"/"matrix" mean their proximal versions.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from fastls import _core
from fastls._bcd_problems import (L1Logistic, LabelPropagation, Lasso, LeastSquares, Logistic,
                                  Softmax, _design, _native, _Problem)
from fastls._errors import ConvergenceWarning
from fastls._result import Result
from fastls._validation import as_array, check_int, check_option, check_real, native_seed

__all__ = [
    "LeastSquares", "Logistic", "Softmax", "LabelPropagation", "Lasso", "L1Logistic",
    "minimize", "BCDResult", "BCDStatus", "lasso", "LassoResult", "GreedyLasso",
    "RULES", "PARTITIONS", "UPDATES",
]

RULES = ("cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq", "gs-q", "gsl-q", "gs-r", "gsl-r")
PROX_RULES = ("gs-q", "gsl-q", "gs-r", "gsl-r")
PARTITIONS = ("variable", "sorted", "order", "random", "avg", "red-black", "tree", "forest")
GRAPH_PARTITIONS = ("red-black", "tree", "forest")
UPDATES = ("gradient", "matrix", "newton", "prox-gradient", "prox-newton", "message-passing")


class BCDStatus(IntEnum):
    CONVERGED = 0   # F - f_opt <= tol, or optimality <= tol * initial optimality
    MAX_ITER = 1    # maxiter iterations done first
    CALLBACK = 2    # the callback asked to stop


_MESSAGES = {
    BCDStatus.CONVERGED: "converged to within tol",
    BCDStatus.MAX_ITER: "iteration limit reached before tol",
    BCDStatus.CALLBACK: "stopped by the callback",
}


@dataclass(frozen=True, kw_only=True, repr=False)
class BCDResult(Result):
    """Result of :func:`minimize`.

    fun:        F(x) at the end (smooth part + L1 term).
    history:    F(x^k) for k = 0..nit (x^0 = 0).
    optimality: max_i distance of -grad_i f to the subdifferential of the L1 term
                (|grad_i f| for smooth problems) at the last check.
    blocks:     the selected blocks (list of index arrays) when return_blocks=True.
    residual_norm: ||A x - b|| for least squares and Lasso, else the optimality.
    """

    fun: float
    history: np.ndarray
    optimality: float
    blocks: list | None = None


def _fixed_partition(problem, partition, tau, rng):
    n = problem.n_variables
    if partition in GRAPH_PARTITIONS:
        if not isinstance(problem, LabelPropagation):
            raise ValueError(f"partition {partition!r} needs a LabelPropagation problem")
        if problem.grid_shape is not None and partition in ("red-black", "tree"):
            return problem._grid_blocks(partition)
        fn = _core.bcd.greedy_coloring if partition == "red-black" else _core.bcd.forest_partition
        ptr, idx = fn(_native(problem.M), np.arange(n, dtype=np.int64))
        return np.split(idx, ptr[1:-1])
    if partition == "order":
        perm = np.arange(n)
    elif partition == "random":
        perm = rng.permutation(n)
    else:
        perm = np.argsort(problem.lipschitz(), kind="stable")
        if partition == "avg":  # smallest, largest, 2nd smallest, 2nd largest, ...
            inter = np.empty(n, dtype=perm.dtype)
            inter[0::2] = perm[: (n + 1) // 2]
            inter[1::2] = perm[::-1][: n // 2]
            perm = inter
    return [perm[i:i + tau] for i in range(0, n, tau)]


def minimize(problem, rule="gsl", partition="variable", block_size=5, update="matrix",
             maxiter=500, tol=1e-8, f_opt=None, random_state=None, callback=None, *,
             return_blocks=False) -> BCDResult:
    """Minimise ``problem`` by block coordinate descent from x = 0.

    tol: with ``f_opt`` stop when F(x) - f_opt <= tol (the paper's protocol);
    otherwise when the optimality measure drops to tol times its value at x = 0
    (checked every iteration for greedy rules, once per epoch otherwise).
    callback(k, x, F) runs after every iteration (with the GIL); returning True
    stops the run. Not converging is not an error: status says MAX_ITER and a
    ConvergenceWarning is issued.
    """
    if not isinstance(problem, _Problem):
        raise TypeError("problem must be one of the fastls.bcd problem classes, "
                        f"got {type(problem).__name__}")
    check_option(rule, "rule", RULES)
    check_option(partition, "partition", PARTITIONS)
    check_option(update, "update", UPDATES)
    n = problem.n_variables
    block_size = check_int(block_size, "block_size", low=1, high=n)
    maxiter = check_int(maxiter, "maxiter", low=0)
    tol = check_real(tol, "tol", low=0.0)
    if f_opt is not None:
        f_opt = check_real(f_opt, "f_opt")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable or None")
    l1 = problem.l1 > 0
    if rule in PROX_RULES and not l1:
        raise ValueError(f"rule {rule!r} is for L1 problems (Lasso, L1Logistic); "
                         "use 'gs', 'gsl' or 'gsd' for smooth problems")
    if l1:
        update = {"gradient": "prox-gradient", "matrix": "prox-newton"}.get(update, update)
        if update == "newton":
            raise ValueError("update 'newton' is for smooth problems; use 'prox-newton' with L1")
    if update == "message-passing" and not isinstance(problem, LabelPropagation):
        raise ValueError("update 'message-passing' needs a LabelPropagation problem")
    forest = update == "message-passing" and partition == "variable"
    if forest and rule not in ("random", "cyclic", "gs", "gsl", "gsd"):
        raise ValueError("variable forest blocks are grown by 'gs', 'gsl', 'gsd' or 'random' order")
    if update == "message-passing" and partition in ("sorted", "order", "random", "avg"):
        raise ValueError("message passing needs forest blocks: partition 'variable', "
                         "'red-black', 'tree' or 'forest'")
    if rule == "gsq" and forest:
        raise ValueError("rule 'gsq' does not apply to forest blocks")

    seed = native_seed(random_state)
    if partition == "variable":
        ptr, idx = np.zeros(1, np.int64), np.zeros(0, np.int64)
    else:
        blocks = _fixed_partition(problem, partition, block_size, np.random.default_rng(seed))
        ptr = np.concatenate([[0], np.cumsum([len(b) for b in blocks])]).astype(np.int64)
        idx = np.concatenate(blocks).astype(np.int64)

    target = getattr(problem, "b", None)
    if target is None:
        target = problem.c if isinstance(problem, LabelPropagation) else problem.y
    labels = problem.y if isinstance(problem, Softmax) else np.zeros(0, np.int32)
    if isinstance(problem, Softmax):
        target = np.zeros(0)
    x, history, nit, converged, stopped, optimality, (bptr, bidx) = _core.bcd.minimize(
        problem.kind, _native(problem.A), np.asarray(target, np.float64), labels,
        getattr(problem, "n_classes", 0), getattr(problem, "l2", 0.0), problem.scale, rule, update,
        ptr, idx, block_size, forest, problem.l1, maxiter, tol, f_opt, seed, return_blocks, callback)

    status = (BCDStatus.CONVERGED if converged else
              BCDStatus.CALLBACK if stopped else BCDStatus.MAX_ITER)
    if status == BCDStatus.MAX_ITER and tol > 0:
        warnings.warn(f"bcd.minimize: {_MESSAGES[status]} (maxiter={maxiter})", ConvergenceWarning,
                      stacklevel=2)
    res_norm = problem._residual_norm(x)
    if isinstance(problem, Softmax):
        x = x.reshape(problem.A.shape[1], problem.n_classes)
    return BCDResult(
        x=x, success=bool(converged), status=status, message=_MESSAGES[status], nit=int(nit),
        residual_norm=float(optimality) if res_norm is None else res_norm,
        fun=float(history[-1]), history=history, optimality=float(optimality),
        blocks=np.split(bidx, bptr[1:-1]) if return_blocks and nit > 0 else ([] if return_blocks else None),
    )


# --------------------------------------------------------------------------- Lasso

class LassoStatus(IntEnum):
    CONVERGED = 0   # relative duality gap <= tol
    MAX_ITER = 1    # outer or epoch budget exhausted


@dataclass(frozen=True, kw_only=True, repr=False)
class LassoResult(Result):
    """Result of :func:`lasso`.

    intercept:  the fitted intercept c (0.0 unless fit_intercept=True).
    gap:        duality gap / P(0) at the end (P(0) = ||b - c0||^2 / (2 m), with
                c0 = mean(b) when fitting an intercept, else 0).
    objective:  1/(2m) ||b - A x||^2 + alpha ||x||_1.
    n_epochs:   inner coordinate-descent epochs (over working sets) in total.
    gaps:       relative gap at each outer iteration.
    nit:        outer (working-set) iterations.
    """

    intercept: float
    gap: float
    objective: float
    n_epochs: int
    gaps: np.ndarray


def lasso(A, b, alpha, *, fit_intercept=False, tol=1e-6, max_iter=100, max_epochs=50_000,
          x0=None, ws_start=10, anderson=5) -> LassoResult:
    """Lasso: min_x 1/(2m) ||b - A x - c||^2 + alpha ||x||_1 (scikit-learn's objective).

    Greedy working sets (support + features nearest to violating the dual
    constraint, doubling with the support) and cyclic CD with Anderson
    extrapolation inside, until the duality gap is <= tol * P(0), P(0) =
    ||b||^2/(2m). A: dense (F order read without copying; C order is copied
    once) or scipy.sparse (CSC read without copying). fit_intercept adds the
    unpenalised intercept c (c = 0 otherwise), solved exactly by keeping the
    residual centred: neither A nor b is copied or centred.
    """
    A = _design(A)
    b = np.ascontiguousarray(as_array(b, "b", ndim=1))
    m, n = A.shape
    if b.shape[0] != m:
        raise ValueError(f"b must have one entry per row of A ({m}), got {b.shape[0]}")
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
    tol = check_real(tol, "tol", low=0.0)
    max_iter = check_int(max_iter, "max_iter", low=1)
    max_epochs = check_int(max_epochs, "max_epochs", low=1)
    ws_start = check_int(ws_start, "ws_start", low=1)
    anderson = check_int(anderson, "anderson", low=0)
    if x0 is None:
        x0 = np.zeros(n)
    else:
        x0 = as_array(x0, "x0", ndim=1)
        if x0.shape[0] != n:
            raise ValueError(f"x0 must have one entry per column of A ({n}), got {x0.shape[0]}")
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {type(fit_intercept).__name__}")
    x, intercept, gap, obj, n_outer, n_epochs, converged, gaps = _core.bcd.lasso(
        _native(A), b, np.array(x0, dtype=np.float64), alpha, tol, max_iter, max_epochs,
        ws_start, anderson, bool(fit_intercept))
    status = LassoStatus.CONVERGED if converged else LassoStatus.MAX_ITER
    if not converged:
        warnings.warn(f"bcd.lasso: relative duality gap {gap:.3g} > tol={tol:g} after "
                      f"{n_outer} outer iterations / {n_epochs} epochs", ConvergenceWarning,
                      stacklevel=2)
    return LassoResult(
        x=x, success=bool(converged), status=status,
        message="relative duality gap <= tol" if converged else "iteration budget exhausted",
        nit=int(n_outer), residual_norm=float(np.linalg.norm(b - A @ x - intercept)),
        intercept=float(intercept), gap=float(gap),
        objective=float(obj), n_epochs=int(n_epochs), gaps=gaps)


try:  # scikit-learn is an optional extra
    from sklearn.base import BaseEstimator, RegressorMixin
    _BASES = (RegressorMixin, BaseEstimator)
except ImportError:  # pragma: no cover
    _BASES = (object,)


class GreedyLasso(*_BASES):
    """scikit-learn estimator for the Lasso, solved by :func:`fastls.bcd.lasso`.

    Same objective and ``alpha`` as ``sklearn.linear_model.Lasso``; ``tol`` is
    the relative duality gap (gap / P(0)). fit_intercept works for dense and
    sparse X alike without centring X (the kernel keeps the residual centred).
    Attributes after fit:
    coef_, intercept_, n_iter_ (outer iterations), dual_gap_ (relative),
    n_features_in_.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, tol=1e-6, max_iter=100,
                 max_epochs=50_000, warm_start=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.warm_start = warm_start

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X, y):
        from sklearn.utils.validation import validate_data
        X, y = validate_data(self, X, y, accept_sparse="csc", dtype=np.float64, order="F",
                             y_numeric=True)
        x0 = None
        if self.warm_start and getattr(self, "coef_", None) is not None and self.coef_.shape == (X.shape[1],):
            x0 = self.coef_
        res = lasso(X, y, self.alpha, fit_intercept=bool(self.fit_intercept), tol=self.tol,
                    max_iter=self.max_iter, max_epochs=self.max_epochs, x0=x0)
        self.coef_ = res.x
        self.intercept_ = res.intercept
        self.n_iter_ = res.nit
        self.dual_gap_ = res.gap
        return self

    def predict(self, X):
        from sklearn.utils.validation import check_is_fitted, validate_data
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, reset=False)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_
