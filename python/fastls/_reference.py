"""Test oracles and paper protocols shared by the tests and the benchmarks (private).

Plain NumPy references the native solvers are checked against, the notes'
error measures and protocol constants. The data they run on comes from
:mod:`fastls.datasets`; the federated simulator's NumPy transcription is
``fastls.federated._reference``. Nothing here is public API.
"""
from __future__ import annotations

import warnings

import numpy as np

from fastls.datasets import selfcal_problem
from fastls.sbl import kron_matvec


# ---------------------------------------------------------------- Kronecker SBL (note §5.1)

PAPER_SNRS = (5, 10, 15, 20, 25, 30)


def nmse(x_hat, x) -> float:
    """||x̂ − x||² / ||x||²."""
    return float(np.sum(np.abs(x_hat - x) ** 2) / np.sum(np.abs(x) ** 2))


def srr(x_hat, x) -> float:
    """|Ŝ ∩ S| / |Ŝ ∪ S| with Ŝ = {j : |x̂_j| > 1e-3 max |x̂|} (note §5.1)."""
    est = np.abs(x_hat) > 1e-3 * np.abs(x_hat).max() if np.any(x_hat) else np.zeros(x.size, bool)
    true = x != 0
    return float(np.sum(est & true) / np.sum(est | true))


def kron_pinv_solve(H, supports, y):
    """Least squares on the Kronecker sub-dictionary ⊗ H_i[:, S_i]: the pseudo-inverse of
    a Kronecker product is the Kronecker product of the pseudo-inverses."""
    return kron_matvec([np.linalg.pinv(h[:, s]) for h, s in zip(H, supports)], y)


def scatter(x_s, supports, n):
    """The length-prod(n) vector with x_s on the Kronecker support ⊗ S_i."""
    x = np.zeros(int(np.prod(n)))
    x[np.ravel_multi_index(np.meshgrid(*supports, indexing="ij"), n).ravel()] = x_s
    return x


def oracle_ls(H, x, y):
    """Least squares on the true Kronecker support of x (the oracle reference)."""
    n = tuple(h.shape[1] for h in H)
    supports = [np.flatnonzero(np.abs(x.reshape(n)).sum(axis=tuple(j for j in range(len(n)) if j != i)))
                for i in range(len(n))]
    return scatter(kron_pinv_solve(H, supports, y), supports, n)


# ---------------------------------------------------------------- self-calibration (note §3.3)


P1_GRIDS = {
    "shared-signal": dict(m=32, n=[8, 16, 32, 64, 96], p=list(range(1, 7))),
    "multi-signal": dict(m=20, n=[10, 15, 19], p=list(range(1, 25))),
    "shared-matrix": dict(m=20, n=[10, 15, 19], p=list(range(1, 25))),
}
P2_ROWS = [  # (model, m, n, p, method, the note's medians at 20/40/60/80 dB)
    ("shared-signal", 64, 16, 4, "spectral", (8.0e-2, 7.5e-3, 7.7e-4, 7.8e-5)),
    ("shared-signal", 64, 64, 4, "spectral", (9.4e-2, 8.5e-3, 9.1e-4, 8.6e-5)),
    ("shared-signal", 32, 128, 8, "spectral", (1.3e-1, 1.3e-2, 1.2e-3, 1.2e-4)),
    ("multi-signal", 64, 16, 8, "lstsq", (1.0e-1, 7.0e-3, 6.9e-4, 6.9e-5)),
    ("shared-matrix", 64, 8, 64, "lstsq", (7.6e-2, 4.4e-3, 4.3e-4, 4.3e-5)),
    ("shared-matrix", 64, 8, 8, "lstsq", (9.7e-2, 5.4e-3, 5.6e-4, 5.7e-5)),
]
P2_SNRS = (20, 40, 60, 80)


def dense_system(model, y, A, B=None):
    """The explicit A_0 (p m x (K + n_x)): block row l is [diag(y_l) B, -A_l at x_l's columns]."""
    p, m = y.shape
    n = A.shape[-1]
    K = m if B is None else B.shape[1]
    nx = n if model == "shared-signal" else p * n
    M = np.zeros((p * m, K + nx), dtype=complex)
    for l in range(p):
        Al = A if model == "shared-matrix" else A[l]
        M[l * m:(l + 1) * m, :K] = np.diag(y[l]) if B is None else y[l][:, None] * B
        xo = K if model == "shared-signal" else K + l * n
        M[l * m:(l + 1) * m, xo:xo + n] = -Al
    return M


def numpy_lstsq(M, w, c=1.0):
    """Peer: numpy.linalg.lstsq on the explicit [A_0; w^*] z = (0; c), M = A_0."""
    Aw = np.vstack([M, w.conj()[None, :]])
    b = np.zeros(Aw.shape[0], dtype=complex)
    b[-1] = c
    return np.linalg.lstsq(Aw, b, rcond=None)


def numpy_svd(M):
    """Peer: numpy.linalg.svd of the explicit A_0 = M; returns (smallest right vector, singular values).

    full_matrices=True when A_0 is wide (a thin SVD would miss the null vector).
    """
    _, S, Vh = np.linalg.svd(M, full_matrices=M.shape[0] < M.shape[1])
    if M.shape[0] < M.shape[1]:
        S = np.concatenate([S, np.zeros(M.shape[1] - M.shape[0])])
    return Vh[-1].conj(), S


def success_rate(model, m, n, p, method, trials, rng, tol=1e-6):
    """P1: fraction of noiseless trials with aligned rel. error of z below tol."""
    from fastls import LinAlgError, selfcal

    wins = 0
    for _ in range(trials):
        prob = selfcal_problem(model, m=m, n=n, p=p, random_state=rng)
        try:
            with np.errstate(all="ignore"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = selfcal.solve(prob["A"], prob["y"], model=model, method=method, gap=False)
            z = np.concatenate([res.s, res.x.ravel()])
            wins += selfcal.align(z, prob["z"])[1] < tol
        except LinAlgError:
            pass
    return wins / trials
