"""Implementation of :mod:`fastls.linalg` (private: import from the package)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from fastls import _core
from fastls._errors import ConvergenceWarning, LinAlgError
from fastls._result import Result
from fastls._device import DEVICES, is_cuda_array, resolve_device
from fastls._validation import (as_array, check_int, check_option, check_real, native_seed,
                                require_finite)
from fastls.sketching._sketch import KINDS, _nnz, check_sketch_rows, is_implicit, make_spec, native

__all__ = ["lstsq", "LstsqResult", "LstsqStatus", "normal_residual", "optimality_limit"]


# Bound from C++ (one enum for the LSQR kernel, the sketched and dense paths and Dask).
LstsqStatus = _core.krylov.LstsqStatus
LstsqStatus.__module__ = "fastls.linalg"  # where users import (and pickle) it from


_CONVERGED = (0, 1, 2)  # SOLVED, CONSISTENT, CONVERGED

_MESSAGES = {
    LstsqStatus.SOLVED: "solved",
    LstsqStatus.CONSISTENT: "A x = b is consistent to within tol",
    LstsqStatus.CONVERGED: "least-squares optimality reached to within tol",
    LstsqStatus.ILL_CONDITIONED: "the preconditioned system is too ill-conditioned",
    LstsqStatus.MAX_ITER: "iteration limit reached before tol",
}


@dataclass(frozen=True, kw_only=True, repr=False)
class LstsqResult(Result):
    """Result of :func:`fastls.lstsq`.

    rank / singular_values: as numpy.linalg.lstsq returns them (method="qr").
    The sketch methods add the sketch fields (singular values are then those
    of S A).

    backward_error: per column, the Karlson-Waldén estimate of the
    normwise relative least-squares backward error of x (the smallest
    ||dA||_F / ||A||_2 such that x solves the problem for A + dA),
    ||(A^T A + mu I)^{-1/2} A^T r|| / (||x|| ||A||_2) with mu = ||r||^2 / ||x||^2,
    A^T A approximated by the sketch's R^T R and ||A||_2 by its largest
    singular value: within a factor ~sqrt(2) of the exact value when
    accurate, here also up to the sketch's distortion (a few). Reported by
    method="precondition" on a dense A (of the stacked system with damp > 0,
    of the real embedding for complex A), from the A^T r of the check against
    A; NaN where not computed: method="qr" and "sketch" (QR is
    backward stable; sketch-and-solve is not meant to be), answers that fell
    back to QR, and sparse/operator A.
    """

    method: str
    rank: int | None = None
    singular_values: np.ndarray | None = None
    sketch: str | None = None
    sketch_rows: int | None = None
    sketched_residual_norm: float | np.ndarray | None = None
    coordinate_error: np.ndarray | None = None
    linf_bound: float | np.ndarray | None = None
    normal_residual: float | np.ndarray | None = None
    backward_error: float | np.ndarray | None = None


_METHODS = ("auto", "qr", "sketch", "precondition")
_LINF_DELTA = 0.05  # failure probability of the reported l-infinity bound
GPU_OVERSAMPLING = 8.0
_EPS = np.finfo(np.float64).eps
_SYSTEM_DTYPES = (np.float64, np.complex128)


def _incompatible(A_shape, b_shape):
    # numpy.linalg.lstsq's error: a LinAlgError, which is also a ValueError.
    return LinAlgError(f"Incompatible dimensions: b must have as many rows as A: A has shape "
                       f"{A_shape}, b has shape {b_shape}")


def _single_precision(*arrays) -> bool:
    """numpy's rule: results are single precision only when every input is."""
    return all(getattr(a, "dtype", None) in (np.float32, np.complex64) for a in arrays)


def _check_system(A, b):
    """A (n, d) and b (n, k) F-ordered, float64 or (if either is complex) complex128.

    A's NaN/Inf check is left to the caller: a CPU sketch makes it without a pass
    over A (see _sketched)."""
    A = as_array(A, "A", ndim=2, dtype=_SYSTEM_DTYPES, allow_empty=True, check_finite=False)
    b = as_array(b, "b", ndim=(1, 2), dtype=_SYSTEM_DTYPES, allow_empty=True)
    if b.shape[0] != A.shape[0]:
        raise _incompatible(A.shape, b.shape)
    if A.dtype.kind == "c" or b.dtype.kind == "c":
        A, b = A.astype(np.complex128, copy=False), b.astype(np.complex128, copy=False)
    return A, np.asfortranarray(b.reshape(b.shape[0], 1 if b.ndim == 1 else b.shape[1]))


def _check_system_gpu(A, b):
    """CuPy A (kept on the device) and b (brought to the host, F-ordered)."""
    import cupy

    if A.ndim != 2 or A.size == 0:
        raise ValueError(f"A must be a non-empty 2-D array, got shape {A.shape}")
    if A.dtype.kind == "c":
        raise TypeError("complex A is solved on the CPU only; copy it to the host")
    A = cupy.asarray(A, dtype=cupy.float64)
    if not (A.flags.c_contiguous or A.flags.f_contiguous):
        A = cupy.ascontiguousarray(A)
    if not bool(cupy.isfinite(A).all()):
        raise ValueError("A must be finite, but contains NaN or Inf")
    b = as_array(cupy.asnumpy(b) if is_cuda_array(b) else b, "b", ndim=(1, 2))
    if b.shape[0] != A.shape[0]:
        raise _incompatible(A.shape, b.shape)
    return A, np.asfortranarray(b.reshape(b.shape[0], -1))


def _check_rcond(rcond, n: int, d: int) -> float:
    """numpy's rcond: None -> eps * max(n, d); negative -> LAPACK's machine precision eps / 2,
    as gelsd reads it. eps is float64's for float32 input too: numpy solves in float64 and
    treats float32 data as exact (float32's eps dropped singular values numpy keeps)."""
    eps = np.finfo(np.float64).eps
    if rcond is None:
        return float(eps * max(n, d))
    rcond = check_real(rcond, "rcond")
    return float(eps / 2) if rcond < 0 else rcond


# Entries beyond which Householder norms (sums of squares) under- or overflow
# (the CPU kernel refuses a sketch S A beyond it; b is checked here).
_SCALE_LIMIT = 2.0**480
_EXTREME_SCALE = ("A's entries are near the float64 limits (max |S A| outside 2^-480..2^480), where the "
                  "sketch's factorization under- or overflows")


def _pow2_scale(M) -> float:
    """A power of two that brings max |M| near 1 when it lies outside [2^-400, 2^400],
    else 1: Householder norms of entries near the float64 limits over- or underflow
    (LAPACK's drivers scale likewise); powers of two scale exactly."""
    if not M.size:
        return 1.0
    # (no |M| temporary for real M: it would double a dense A's memory)
    amax = float(np.abs(M).max()) if M.dtype.kind == "c" else max(float(M.max()), -float(M.min()))
    if amax == 0.0 or 2.0**-400 <= amax <= 2.0**400:
        return 1.0
    return float(2.0 ** -np.round(np.log2(amax)))


def _unit_columns(B) -> np.ndarray:
    """Per column of B (2-D), a power of two that brings max |b| to [2^-0.5, 2^0.5] (1 for a
    zero column): exact scaling."""
    amax = np.abs(B).max(axis=0) if B.shape[0] else np.zeros(B.shape[1])
    return np.where(amax > 0, 2.0 ** -np.round(np.log2(np.where(amax > 0, amax, 1.0))), 1.0)


def _norms(M) -> np.ndarray:
    """Column 2-norms of M (1-D: its norm, as a length-1 array) without over- or underflow:
    np.linalg.norm squares the entries, and an A^T r of entries ~1e-180 has norm 0 there."""
    M = np.asarray(M)
    M = M.reshape(M.shape[0], -1)
    s = _unit_columns(M)
    return np.linalg.norm(M * s, axis=0) / s


def _qr(A, B, rcond):
    solver = _core.dense.qr_lstsq_complex if A.dtype.kind == "c" else _core.dense.qr_lstsq
    if A.dtype.kind == "c":
        A, B = np.asfortranarray(A), np.asfortranarray(B)
    a, c = _pow2_scale(A), _pow2_scale(B)  # min ||a A y - c B||: x = y a / c, r = r_y / c
    if a != 1.0:
        A = np.asfortranarray(A * a)
    if c != 1.0:
        B = np.asfortranarray(B * c)
    out = solver(A, B, rcond)
    status = LstsqStatus.SOLVED
    return dict(x=out.x * (a / c), residual_norm=out.residual_norms / c, rank=int(out.rank),
                singular_values=out.singular_values / a, status=status, success=True, nit=0,
                message=_MESSAGES[status])


def _empty(A, B):
    """numpy's answer when A has no rows or no columns: x = 0."""
    x = np.zeros((A.shape[1], B.shape[1]), dtype=np.result_type(A, B))
    status = LstsqStatus.SOLVED
    return dict(x=x, residual_norm=np.linalg.norm(B, axis=0), rank=0,
                singular_values=np.zeros(0), status=status, success=True, nit=0,
                message=_MESSAGES[status] + " (A is empty: x = 0)")


def choose_method(n: int, d: int) -> str:
    """The rule behind method="auto".

    Sketch-and-precondition costs a few passes of A for the sketch, about
    2 gamma d^3 flops for the QR of S A and ~12-30 fused passes of A for the
    refinement, against QR's 2 n d^2 flops. Measured (1 thread, F-ordered
    Gaussian A, d = 16 .. 1024, n = 10 d .. 1000 d, ``benchmarks/auto_rule.py``)
    it wins by >= 1.15x wherever d >= 32, n >= 20 d and n d >= 2^20, and
    loses or ties (0.5-1.1x) at every measured size outside that region but
    two (1.12x at 6400 x 128, 1.16x at 10240 x 1024).
    """
    return "precondition" if d >= 32 and n >= 20 * d and n * d >= 2**20 else "qr"


def default_sketch_rows(n: int, d: int, sketch_kind: str, precondition: bool,
                        oversampling, entries: int | None = None) -> int:
    """m = oversampling * d, clipped to [d, n].

    oversampling=None: 4 for sketch-and-solve and for dense sketches (their
    cost grows with m); for sketch-and-precondition with a fast sketch, the
    gamma minimising QR(SA) + iteration cost 2 gamma d^3 / F + E c / ln gamma,
    i.e. gamma ln(gamma)^2 = K E / d^3, where E is what one product with A
    reads: n d entries when dense, its nonzeros when sparse (``entries``).
    K = 110 for sparse A (LSQR, two products an iteration). Dense A (one fused
    pass an iteration, and QR of S A at 10-40 GFLOP/s): K = 528, fitted where
    the iteration count was measured against m (2^16 x 1000: gamma 8; 2^20 x
    100: gamma >= 80), with m <= max(4 d, 2^14) so that a panel of S A stays
    in L2 while the sketch scatters into it (at 2^20 x 100, m = 33924 made the
    sketch 4x dearer than m = 8000 and saved two iterations).
    """
    if oversampling is None:
        gamma = 4.0
        if precondition and sketch_kind not in ("gaussian", "rademacher"):
            target = (110.0 * entries if entries is not None else 528.0 * n * d) / d**3
            lo, hi = 4.0, max(4.0, n / d)
            while hi - lo > 0.01 * lo:  # gamma ln^2 gamma is increasing for gamma > 1
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if mid * np.log(mid) ** 2 < target else (lo, mid)
            gamma = lo if entries is not None else min(lo, max(4.0, 2**14 / d))
    else:
        gamma = check_real(oversampling, "oversampling", low=1.0)
    return int(min(n, max(d, int(np.ceil(gamma * d)))))


def _kernel(A, B, options, device):
    """One sketch-and-solve or sketch-and-precondition run: a _core.sketch.SolveResult."""
    if device == "cuda":
        from fastls._device import cuda_module
        if is_cuda_array(A):
            return cuda_module().solve_pointer(A.data.ptr, *A.shape, bool(A.flags.c_contiguous), B,
                                               options)
        return cuda_module().solve(A, B, options)
    return _core.sketch.solve(A, B, options)


def _host(a) -> np.ndarray:
    return a.get() if is_cuda_array(a) else np.asarray(a)


def _lost_rank(apply, out, rcond: float) -> bool:
    """True when S A has lower rank than A.

    A null vector v of S A with ||A v|| above numpy's rank threshold rcond ||A||_2
    proves that A has rank the sketch lost: S A alone never decides the rank.
    ||A||_2 is taken as ||A v_1|| (v_1: S A's top right singular vector), a lower
    bound within the sketch's distortion of it; s_1(S A) itself exceeds ||A||_2 by
    up to half at small sketches, which dropped singular values just above the
    threshold. apply: V -> A V.
    """
    V = out.null_basis
    if V.shape[1] == 0:
        return False
    norms = np.linalg.norm(_host(apply(np.column_stack([out.right_singular_vectors[:, :1], V]))), axis=0)
    return float(norms[1:].max()) > rcond * norms[0]


def _lost_residual(out, B, rcond: float) -> bool:
    """True when S [A b] has lower rank than [A b]: the sketched residual is
    numerically zero while the residual on A is not (sketch-and-solve's error
    bars stand on S r)."""
    scale = rcond * (out.singular_values[0] * np.linalg.norm(out.x, axis=0)
                     + np.linalg.norm(B, axis=0))
    return bool(np.any((out.sketched_residual_norms <= scale) &
                       (out.residual_norms > 1e3 * scale)))


def _xp(A):
    if is_cuda_array(A):
        import cupy
        return cupy
    return np


def normal_residual(A: ArrayLike, B: ArrayLike, X: ArrayLike, *,
                    norm_A: float | None = None) -> np.ndarray:
    """Relative normal-equation residual ||A^H r|| / (||A|| (||A|| ||x|| + ||r||)), r = b - A x.

    Zero for an exact least-squares solution; a backward-stable solver
    leaves O(eps). It bounds how far x is from satisfying the normal
    equations relative to the data's scale, and is how a sketched or
    iterative answer is checked against A itself.

    Parameters
    ----------
    A : (n, d) ndarray (or CuPy array)
    B : (n,) or (n, k) array_like
        Right-hand side(s).
    X : (d,) or (d, k) array_like
        Candidate solution(s), shaped like B.
    norm_A : float, optional
        ||A||_2 or an estimate of it (e.g. the largest singular value of a
        sketch of A); None computes ||A||_2.

    Returns
    -------
    (k,) ndarray
        One value per column (k = 1 for 1-D B).

    Examples
    --------
    >>> import numpy as np
    >>> from fastls.linalg import normal_residual
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((200, 5)), rng.standard_normal(200)
    >>> x = np.linalg.lstsq(A, b, rcond=None)[0]
    >>> bool(normal_residual(A, b, x)[0] < 1e-14)
    True
    >>> bool(normal_residual(A, b, np.zeros(5))[0] > 0.01)
    True
    """
    xp = _xp(A)
    if norm_A is None:
        norm_A = float(np.linalg.norm(_host(A), 2))
    R = xp.asarray(B) - A @ xp.asarray(X)
    return normal_residual_from_norms(_norms(_host(A.conj().T @ R)), _norms(_host(R)), _norms(_host(X)), norm_A)


def normal_residual_from_norms(normal_norm, residual_norm, x_norm, norm_A: float) -> np.ndarray:
    """:func:`normal_residual` from the norms ||A^H r||, ||r||, ||x|| (0 where all vanish)."""
    normal_norm = np.atleast_1d(np.asarray(normal_norm, dtype=float))
    denom = norm_A * (norm_A * np.asarray(x_norm, dtype=float) + np.asarray(residual_norm, dtype=float))
    denom = np.broadcast_to(denom, normal_norm.shape)
    return np.divide(normal_norm, denom, out=np.zeros_like(normal_norm), where=denom > 0)


def lsqr_optimal(atr, rn, xn, bn, norm_A: float, limit: float) -> np.ndarray:
    """LSQR's stopping tests on A itself, per column: ||A^T r|| <= limit ||A|| ||r||,
    or ||r|| <= limit (||b|| + ||A|| ||x||) (x solves a nearby consistent system).

    What lets an answer LSQR gave up on (its iteration limit) count as converged.
    Not normal_residual <= limit: its ||A|| ||x|| term hides an x far off in A's
    small directions, as early iterates on an ill-conditioned A are, behind that
    x's large norm (3000 x 40 at cond 1e11, one iteration: residual 16% above the
    minimum, normal_residual 2e-12).
    """
    atr, rn, xn, bn = (np.asarray(v, dtype=float) for v in (atr, rn, xn, bn))
    return (atr <= limit * norm_A * rn) | (rn <= limit * (bn + norm_A * xn))


def optimality_limit(tol: float, n: int, d: int) -> float:
    """The largest normal_residual a converged sketch-and-precondition answer may have.

    LSQR's stopping test bounds ||(A P)^T r|| by tol times its running
    estimate of ||A P||_F <= sqrt(d) ||A P||_2, and ||A|| ~ ||R|| for the
    sketched R; the second term is the rounding floor of forming A^T r.
    A tenfold margin on both keeps honest answers far from the limit, while
    an answer from a wrong subspace sits at O(1).

    Parameters
    ----------
    tol : float
        LSQR's stopping tolerance (``tol`` of :func:`lstsq`).
    n, d : int
        Rows and columns of A.

    Returns
    -------
    float
        10 (sqrt(d) tol + 8 eps sqrt(n)).

    Examples
    --------
    >>> from fastls.linalg import optimality_limit
    >>> print(f"{optimality_limit(1e-12, 200, 5):.1e}")
    2.3e-11
    """
    return 10.0 * (np.sqrt(d) * tol + 8.0 * _EPS * np.sqrt(n))


def _real_embedding(M: np.ndarray) -> np.ndarray:
    """[[Re M, -Im M], [Im M, Re M]]: maps [Re x; Im x] to [Re Mx; Im Mx]."""
    return np.block([[M.real, -M.imag], [M.imag, M.real]])


def _error_bars(out, kind: str, m: int):
    """(se, q): coordinate_error = se, linf_bound = q max_i se_i; NaN where they would not hold."""
    from scipy import stats

    rank = int(out.rank)
    d, k = out.x.shape
    if kind in ("countsketch", "sjlt"):
        warnings.warn(f"lstsq: sketch={kind!r} gives no error bars (sparse sketches lose the "
                      "coordinate-error law on coherent inputs); coordinate_error and linf_bound "
                      "are NaN. Use 'gaussian' (exact law) or 'srht'.", RuntimeWarning, stacklevel=4)
        return np.full((d, k), np.nan), np.nan
    # Conditional on S A, the Gaussian sketch makes x' an OLS estimate with
    # i.i.d. Gaussian noise, so (x' - x*)_i / se_i ~ Student t with m - r
    # degrees of freedom (note, section 1.6): se_i = ||S r'|| sqrt(P_ii / (m - r)).
    dof = m - rank
    if dof < 1:  # no residual degrees of freedom: an honest but empty bound
        return np.full((d, k), np.inf), np.inf
    se = out.sketched_residual_norms[None, :] * np.sqrt(out.covariance_diag[:, None] / dof)
    q = stats.t.ppf(1 - _LINF_DELTA / (2 * rank), dof)
    return se, q


def _sketched(A, B, method, kind, sketch_rows, oversampling, tol, maxiter, random_state,
              rcond, nnz_per_column, device):
    is_complex = A.dtype.kind == "c"
    # Complex A: the real sketch acts on the real embedding, whose least-squares
    # (and minimum-norm) solution is [Re x; Im x].
    Ak = _real_embedding(A) if is_complex else A
    Bk = np.asfortranarray(np.vstack([B.real, B.imag])) if is_complex else B
    n, d = Ak.shape
    precondition = method == "precondition"
    tol = check_real(tol, "tol", low=0.0, high=1.0, low_open=True)
    maxiter = 200 if maxiter is None else check_int(maxiter, "maxiter", low=1)
    seed = native_seed(random_state)
    fallback = m = None
    bmax = float(np.abs(Bk).max()) if Bk.size else 0.0  # (b's norm itself may underflow)
    if n < d:
        fallback = "A is wide (rows < columns), so no sketch embeds its column space"
    elif bmax > _SCALE_LIMIT or 0 < bmax < 1 / _SCALE_LIMIT:
        fallback = "b's entries are near the float64 limits (max |b| outside 2^-480..2^480)"
    elif sketch_rows is None:
        # On the GPU, passes over A are cheap next to the host QR of S A: keep m small.
        if device == "cuda" and oversampling is None:
            oversampling = GPU_OVERSAMPLING
        m = default_sketch_rows(n, d, kind, precondition, oversampling)
    else:
        m = check_sketch_rows(sketch_rows, A.shape[0]) * (2 if is_complex else 1)
        if m < d:
            raise ValueError(f"sketch_rows must be at least the number of columns of A "
                             f"({A.shape[1]}), got {sketch_rows}")
    if m is not None:
        _nnz(kind, nnz_per_column, m)  # validate once, before any work
    # LSQR on A R^{-1} converges geometrically (about two iterations a decade), so
    # it runs two decades past tol: the answer then meets tol in A's own norms with
    # a margin, not only in LSQR's running estimates for the preconditioned system.
    inner_tol = max(tol / 100, _EPS)

    def run(rhs):
        spec = make_spec(kind, m, seed, _nnz(kind, nnz_per_column, m))
        return _kernel(Ak, rhs, native(_core.sketch.SolveOptions, spec=spec, precondition=precondition,
                                       tol=inner_tol, maxiter=maxiter, rcond=rcond), device)

    while fallback is None:
        try:
            out = run(Bk)
        except LinAlgError:  # S A is numerically zero
            out = None
        except ValueError as exc:
            # The CPU kernel refuses a non-finite sketch: S A is finite exactly
            # when A is (every entry of A reaches S A with a nonzero weight,
            # and Inf or NaN never cancel), unless S A overflowed.
            require_finite(A, "A")
            if "sketch is not" not in str(exc) and "float64 limits" not in str(exc):
                raise
            fallback = _EXTREME_SCALE  # S A overflowed, or its factorization would
            break
        if out is not None and not _lost_rank(lambda V: Ak @ _xp(Ak).asarray(V), out, rcond) and \
                (precondition or not _lost_residual(out, Bk, rcond)):
            break
        if 2 * m > n:  # a larger sketch would cost as much as QR
            fallback = "the sketch lost rank that A (or [A b]) has"
        m *= 2

    eta = None
    if fallback is None:
        x, residual_norms, nit = out.x, out.residual_norms, out.nit

    def check(x):
        # Against A itself, whatever the kernel claims: the normal-equation
        # residual, and from the same A^T r the Karlson-Walden backward-error
        # estimate with A^T A ~ the sketch's V diag(s)^2 V^T (d^2 per column).
        # On the CPU, r and A^T r come from one pass over A.
        if device == "cpu":
            res = _core.dense.residual_product(Ak, np.asfortranarray(x), Bk)
            ATR, rn = res.at_residual, res.norms
        else:
            xp = _xp(Ak)
            R = xp.asarray(Bk) - Ak @ xp.asarray(x)
            ATR, rn = np.asfortranarray(_host(Ak.T @ R)), np.linalg.norm(_host(R), axis=0)
        xn = _norms(x)
        s = out.singular_values
        atr = _norms(ATR)
        return (rn, normal_residual_from_norms(atr, rn, xn, s[0]),
                _core.sketch.kw_backward_error(s, out.right_singular_vectors, ATR, rn, xn) / s[0],
                lsqr_optimal(atr, rn, xn, bn, s[0], limit))

    if fallback is None and precondition:
        limit = optimality_limit(tol, n, d)
        bn = np.linalg.norm(Bk, axis=0)
        residual_norms, eta, berr, optimal = check(x)
        # the worst column: codes grow with trouble
        status = LstsqStatus(max(out.istop, default=LstsqStatus.CONVERGED))
        if status in _CONVERGED and eta.max(initial=0.0) > limit:
            # One refinement sweep with the same sketch, from the residual of x
            # (sketch-and-precondition with iterative refinement is backward stable).
            xp = _xp(Ak)
            residual = np.asfortranarray(_host(xp.asarray(Bk) - Ak @ xp.asarray(x)))
            step = run(residual)
            x = x + step.x
            nit = [a + b for a, b in zip(nit, step.nit)]
            status = LstsqStatus(max(step.istop))
            residual_norms, eta, berr, optimal = check(x)
        if status == LstsqStatus.CONVERGED and np.all(  # LSQR's test for a consistent system
                residual_norms <= inner_tol * (bn + out.singular_values[0] * np.linalg.norm(x, axis=0))):
            status = LstsqStatus.CONSISTENT
        if status not in _CONVERGED and np.all(optimal):
            status = LstsqStatus.CONVERGED  # LSQR's estimates lagged; A itself says optimal
        if status in _CONVERGED and eta.max(initial=0.0) > limit:
            fallback = (f"the LSQR answer failed the check against A (normal-equation residual "
                        f"{eta.max(initial=0.0):.1e} > {limit:.1e})")
    if fallback is not None:
        require_finite(_host(A), "A")  # no sketch checked it when A is wide
        fields = _qr(_host(A), B, rcond)
        fields.update(sketch=kind, sketch_rows=None,
                      message=f"{fields['message']} by QR: {fallback}")
        if precondition:
            fields["normal_residual"] = normal_residual(_host(A), B, fields["x"],
                                                        norm_A=fields["singular_values"][0])
        else:
            warnings.warn(f"lstsq: {fallback}, so x was computed by QR and carries no sketch "
                          "error bars (coordinate_error and linf_bound are NaN)", RuntimeWarning,
                          stacklevel=3)
            fields.update(coordinate_error=np.full(fields["x"].shape, np.nan),
                          linf_bound=np.full(B.shape[1], np.nan))
        return fields

    rank = int(out.rank)
    fields = dict(residual_norm=residual_norms, singular_values=out.singular_values,
                  sketch=kind, sketch_rows=m, sketched_residual_norm=out.sketched_residual_norms)
    if precondition:
        fields.update(status=status, nit=int(max(nit, default=0)), success=status in _CONVERGED,
                      normal_residual=eta, backward_error=berr)
    else:
        se, q = _error_bars(out, kind, m)
        if is_complex:  # |e| <= q hypot(se_re, se_im) when both parts are within their bars
            se = np.hypot(se[: d // 2], se[d // 2:])
        fields.update(status=LstsqStatus.SOLVED, nit=0, success=True, coordinate_error=se,
                      linf_bound=q * se.max(axis=0))
    if is_complex:
        x = x[: d // 2] + 1j * x[d // 2:]
        rank //= 2
        fields["singular_values"] = fields["singular_values"][::2]
        m //= 2
        fields["sketch_rows"] = m
    message = _MESSAGES[fields["status"]]
    if rank < x.shape[0]:
        message += (f"; A is rank deficient (rank {rank} < {x.shape[0]}, checked against A): "
                    "minimum-norm solution")
    fields.update(x=x, rank=rank, message=message)
    return fields


def lstsq(A: ArrayLike, b: ArrayLike, *, method: str = "auto", sketch: str | None = None, sketch_rows: int | None = None,
          oversampling: float | None = None, tol: float = 1e-12, maxiter: int | None = None,
          random_state: int | np.random.Generator | None = None, rcond: float | None = None,
          damp: float = 0.0, nnz_per_column: int | None = None, device: str | None = None) -> LstsqResult:
    """Least-squares solution of ``A x ≈ b``.

    Parameters
    ----------
    A : (n, d) array_like
        Real or complex. Computed in float64 (complex128); C or F order is
        used as is, other strides are copied once. Empty A gives x = 0, as
        numpy.linalg.lstsq does.
    b : (n,) or (n, k) array_like
    method : {"auto", "qr", "sketch", "precondition"}
        "qr": Householder QR, then an SVD of the small triangular factor:
        minimum-norm solution, numpy's rank rule (singular values <= rcond *
        s_max dropped), tall or wide A.
        "sketch": sketch-and-solve, x' = argmin ||S A x - S b|| by QR of S A.
        Carries ``coordinate_error`` (per-coordinate standard errors: exact
        Student-t law for ``sketch="gaussian"``, an estimate for "srht" and
        "rademacher", NaN with a warning for the sparse kinds) and
        ``linf_bound`` (a bound on ||x' - x*||_inf holding with probability
        0.95 under that law).
        "precondition": R from QR of S A, then from the sketch-and-solve
        answer, on a dense A on the CPU, two steps of iterative refinement
        x += R^{-1} y, y from CG on (R^{-T} A^T A R^{-1}) y = R^{-T} A^T (b - A x)
        (backward stable: Epperly, Meier, Nakatsukasa 2024); on a GPU, LSQR on
        A R^{-1} to ``tol`` (SciPy's lsqr stopping rules with atol = btol =
        tol). Full accuracy; rank-deficient A gets the SVD
        preconditioner V_r S_r^{-1} and the minimum-norm solution.
        "auto": "precondition" when :func:`choose_method` says it pays
        (d >= 32, n >= 20 d, n d >= 2^20), else "qr".

        Every sketched answer is checked against A before it is returned: the
        rank of S A is confirmed on A (a null vector v of S A must have
        ||A v|| below the rank threshold), else the sketch is doubled, and
        where that would cost as much as QR, QR solves instead (the message
        says so). A "precondition" answer must also pass
        :func:`normal_residual` <= :func:`optimality_limit` when LSQR
        reports convergence, else QR solves instead; one LSQR stopped at
        maxiter counts as converged only when LSQR's own stopping tests hold
        on A itself, else its status is MAX_ITER. Wide A (n < d) is solved
        by QR for every method.
    sketch : {"srht", "gaussian", "rademacher", "countsketch", "sjlt"}
        Default: "sjlt" with 4 nonzeros per column for "precondition" on the
        CPU when the default sketch has at least 20 d rows (there the cheapest
        sketch that preconditions as well), else "srht".
    sketch_rows, oversampling : int, float, optional
        m (d <= m <= n), or m = ceil(oversampling * d); see
        :func:`default_sketch_rows` for the defaults.
    tol, maxiter : float, int
        Stopping tolerance and iteration limit for "precondition" (default 200).
    random_state : None, int or numpy.random.Generator
    damp : float
        Ridge regularisation as in scipy.sparse.linalg.lsqr: minimise
        ||A x - b||^2 + damp^2 ||x||^2 (every method; the stacked system
        [A; damp I] x = [b; 0] is solved, and rank and singular_values are
        its own: rank = d).
    rcond : float, optional
        Relative cut-off for small singular values, as numpy.linalg.lstsq:
        None means eps * max(n, d), a negative value means the machine
        precision eps / 2, as LAPACK's gelsd reads it (float64's eps, also
        for float32 input, which numpy solves in float64).
    nnz_per_column : int, optional
        For ``sketch="sjlt"``.
    device : {"cpu", "cuda", "auto"}, optional
        Where the sketch methods run (default: FASTLS_DEVICE, else "auto": the
        GPU when present for gaussian/rademacher/srht and A has >= 2^24
        entries). On the GPU every pass over A runs on the device and only the
        small m x d factorization and d-vectors touch the host. A CuPy A is
        used in place (b is copied to the host: it is one column of A's size).
        method="qr" and complex A run on the CPU only.

    Returns
    -------
    LstsqResult
        ``x`` has shape (d,) or (d, k) like b, in the inputs' precision
        family as numpy returns it (float32 only when A and b both are);
        ``residual_norm`` = ||b - A x||_2 per column; ``rank`` (of A) and
        ``singular_values`` (of A for "qr", of S A for the sketch methods);
        ``nit`` and ``status`` say why LSQR stopped; ``normal_residual``
        for "precondition".

    Raises
    ------
    LinAlgError
        (also a ValueError) when b's rows do not match A's, as numpy does.

    Examples
    --------
    >>> import numpy as np
    >>> import fastls
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((200, 5)), rng.standard_normal(200)
    >>> res = fastls.lstsq(A, b)
    >>> res.method, res.status, res.rank
    ('qr', <LstsqStatus.SOLVED: 0>, 5)
    >>> np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0])
    True

    Sketch-and-precondition reaches the same answer; sketch-and-solve adds
    per-coordinate error bars:

    >>> res = fastls.lstsq(A, b, method="precondition", random_state=0)
    >>> res.status, np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0])
    (<LstsqStatus.CONVERGED: 2>, True)
    >>> res = fastls.lstsq(A, b, method="sketch", sketch="gaussian", sketch_rows=50,
    ...                    random_state=0)
    >>> res.sketch_rows, res.coordinate_error.shape
    (50, (5,))
    """
    method = check_option(method, "method", _METHODS)
    if is_implicit(A):  # scipy.sparse or LinearOperator
        from fastls.linalg._implicit import lstsq_implicit

        return lstsq_implicit(A, b, method, sketch, sketch_rows, oversampling, tol, maxiter,
                              random_state, rcond, damp, nnz_per_column, device)
    on_gpu = is_cuda_array(A)
    single = not on_gpu and _single_precision(A, b)
    # A's NaN/Inf check costs a pass over A; a CPU sketch makes it for free
    # (see _sketched), so it is deferred to there or to the other paths.
    A, B = _check_system_gpu(A, b) if on_gpu else _check_system(A, b)
    n, d = A.shape
    rcond = _check_rcond(rcond, n, d)
    if method == "auto":
        method = choose_method(n, d)
        if on_gpu and method == "qr":
            method = "precondition"  # the GPU path has no direct solver; stay on the device
    if method == "qr" and device is not None and check_option(device, "device", DEVICES) == "cuda":
        raise ValueError("method='qr' runs on the CPU only; use method='precondition' or "
                         "'sketch' with device='cuda'")
    kind = check_option("srht" if sketch is None else sketch, "sketch", KINDS)
    damp = check_real(damp, "damp", low=0.0)
    if damp > 0 and A.size:  # ridge: the stacked system [A; damp I] x = [b; 0]
        xp = _xp(A)
        A0, B0 = A, B
        A = xp.vstack([A, damp * xp.eye(d, dtype=A.dtype)])
        B = np.asfortranarray(np.vstack([B, np.zeros((d, B.shape[1]), dtype=B.dtype)]))
    if A.size == 0:
        fields = _empty(A, B)
    elif method == "qr":
        if not on_gpu:
            require_finite(A, "A")
        fields = _qr(A, B, rcond)
    else:
        if A.dtype.kind == "c":
            if device is not None and check_option(device, "device", DEVICES) == "cuda":
                raise ValueError("complex A is solved on the CPU only; use device='cpu'")
            dev = "cpu"
        else:
            dev = resolve_device(device, kind, A.size, on_gpu)
        if dev != "cpu" and not on_gpu:
            require_finite(A, "A")
        if sketch is None and method == "precondition" and dev == "cpu" and \
                default_sketch_rows(n, d, "sjlt", True, oversampling) >= 20 * d:
            # The fused CPU path's default where the sketch is large (m >= 20 d): an
            # SJLT with 4 nonzeros per column costs ~4 passes of A against the SRHT's
            # ~6 and took as many iterations (2^20 x 100). With m ~ 8 d (2^16 x 1000)
            # it took 31 iterations to the SRHT's 26, so the SRHT stays there.
            # (min with d: m >= d, and nnz_per_column must not exceed m)
            kind = "sjlt"
            nnz_per_column = min(4, d) if nnz_per_column is None else nnz_per_column
        fields = _sketched(A, B, method, kind, sketch_rows, oversampling, tol, maxiter,
                           random_state, rcond, nnz_per_column, dev)
    if damp > 0 and A.size:  # report ||b - A x||, not the stacked residual
        fields["residual_norm"] = np.linalg.norm(
            _host(_xp(A0).asarray(B0) - A0 @ _xp(A0).asarray(fields["x"])), axis=0)
    return _finish(fields, b, single, method)


def _finish(fields, b, single: bool, method: str) -> LstsqResult:
    if single:  # numpy's precision family: single in, single out
        fields["x"] = fields["x"].astype(np.complex64 if fields["x"].dtype.kind == "c" else np.float32)
        fields["singular_values"] = fields["singular_values"].astype(np.float32)
    # NaN where not computed (see LstsqResult); None only for an empty A's x.
    fields.setdefault("backward_error", np.full(np.shape(fields["residual_norm"]), np.nan))
    if np.ndim(b) == 1:
        for key in ("x", "residual_norm", "sketched_residual_norm", "coordinate_error",
                    "linf_bound", "normal_residual", "backward_error"):
            if fields.get(key) is not None:
                value = fields[key][..., 0]
                fields[key] = float(value) if value.ndim == 0 else value
    if not fields["success"]:
        warnings.warn(f"lstsq: {fields['message']} (nit={fields['nit']})", ConvergenceWarning,
                      stacklevel=3)
    if not np.isfinite(fields["x"]).all():  # never a silent Inf/NaN
        warnings.warn("lstsq: x overflowed to Inf/NaN (singular values of A near the "
                      "floating-point underflow threshold; rescale A or raise rcond)",
                      RuntimeWarning, stacklevel=3)
    return LstsqResult(method=method, **fields)
