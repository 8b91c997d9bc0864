"""Dense least squares: ``fastls.lstsq``.

``method="qr"`` is the direct solver. The sketch family adds sketch-and-solve
and sketch-and-precondition to the same entry point.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from fastls import _core
from fastls._result import Result
from fastls._validation import as_array, check_option, check_real

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
    The sketch methods fill the sketch fields instead.
    """

    method: str
    rank: int | None = None
    singular_values: np.ndarray | None = None
    sketch: str | None = None
    sketch_rows: int | None = None
    sketched_residual_norm: float | np.ndarray | None = None
    coordinate_error: np.ndarray | None = None
    linf_bound: float | np.ndarray | None = None


_METHODS = ("qr",)


def _check_system(A, b):
    """Validate A (m, n) and b (m,) or (m, k); b is returned as (m, k), F-order."""
    A = as_array(A, "A", ndim=2)
    b = as_array(b, "b", ndim=(1, 2))
    if b.shape[0] != A.shape[0]:
        raise ValueError(
            f"b must have as many rows as A: A has shape {A.shape}, b has shape {b.shape}"
        )
    return A, np.asfortranarray(b.reshape(b.shape[0], -1))


def _qr(A, B, rcond):
    if rcond is None:
        rcond = -1.0  # kernel default: eps * max(m, n), numpy's rule
    else:
        rcond = check_real(rcond, "rcond", low=0.0)
    x, res, rank, s = _core.dense.qr_lstsq(A, B, rcond)
    return x, res, dict(rank=int(rank), singular_values=s)


def lstsq(A, b, method: str = "qr", *, rcond: float | None = None) -> LstsqResult:
    """Least-squares solution of ``A x ≈ b``.

    Parameters
    ----------
    A : (m, n) array_like
        Any real numeric dtype (computed in float64). C or F order without a
        copy beyond the one the factorization needs; other strides are copied once.
    b : (m,) or (m, k) array_like
    method : "qr"
        "qr": Householder QR, then an SVD of the small triangular factor. Gives
        the minimum-norm solution and the numerical rank with numpy's rule
        (singular values <= rcond * s_max are dropped); works for wide A too.
    rcond : float, optional
        Relative cut-off for small singular values; default ``eps * max(m, n)``.

    Returns
    -------
    LstsqResult
        ``x`` has shape (n,) or (n, k) like b. ``residual_norm`` is
        ``||b - A x||_2`` per column. ``rank`` and ``singular_values`` match
        numpy.linalg.lstsq's.
    """
    method = check_option(method, "method", _METHODS)
    A, B = _check_system(A, b)
    vector_rhs = np.ndim(b) == 1
    x, res, extra = _qr(A, B, rcond)
    if vector_rhs:
        x, res = x[:, 0], float(res[0])
    status = LstsqStatus.SOLVED
    return LstsqResult(
        x=x, success=True, status=status, message=_MESSAGES[status], nit=0,
        residual_norm=res, method=method, **extra,
    )
