"""Matrix-free self-calibration: A_l given as LinearOperators (e.g. FFT times mask).

The system A_0 z = (diag(y_l) s - A_l x_l)_l is applied with 2p operator
products; "lstsq" runs LSQR on [A_0; w^*] with Jacobi column scaling, and
"spectral" runs LOBPCG on N = A_0^* A_0 preconditioned by diag(N)^{-1}
(a preconditioner, unlike column scaling, leaves the singular vector alone).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.sparse.linalg import LinearOperator, lobpcg, lsqr

from fastls._errors import LinAlgError


def check_operators(A, model, p, m):
    """A list of operators of shape (m, n), one per snapshot (one for "shared-matrix")."""
    ops = [A] if isinstance(A, LinearOperator) else list(A)
    want = 1 if model == "shared-matrix" else p
    if len(ops) != want:
        raise ValueError(f"A must be {'one LinearOperator' if want == 1 else f'{p} LinearOperators'} "
                         f"for model {model!r}, got {len(ops)}")
    n = ops[0].shape[1]
    for i, a in enumerate(ops):
        if a.shape != (m, n):
            raise ValueError(f"A[{i}] must have shape (m, n) = ({m}, {n}), got {a.shape}")
    return ops, n


def fft_mask_operator(mask):
    """F diag(mask) with the unnormalized DFT F (F^* F = m I)."""
    m = mask.size
    return LinearOperator(
        (m, m), dtype=np.complex128,
        matvec=lambda v: np.fft.fft(mask * np.ravel(v)),
        rmatvec=lambda u: np.conj(mask) * (m * np.fft.ifft(np.ravel(u))))


def restrict_rows(ops, keep):
    """The operators with only the rows in ``keep`` (dropped dead sensors)."""
    def sub(a):
        m = a.shape[0]

        def rmatvec(u):
            full = np.zeros(m, dtype=np.complex128)
            full[keep] = np.ravel(u)
            return a.rmatvec(full)
        return LinearOperator((keep.size, a.shape[1]), dtype=np.complex128,
                              matvec=lambda v: a.matvec(v)[keep], rmatvec=rmatvec)
    return [sub(a) for a in ops]


def _dims(y, ops, model):
    p, m = y.shape
    n = ops[0].shape[1]
    return p, m, n, (n if model == "shared-signal" else p * n)


def system_operator(y, ops, model):
    """A_0 as a LinearOperator of shape (p m, m + n_x)."""
    p, m, n, nx = _dims(y, ops, model)
    op = (lambda l: ops[0]) if model == "shared-matrix" else (lambda l: ops[l])
    xo = (lambda l: m) if model == "shared-signal" else (lambda l: m + l * n)

    def matvec(z):
        z = np.ravel(z)
        s = z[:m]
        return np.concatenate([y[l] * s - op(l).matvec(z[xo(l):xo(l) + n]) for l in range(p)])

    def rmatvec(r):
        r = np.ravel(r).reshape(p, m)
        out = np.zeros(m + nx, dtype=np.complex128)
        out[:m] = (np.conj(y) * r).sum(axis=0)
        for l in range(p):
            out[xo(l):xo(l) + n] -= op(l).rmatvec(r[l])
        return out

    return LinearOperator((p * m, m + nx), dtype=np.complex128, matvec=matvec, rmatvec=rmatvec)


def frobenius_sq(ops, probes=4):
    """sum over ops of ||A_l||_F^2 by Hutchinson's estimator (fixed probes: deterministic)."""
    rng = np.random.default_rng(0)
    total = 0.0
    for a in ops:
        g = (rng.standard_normal((probes, a.shape[1])) + 1j * rng.standard_normal((probes, a.shape[1])))
        total += np.mean([np.linalg.norm(a.matvec(gi / np.sqrt(2))) ** 2 for gi in g])
    return total


def _column_scales(y, ops, model):
    """sqrt(diag N): exact on the s-block, Hutchinson's mean column norm on each x-block."""
    p, m, n, nx = _dims(y, ops, model)
    s_part = np.sqrt((np.abs(y) ** 2).sum(axis=0))
    per_op = [np.sqrt(frobenius_sq([a]) / n) for a in ops]
    if model == "shared-signal":
        x_part = np.full(n, np.sqrt(sum(v ** 2 for v in per_op)))
    else:
        x_part = np.repeat([per_op[0 if model == "shared-matrix" else l] for l in range(p)], n)
    return np.concatenate([s_part, x_part])


def _smallest_pair(A0, scales, tol, maxiter):
    """Two smallest eigenpairs of A_0^* A_0 by preconditioned LOBPCG (block of 4)."""
    dim = A0.shape[1]
    N = LinearOperator((dim, dim), dtype=np.complex128, matvec=lambda v: A0.rmatvec(A0.matvec(v)))
    prec = LinearOperator((dim, dim), dtype=np.complex128,
                          matvec=lambda v: np.ravel(v) / scales ** 2,
                          matmat=lambda V: V / scales[:, None] ** 2)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((dim, 4)) + 1j * rng.standard_normal((dim, 4))
    abs_tol = tol * np.max(scales) ** 2  # lobpcg's tol is absolute: relative to ||N|| here
    with warnings.catch_warnings():  # convergence is reported through status instead
        warnings.simplefilter("ignore", UserWarning)
        vals, vecs, hist = lobpcg(N, X, M=prec, largest=False, tol=abs_tol, maxiter=maxiter,
                                  retResidualNormsHistory=True)
    order = np.argsort(vals)
    vecs = vecs[:, order]
    z = vecs[:, 0] / np.linalg.norm(vecs[:, 0])
    u2 = vecs[:, 1] - z * np.vdot(z, vecs[:, 1])
    sig = np.array([np.linalg.norm(A0.matvec(z)), np.linalg.norm(A0.matvec(u2 / np.linalg.norm(u2)))])
    res = np.asarray(hist[-1]) if len(hist) else np.array([np.inf])
    converged = bool(np.all(res[order[:2]] <= abs_tol))
    return z, sig, len(hist), converged


def solve_operators(y, ops, model, method, wz, c, gap, tol, maxiter):
    A0 = system_operator(y, ops, model)
    if wz.size != A0.shape[1]:
        raise ValueError("a subspace is not supported with operator A")
    scales = _column_scales(y, ops, model)
    sigma, nit, converged = None, 0, True
    if method == "spectral" or gap:
        z, sigma, nit, converged = _smallest_pair(
            A0, scales, 1e-12 if tol is None else tol, 500 if maxiter is None else maxiter)
        if method == "spectral":
            return z, sigma, sigma[0], sigma[0], nit, converged
    # LSQR on [A_0; w^*] D u = (0; c), z = D u with D = 1 / column norms.
    dscale = 1.0 / np.sqrt(scales ** 2 + np.abs(wz) ** 2)
    dim = wz.size
    Aw = LinearOperator(
        (A0.shape[0] + 1, dim), dtype=np.complex128,
        matvec=lambda u: np.append(A0.matvec(dscale * np.ravel(u)), np.vdot(wz, dscale * np.ravel(u))),
        rmatvec=lambda r: dscale * (A0.rmatvec(np.ravel(r)[:-1]) + wz * np.ravel(r)[-1]))
    b = np.zeros(A0.shape[0] + 1, dtype=np.complex128)
    b[-1] = c
    t = 1e-12 if tol is None else tol
    out = lsqr(Aw, b, atol=t, btol=t, iter_lim=10 * dim if maxiter is None else maxiter)
    u, istop, itn, resnorm = out[0], out[1], out[2], out[3]
    if istop == 7:
        converged = False
    z = dscale * u
    if not np.all(np.isfinite(z)):
        raise LinAlgError("LSQR broke down on the normalized system")
    check_normalization(z, wz)
    sys_res = np.linalg.norm(A0.matvec(z)) / np.linalg.norm(z)
    return z, sigma, resnorm, sys_res, nit + itn, converged


def check_normalization(z, wz):
    """Catch a singular [A_0; w^*] that slipped past the native pivot check.

    Then z is huge and nearly orthogonal to w; for a sensible w the cosine of
    w and z is >~ 1/sqrt(len(z)) (>= 1e-3 for the reference sensor up to 10^6
    unknowns).
    """
    wz_dot = np.vdot(wz, z)
    if (not np.isfinite(wz_dot)
            or abs(wz_dot) < 1e-8 * np.linalg.norm(wz) * np.linalg.norm(z)):
        raise LinAlgError(
            "the normalized system [A_0; w^*] is singular: w is (nearly) orthogonal to the "
            "solution, or the data do not determine (d, x) up to one scalar")
