"""Implementation of :mod:`fastls.selfcal` (private: import from the package)."""
from __future__ import annotations

import numbers
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from fastls import _core
from fastls._errors import ConvergenceWarning, LinAlgError
from fastls._result import Result
from fastls._validation import as_array, check_int, check_option, check_real

if TYPE_CHECKING:  # annotations only: scipy.sparse.linalg is imported on use
    from scipy.sparse.linalg import LinearOperator

__all__ = [
    "solve",
    "align",
    "identifiable",
    "SelfCalResult",
    "SelfCalStatus",
    "DegenerateDataError",
    "DeadSensorError",
    "ZeroSnapshotError",
    "IdentifiabilityWarning",
    "mask_operators",
    "blind_deconvolution",
    "ula_steering",
    "calibrate_array",
]

# Public model name -> the native enum member (its name with '-' for '_').
MODELS = {name.replace("_", "-"): member for name, member in _core.selfcal.Model.__members__.items()}
METHODS = ("lstsq", "spectral")
# sigma_2 <= _GAP_RTOL * ||A_0||_F: the null space is two-dimensional or more to
# working accuracy (sqrt(eps): the normal equations square the condition number).
_GAP_RTOL = np.sqrt(np.finfo(float).eps)


class SelfCalStatus(IntEnum):
    """Why :func:`solve` returned what it did."""

    SOLVED = 0          # a unique direction (one singular value well below the rest)
    ILL_DETERMINED = 1  # the two smallest singular values are both ~0: not identifiable
    MAX_ITER = 2        # an iterative solver stopped at maxiter before tol


_MESSAGES = {
    SelfCalStatus.SOLVED: "solved",
    SelfCalStatus.ILL_DETERMINED: (
        "the two smallest singular values of the system are both ~0: the data do not "
        "determine (d, x) up to one scalar (too few measurements for the model?)"),
    SelfCalStatus.MAX_ITER: "iteration limit reached before tol",
}


class DegenerateDataError(LinAlgError):
    """The data make the linearized system degenerate (see ``sensors``/``snapshots``)."""

    def __init__(self, message, *, sensors=(), snapshots=()):
        super().__init__(message)
        self.sensors = tuple(int(i) for i in sensors)
        self.snapshots = tuple(int(i) for i in snapshots)


class DeadSensorError(DegenerateDataError):
    """Some sensor reads ~0 in every snapshot (d_i = 0): s_i = 1/d_i does not exist."""


class ZeroSnapshotError(DegenerateDataError):
    """Some snapshot y_l is ~0 in every sensor."""


class IdentifiabilityWarning(UserWarning):
    """The answer is not unique up to a scalar (status ILL_DETERMINED)."""


@dataclass(frozen=True, kw_only=True, repr=False)
class SelfCalResult(Result):
    """Result of :func:`solve`.

    x:               signal estimate, (n,) for "shared-signal", (p, n) otherwise.
    d, s:            gain estimate d and its inverse s = 1/d, (m,). Dropped dead
                     sensors have d = 0 and s = inf.
    h:               subspace coefficients (s = subspace @ h), or None.
    sigma:           the two smallest singular values of the system A_0 (in the
                     (h, x) unknowns with a subspace). A large ratio sigma[1] /
                     sigma[0] means a well-determined answer. None with gap=False.
                     method="spectral" measures sigma[1] through A_0 from a Ritz
                     vector converged to 1e-3 (it only gauges the gap): ~1e-6
                     relative, less when the third value lies close to it.
    residual_norm:   lstsq: ||[A_0; w^*] z - (0; c)||, numpy.linalg.lstsq's
                     residual; spectral: ||A_0 z|| / ||z|| (= sigma[0]).
    system_residual: ||A_0 z|| / ||z|| for either method.
    w, c:            the normalization <w, z> = c the result is scaled to, w in
                     the solver's unknowns (s or h; x) (the spectral vector is
                     rescaled to it too, when w^* z != 0).
    dead_sensors:    indices dropped with dead_sensors="drop".
    """

    d: np.ndarray
    s: np.ndarray
    h: np.ndarray | None
    sigma: np.ndarray | None
    system_residual: float
    model: str
    method: str
    w: np.ndarray
    c: complex
    dead_sensors: tuple = ()


# ----------------------------------------------------------------------------- public API


def solve(
    A: ArrayLike | Sequence[LinearOperator],
    y: ArrayLike,
    *,
    model: str,
    method: str = "lstsq",
    w: str | ArrayLike | None = None,
    subspace: ArrayLike | None = None,
    c: complex | None = None,
    gap: bool = True,
    tol: float | None = None,
    maxiter: int | None = None,
    dead_tol: float = 1e-12,
    dead_sensors: str = "raise",
    check_finite: bool = True,
) -> SelfCalResult:
    """Recover gains d and signals x from y_l = diag(d) A_l x_l (+ noise).

    Parameters
    ----------
    A : (p, m, n) array_like, (m, n) for "shared-matrix", or LinearOperators
        The known sensing matrices. Instead of arrays: a sequence of p
        ``scipy.sparse.linalg.LinearOperator`` of shape (m, n) (one for
        "shared-matrix"), solved matrix-free.
    y : (p, m) array_like
        p snapshots of m sensors. Real input is promoted to complex128.
    model : "shared-signal" | "multi-signal" | "shared-matrix" (keyword-only, required)
    method : "lstsq" | "spectral"
    w : None, "reference", "mean" or array_like
        The normalization <w, z> = c. None/"reference": s_r = 1 at the sensor r
        with the largest energy sum_l |y_{l,r}|^2 (a strong sensor, so the
        normalization is well conditioned; good for random-phase gains).
        "mean": sum(s) = c (default c = m; good when gains share a phase).
        An array of length m acts on s; of length m + n ("shared-signal" only)
        on (s, x). With a subspace, w still acts on s = subspace @ h.
    subspace : (m, k) array_like, optional
        Known basis for the inverse gains: s = 1/d = subspace @ h.
    c : complex, optional
        Right-hand side of the normalization (default 1, or m for "mean").
    gap : bool
        Also compute the two smallest singular values (method="lstsq" then pays
        one more factorization). Required to flag ILL_DETERMINED.
    tol, maxiter :
        Spectral Ritz-residual tolerance (default 1e-12) and block-Krylov step
        limit (default 100); for operators, the LSQR / LOBPCG tolerances.
    dead_tol : float
        Sensor i is dead when sum_l |y_{l,i}|^2 <= dead_tol * mean over sensors;
        snapshot l is zero when ||y_l||^2 <= dead_tol * mean over snapshots.
    dead_sensors : "raise" | "drop"
        Raise :class:`DeadSensorError`, or solve without them (d_i = 0 there).

    Returns
    -------
    SelfCalResult

    Raises
    ------
    DeadSensorError, ZeroSnapshotError
        Degenerate data (the linearization needs every d_i != 0).
    fastls.LinAlgError
        method="lstsq" and the normalized system [A_0; w^*] is singular
        (not identifiable, or w orthogonal to the solution).

    Examples
    --------
    Noiseless "shared-signal" data (m = 8 sensors, n = 3, p = 4 snapshots)
    determine d and x up to one complex scalar:

    >>> import numpy as np
    >>> from fastls import selfcal
    >>> rng = np.random.default_rng(0)
    >>> p, m, n = 4, 8, 3
    >>> A = rng.standard_normal((p, m, n)) + 1j * rng.standard_normal((p, m, n))
    >>> d = rng.uniform(0.5, 1.5, m) * np.exp(1j * rng.uniform(0, 2 * np.pi, m))
    >>> x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    >>> y = d * np.einsum("lmn,n->lm", A, x)
    >>> res = selfcal.solve(A, y, model="shared-signal")
    >>> res.status, res.d.shape, res.x.shape
    (<SelfCalStatus.SOLVED: 0>, (8,), (3,))
    >>> selfcal.align(res.x, x)[1] < 1e-10, selfcal.align(res.d, d)[1] < 1e-10
    (True, True)
    """
    model = check_option(model, "model", MODELS)
    method = check_option(method, "method", METHODS)
    dead_sensors = check_option(dead_sensors, "dead_sensors", ("raise", "drop"))
    dead_tol = check_real(dead_tol, "dead_tol", low=0.0)
    gap = bool(gap)
    if tol is not None:
        tol = check_real(tol, "tol", low=0.0, low_open=True)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=1)
    y = as_array(y, "y", ndim=2, dtype=np.complex128, order="C", check_finite=check_finite)
    p, m = y.shape
    op = _is_operator_input(A)
    if op:
        from fastls.selfcal._operators import check_operators
        A, n = check_operators(A, model, p, m)
    else:
        A, n = _check_dense(A, model, p, m, check_finite)
    B = None
    if subspace is not None:
        B = as_array(subspace, "subspace", ndim=2, dtype=np.complex128, order="C",
                     check_finite=check_finite)
        if B.shape[0] != m or B.shape[1] > m:
            raise ValueError(f"subspace must have shape (m, k) with k <= m = {m}, got {B.shape}")

    energy = _check_degenerate(y, dead_tol)
    alive = energy > dead_tol * energy.mean()
    dead = np.flatnonzero(~alive)
    if dead.size and dead_sensors == "raise":
        raise DeadSensorError(
            f"sensor(s) {dead.tolist()[:10]} read ~0 in every snapshot (d_i = 0): the "
            "linearization needs s_i = 1/d_i; pass dead_sensors='drop' to solve without them",
            sensors=dead)
    keep = np.flatnonzero(alive)
    if dead.size:
        y = np.ascontiguousarray(y[:, keep])
        energy = energy[keep]
        if op:
            from fastls.selfcal._operators import restrict_rows
            A = restrict_rows(A, keep)
        elif model != "shared-matrix":
            A = np.ascontiguousarray(A[:, keep, :])
        else:
            A = np.ascontiguousarray(A[keep])
        if B is not None:
            B = np.ascontiguousarray(B[keep])

    wz, c = _normalization(w, c, energy, B, model, n, p, keep, m)
    if op:
        from fastls.selfcal._operators import solve_operators
        z, sigma, resnorm, sys_res, nit, converged = solve_operators(
            y, A, model, method, wz, c, gap, tol, maxiter)
    else:
        z, sigma, resnorm, sys_res, nit, converged = _solve_dense(
            y, A, B, model, method, wz, c, gap, tol, maxiter)

    # Results with the same normalization for both methods.
    if method == "spectral":
        z = _rescale(z, wz, c)
    status = SelfCalStatus.SOLVED
    if not converged:
        status = SelfCalStatus.MAX_ITER
        warnings.warn(_MESSAGES[status], ConvergenceWarning, stacklevel=2)
    # Fewer equations than unknowns - 1 leaves a null space of dimension >= 2
    # (exact, whatever round-off makes of sigma); otherwise trust the measured gap.
    too_few = y.size < wz.size - 1
    if too_few or (sigma is not None and sigma[1] <= _GAP_RTOL * _frobenius(y, A, B, model, op)):
        status = SelfCalStatus.ILL_DETERMINED
        warnings.warn(_MESSAGES[status], IdentifiabilityWarning, stacklevel=2)
    return _package(z, y.shape[1], n, p, model, B, keep, m, dict(
        success=status == SelfCalStatus.SOLVED, status=status, message=_MESSAGES[status],
        nit=int(nit), residual_norm=float(resnorm), sigma=sigma, system_residual=sys_res,
        model=model, method=method, w=wz, c=c, dead_sensors=tuple(int(i) for i in dead)))


def align(estimate: ArrayLike, truth: ArrayLike) -> tuple[np.ndarray, float]:
    """Remove the complex scalar ambiguity: the best a * estimate in the least-squares sense.

    Works on arrays of any shape (d and x are aligned separately; the scalar
    for d is 1/a of that for x).

    Parameters
    ----------
    estimate, truth : array_like of the same shape

    Returns
    -------
    aligned : ndarray
        a * estimate, with a = <estimate, truth> / <estimate, estimate>.
    error : float
        ||a * estimate - truth|| / ||truth||.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import selfcal
    >>> truth = np.array([1.0, 2.0j, -1.0])
    >>> aligned, err = selfcal.align((2 - 1j) * truth, truth)
    >>> np.allclose(aligned, truth), round(err, 12)
    (True, 0.0)
    """
    est = as_array(estimate, "estimate", dtype=np.complex128)
    tru = as_array(truth, "truth", dtype=np.complex128)
    if est.shape != tru.shape:
        raise ValueError(f"estimate and truth must have the same shape, got {est.shape} and {tru.shape}")
    ee = np.vdot(est, est).real
    a = np.vdot(est, tru) / ee if ee > 0 else 0.0
    aligned = a * est
    norm = np.linalg.norm(tru)
    err = np.linalg.norm(aligned - tru) / norm if norm > 0 else float(np.linalg.norm(aligned))
    return aligned, float(err)


def identifiable(model: str, *, m: int, n: int, p: int, k: int | None = None) -> bool:
    """The counting condition for exact noiseless recovery (generic data).

    Without a subspace it is necessary and sufficient for Gaussian data (the
    note's section 1.7, re-verified by the tests): "shared-signal": mp >= m + n - 1;
    "multi-signal"/"shared-matrix": p (m - n) >= m - 1. With a subspace of
    dimension k, m is replaced by k among the unknowns (necessary condition).

    Parameters
    ----------
    model : "shared-signal" | "multi-signal" | "shared-matrix"
    m, n, p : int
        Sensors, signal length and snapshots.
    k : int, optional
        Dimension of the gain subspace (``subspace`` of :func:`solve`).

    Returns
    -------
    bool

    Examples
    --------
    >>> from fastls import selfcal
    >>> selfcal.identifiable("shared-signal", m=8, n=3, p=4)
    True
    >>> selfcal.identifiable("multi-signal", m=8, n=3, p=1)
    False
    """
    model = check_option(model, "model", MODELS)
    m, n, p = (check_int(v, name, low=1) for v, name in ((m, "m"), (n, "n"), (p, "p")))
    unknowns_s = m if k is None else check_int(k, "k", low=1, high=m)
    unknowns_x = n if model == "shared-signal" else p * n
    return m * p >= unknowns_s + unknowns_x - 1


# ----------------------------------------------------------------------------- internals


def _is_operator_input(A) -> bool:
    sla = sys.modules.get("scipy.sparse.linalg")  # no LinearOperator exists before its import
    if sla is None or isinstance(A, np.ndarray):
        return False
    LinearOperator = sla.LinearOperator
    if isinstance(A, LinearOperator):
        return True
    return (isinstance(A, Sequence) and not isinstance(A, (str, bytes)) and len(A) > 0
            and all(isinstance(a, LinearOperator) for a in A))


def _check_dense(A, model, p, m, check_finite):
    ndim = 2 if model == "shared-matrix" else 3
    A = as_array(A, "A", ndim=ndim, dtype=np.complex128, order="C", check_finite=check_finite)
    want = "(m, n)" if ndim == 2 else "(p, m, n)"
    lead = (m,) if ndim == 2 else (p, m)
    if A.shape[:-1] != lead:
        raise ValueError(f"A must have shape {want} = ({', '.join(map(str, lead))}, n) to match "
                         f"y of shape {(p, m)}, got {A.shape}")
    return A, A.shape[-1]


def _check_degenerate(y, dead_tol):
    """Raise on zero snapshots; return the energy sum_l |y_{l,i}|^2 of every sensor."""
    energy = y.real ** 2 + y.imag ** 2
    sensor, snap = energy.sum(axis=0), energy.sum(axis=1)
    if not sensor.any():
        raise DegenerateDataError("y is zero: nothing to calibrate from")
    zero_snap = np.flatnonzero(snap <= dead_tol * snap.mean())
    if zero_snap.size:
        raise ZeroSnapshotError(
            f"snapshot(s) {zero_snap.tolist()[:10]} of y are ~0 in every sensor", snapshots=zero_snap)
    return sensor


def _normalization(w, c, energy, B, model, n, p, keep, m_full):
    """The normalization vector in the solver's unknowns (h or s; x) and c."""
    m = energy.size
    nx = n if model == "shared-signal" else p * n
    if w is None or (isinstance(w, str) and w == "reference"):
        ws = np.zeros(m, complex)
        ws[int(np.argmax(energy))] = 1.0
        c = 1.0 if c is None else c
        wx = np.zeros(nx, complex)
    elif isinstance(w, str):
        check_option(w, "w", ("reference", "mean"))
        ws = np.ones(m, complex)
        c = float(m) if c is None else c
        wx = np.zeros(nx, complex)
    else:
        w = as_array(w, "w", ndim=1, dtype=np.complex128)
        allowed = {m_full} | ({m_full + n} if model == "shared-signal" else set())
        if w.size not in allowed:
            raise ValueError(f"w must have length m = {m_full}"
                             + (f" or m + n = {m_full + n}" if model == "shared-signal" else "")
                             + f", got {w.size}")
        ws = w[:m_full][keep]
        wx = w[m_full:] if w.size > m_full else np.zeros(nx, complex)
        c = 1.0 if c is None else c
    try:  # strings, arrays, bools and ints beyond float range are refused by name
        cc = None if isinstance(c, (bool, np.bool_)) or not isinstance(c, numbers.Number) else complex(c)
    except OverflowError:
        cc = None
    if cc is None or not np.isfinite(cc) or cc == 0:
        raise ValueError(f"c must be a finite nonzero number, got {c!r}")
    if not ws.any() and not wx.any():
        raise ValueError("w must not be zero")
    if B is not None:
        ws = B.conj().T @ ws  # <w_s, B h> = <B^* w_s, h>
    return np.ascontiguousarray(np.concatenate([ws, wx])), cc


def _solve_dense(y, A, B, model, method, wz, c, gap, tol, maxiter):
    tol = 1e-12 if tol is None else tol
    maxiter = 100 if maxiter is None else maxiter
    sigma, nit, converged = None, 0, True
    if method == "spectral" or gap:
        sp = _core.selfcal.spectral(MODELS[model], y, A, B, tol=tol, maxiter=maxiter)
        sigma, nit, converged = np.array([sp.sigma_min, sp.sigma_second]), sp.nit, sp.converged
    if method == "spectral":
        return sp.z, sigma, sp.sigma_min, sp.sigma_min, nit, converged
    try:
        ls = _core.selfcal.lstsq(MODELS[model], y, A, B, wz, c)
    except LinAlgError as exc:
        raise LinAlgError(
            f"the normalized system [A_0; w^*] is singular ({exc}): the data do not determine "
            "(d, x) up to one scalar, or w is orthogonal to the solution") from None
    from fastls.selfcal._operators import check_normalization

    check_normalization(ls.z, wz)
    return (ls.z, sigma, np.hypot(ls.residual, ls.constraint_residual),
            ls.residual / np.linalg.norm(ls.z), nit, converged)


def _rescale(z, wz, c):
    """Scale a unit spectral vector to <w, z> = c; if w^* z ~ 0, fix the phase instead."""
    wz_dot = np.vdot(wz, z)
    if abs(wz_dot) > 1e-8 * np.linalg.norm(wz) * np.linalg.norm(z):
        return z * (c / wz_dot)
    i = int(np.argmax(np.abs(z)))
    return z * (abs(z[i]) / z[i])


def _frobenius(y, A, B, model, op):
    """||A_0||_F (for operators, the A part estimated by four probes)."""
    lam = (np.abs(y) ** 2).sum(axis=0)
    s_part = lam.sum() if B is None else float(lam @ (np.abs(B) ** 2).sum(axis=1))
    if op:
        from fastls.selfcal._operators import frobenius_sq
        a_part = frobenius_sq(A)
    else:
        a_part = np.vdot(A, A).real
    if model == "shared-matrix":  # one A for all p snapshots
        a_part *= y.shape[0]
    return float(np.sqrt(s_part + a_part))


def _package(z, m, n, p, model, B, keep, m_full, fields):
    K = m if B is None else B.shape[1]
    head, x = z[:K], z[K:]
    x = x.copy() if model == "shared-signal" else x.reshape(p, n).copy()
    h = None
    if B is None:
        s_live = head
    else:
        h = head.copy()
        s_live = B @ h
    s = np.full(m_full, np.inf, dtype=complex)
    s[keep] = s_live
    d = np.zeros(m_full, dtype=complex)
    with np.errstate(divide="ignore", invalid="ignore"):
        d[keep] = 1.0 / s_live
    return SelfCalResult(x=x, d=d, s=s, h=h, **fields)


# ----------------------------------------------------------------------------- applications


def mask_operators(masks: ArrayLike) -> list[LinearOperator]:
    """FFT-times-mask operators A_l = F diag(mask_l) (F: unnormalized DFT), never a dense DFT.

    Parameters
    ----------
    masks : (p, m) array_like
        E.g. random +-1 or unimodular.

    Returns
    -------
    list of p scipy.sparse.linalg.LinearOperator
        Of shape (m, m), with O(m log m) matvec and rmatvec.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import selfcal
    >>> rng = np.random.default_rng(0)
    >>> masks = rng.choice([-1.0, 1.0], size=(4, 16))
    >>> ops = selfcal.mask_operators(masks)
    >>> len(ops), ops[0].shape
    (4, (16, 16))
    >>> v = rng.standard_normal(16)
    >>> np.allclose(ops[0] @ v, np.fft.fft(masks[0] * v))
    True
    """
    from fastls.selfcal._operators import fft_mask_operator
    masks = as_array(masks, "masks", ndim=2, dtype=np.complex128, order="C")
    return [fft_mask_operator(mk) for mk in masks]


def blind_deconvolution(masks: ArrayLike, y: ArrayLike, *, method: str = "spectral",
                        **kwargs) -> tuple[np.ndarray, np.ndarray, SelfCalResult]:
    """Blind deconvolution with random masks: y_l = f (*) (mask_l * x), circular.

    In the Fourier domain fft(y_l) = diag(fft(f)) F diag(mask_l) x, i.e. model
    "shared-signal" with d = fft(f) and FFT-based operators. Needs p >= 2 masks
    (p >= 4 is well conditioned).

    Parameters
    ----------
    masks : (p, m) array_like
        Define the operators (see :func:`mask_operators`).
    y : (p, m) array_like
        The data.
    method : "spectral" | "lstsq"
    **kwargs
        Other keyword arguments go to :func:`solve`.

    Returns
    -------
    f : (m,) ndarray
    x : (m,) ndarray
    result : SelfCalResult
        f and x are determined up to f / a, a x.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import selfcal
    >>> rng = np.random.default_rng(0)
    >>> masks = rng.choice([-1.0, 1.0], size=(4, 16))
    >>> f = np.zeros(16)
    >>> f[:3] = [1.0, 0.5, 0.25]
    >>> x = rng.standard_normal(16)
    >>> y = np.fft.ifft(np.fft.fft(f) * np.fft.fft(masks * x, axis=1), axis=1)
    >>> f_est, x_est, res = selfcal.blind_deconvolution(masks, y)
    >>> res.status, selfcal.align(f_est, f)[1] < 1e-6, selfcal.align(x_est, x)[1] < 1e-6
    (<SelfCalStatus.SOLVED: 0>, True, True)
    """
    y = as_array(y, "y", ndim=2, dtype=np.complex128, order="C")
    masks = as_array(masks, "masks", ndim=2, dtype=np.complex128, order="C")
    if masks.shape != y.shape:
        raise ValueError(f"masks must have the shape of y {y.shape}, got {masks.shape}")
    res = solve(mask_operators(masks), np.fft.fft(y, axis=1), model="shared-signal", method=method,
                **kwargs)
    return np.fft.ifft(res.d), res.x, res


def ula_steering(m: int, angles_deg: ArrayLike, spacing: float = 0.5) -> np.ndarray:
    """Steering matrix of a uniform linear array: A[k, j] = exp(2 pi i spacing k sin(theta_j)).

    Parameters
    ----------
    m : int
        Sensors.
    angles_deg : (n,) array_like
        Source angles in degrees.
    spacing : float
        Sensor spacing in wavelengths (0.5: half-wavelength).

    Returns
    -------
    (m, n) complex ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import selfcal
    >>> A = selfcal.ula_steering(8, [-20.0, 10.0])
    >>> A.shape, np.allclose(np.abs(A), 1.0)
    ((8, 2), True)
    """
    m = check_int(m, "m", low=1)
    spacing = check_real(spacing, "spacing", low=0.0, low_open=True)
    theta = np.deg2rad(as_array(angles_deg, "angles_deg", ndim=1))
    return np.exp(2j * np.pi * spacing * np.outer(np.arange(m), np.sin(theta)))


def calibrate_array(angles_deg: ArrayLike, snapshots: ArrayLike, *, spacing: float = 0.5,
                    method: str = "lstsq", **kwargs) -> SelfCalResult:
    """Gains and phases of a uniform linear array from sources at known angles.

    Parameters
    ----------
    angles_deg : (n,) array_like
        The known source angles (degrees), which define the operator; first.
    snapshots : (p, m) array_like
        p array snapshots y_l = diag(d) A x_l + noise, with
        A = ``ula_steering(m, angles_deg, spacing)`` and unknown waveforms x_l
        (model "shared-matrix"; needs p (m - n) >= m - 1, i.e. p >= 2 for m > 2n).
    spacing : float
        Sensor spacing in wavelengths.
    method : "lstsq" | "spectral"
    **kwargs
        Other keyword arguments go to :func:`solve`.

    Returns
    -------
    SelfCalResult
        ``d`` are the gains (up to one complex scalar), ``x`` the (p, n)
        source waveforms.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import selfcal
    >>> rng = np.random.default_rng(0)
    >>> angles = [-20.0, 10.0]
    >>> gains = rng.uniform(0.8, 1.2, 8) * np.exp(1j * rng.uniform(-0.5, 0.5, 8))
    >>> waves = rng.standard_normal((5, 2)) + 1j * rng.standard_normal((5, 2))
    >>> snapshots = gains * (waves @ selfcal.ula_steering(8, angles).T)
    >>> res = selfcal.calibrate_array(angles, snapshots)
    >>> res.status, res.x.shape, selfcal.align(res.d, gains)[1] < 1e-8
    (<SelfCalStatus.SOLVED: 0>, (5, 2), True)
    """
    snapshots = as_array(snapshots, "snapshots", ndim=2, dtype=np.complex128, order="C")
    A = ula_steering(snapshots.shape[1], angles_deg, spacing)
    return solve(A, snapshots, model="shared-matrix", method=method, **kwargs)
