"""Implementation of :mod:`fastls.sbl` (private: import from the package)."""
from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike

from fastls import _core
from fastls._errors import ConvergenceWarning
from fastls._result import Result, _summary
from fastls._validation import as_array, check_int, check_option, check_real

__all__ = [
    "kron_matvec", "sbl", "kron_sbl", "pc_kron_sbl", "SBLResult", "SBLStatus", "KroneckerSBL",
]

_DTYPES = (np.float64, np.complex128)
# Names of the native M-steps and update rules; "pc" has its own entry point.
_METHODS = tuple(name for name in _core.sbl.Method.__members__ if name != "pc")
_UPDATES = tuple(_core.sbl.Update.__members__)

# Relative per-factor pruning thresholds of the paper's code (note §3d), with
# known and with learned noise variance.
_PRUNE = {"svd": (1e-3, 0.5e-3), "am": (1e-2, 0.5e-2)}
# σ² is floored at this fraction of mean |y|² so that noiseless data
# (noise_var=0) keeps Σ_y invertible after pruning: an SNR cap of 120 dB.
_NOISE_FLOOR = 1e-12
# Classic SBL (sbl() and the estimator): relative pruning is only a numerical
# clean-up; the evidence-based test prune_snr decides the support.
_SBL_PRUNE = 1e-8
_SBL_PRUNE_SNR = 10.0


class SBLStatus(IntEnum):
    """Why the EM loop stopped."""

    CONVERGED = 0    # ||γ_new − γ_old|| < tol ||γ_old||
    MAX_ITER = 1     # maxiter EM iterations without meeting tol
    ALL_PRUNED = 2   # every entry of some factor fell under the pruning thresholds; x = 0
    NOISE_COLLAPSED = 3  # learned σ² with the fit spending over half of the M data dof


_MESSAGES = {
    SBLStatus.CONVERGED: "relative change of gamma below tol",
    SBLStatus.MAX_ITER: "iteration limit reached before tol",
    SBLStatus.ALL_PRUNED: "every entry of a factor was pruned; x = 0",
    SBLStatus.NOISE_COLLAPSED: (
        "the learned noise variance is not identifiable: the fit spends more than half of "
        "the measurements' degrees of freedom (M - sum(1 - Sigma_jj/gamma_j) < M/2), so the "
        "noise was fitted by the coefficients (overfit); pass noise_var or add measurements"),
}
# NOISE_COLLAPSED: with σ² learned, the fit is flagged when the noise keeps fewer than
# this fraction of the M degrees of freedom. Observed on 40x80 .. 50x100 Gaussian
# designs: recoveries keep >= 0.6 M, runs whose σ² collapsed 100x or more keep < 0.4 M.
_MIN_NOISE_DOF = 0.5


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


def _rms(a) -> float:
    """Root mean square of |a| without overflow or underflow (0 for a zero array)."""
    peak = float(np.max(np.abs(a))) if a.size else 0.0
    if peak == 0.0:
        return 0.0
    return peak * float(np.sqrt(np.mean(np.abs(a / peak) ** 2)))


def _noise(noise_var, y, noise_update):
    """(learn, initial σ², floor) for the normalised y (unit RMS): noise_var=None
    learns σ² from var(y) (MacKay's rule, as ARDRegression) or from the paper's
    0.1·var(y) (EM's rule); the floor keeps Σ_y invertible for noiseless data."""
    floor = _NOISE_FLOOR
    if noise_var is None:
        start = 1.0 if noise_update == "mackay" else 0.1
        return True, max(start * float(np.var(y)), floor), floor
    return False, noise_var, floor


def _check_updates(noise_update, gamma_update, n_factors):
    """The update rules; gamma_update=None is MacKay's for one factor (classic SBL)
    and the paper's EM for a Kronecker prior (I >= 2)."""
    noise_update = check_option(noise_update, "noise_update", _UPDATES)
    if gamma_update is None:
        gamma_update = "mackay" if n_factors == 1 else "em"
    return noise_update, check_option(gamma_update, "gamma_update", _UPDATES)


# ---------------------------------------------------------------- public API

def kron_matvec(factors: Sequence[ArrayLike], x: ArrayLike, adjoint: bool = False) -> np.ndarray:
    """Kronecker matvec ``(H_1 ⊗ ... ⊗ H_I) x``, or ``(H_1^H ⊗ ... ⊗ H_I^H) x`` with ``adjoint``.

    Same ordering as ``numpy.kron`` (the first factor is the slowest index), any
    number of rectangular factors, real or complex. Costs one small GEMM per mode
    (sum over k of prod(m_<k) prod(n_>=k) m_k flops) instead of prod(m) prod(n).

    Parameters
    ----------
    factors : sequence of (m_i, n_i) array_like
    x : (prod(n_i),) array_like, or (prod(m_i),) with ``adjoint``
    adjoint : bool
        Apply the conjugate transpose of the product instead.

    Returns
    -------
    (prod(m_i),) ndarray, or (prod(n_i),) with ``adjoint``

    Raises
    ------
    ValueError
        When x's length does not match the factors.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls.sbl import kron_matvec
    >>> rng = np.random.default_rng(0)
    >>> H1, H2 = rng.standard_normal((4, 6)), rng.standard_normal((5, 3))
    >>> x = rng.standard_normal(18)
    >>> np.allclose(kron_matvec([H1, H2], x), np.kron(H1, H2) @ x)
    True
    >>> v = rng.standard_normal(20)
    >>> np.allclose(kron_matvec([H1, H2], v, adjoint=True), np.kron(H1, H2).T @ v)
    True
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


def _solve(y, mats, method, noise_var, maxiter, tol, prune_rel, *, noise_update="mackay",
           gamma_update=None, warning=ConvergenceWarning, stacklevel=3, **options):
    """Scale-free driver: y and every factor are scaled to unit RMS, the native EM
    loop runs on the scaled problem (so γ_0 = 1, the noise floor, prune_abs and eps
    are relative to the data), and x, γ, σ², the cost and the residual are scaled
    back. y -> c y gives x -> c x; H_i -> c H_i gives x -> x / c (up to rounding).
    options: validated fields of _core.sbl.Options (prune_abs, inner_tol, block, ...);
    the others keep their C++ defaults."""
    maxiter = check_int(maxiter, "maxiter", low=1)
    tol = check_real(tol, "tol", low=0.0)
    if noise_var is not None:
        noise_var = check_real(noise_var, "noise_var", low=0.0)
    if not np.any(y):  # the posterior mean is exactly 0 for any γ; EM would only shrink γ
        return _zero_result(y, mats, method, 0.0 if noise_var is None else noise_var)
    y_scale = _rms(y)
    h_scales = [_rms(m) or 1.0 for m in mats]
    yn = y / y_scale
    mats_n = [m / c for m, c in zip(mats, h_scales)]
    x_scale = y_scale
    for c in h_scales:
        x_scale /= c
    noise_update, gamma_update = _check_updates(noise_update, gamma_update, len(mats))
    learn, sigma2, floor = _noise(None if noise_var is None else noise_var / y_scale / y_scale, yn,
                                  noise_update)
    opt = _core.sbl.Options()
    for name, value in options.items():
        setattr(opt, name, value)
    opt.method = _core.sbl.Method["svd" if method == "sbl" else method]  # one factor: both are γ = d
    opt.max_iter, opt.tol, opt.prune_rel = maxiter, tol, prune_rel
    opt.learn_noise, opt.noise_var, opt.noise_floor = learn, sigma2, floor
    opt.noise_update = _core.sbl.Update[noise_update]
    opt.gamma_update = _core.sbl.Update[gamma_update]
    fit = _core.sbl.kron_sbl(mats_n, yn, opt)
    gfac = fit.gamma_factors
    keep = [np.flatnonzero(g > 0) for g in gfac]
    gfac[-1] = gfac[-1] * x_scale * x_scale  # scale convention: ||γ_i|| = 1 for i < I
    gamma = gfac[0]
    for g in gfac[1:]:
        gamma = np.kron(gamma, g)
    support = np.flatnonzero(gamma > 0)
    if any(k.size == 0 for k in keep):
        status = SBLStatus.ALL_PRUNED
    elif not fit.converged:  # stopped mid-way: the dof test says nothing yet
        status = SBLStatus.MAX_ITER
    elif learn and fit.dof < _MIN_NOISE_DOF * y.shape[0]:
        status = SBLStatus.NOISE_COLLAPSED
    else:
        status = SBLStatus.CONVERGED
    if status is not SBLStatus.CONVERGED:
        warnings.warn(f"{method}: {_MESSAGES[status]} after {fit.nit} iterations",
                      warning, stacklevel=stacklevel)
    # log det Σ_y picks up M log(scale²) when y is scaled back; y^H Σ_y^{-1} y does not.
    cost = fit.cost + y.shape[0] * 2.0 * np.log(y_scale)
    return SBLResult(
        x=fit.x * x_scale, success=status is SBLStatus.CONVERGED, status=status,
        message=_MESSAGES[status], nit=fit.nit, residual_norm=y_scale * fit.residual_norm,
        gamma=gamma, gamma_factors=gfac, noise_var=fit.noise_var * y_scale * y_scale, support=support,
        support_factors=keep, cost=cost, method=method)


def _zero_result(y, mats, method, sigma2):
    N = int(np.prod([m.shape[1] for m in mats]))
    status = SBLStatus.CONVERGED
    return SBLResult(
        x=np.zeros(N, y.dtype), success=True, status=status, message="y = 0, so x = 0", nit=0,
        residual_norm=0.0, gamma=np.zeros(N), gamma_factors=[np.zeros(m.shape[1]) for m in mats],
        noise_var=float(sigma2), support=np.zeros(0, np.intp),
        support_factors=[np.zeros(0, np.intp) for _ in mats], cost=np.zeros(0), method=method)


def sbl(H: ArrayLike, y: ArrayLike, *, noise_var: float | None = None, maxiter: int = 150,
        tol: float = 1e-4, prune: float | None = None,
        prune_snr: float = _SBL_PRUNE_SNR, noise_update: str = "mackay",
        gamma_update: str = "mackay") -> SBLResult:
    """Classic EM sparse Bayesian learning (Tipping 2001; Wipf and Rao 2004).

    Parameters
    ----------
    H : (M, N) array_like, real or complex (copied once into the native core)
    y : (M,) array_like, real or complex
    noise_var : float >= 0 or None
        Known noise variance σ² (in the units of y²); None learns it (see noise_update).
        0 means noiseless (σ² is floored at 1e-12·mean|y|²).
    maxiter, tol : EM stops when ``||γ_new − γ_old|| < tol ||γ_old||`` (and, when σ² is
        learned, ``|Δσ²| <= tol σ²`` and MacKay's σ² is within tol·σ² of σ², so that a
        slowly crawling EM update cannot pass for converged) or after maxiter (status
        MAX_ITER and a ConvergenceWarning).
    prune : entries with ``γ_j < prune · max γ`` are dropped at the start of each
        iteration (0 disables). Default 1e-8: a numerical clean-up only, so that
        small true coefficients survive next to large ones.
    prune_snr : once EM has settled (relative changes of γ and σ² below 10·tol), an
        entry whose prior variance the data barely shrank, ``γ_j / Σ_jj − 1 < prune_snr``,
        is dropped and EM goes on. ``γ_j/Σ_jj − 1 = γ_j s_j`` compares the prior
        variance with the variance the other entries and the noise leave for entry j
        (Tipping and Faul's ``s_j``); at an evidence maximum it equals ``q_j²/s_j − 1``,
        so the default 10 keeps an entry when its evidence statistic exceeds 11 (about a
        3.3σ detection). 0 disables (then only ``prune`` acts, as in the paper).
    noise_update, gamma_update : "mackay" (default) or "em", the fixed-point form of the
        σ² and γ updates (same fixed points, different dynamics). MacKay:
        ``σ² ← ||y − Hμ||² / (M − Σ_j w_j)``, ``γ_j ← |μ_j|² / w_j`` with
        ``w_j = 1 − Σ_jj/γ_j``; EM (the paper's): ``σ² ← (||y − Hμ||² + σ² Σ_j w_j) / M``,
        ``γ_j ← |μ_j|² + Σ_jj``. EM's steps are shrunk by the factors w_j and Σ w_j / M,
        which on underdetermined designs (M < N) lets σ² drift to 0 while spurious
        entries fit the noise. MacKay's σ² starts from var(y), EM's from 0.1·var(y).

    Scale-free: y and H are scaled to unit RMS before the EM loop starts from γ = 1
    and scaled back after, so ``y -> c y`` (with ``noise_var -> c² noise_var``) gives
    ``x -> c x`` and ``H -> c H`` gives ``x -> x / c``, with the same support.

    The E-step is the Woodbury ("M-side") form: a Cholesky factorization of
    ``σ² I + H Γ H^H`` (M × M), O(M² N + M³) per iteration and O(M N) memory; an
    eigendecomposition replaces it when that matrix is numerically singular
    (noiseless data after pruning). M-step: see noise_update, gamma_update.

    Returns
    -------
    SBLResult
        Stopping at maxiter gives status MAX_ITER and a ConvergenceWarning.

    Examples
    --------
    Three nonzeros out of 80 from 40 noisy measurements:

    >>> import numpy as np
    >>> from fastls import sbl
    >>> rng = np.random.default_rng(0)
    >>> H = rng.standard_normal((40, 80))
    >>> x = np.zeros(80)
    >>> x[[3, 17, 50]] = [1.0, -2.0, 1.5]
    >>> y = H @ x + 0.01 * rng.standard_normal(40)
    >>> res = sbl.sbl(H, y, noise_var=1e-4)
    >>> res.status, res.support
    (<SBLStatus.CONVERGED: 0>, array([ 3, 17, 50]))
    >>> np.round(res.x[res.support], 2)
    array([ 1. , -2. ,  1.5])

    Learning σ² on this underdetermined design (M < N) underestimates it, and
    small spurious entries survive next to the three large ones: give
    ``noise_var`` when the noise level is known.

    >>> learned = sbl.sbl(H, y)
    >>> learned.noise_var < 1e-4, np.flatnonzero(np.abs(learned.x) > 0.1)
    (True, array([ 3, 17, 50]))
    """
    return _sbl(H, y, noise_var, maxiter, tol, prune, prune_snr, noise_update=noise_update,
                gamma_update=gamma_update)


def _sbl(H, y, noise_var, maxiter, tol, prune, prune_snr, *, noise_update="mackay",
         gamma_update="mackay", warning=ConvergenceWarning, stacklevel=4):
    y, mats = _check_system(y, [as_array(H, "H", ndim=2, dtype=_DTYPES)], "H")
    prune_rel = _check_prune(_SBL_PRUNE if prune is None else prune, 1)
    prune_snr = check_real(prune_snr, "prune_snr", low=0.0)
    return _solve(y, mats, "sbl", noise_var, maxiter, tol, prune_rel, prune_snr=prune_snr,
                  noise_update=noise_update, gamma_update=gamma_update, warning=warning,
                  stacklevel=stacklevel)


def kron_sbl(factors: Sequence[ArrayLike], y: ArrayLike, *, method: str = "svd",
             noise_var: float | None = None, maxiter: int = 150,
             tol: float = 1e-4, prune: float | Sequence[float] | None = None, prune_abs: float = 0.0, inner_tol: float = 1e-5,
             inner_max_sweeps: int = 100, noise_update: str = "mackay",
             gamma_update: str | None = None) -> SBLResult:
    """Kronecker-structured SBL: SVD-KroSBL or AM-KroSBL (He and Joseph 2024).

    Parameters
    ----------
    factors : sequence of (m_i, n_i) arrays, H = H_1 ⊗ ... ⊗ H_I in numpy.kron order
    y : (M,) array_like, M = prod(m_i); real or complex
    method : "svd" | "am"
        "svd": the classic update d = diag Σ + |μ|² projected onto Kronecker vectors by
        I − 1 sequential rank-one fits (fast, most accurate in the paper).
        "am": Gauss-Seidel sweeps of the exact per-factor minimisers of the EM
        surrogate (a generalised EM: the type-II cost never increases without pruning).
    noise_var : float >= 0 or None (in the units of y²; None learns it)
    maxiter, tol : EM stops when ``||γ_new − γ_old|| < tol ||γ_old||`` (and, when σ² is
        learned, ``|Δσ²| <= tol σ²`` and MacKay's σ² is within tol·σ²) or after maxiter.
    noise_update : "mackay" (default: ``σ² ← ||y − Hμ||² / (M − Σ_j w_j)`` from var(y))
        or "em" (the paper's ``σ² ← (||y − Hμ||² + σ² Σ_j w_j) / M`` from 0.1·var(y)),
        ``w_j = 1 − Σ_jj/γ_j``; see :func:`sbl`.
    gamma_update : None (default: "mackay" for one factor, i.e. classic SBL as in
        :func:`sbl`; the paper's "em" for I >= 2), "em" (``d = diag Σ + |μ|²``) or
        "mackay" (``d = |μ|² / w``, projected like d).
    prune : float or one float per factor; entry k of factor i is dropped when
        ``γ_i[k] < prune_i · max γ_i``. Default: the paper's 1e-3 (svd) / 1e-2 (am),
        halved when σ² is learned. 0 disables.
    prune_abs : also drop entries with ``γ_i[k] < prune_abs`` in the scaled units of the
        EM loop (y and every factor scaled to unit RMS), so it is relative to the data
        scale; the paper's IRS study uses 1e-4. Default 0.
    inner_tol, inner_max_sweeps : "am" sweeps stop when the Kronecker product changes by
        less than inner_tol relative, or after inner_max_sweeps.

    Scale-free: y and every factor are scaled to unit RMS before the EM loop (which
    starts from γ = 1) and the results are scaled back, so ``y -> c y`` (with
    ``noise_var -> c² noise_var``) gives ``x -> c x`` and ``H_i -> c H_i`` gives
    ``x -> x / c``, with the same support.

    Returns
    -------
    SBLResult
        With one factor both methods are classic SBL (without sbl()'s
        evidence-based pruning).

    Examples
    --------
    A 144-entry x with support {2, 7} x {4} (a Cartesian product) seen
    through a 100 x 144 Kronecker dictionary:

    >>> import numpy as np
    >>> from fastls import sbl
    >>> rng = np.random.default_rng(0)
    >>> H1, H2 = rng.standard_normal((10, 12)), rng.standard_normal((10, 12))
    >>> x = np.zeros(144)
    >>> x[[2 * 12 + 4, 7 * 12 + 4]] = [1.0, -2.0]
    >>> y = sbl.kron_matvec([H1, H2], x) + 0.01 * rng.standard_normal(100)
    >>> res = sbl.kron_sbl([H1, H2], y, method="svd")
    >>> res.status, res.support, [s.tolist() for s in res.support_factors]
    (<SBLStatus.CONVERGED: 0>, array([28, 88]), [[2, 7], [4]])
    >>> np.round(res.x[res.support], 2)
    array([ 1., -2.])
    """
    return _kron_sbl(factors, y, method, noise_var, maxiter, tol, prune, prune_abs=prune_abs,
                     inner_tol=inner_tol, inner_max_sweeps=inner_max_sweeps,
                     noise_update=noise_update, gamma_update=gamma_update)


def _kron_sbl(factors, y, method, noise_var, maxiter, tol, prune, *, prune_abs=0.0,
              inner_tol=1e-5, inner_max_sweeps=100, noise_update="mackay", gamma_update=None,
              warning=ConvergenceWarning, stacklevel=4):
    method = check_option(method, "method", _METHODS)
    y, mats = _check_system(y, _check_factors(factors))
    if prune is None:
        prune = _PRUNE[method][noise_var is None]
    prune_rel = _check_prune(prune, len(mats))
    inner_tol = check_real(inner_tol, "inner_tol", low=0.0)
    inner_max_sweeps = check_int(inner_max_sweeps, "inner_max_sweeps", low=1)
    return _solve(y, mats, method, noise_var, maxiter, tol, prune_rel,
                  prune_abs=check_real(prune_abs, "prune_abs", low=0.0),
                  inner_tol=inner_tol, inner_max_sweeps=inner_max_sweeps,
                  noise_update=noise_update, gamma_update=gamma_update, warning=warning,
                  stacklevel=stacklevel)


def pc_kron_sbl(factors: Sequence[ArrayLike], y: ArrayLike, block_modes: int | Sequence[int], *,
                beta: float = 0.8, noise_var: float | None = None,
                maxiter: int = 150, tol: float = 1e-4, prune: float | Sequence[float] | None = None,
                prune_abs: float = 1e-4, eps: float = 1e-5, inner_tol: float = 1e-4,
                inner_max_sweeps: int = 10, noise_update: str = "mackay",
                gamma_update: str | None = None) -> SBLResult:
    """Pattern-coupled (block-sparse) AM-KroSBL, the IRS-MIMO extension of the paper.

    On each mode in ``block_modes`` the prior factor is ``γ̃_i = ε + C_β g_i`` with
    ``C_β = I + β (E + E^T)`` (E the one-step shift), which couples neighbouring
    entries so that supports come in blocks; the AM step for that mode solves
    ``g_i = argmin_{g >= 0} ||C_β g − t_i||`` (NNLS) against the plain AM target t_i.
    Other modes use the plain AM update.

    Parameters
    ----------
    factors, y : as in :func:`kron_sbl`.
    block_modes : int or sequence of factor indices (0-based) with block sparsity.
    beta : coupling strength (the paper uses 0.5 and 0.8); 0 gives AM-KroSBL.
    prune : relative thresholds on γ̃_i; default 1e-2 on block modes, 1e-1 elsewhere.
    prune_abs : threshold on every γ̃_i[k] in the scaled units of the EM loop (y and
        every factor scaled to unit RMS, so it is relative to the data scale); the
        paper's 1e-4.
    eps : offset of the effective factors (in the same scaled units).
    inner_tol, inner_max_sweeps : sweeps stop at this relative change or cap.
    Other parameters as in :func:`kron_sbl`.

    Returns
    -------
    SBLResult
        ``gamma_factors`` are the effective factors ε + C_β g_i.

    Examples
    --------
    A 2 x 2 block of nonzeros, coupled on both modes:

    >>> import numpy as np
    >>> from fastls import sbl
    >>> rng = np.random.default_rng(0)
    >>> H1, H2 = rng.standard_normal((10, 12)), rng.standard_normal((10, 12))
    >>> x = np.zeros(144)
    >>> x[[3 * 12 + 4, 3 * 12 + 5, 4 * 12 + 4, 4 * 12 + 5]] = [1.0, 1.2, -0.8, 1.0]
    >>> y = sbl.kron_matvec([H1, H2], x) + 0.01 * rng.standard_normal(100)
    >>> res = sbl.pc_kron_sbl([H1, H2], y, block_modes=[0, 1])
    >>> res.status, np.flatnonzero(np.abs(res.x) > 0.1)
    (<SBLStatus.CONVERGED: 0>, array([40, 41, 52, 53]))
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
    return _solve(y, mats, "pc", noise_var, maxiter, tol, prune_rel,
                  prune_abs=check_real(prune_abs, "prune_abs", low=0.0),
                  inner_tol=check_real(inner_tol, "inner_tol", low=0.0),
                  inner_max_sweeps=check_int(inner_max_sweeps, "inner_max_sweeps", low=1),
                  block=block, beta=beta, eps=check_real(eps, "eps", low=0.0, low_open=True),
                  noise_update=noise_update, gamma_update=gamma_update)


# ---------------------------------------------------------------- estimator

def _make_estimator():
    """Build KroneckerSBL on first use: importing scikit-learn costs seconds."""
    try:
        from sklearn.base import BaseEstimator, RegressorMixin
        from sklearn.utils.validation import check_is_fitted
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fastls.sbl.KroneckerSBL needs scikit-learn "
                          "(pip install 'fastls[test]' or scikit-learn)") from exc
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        def validate_data(est, *args, **kwargs):
            return est._validate_data(*args, **kwargs)

    from fastls._errors import sklearn_convergence_warning

    class KroneckerSBL(RegressorMixin, BaseEstimator):
        """Sparse Bayesian learning regressor (ARD prior), optionally with a Kronecker
        dictionary.

        Dense use, like ``sklearn.linear_model.ARDRegression``: ``fit(X, y)`` with X of
        shape (n_samples, n_features) runs classic EM-SBL (:func:`sbl`) on the centred
        data when ``fit_intercept`` (the default) and sets ``coef_`` and ``intercept_``.
        Kronecker use: pass ``factors=[H_1, ..., H_I]`` at construction; the design
        matrix is then ``H_1 ⊗ ... ⊗ H_I`` (never formed), ``fit(None, y)`` runs
        KroSBL (:func:`kron_sbl` with ``method``) and ``predict(None)`` returns
        ``(⊗H_i) coef_``; an intercept would break the Kronecker structure, so
        ``fit_intercept=False`` is required there.

        Scale-free (y -> c y gives coef_ -> c coef_), float32 X gives float32 ``coef_``
        and predictions. Dense X follows scikit-learn's input checks (real only);
        complex data go through ``factors`` or the functions :func:`sbl` / :func:`kron_sbl`.

        Parameters
        ----------
        factors : None or sequence of (m_i, n_i) arrays (Kronecker dictionary).
        method : "svd" | "am", the KroSBL M-step (factors only).
        noise_var : None (σ² learned by EM) or the known noise variance in units of y².
        fit_intercept : centre X and y first (dense X only).
        max_iter, tol : EM limits; EM stops when the relative change of γ (and of σ²)
            is below tol. Stopping at max_iter emits a ConvergenceWarning that is both
            fastls's and scikit-learn's.
        noise_update, gamma_update : "mackay" or "em" update rules (see :func:`sbl`);
            gamma_update=None is "mackay" for dense X and one factor, "em" for I >= 2.
        prune : relative pruning threshold (None: 1e-8 dense, the paper's defaults for
            factors); prune_snr : evidence-based pruning of :func:`sbl` (dense only).

        Attributes: coef_, intercept_, gamma_, gamma_factors_, noise_var_, support_,
        n_iter_, cost_ (type-II cost per iteration), result_ (the SBLResult),
        n_features_in_.

        Examples
        --------
        >>> import numpy as np
        >>> from fastls.sbl import KroneckerSBL
        >>> rng = np.random.default_rng(0)
        >>> X = rng.standard_normal((60, 10))
        >>> y = X[:, 1] * 2.0 - X[:, 4] + 3.0 + 0.01 * rng.standard_normal(60)
        >>> model = KroneckerSBL().fit(X, y)
        >>> np.flatnonzero(np.abs(model.coef_) > 0.1), np.round(model.coef_[[1, 4]], 2)
        (array([1, 4]), array([ 2., -1.]))
        >>> print(round(model.intercept_, 2))
        3.0

        With a Kronecker dictionary the design comes from ``factors``:

        >>> H1, H2 = rng.standard_normal((10, 12)), rng.standard_normal((10, 12))
        >>> x = np.zeros(144)
        >>> x[[28, 88]] = [1.0, -2.0]
        >>> y = np.kron(H1, H2) @ x + 0.01 * rng.standard_normal(100)
        >>> model = KroneckerSBL(factors=[H1, H2], fit_intercept=False).fit(None, y)
        >>> model.support_, model.predict(None).shape
        (array([28, 88]), (100,))
        """

        def __init__(self, factors: Sequence[ArrayLike] | None = None, *, method: str = "svd",
                     noise_var: float | None = None, fit_intercept: bool = True,
                     max_iter: int = 300, tol: float = 1e-4,
                     prune: float | Sequence[float] | None = None,
                     prune_snr: float = _SBL_PRUNE_SNR, noise_update: str = "mackay",
                     gamma_update: str | None = None):
            self.factors = factors
            self.method = method
            self.noise_var = noise_var
            self.fit_intercept = fit_intercept
            self.max_iter = max_iter
            self.tol = tol
            self.prune = prune
            self.prune_snr = prune_snr
            self.noise_update = noise_update
            self.gamma_update = gamma_update

        def fit(self, X: ArrayLike | None, y: ArrayLike) -> KroneckerSBL:
            """Fit on (X, y), or on (None, y) with ``factors``."""
            warning = sklearn_convergence_warning()
            check_int(self.max_iter, "max_iter", low=1)  # named as the estimator spells it
            if self.factors is not None:
                if X is not None:
                    raise ValueError("KroneckerSBL(factors=...) takes its design matrix from "
                                     "factors: call fit(None, y)")
                if self.fit_intercept:
                    raise ValueError("fit_intercept=True would break the Kronecker structure; "
                                     "use KroneckerSBL(factors=..., fit_intercept=False)")
                res = _kron_sbl(self.factors, y, self.method, self.noise_var, self.max_iter,
                                self.tol, self.prune, noise_update=self.noise_update,
                                gamma_update=self.gamma_update, warning=warning, stacklevel=4)
                dtype = res.x.dtype
                self.intercept_ = 0.0
                self.n_features_in_ = res.x.shape[0]
                coef = res.x
            else:
                check_option(self.method, "method", _METHODS)
                X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True)
                if self.fit_intercept:
                    X_offset = X.mean(axis=0, dtype=np.result_type(X.dtype, np.float64))
                    y_offset = y.mean(dtype=np.result_type(y.dtype, np.float64))
                    Xc, yc = X - X_offset, y - y_offset
                else:
                    Xc, yc = X, y
                res = _sbl(Xc, yc, self.noise_var, self.max_iter, self.tol, self.prune,
                           self.prune_snr, noise_update=self.noise_update,
                           gamma_update="mackay" if self.gamma_update is None
                           else self.gamma_update, warning=warning, stacklevel=4)
                dtype = X.dtype
                coef = res.x
                self.intercept_ = ((y_offset - X_offset @ coef) if self.fit_intercept else 0.0)
                if dtype == np.float32:
                    self.intercept_ = np.float32(self.intercept_)
            self.result_ = res
            self.coef_ = coef.astype(dtype, copy=False)
            self.gamma_ = res.gamma
            self.gamma_factors_ = res.gamma_factors
            self.noise_var_ = res.noise_var
            self.support_ = res.support
            self.n_iter_ = res.nit
            self.cost_ = res.cost
            return self

        def predict(self, X: ArrayLike | None) -> np.ndarray:
            """X @ coef_ + intercept_, or (⊗H_i) coef_ for ``predict(None)`` with ``factors``."""
            check_is_fitted(self, "coef_")
            if self.factors is not None:
                if X is not None:
                    raise ValueError("KroneckerSBL(factors=...) predicts on its factors: "
                                     "call predict(None)")
                return kron_matvec(self.factors, self.coef_)
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
            return X @ self.coef_ + self.intercept_

    KroneckerSBL.__module__ = __name__
    KroneckerSBL.__qualname__ = "KroneckerSBL"
    return KroneckerSBL


def __getattr__(name):
    if name == "KroneckerSBL":
        cls = globals()["KroneckerSBL"] = _make_estimator()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
