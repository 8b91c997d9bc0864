"""Sparse Bayesian learning, classic and Kronecker-structured: ``fastls.sbl``.

Model: ``y = H x + n`` with ``n ~ N(0, σ² I)`` (CN for complex data) and the
prior ``x ~ N(0, diag(γ))``; the type-II (evidence) cost
``L(γ, σ²) = log det Σ_y + y^H Σ_y^{-1} y``, ``Σ_y = σ² I + H diag(γ) H^H``, is
minimised by EM. With a Kronecker dictionary ``H = H_1 ⊗ ... ⊗ H_I`` (numpy.kron
order: the first factor is the slowest index) the prior is Kronecker too,
``γ = γ_1 ⊗ ... ⊗ γ_I``, so the support of ``x`` is a Cartesian product of
per-factor supports (He and Joseph, IEEE TSP 2024, "KroSBL").

Entry points
------------
kron_matvec   (H_1 ⊗ ... ⊗ H_I) x without forming the product.
sbl           classic EM-SBL with a dense H.
kron_sbl      SVD-KroSBL (method="svd") and AM-KroSBL (method="am").
pc_kron_sbl   pattern-coupled (block-sparse) AM-KroSBL.
KroneckerSBL  scikit-learn estimator (needs scikit-learn).

Every solver runs one native EM loop (GIL released, Ctrl-C checked once per
iteration) with the exact structured E-step: per-factor eigendecompositions of
``H_i Γ_i H_i^H`` (m_i × m_i) and Kronecker matvecs, so memory is
O(N + M + Σ m_i n_i); no N×N, M×N or M×M matrix is formed for I >= 2.
Real float64 and complex128 data; other numeric dtypes are cast to float64.
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

from fastls import _core
from fastls._errors import ConvergenceWarning
from fastls._result import Result, _summary
from fastls._validation import as_array, check_int, check_option, check_real

__all__ = [
    "kron_matvec", "sbl", "kron_sbl", "pc_kron_sbl", "SBLResult", "SBLStatus", "KroneckerSBL",
]

_DTYPES = (np.float64, np.complex128)

# Relative per-factor pruning thresholds of the paper's code (note §3d), with
# known and with learned noise variance.
_PRUNE = {"svd": (1e-3, 0.5e-3), "am": (1e-2, 0.5e-2)}
# σ² is floored at this fraction of mean |y|² so that noiseless data
# (noise_var=0) keeps Σ_y invertible after pruning: an SNR cap of 120 dB.
_NOISE_FLOOR = 1e-12


class SBLStatus(IntEnum):
    """Why the EM loop stopped."""

    CONVERGED = 0    # ||γ_new − γ_old|| < tol ||γ_old||
    MAX_ITER = 1     # max_iter EM iterations without meeting tol
    ALL_PRUNED = 2   # every entry of some factor fell under the pruning thresholds; x = 0


_MESSAGES = {
    SBLStatus.CONVERGED: "relative change of gamma below tol",
    SBLStatus.MAX_ITER: "iteration limit reached before tol",
    SBLStatus.ALL_PRUNED: "every entry of a factor was pruned; x = 0",
}


@dataclass(frozen=True, kw_only=True, repr=False)
class SBLResult(Result):
    """Result of the SBL solvers.

    x:               posterior mean with the final γ (zero off the support).
    gamma:           prior variances γ = γ_1 ⊗ ... ⊗ γ_I (length N, zero where pruned).
    gamma_factors:   the γ_i (full length n_i, zero where pruned; for pc_kron_sbl the
                     effective factors ε + C_β g_i). Scale convention: ||γ_i|| = 1 for i < I.
    noise_var:       σ² used for the final estimate (learned when noise_var=None).
    support:         flat indices of the kept entries (γ > 0), ascending.
    support_factors: per-factor kept indices; support is their Cartesian product.
    cost:            type-II cost log det Σ_y + y^H Σ_y^{-1} y at each iteration's E-step
                     (length nit; the real case uses the same unhalved formula).
    residual_norm:   ||y − H x||_2.
    method:          "sbl", "svd", "am" or "pc".
    """

    gamma: np.ndarray
    gamma_factors: list
    noise_var: float
    support: np.ndarray
    support_factors: list
    cost: np.ndarray
    method: str

    def __repr__(self) -> str:
        def show(value):
            if isinstance(value, list):
                return "[" + ", ".join(_summary(v) for v in value) + "]"
            return _summary(value)
        body = "\n".join(f"  {f.name}: {show(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}(\n{body}\n)"


# ---------------------------------------------------------------- validation

def _check_factors(factors, name="factors"):
    """Factors as a list of non-empty 2-D arrays of one dtype (float64 or complex128)."""
    if isinstance(factors, np.ndarray) and factors.ndim == 2:
        factors = [factors]
    if not isinstance(factors, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple of 2-D arrays, got {type(factors).__name__}")
    if len(factors) == 0:
        raise ValueError(f"{name} must contain at least one matrix")
    mats = [as_array(f, f"{name}[{i}]", ndim=2, dtype=_DTYPES) for i, f in enumerate(factors)]
    return mats


def _common_dtype(arrays):
    return np.complex128 if any(a.dtype.kind == "c" for a in arrays) else np.float64


def _as_dtype(arrays, dtype):
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays]


def _check_system(y, mats, matrix=None):
    """y as a 1-D array of the factors' common dtype with length prod(factor rows)."""
    y = as_array(y, "y", ndim=1, dtype=_DTYPES)
    dtype = _common_dtype(mats + [y])
    mats = _as_dtype(mats, dtype)
    y = np.ascontiguousarray(y, dtype=dtype)
    M = int(np.prod([m.shape[0] for m in mats]))
    if y.shape[0] != M and matrix is not None:  # sbl(): one matrix, named as the caller knows it
        raise ValueError(f"y must have one entry per row of {matrix} ({M}); got {y.shape[0]}")
    if y.shape[0] != M:
        shapes = ", ".join(str(m.shape) for m in mats)
        raise ValueError(
            f"y must have length prod(factor rows) = {M} for factors of shapes {shapes}; "
            f"got {y.shape[0]}")
    return y, mats


def _check_prune(prune, n_factors):
    if isinstance(prune, (numbers.Real, np.generic)) or not isinstance(prune, (list, tuple, np.ndarray)):
        values = [prune] * n_factors  # check_real names prune for None, str, complex, ...
    else:
        values = list(prune)
    if len(values) != n_factors:
        raise ValueError(f"prune must be a number or have one value per factor ({n_factors}); "
                         f"got {len(values)}")
    return [check_real(v, "prune", low=0.0, high=1.0) for v in values]


def _noise(noise_var, y):
    """(learn, initial σ², floor): noise_var=None learns σ² from 0.1·var(y)."""
    with np.errstate(over="ignore"):
        power = float(np.mean(np.abs(y) ** 2))
    if not np.isfinite(power):
        raise ValueError("y is too large to square in float64; rescale y (and noise_var)")
    floor = max(_NOISE_FLOOR * power, np.finfo(float).tiny)
    if noise_var is None:
        return True, max(0.1 * float(np.var(y)), floor), floor
    return False, check_real(noise_var, "noise_var", low=0.0), floor


# ---------------------------------------------------------------- public API

def kron_matvec(factors, x, adjoint: bool = False) -> np.ndarray:
    """``(H_1 ⊗ ... ⊗ H_I) x``, or ``(H_1^H ⊗ ... ⊗ H_I^H) x`` with ``adjoint``.

    Same ordering as ``numpy.kron`` (the first factor is the slowest index), any
    number of rectangular factors, real or complex. Costs one small GEMM per mode
    (sum over k of prod(m_<k) prod(n_>=k) m_k flops) instead of prod(m) prod(n).
    """
    mats = _check_factors(factors)
    x = as_array(x, "x", ndim=1, dtype=_DTYPES)
    dtype = _common_dtype(mats + [x])
    mats = _as_dtype(mats, dtype)
    x = np.ascontiguousarray(x, dtype=dtype)
    n = int(np.prod([m.shape[0] if adjoint else m.shape[1] for m in mats]))
    if x.shape[0] != n:
        side = "rows" if adjoint else "columns"
        raise ValueError(f"x must have length prod(factor {side}) = {n}; got {x.shape[0]}")
    return _core.sbl.kron_matvec(mats, x, bool(adjoint))


def _solve(y, mats, method, noise_var, max_iter, tol, prune_rel, *, prune_abs=0.0,
           inner_tol=1e-5, inner_max_sweeps=100, block=None, beta=0.0, eps=1e-5):
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_real(tol, "tol", low=0.0)
    learn, sigma2, floor = _noise(noise_var, y)
    if not np.any(y):  # the posterior mean is exactly 0 for any γ; EM would only shrink γ
        return _zero_result(y, mats, method, sigma2)
    if block is None:
        block = [False] * len(mats)
    engine = "svd" if method == "sbl" else method  # one factor: both M-steps are γ = d
    x, gfac, sigma2, nit, converged, cost = _core.sbl.kron_sbl(
        mats, y, engine, max_iter, tol, prune_rel, prune_abs, learn, sigma2, floor,
        inner_tol, inner_max_sweeps, block, beta, eps)
    keep = [np.flatnonzero(g > 0) for g in gfac]
    gamma = gfac[0]
    for g in gfac[1:]:
        gamma = np.kron(gamma, g)
    support = np.flatnonzero(gamma > 0)
    if any(k.size == 0 for k in keep):
        status = SBLStatus.ALL_PRUNED
    else:
        status = SBLStatus.CONVERGED if converged else SBLStatus.MAX_ITER
    if status is not SBLStatus.CONVERGED:
        warnings.warn(f"{method}: {_MESSAGES[status]} after {nit} iterations",
                      ConvergenceWarning, stacklevel=3)
    residual = float(np.linalg.norm(y - _core.sbl.kron_matvec(mats, x, False)))
    return SBLResult(
        x=x, success=status is SBLStatus.CONVERGED, status=status, message=_MESSAGES[status],
        nit=int(nit), residual_norm=residual, gamma=gamma, gamma_factors=list(gfac),
        noise_var=float(sigma2), support=support, support_factors=keep, cost=cost, method=method)


def _zero_result(y, mats, method, sigma2):
    N = int(np.prod([m.shape[1] for m in mats]))
    status = SBLStatus.CONVERGED
    return SBLResult(
        x=np.zeros(N, y.dtype), success=True, status=status, message="y = 0, so x = 0", nit=0,
        residual_norm=0.0, gamma=np.zeros(N), gamma_factors=[np.zeros(m.shape[1]) for m in mats],
        noise_var=float(sigma2), support=np.zeros(0, np.intp),
        support_factors=[np.zeros(0, np.intp) for _ in mats], cost=np.zeros(0), method=method)


def sbl(y, H, noise_var=None, max_iter: int = 150, tol: float = 1e-4, prune: float = 1e-3
        ) -> SBLResult:
    """Classic EM sparse Bayesian learning (Tipping 2001; Wipf and Rao 2004).

    Parameters
    ----------
    y : (M,) array_like, real or complex
    H : (M, N) array_like, real or complex (copied once into the native core)
    noise_var : float >= 0 or None
        Known noise variance σ²; None learns it by EM from ``0.1·var(y)``.
        0 means noiseless (σ² is floored at 1e-12·mean|y|²).
    max_iter, tol : EM stops when ``||γ_new − γ_old|| < tol ||γ_old||`` or after max_iter.
    prune : entries with ``γ_j < prune · max γ`` are dropped at the start of each
        iteration (0 disables).

    The E-step is the Woodbury ("M-side") form: a Cholesky factorization of
    ``σ² I + H Γ H^H`` (M × M), O(M² N + M³) per iteration and O(M N) memory; an
    eigendecomposition replaces it when that matrix is numerically singular
    (noiseless data after pruning). M-step: ``γ_j ← |μ_j|² + Σ_jj``; noise
    ``σ² ← (||y − Hμ||² + σ² Σ_j(1 − Σ_jj/γ_j)) / M``.
    """
    y, mats = _check_system(y, [as_array(H, "H", ndim=2, dtype=_DTYPES)], "H")
    prune_rel = _check_prune(prune, 1)
    return _solve(y, mats, "sbl", noise_var, max_iter, tol, prune_rel)


def kron_sbl(y, factors, method: str = "svd", noise_var=None, max_iter: int = 150,
             tol: float = 1e-4, prune=None, *, prune_abs: float = 0.0, inner_tol: float = 1e-5,
             inner_max_sweeps: int = 100) -> SBLResult:
    """Kronecker-structured SBL: SVD-KroSBL or AM-KroSBL (He and Joseph 2024).

    Parameters
    ----------
    y : (M,) array_like, M = prod(m_i); real or complex
    factors : sequence of (m_i, n_i) arrays, H = H_1 ⊗ ... ⊗ H_I in numpy.kron order
    method : "svd" | "am"
        "svd": the classic update d = diag Σ + |μ|² projected onto Kronecker vectors by
        I − 1 sequential rank-one fits (fast, most accurate in the paper).
        "am": Gauss-Seidel sweeps of the exact per-factor minimisers of the EM
        surrogate (a generalised EM: the type-II cost never increases without pruning).
    noise_var : float >= 0 or None (learned by EM from 0.1·var(y))
    max_iter, tol : EM stops when ``||γ_new − γ_old|| < tol ||γ_old||`` or after max_iter.
    prune : float or one float per factor; entry k of factor i is dropped when
        ``γ_i[k] < prune_i · max γ_i``. Default: the paper's 1e-3 (svd) / 1e-2 (am),
        halved when σ² is learned. 0 disables.
    prune_abs : also drop entries with ``γ_i[k] < prune_abs`` (scale-dependent; the
        paper's IRS study uses 1e-4). Default 0.
    inner_tol, inner_max_sweeps : "am" sweeps stop when the Kronecker product changes by
        less than inner_tol relative, or after inner_max_sweeps.

    Returns
    -------
    SBLResult; with one factor both methods are classic EM-SBL.
    """
    method = check_option(method, "method", ("svd", "am"))
    y, mats = _check_system(y, _check_factors(factors))
    if prune is None:
        prune = _PRUNE[method][noise_var is None]
    prune_rel = _check_prune(prune, len(mats))
    inner_tol = check_real(inner_tol, "inner_tol", low=0.0)
    inner_max_sweeps = check_int(inner_max_sweeps, "inner_max_sweeps", low=1)
    return _solve(y, mats, method, noise_var, max_iter, tol, prune_rel,
                  prune_abs=check_real(prune_abs, "prune_abs", low=0.0),
                  inner_tol=inner_tol, inner_max_sweeps=inner_max_sweeps)


def pc_kron_sbl(y, factors, block_modes, beta: float = 0.8, noise_var=None,
                max_iter: int = 150, tol: float = 1e-4, prune=None, *,
                prune_abs: float = 1e-4, eps: float = 1e-5, inner_tol: float = 1e-4,
                inner_max_sweeps: int = 10) -> SBLResult:
    """Pattern-coupled (block-sparse) AM-KroSBL, the IRS-MIMO extension of the paper.

    On each mode in ``block_modes`` the prior factor is ``γ̃_i = ε + C_β g_i`` with
    ``C_β = I + β (E + E^T)`` (E the one-step shift), which couples neighbouring
    entries so that supports come in blocks; the AM step for that mode solves
    ``g_i = argmin_{g >= 0} ||C_β g − t_i||`` (NNLS) against the plain AM target t_i.
    Other modes use the plain AM update.

    Parameters
    ----------
    block_modes : sequence of factor indices (0-based) with block sparsity.
    beta : coupling strength (the paper uses 0.5 and 0.8); 0 gives AM-KroSBL.
    prune : relative thresholds on γ̃_i; default 1e-2 on block modes, 1e-1 elsewhere.
    prune_abs : absolute threshold on every γ̃_i[k] (the paper's 1e-4; it depends on
        the scale of y and H, so set it to 0 for arbitrary scalings).
    eps : offset of the effective factors.
    inner_tol, inner_max_sweeps : sweeps stop at this relative change or cap.
    Other parameters as in :func:`kron_sbl`.
    """
    y, mats = _check_system(y, _check_factors(factors))
    I = len(mats)
    if isinstance(block_modes, numbers.Integral):
        block_modes = [block_modes]
    elif not isinstance(block_modes, (list, tuple, np.ndarray)):
        raise TypeError("block_modes must be an int or a sequence of ints, "
                        f"got {type(block_modes).__name__}")
    block = [False] * I
    for mode in block_modes:
        mode = check_int(mode, "block_modes", low=-I, high=I - 1)
        block[mode] = True
    beta = check_real(beta, "beta", low=0.0)
    if prune is None:
        prune = [1e-2 if b else 1e-1 for b in block]
    prune_rel = _check_prune(prune, I)
    return _solve(y, mats, "pc", noise_var, max_iter, tol, prune_rel,
                  prune_abs=check_real(prune_abs, "prune_abs", low=0.0),
                  inner_tol=check_real(inner_tol, "inner_tol", low=0.0),
                  inner_max_sweeps=check_int(inner_max_sweeps, "inner_max_sweeps", low=1),
                  block=block, beta=beta, eps=check_real(eps, "eps", low=0.0, low_open=True))


# ---------------------------------------------------------------- estimator

def _make_estimator():
    """Build KroneckerSBL on first use: importing scikit-learn costs seconds."""
    try:
        from sklearn.base import BaseEstimator, RegressorMixin
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fastls.sbl.KroneckerSBL needs scikit-learn "
                          "(pip install 'fastls[test]' or scikit-learn)") from exc

    class KroneckerSBL(RegressorMixin, BaseEstimator):
        """Sparse Bayesian learning regressor with an optional Kronecker dictionary.

        ``fit(X, y)`` takes either a dense design matrix X (n_samples × n_features;
        classic EM-SBL) or a list of factors ``[H_1, ..., H_I]`` standing for
        ``X = H_1 ⊗ ... ⊗ H_I`` (KroSBL with ``method``). No intercept is fitted
        (compressed-sensing model ``y = X w + noise``). ``predict`` takes the same
        kind of X. Complex data give complex ``coef_``.

        Parameters mirror :func:`kron_sbl`: method ("svd" | "am"), noise_var (None
        learns σ²), max_iter, tol, prune.

        Attributes: coef_, gamma_, gamma_factors_, noise_var_, support_, n_iter_,
        cost_ (type-II cost per iteration), result_ (the SBLResult).
        A fit that stops at max_iter emits fastls.ConvergenceWarning.
        """

        def __init__(self, method="svd", noise_var=None, max_iter=150, tol=1e-4, prune=None):
            self.method = method
            self.noise_var = noise_var
            self.max_iter = max_iter
            self.tol = tol
            self.prune = prune

        def fit(self, X, y):
            kron = isinstance(X, (list, tuple))
            if kron:
                res = kron_sbl(y, X, method=self.method, noise_var=self.noise_var,
                               max_iter=self.max_iter, tol=self.tol, prune=self.prune)
            else:
                check_option(self.method, "method", ("svd", "am"))
                res = sbl(y, X, noise_var=self.noise_var, max_iter=self.max_iter, tol=self.tol,
                          prune=1e-3 if self.prune is None else self.prune)
            self.result_ = res
            self.coef_ = res.x
            self.gamma_ = res.gamma
            self.gamma_factors_ = res.gamma_factors
            self.noise_var_ = res.noise_var
            self.support_ = res.support
            self.n_iter_ = res.nit
            self.cost_ = res.cost
            self.n_features_in_ = res.x.shape[0]
            return self

        def predict(self, X):
            from sklearn.utils.validation import check_is_fitted
            check_is_fitted(self, "coef_")
            if isinstance(X, (list, tuple)):
                return kron_matvec(X, self.coef_)
            X = as_array(X, "X", ndim=2, dtype=_DTYPES)
            if X.shape[1] != self.coef_.shape[0]:
                raise ValueError(f"X has {X.shape[1]} features, but KroneckerSBL was fitted "
                                 f"with {self.coef_.shape[0]}")
            return X @ self.coef_

    KroneckerSBL.__module__ = __name__
    KroneckerSBL.__qualname__ = "KroneckerSBL"
    return KroneckerSBL


def __getattr__(name):
    if name == "KroneckerSBL":
        cls = globals()["KroneckerSBL"] = _make_estimator()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
