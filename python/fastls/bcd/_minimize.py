"""Implementation of :mod:`fastls.bcd` (private: import from the package)."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from fastls import _core
from fastls.bcd._problems import (L1Logistic, LabelPropagation, Lasso, LeastSquares, Logistic,
                                  Softmax, _design, _native, _Problem)
from fastls._errors import ConvergenceWarning, sklearn_convergence_warning
from fastls._result import Result
from fastls._validation import as_array, check_int, check_option, check_real, native_seed

__all__ = [
    "LeastSquares", "Logistic", "Softmax", "LabelPropagation", "Lasso", "L1Logistic",
    "minimize", "BCDResult", "BCDStatus", "lasso", "LassoResult", "LassoStatus", "GreedyLasso",
    "RULES", "PARTITIONS", "UPDATES",
]

# The option strings are the native enums' names with '-' for '_'.
RULES = tuple(r.name.replace("_", "-") for r in _core.bcd.Rule)
UPDATES = tuple(u.name.replace("_", "-") for u in _core.bcd.Update)
PROX_RULES = ("gs-q", "gsl-q", "gs-r", "gsl-r")
PARTITIONS = ("variable", "sorted", "order", "random", "avg", "red-black", "tree", "forest")
GRAPH_PARTITIONS = ("red-black", "tree", "forest")


class BCDStatus(IntEnum):
    CONVERGED = 0   # F - f_opt <= tol, or Lipschitz-scaled optimality <= tol * its initial value
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
        return fn(_native(problem.M), np.arange(n, dtype=np.int64))
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


def minimize(problem: _Problem, *, rule: str = "gsl", partition: str = "variable",
             block_size: int = 5, update: str = "matrix", maxiter: int = 500, tol: float = 1e-8,
             f_opt: float | None = None, random_state: int | np.random.Generator | None = None,
             callback: Callable[[int, np.ndarray, float], bool | None] | None = None,
             return_blocks: bool = False) -> BCDResult:
    """Minimise ``problem`` by block coordinate descent from x = 0.

    Parameters
    ----------
    problem : LeastSquares, Lasso, Logistic, L1Logistic, Softmax or LabelPropagation
    rule : str
        The block selection rule (score maximised over blocks; VB = variable
        blocks, FB = fixed partition):

        - "cyclic", "random": blocks in order / uniformly at random.
        - "lipschitz": sampling with probability ~ L_b.
        - "gs": Gauss-Southwell, ||g_b||.
        - "gsl": ||g_b||^2 / L_b (default); for VB the Gershgorin bound
          G_i = sum_j |H_ij|, as in the paper's plots (one pass over A^T A at
          setup, O(m n^2) for dense A).
        - "gsd": sum g_i^2 / D_i (VB: D_i = tau L_i).
        - "gsq": g_b^T H_b^-1 g_b (VB by greedy forward selection).
        - For L1 problems only: "gs-q", "gsl-q", "gs-r", "gsl-r" (plain
          "gs"/"gsl"/"gsd" use the minimum-norm subgradient there).
    partition : str
        "variable" (blocks chosen afresh every iteration, default); fixed
        partitions "sorted" (by L_i), "order", "random", "avg"; label
        propagation also "red-black", "tree" (lattice combs with
        ``grid_shape``, else a greedy forest partition) and "forest" (greedy
        forest partition).
    block_size : int
        tau, the number of variables per block (fixed partitions) or
        selected per iteration (variable blocks).
    update : str
        "gradient" (1/L_b step), "matrix" (H_b solve, default), "newton"
        (Hessian + Armijo backtracking), "prox-gradient", "prox-newton" (exact
        block Lasso with the block Hessian; backtracking on F for logistic),
        "message-passing" (linear-time exact solve on forest blocks; with
        partition="variable" the forest is grown greedily in the rule's
        order, or randomly for "random"). For L1 problems "gradient" /
        "matrix" mean their proximal versions.
    maxiter : int
        Iteration limit.
    tol : float
        With ``f_opt`` stop when F(x) - f_opt <= tol (the paper's protocol);
        otherwise when max_i dist_i / sqrt(L_i) drops to tol times its value
        at the start (dist_i: coordinate i's term of ``optimality``, L_i: its
        Lipschitz constant; so a variable's units cannot end the run early),
        checked every iteration for greedy rules, once per epoch otherwise.
    f_opt : float, optional
        The optimal value, for the stopping test above.
    random_state : None, int or numpy.random.Generator
        Seeds the random rules and partitions; runs are deterministic for a
        given seed.
    callback : callable(k, x, F) -> bool, optional
        Runs after every iteration (with the GIL); returning True stops the run.
    return_blocks : bool
        Record the selected blocks in ``result.blocks``.

    Returns
    -------
    BCDResult
        Not converging is not an error: status says MAX_ITER and a
        ConvergenceWarning is issued.

    Raises
    ------
    TypeError
        When ``problem`` is not one of the fastls.bcd problem classes.
    ValueError
        For an unknown option, or one that does not apply to the problem
        (e.g. an L1 rule on a smooth problem, message passing without a graph).

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> res = bcd.minimize(bcd.LeastSquares(A, b), rule="gsl", block_size=5,
    ...                    maxiter=2000, tol=1e-10)
    >>> res.status, res.success
    (<BCDStatus.CONVERGED: 0>, True)
    >>> np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-6)
    True

    A fixed partition with cyclic selection; ``history`` holds F(x^k):

    >>> res = bcd.minimize(bcd.LeastSquares(A, b), rule="cyclic", partition="order",
    ...                    maxiter=2000)
    >>> res.status, res.history.shape == (res.nit + 1,)
    (<BCDStatus.CONVERGED: 0>, True)
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

    o = _core.bcd.Options()
    o.rule = _core.bcd.Rule[rule.replace("-", "_")]
    o.update = _core.bcd.Update[update.replace("-", "_")]
    o.seed = native_seed(random_state)
    if partition != "variable":
        o.blocks = _fixed_partition(problem, partition, block_size, np.random.default_rng(o.seed))
    o.block_size, o.forest_blocks, o.alpha = block_size, forest, problem.l1
    o.maxiter, o.tol, o.f_opt = maxiter, tol, f_opt
    o.record_blocks, o.callback = return_blocks, callback
    out = problem._run(o)

    status = (BCDStatus.CONVERGED if out.converged else
              BCDStatus.CALLBACK if out.stopped else BCDStatus.MAX_ITER)
    if status == BCDStatus.MAX_ITER and tol > 0:
        warnings.warn(f"bcd.minimize: {_MESSAGES[status]} (maxiter={maxiter})", ConvergenceWarning,
                      stacklevel=2)
    x = out.x
    if isinstance(problem, Softmax):
        x = x.reshape(problem.A.shape[1], problem.n_classes)
    history = out.history
    return BCDResult(
        x=x, success=bool(out.converged), status=status, message=_MESSAGES[status], nit=int(out.nit),
        residual_norm=float(out.residual_norm), fun=float(history[-1]), history=history,
        optimality=float(out.optimality), blocks=out.blocks if return_blocks else None,
    )


# --------------------------------------------------------------------------- Lasso

class LassoStatus(IntEnum):
    CONVERGED = 0   # duality gap <= tol * P(0)
    MAX_ITER = 1    # outer or epoch budget exhausted


@dataclass(frozen=True, kw_only=True, repr=False)
class LassoResult(Result):
    """Result of :func:`lasso`.

    intercept:  the fitted intercept c (0.0 unless fit_intercept=True).
    gap:        duality gap / P(0) at the end (P(0) = ||b - c0||^2 / (2 m), with
                c0 = mean(b) when fitting an intercept, else 0); 0 when P(0) = 0.
    dual_gap:   the duality gap itself, in the objective's units (what
                scikit-learn's ``Lasso.dual_gap_`` reports).
    objective:  1/(2m) ||b - A x - c||^2 + alpha ||x||_1.
    n_epochs:   passes over the data: inner coordinate-descent epochs (over
                working sets) plus Newton steps on the support, in total.
    gaps:       relative gap at each outer iteration.
    nit:        outer (working-set) iterations.
    """

    intercept: float
    gap: float
    dual_gap: float
    objective: float
    n_epochs: int
    gaps: np.ndarray


_WS_START, _ANDERSON = 10, 5  # lasso()'s defaults, also lasso_path's


def _lasso_native(A):
    """The Lasso kernel's design: like _native, but int32 CSC indices pass through uncopied
    (the kernel is templated on the index type)."""
    if sp.issparse(A) and A.indices.dtype == np.int32 and A.indptr.dtype == np.int32:
        return (np.ascontiguousarray(A.data), np.ascontiguousarray(A.indices),
                np.ascontiguousarray(A.indptr), A.shape[0], A.shape[1])
    return _native(A)


def _lasso_options(alpha, tol, max_outer, max_epochs, ws_start, anderson, fit_intercept, positive,
                   intercept_col=None):
    o = _core.bcd.LassoOptions()
    o.alpha, o.tol, o.max_outer, o.max_epochs = alpha, tol, max_outer, max_epochs
    o.ws_start, o.anderson = ws_start, anderson
    o.intercept, o.positive = bool(fit_intercept), bool(positive)
    if intercept_col is not None:
        o.intercept_col = intercept_col
    return o


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def lasso(A: ArrayLike, b: ArrayLike, alpha: float, *, fit_intercept: bool = False,
          positive: bool = False, tol: float = 1e-6, maxiter: int = 100,
          max_epochs: int = 50_000, x0: ArrayLike | None = None, ws_start: int = _WS_START,
          anderson: int = _ANDERSON) -> LassoResult:
    """Lasso: min_x 1/(2m) ||b - A x - c||^2 + alpha ||x||_1 (scikit-learn's objective).

    Greedy working sets (support + features nearest to violating the dual
    constraint, doubling with the support) and cyclic CD with Anderson
    extrapolation inside, until the duality gap is <= tol * P(0), P(0) =
    ||b||^2/(2m) (so tol here is scikit-learn's ``tol`` times 2).

    Parameters
    ----------
    A : (m, n) array_like or scipy.sparse matrix
        Dense (F order read without copying; C order is copied once) or
        scipy.sparse (CSC read without copying).
    b : (m,) array_like
    alpha : float > 0
        Weight of the L1 term.
    fit_intercept : bool
        Add the unpenalised intercept c (c = 0 otherwise), solved exactly by
        keeping the residual centred: neither A nor b is copied or centred.
        ``fit_intercept`` defaults to False, unlike :class:`GreedyLasso` (True, as
        scikit-learn's ``Lasso``): this is a SciPy-style function that solves
        the problem it is given, A x ≈ b, and adds an unknown only when asked.
    positive : bool
        Constrain x >= 0 (the prox is max(0, soft-threshold); the dual
        constraint becomes max_j a_j^T theta <= alpha).
    tol : float
        Stop when the duality gap is <= tol * P(0).
    maxiter : int
        Bound on the outer (working-set) iterations.
    max_epochs : int
        Bound on the passes over the data.
    x0 : (n,) array_like, optional
        Starting point (default 0).
    ws_start : int
        Size of the first working set.
    anderson : int
        Anderson extrapolation memory (0 disables it).

    Every parameter after alpha is keyword-only.

    Returns
    -------
    LassoResult
        Not converging is not an error: status says MAX_ITER and a
        ConvergenceWarning is issued.

    Raises
    ------
    ValueError
        When b or x0 do not match A's shape, or alpha <= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> res = bcd.lasso(A, b, 0.1)
    >>> res.status, round(res.objective, 4), int(np.count_nonzero(res.x))
    (<LassoStatus.CONVERGED: 0>, 0.3178, 8)
    >>> bool(res.gap <= 1e-6)
    True
    """
    A = _design(A)
    b = np.ascontiguousarray(as_array(b, "b", ndim=1))
    m, n = A.shape
    if b.shape[0] != m:
        raise ValueError(f"b must have one entry per row of A ({m}), got {b.shape[0]}")
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
    tol = check_real(tol, "tol", low=0.0)
    maxiter = check_int(maxiter, "maxiter", low=1)
    max_epochs = check_int(max_epochs, "max_epochs", low=1)
    ws_start = check_int(ws_start, "ws_start", low=1)
    anderson = check_int(anderson, "anderson", low=0)
    if x0 is not None:  # None: the kernel starts at 0
        x0 = as_array(x0, "x0", ndim=1)
        if x0.shape[0] != n:
            raise ValueError(f"x0 must have one entry per column of A ({n}), got {x0.shape[0]}")
    fit_intercept = _check_bool(fit_intercept, "fit_intercept")
    positive = _check_bool(positive, "positive")
    return _lasso_solve(_lasso_native(A), b, x0,
                        _lasso_options(alpha, tol, maxiter, max_epochs, ws_start, anderson,
                                       fit_intercept, positive), stacklevel=3)


def _lasso_solve(native, b, x0, options, *, stacklevel):
    """lasso() past validation (lasso_path calls it per alpha: validating A once, not per alpha).

    stacklevel: the ConvergenceWarning's, counted from this function's warn call.
    """
    out = _core.bcd.lasso(native, b, x0, options)
    status = LassoStatus.CONVERGED if out.converged else LassoStatus.MAX_ITER
    if not out.converged:
        warnings.warn(f"bcd.lasso: relative duality gap {out.rel_gap:.3g} > tol={options.tol:g} "
                      f"after {out.n_outer} outer iterations / {out.n_epochs} epochs",
                      ConvergenceWarning, stacklevel=stacklevel)
    return LassoResult(
        x=out.x, success=bool(out.converged), status=status,
        message="relative duality gap <= tol" if out.converged else "iteration budget exhausted",
        nit=int(out.n_outer), residual_norm=float(out.residual_norm),
        intercept=float(out.intercept), gap=float(out.rel_gap), dual_gap=float(out.gap),
        objective=float(out.objective), n_epochs=int(out.n_epochs), gaps=out.gaps)


try:  # scikit-learn is an optional extra
    from sklearn.base import BaseEstimator, RegressorMixin
    _BASES = (RegressorMixin, BaseEstimator)
except ImportError:  # pragma: no cover
    _BASES = (object,)

# scikit-learn's own wording, so that code matching its messages keeps working
_ALPHA0_MESSAGE = ("With alpha=0, this algorithm does not converge well. You are advised to use "
                   "the LinearRegression estimator")
_NOT_CONVERGED = ("Objective did not converge. You might want to increase the number of "
                  "iterations, check the scale of the features or consider increasing "
                  "regularisation.")


class _LinearModel(*_BASES):
    """What GreedyLasso and GreedyLassoCV share once fitted: coef_, intercept_ -> predictions."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @property
    def sparse_coef_(self):
        """coef_ as a (1 or n_targets, n_features) scipy.sparse CSR matrix."""
        import scipy.sparse as sp
        return sp.csr_matrix(np.atleast_2d(self.coef_))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict with the fitted linear model: X @ coef_.T + intercept_."""
        from sklearn.utils.validation import check_is_fitted, validate_data
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, reset=False)
        return np.asarray(X @ np.asarray(self.coef_).T) + self.intercept_


class GreedyLasso(_LinearModel):
    """scikit-learn's ``Lasso``, solved by the greedy working-set solver of :func:`lasso`.

    Same parameters, defaults, objective and fitted attributes as
    ``sklearn.linear_model.Lasso`` (a drop-in replacement):
    min_w 1/(2 n_samples) ||y - X w - c||^2 + alpha ||w||_1, with sample
    weights (rescaled to sum to n_samples) as a weighted average of the squared
    errors and a weighted intercept.

    alpha:      >= 0; alpha = 0 warns as scikit-learn does and solves the
                unpenalised least-squares problem.
    tol:        stop when the duality gap <= tol * ||y - mean(y)||^2 / n_samples
                (scikit-learn's criterion, weighted with sample weights).
    max_iter:   budget of passes over the data (coordinate-descent epochs over
                working sets and Newton steps on the support), scikit-learn's
                epoch budget.
    positive:   constrain coef_ >= 0 (in the solver: prox, working set and gap).
    precompute: True/False/'auto' or an (n_features, n_features) Gram array:
                validated and accepted for compatibility; the solver forms the
                Gram products it needs on the support itself, so the result does
                not depend on it.
    selection:  'cyclic' or 'random': validated; the greedy solver picks its
                coordinates itself (deterministically), so both give the same
                answer to within tol. random_state is validated and, like
                scikit-learn's with selection='cyclic', unused.
    copy_X:     X is never modified, whatever its value.
    warm_start: start from the previous coef_.

    Attributes after fit: coef_ ((n_features,), or (n_targets, n_features) for
    2-D y), sparse_coef_, intercept_, dual_gap_ (the absolute gap of the
    objective above, as scikit-learn's), n_iter_ (passes over the data, as
    above; a list for 2-D y), n_features_in_. float32 X gives float32 coef_,
    intercept_ and dual_gap_ (the solve itself runs in float64).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Lasso
    >>> from fastls.bcd import GreedyLasso
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> model = GreedyLasso(alpha=0.1).fit(X, y)
    >>> model.coef_.shape, model.predict(X[:3]).shape
    ((20,), (3,))
    >>> np.allclose(model.coef_, Lasso(alpha=0.1).fit(X, y).coef_, atol=1e-3)
    True
    """

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True,
                 precompute: bool | str | ArrayLike = False, copy_X: bool = True,
                 max_iter: int = 1000, tol: float = 1e-4, warm_start: bool = False,
                 positive: bool = False,
                 random_state: int | np.random.RandomState | np.random.Generator | None = None,
                 selection: str = "cyclic"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _check_params(self, n_features):
        alpha = check_real(self.alpha, "alpha", low=0.0)
        tol = check_real(self.tol, "tol", low=0.0)
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        for name in ("fit_intercept", "copy_X", "warm_start", "positive"):
            _check_bool(getattr(self, name), name)
        check_option(self.selection, "selection", ("cyclic", "random"))
        rs = self.random_state
        if not (rs is None or isinstance(rs, (np.random.RandomState, np.random.Generator))):
            check_int(rs, "random_state", low=0, high=2**32 - 1)
        pre = self.precompute
        if isinstance(pre, str):
            if pre != "auto":
                raise ValueError(f"precompute must be True, False, 'auto' or a Gram array, got {pre!r}")
        elif not isinstance(pre, (bool, np.bool_)):
            gram = as_array(pre, "precompute", ndim=2)
            if gram.shape != (n_features, n_features):
                raise ValueError(f"precompute: a Gram array must have shape ({n_features}, "
                                 f"{n_features}), got {gram.shape}")
        return alpha, tol, max_iter

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | float | None = None,
            check_input: bool = True) -> GreedyLasso:
        """Fit the Lasso; ``sample_weight``: None, a number, or one non-negative weight per sample."""
        import numbers

        import scipy.sparse as sp
        from sklearn.utils.validation import _check_sample_weight, check_array, validate_data

        if _check_bool(check_input, "check_input"):
            X, y = validate_data(self, X, y, accept_sparse="csc", order="F",
                                 dtype=[np.float64, np.float32], multi_output=True, y_numeric=True)
            y = check_array(y, order="F", dtype=X.dtype.type, ensure_2d=False)
        elif not sp.issparse(X):
            X, y = np.asarray(X), np.asarray(y)
        n_samples, n_features = X.shape
        alpha, tol, max_iter = self._check_params(n_features)
        if alpha == 0:
            warnings.warn(_ALPHA0_MESSAGE, UserWarning, stacklevel=2)
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim not in (1, 2) or Y.shape[0] != n_samples:
            raise ValueError(f"y must have shape ({n_samples},) or ({n_samples}, n_targets), "
                             f"got {Y.shape}")
        Y = Y.reshape(n_samples, -1)
        n_targets = Y.shape[1]
        if self.positive and y.ndim == 2 and n_targets > 1:
            raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")

        if isinstance(sample_weight, numbers.Number):
            sample_weight = None  # a constant weight changes nothing (weights are rescaled)
        A = _design(X, "X")
        col = None
        if sample_weight is not None:
            try:
                sw = np.asarray(_check_sample_weight(sample_weight, X, dtype=np.float64))
            except ValueError as exc:  # scikit-learn's wording does not always name the argument
                raise ValueError(f"sample_weight: {exc}") from None
            if not np.isfinite(sw).all() or (sw < 0).any():
                raise ValueError("sample_weight must be finite and non-negative")
            if not sw.sum() > 0:
                raise ValueError("sample_weight must have a positive sum")
            # scikit-learn's convention: weights rescaled to sum to n_samples, so that
            # alpha keeps its meaning; the weighted problem is the plain one on rows
            # scaled by sqrt(w), with the intercept column sqrt(w) (weighted centring).
            col = np.sqrt(sw * (n_samples / sw.sum()))
            if sp.issparse(A):
                A = A.copy()
                A.data *= col[A.indices]
            else:
                A = np.asfortranarray(A * col[:, None])
            Y = Y * col[:, None]
        native = _lasso_native(A)

        W0 = np.zeros((n_targets, n_features))
        if self.warm_start and hasattr(self, "coef_"):
            prev = np.asarray(self.coef_, dtype=np.float64)
            if prev.size != n_targets * n_features:
                raise ValueError(f"warm_start: the previous coef_ has shape {prev.shape}, this fit "
                                 f"needs ({n_targets}, {n_features})")
            W0 = prev.reshape(n_targets, n_features)
            if not np.isfinite(W0).all():
                raise ValueError("warm_start: the previous coef_ is not finite")

        # scikit-learn stops at gap <= tol ||y_c||^2 = 2 tol P(0) (P(0) = ||y_c||^2 / 2,
        # unscaled); each outer iteration costs at least one pass, so max_iter bounds both.
        opts = _lasso_options(alpha, 2.0 * tol, max_iter, max_iter, 10, 5, self.fit_intercept,
                              self.positive, col if self.fit_intercept else None)
        coef = np.empty((n_targets, n_features))
        intercept, gaps, n_iter, failed = np.empty(n_targets), np.empty(n_targets), [], []
        for k in range(n_targets):
            out = _core.bcd.lasso(native, np.ascontiguousarray(Y[:, k]), W0[k].copy(), opts)
            coef[k], intercept[k], gaps[k] = out.x, out.intercept, out.gap
            n_iter.append(int(out.n_epochs))
            if not out.converged:
                failed.append((out.gap, tol * 2.0 * out.p0))
        if failed:
            gap, thr = max(failed)
            warnings.warn(f"{_NOT_CONVERGED} Duality gap: {gap:.6e}, tolerance: {thr:.3e}",
                          sklearn_convergence_warning(), stacklevel=2)
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("Coordinate descent iterations resulted in non-finite parameter "
                             "values. The input data may contain large values and need to be "
                             "preprocessed.")

        one = n_targets == 1
        self.coef_ = (coef[0] if one else coef).astype(dtype, copy=False)
        self.dual_gap_ = gaps.astype(dtype)[0] if one else gaps.astype(dtype)
        self.n_iter_ = n_iter[0] if one else n_iter
        if not self.fit_intercept:
            self.intercept_ = 0.0
        elif y.ndim == 1:
            self.intercept_ = intercept.astype(dtype)[0]
        else:
            self.intercept_ = intercept.astype(dtype)
        return self
