"""Dense least squares: ``fastls.lstsq``, direct (QR) or sketched."""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import warnings

import numpy as np

from fastls import _core
from fastls._errors import ConvergenceWarning
from fastls._result import Result
from fastls._device import DEVICES, is_cuda_array, resolve_device
from fastls._validation import as_array, check_int, check_option, check_real, native_seed
from fastls.sketching import KINDS, _nnz, check_sketch_rows

__all__ = ["lstsq", "LstsqResult", "LstsqStatus"]


class LstsqStatus(IntEnum):
    """Why lstsq stopped. Iterative codes follow scipy.sparse.linalg.lsqr's istop."""

    SOLVED = 0            # direct factorization, or x = 0 is exact
    CONSISTENT = 1        # A x = b to within tol
    CONVERGED = 2         # normal equations satisfied to within tol
    ILL_CONDITIONED = 3   # condition estimate of the preconditioned system too large
    MAX_ITER = 7          # iteration limit reached before tol


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
    """

    method: str
    rank: int | None = None
    singular_values: np.ndarray | None = None
    sketch: str | None = None
    sketch_rows: int | None = None
    sketched_residual_norm: float | np.ndarray | None = None
    coordinate_error: np.ndarray | None = None
    linf_bound: float | np.ndarray | None = None


_METHODS = ("auto", "qr", "sketch", "precondition")
_LINF_DELTA = 0.05  # failure probability of the reported l-infinity bound
GPU_OVERSAMPLING = 8.0


def _check_rhs(b, n_rows: int):
    """b as an (n, k) F-ordered float64 array, checked against A's row count."""
    b = as_array(b, "b", ndim=(1, 2))
    if b.shape[0] != n_rows:
        raise ValueError(f"b must have as many rows as A: A has {n_rows} rows, b has shape {b.shape}")
    return np.asfortranarray(b.reshape(b.shape[0], -1))


def _check_system(A, b):
    """Validate A (n, d) and b (n,) or (n, k); b is returned as (n, k), F-order."""
    A = as_array(A, "A", ndim=2)
    return A, _check_rhs(b, A.shape[0])


def _check_system_gpu(A, b):
    """CuPy A (kept on the device) and b (brought to the host, F-ordered)."""
    import cupy

    if A.ndim != 2 or A.size == 0:
        raise ValueError(f"A must be a non-empty 2-D array, got shape {A.shape}")
    A = cupy.asarray(A, dtype=cupy.float64)
    if not (A.flags.c_contiguous or A.flags.f_contiguous):
        A = cupy.ascontiguousarray(A)
    if not bool(cupy.isfinite(A).all()):
        raise ValueError("A must be finite, but contains NaN or Inf")
    return A, _check_rhs(cupy.asnumpy(b) if is_cuda_array(b) else b, A.shape[0])


def _check_rcond(rcond) -> float:
    # Kernel convention: a negative rcond selects numpy's default eps * max(m, n).
    return -1.0 if rcond is None else check_real(rcond, "rcond", low=0.0)


def _qr(A, B, rcond):
    x, res, rank, s = _core.dense.qr_lstsq(A, B, _check_rcond(rcond))
    status = LstsqStatus.SOLVED
    return dict(x=x, residual_norm=res, rank=int(rank), singular_values=s, status=status,
                success=True, nit=0, message=_MESSAGES[status])


def choose_method(n: int, d: int) -> str:
    """The rule behind method="auto".

    Sketch-and-precondition replaces QR's 2 n d^2 flops by a sketch (O(n d log n)
    for SRHT) and ~10-25 LSQR iterations of 4 n d flops, so it pays once d is
    large enough for d^2 to dominate those iterations (d >= 64) and A is very
    tall (n >= 100 d: at n = 82 d, d = 200 QR still won by 1.5x here), on
    problems large enough for the fixed costs to vanish (n d >= 2^22).
    """
    return "precondition" if n >= 100 * d and d >= 64 and n * d >= 2**22 else "qr"


def default_sketch_rows(n: int, d: int, sketch_kind: str, precondition: bool,
                        oversampling) -> int:
    """m = oversampling * d, clipped to [d, n].

    oversampling=None: 4 for sketch-and-solve and for dense sketches (their
    cost grows with m); for sketch-and-precondition with a fast sketch, the
    gamma minimising QR(SA) + LSQR cost 2 gamma d^3 + 4 n d * 27.6 / ln sqrt(gamma),
    i.e. gamma ln(gamma)^2 = 110 n / d^2.
    """
    if oversampling is None:
        gamma = 4.0
        if precondition and sketch_kind not in ("gaussian", "rademacher"):
            target = 110.0 * n / d**2
            lo, hi = 4.0, max(4.0, n / d)
            while hi - lo > 0.01 * lo:  # gamma ln^2 gamma is increasing for gamma > 1
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if mid * np.log(mid) ** 2 < target else (lo, mid)
            gamma = lo
    else:
        gamma = check_real(oversampling, "oversampling", low=1.0)
    return int(min(n, max(d, int(np.ceil(gamma * d)))))


def _sketched(A, B, method, sketch, sketch_rows, oversampling, tol, maxiter, random_state,
              rcond, nnz_per_column, device):
    from scipy import stats

    n, d = A.shape
    precondition = method == "precondition"
    kind = check_option(sketch, "sketch", KINDS)
    if sketch_rows is None:
        # On the GPU, passes over A are cheap next to the host QR of S A: keep m small.
        if device == "cuda" and oversampling is None:
            oversampling = GPU_OVERSAMPLING
        m = default_sketch_rows(n, d, kind, precondition, oversampling)
    else:
        m = check_sketch_rows(sketch_rows, n)
        if m < d:
            raise ValueError(f"sketch_rows must be at least the number of columns of A ({d}), got {m}")
    tol = check_real(tol, "tol", low=0.0, high=1.0, low_open=True)
    maxiter = 200 if maxiter is None else check_int(maxiter, "maxiter", low=1)
    nnz = _nnz(kind, nnz_per_column, m)
    args = (kind, m, native_seed(random_state))
    options = (precondition, tol, maxiter, _check_rcond(rcond))
    if device == "cuda":
        from fastls._device import cuda_module
        if is_cuda_array(A):
            out = cuda_module().solve_pointer(A.data.ptr, n, d, bool(A.flags.c_contiguous), B,
                                              *args, *options)
        else:
            out = cuda_module().solve(A, B, *args, *options)
    else:
        out = _core.sketch.solve(A, B, *args, nnz, *options)
    rank = int(out["rank"])
    fields = dict(x=out["x"], residual_norm=out["residual_norms"], rank=rank,
                  singular_values=out["singular_values"], sketch=kind, sketch_rows=m,
                  sketched_residual_norm=out["sketched_residual_norms"])
    if precondition:
        status = LstsqStatus(max(out["istop"]))  # the worst column: codes grow with trouble
        fields.update(status=status, nit=int(max(out["nit"])),
                      success=status in (LstsqStatus.SOLVED, LstsqStatus.CONSISTENT,
                                         LstsqStatus.CONVERGED))
    else:
        # Conditional on S A, the Gaussian sketch makes x' an OLS estimate with
        # i.i.d. Gaussian noise, so (x' - x*)_i / se_i ~ Student t with m - r
        # degrees of freedom (note, section 1.6): se_i = ||S r'|| sqrt(P_ii / (m - r)).
        dof = m - rank
        if dof >= 1:
            se = out["sketched_residual_norms"][None, :] * np.sqrt(out["covariance_diag"][:, None] / dof)
            q = stats.t.ppf(1 - _LINF_DELTA / (2 * rank), dof)
            linf = q * se.max(axis=0)
        else:
            se = np.full((d, B.shape[1]), np.inf)
            linf = np.full(B.shape[1], np.inf)
        status = LstsqStatus.SOLVED
        fields.update(status=status, nit=0, success=True, coordinate_error=se, linf_bound=linf)
    message = _MESSAGES[fields["status"]]
    if rank < d:
        message += f"; A is rank deficient (rank {rank} < {d}): minimum-norm solution"
    fields["message"] = message
    return fields


def lstsq(A, b, method: str = "auto", *, sketch: str = "srht", sketch_rows: int | None = None,
          oversampling: float | None = None, tol: float = 1e-12, maxiter: int | None = None,
          random_state=None, rcond: float | None = None,
          nnz_per_column: int | None = None, device: str | None = None) -> LstsqResult:
    """Least-squares solution of ``A x ≈ b``.

    Parameters
    ----------
    A : (n, d) array_like
        Any real numeric dtype (computed in float64). C or F order is used
        as is; other strides are copied once.
    b : (n,) or (n, k) array_like
    method : {"auto", "qr", "sketch", "precondition"}
        "qr": Householder QR, then an SVD of the small triangular factor:
        minimum-norm solution, numpy's rank rule (singular values <= rcond *
        s_max dropped), tall or wide A.
        "sketch": sketch-and-solve, x' = argmin ||S A x - S b|| by QR of S A.
        Carries ``coordinate_error`` (per-coordinate standard errors: exact
        Student-t law for ``sketch="gaussian"``, an estimate for the other
        kinds) and ``linf_bound`` (a bound on ||x' - x*||_inf holding with
        probability 0.95 under that law).
        "precondition": R from QR of S A, then LSQR on A R^{-1} from the
        sketch-and-solve answer, to ``tol`` (SciPy's lsqr stopping rules with
        atol = btol = tol). Full accuracy; rank-deficient A gets the SVD
        preconditioner V_r S_r^{-1} and the minimum-norm solution.
        "auto": "precondition" when :func:`choose_method` says it pays
        (n >= 100 d, d >= 64, n d >= 2^22), else "qr".
    sketch : {"srht", "gaussian", "rademacher", "countsketch", "sjlt"}
    sketch_rows, oversampling : int, float, optional
        m (d <= m <= n), or m = ceil(oversampling * d); see
        :func:`default_sketch_rows` for the defaults.
    tol, maxiter : float, int
        Stopping tolerance and iteration limit for "precondition" (default 200).
    random_state : None, int or numpy.random.Generator
    rcond : float, optional
        Relative cut-off for small singular values; default eps * max(n, d).
    nnz_per_column : int, optional
        For ``sketch="sjlt"``.
    device : {"cpu", "cuda", "auto"}, optional
        Where the sketch methods run (default: FASTLS_DEVICE, else "auto": the
        GPU when present for gaussian/rademacher/srht and A has >= 2^24
        entries). On the GPU every pass over A runs on the device and only the
        small m x d factorization and d-vectors touch the host. A CuPy A is
        used in place (b is copied to the host: it is one column of A's size).
        method="qr" runs on the CPU only.

    Returns
    -------
    LstsqResult
        ``x`` has shape (d,) or (d, k) like b; ``residual_norm`` = ||b - A x||_2
        per column; ``rank`` and ``singular_values`` (of A for "qr", of S A
        for the sketch methods); ``nit`` and ``status`` say why LSQR stopped.
    """
    method = check_option(method, "method", _METHODS)
    on_gpu = is_cuda_array(A)
    A, B = _check_system_gpu(A, b) if on_gpu else _check_system(A, b)
    if method == "auto":
        method = choose_method(*A.shape)
        if on_gpu and method == "qr":
            method = "precondition"  # the GPU path has no direct solver; stay on the device
    if method == "qr":
        if device is not None and check_option(device, "device", DEVICES) == "cuda":
            raise ValueError("method='qr' runs on the CPU only; use method='precondition' or "
                             "'sketch' with device='cuda'")
        fields = _qr(A, B, rcond)
    else:
        if A.shape[0] < A.shape[1]:
            raise ValueError(f"method={method!r} needs a tall A (rows >= columns), got shape {A.shape}")
        dev = resolve_device(device, check_option(sketch, "sketch", KINDS), A.size, on_gpu)
        fields = _sketched(A, B, method, sketch, sketch_rows, oversampling, tol, maxiter,
                           random_state, rcond, nnz_per_column, dev)
    if np.ndim(b) == 1:
        for key in ("x", "residual_norm", "sketched_residual_norm", "coordinate_error",
                    "linf_bound"):
            if fields.get(key) is not None:
                value = fields[key][..., 0]
                fields[key] = float(value) if value.ndim == 0 else value
    if not fields["success"]:
        warnings.warn(f"lstsq: {fields['message']} (nit={fields['nit']})", ConvergenceWarning,
                      stacklevel=2)
    if not np.isfinite(fields["x"]).all():  # never a silent Inf/NaN
        warnings.warn("lstsq: x overflowed to Inf/NaN (singular values of A near the "
                      "floating-point underflow threshold; rescale A or raise rcond)",
                      RuntimeWarning, stacklevel=2)
    return LstsqResult(method=method, **fields)
