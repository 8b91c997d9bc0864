"""Exact mean-square recursion of the federated algorithms (note, section 3.3).

Every algorithm is, for a fixed set of scheduled clients, an affine map of its
state x and the link noise v: x' = A(a) x + B(a) v + c(a), with a the 0/1
scheduling indicators. The map is multi-affine in a (no products a_k a_j), so
A(a) = A_0 + sum_k a_k A_k exactly, and with p = E a_k, q = E a_k a_j:

    E[A C A^T] = A_0 C A_0^T + p (S C A_0^T + A_0 C S^T) + q S C S^T
                 + (p - q) sum_k A_k C A_k^T,           S = sum_k A_k.

The matrices are obtained by probing a dense NumPy transcription of each
algorithm (independent of the C++ core) with unit vectors; the constant c is
carried by an extra state entry fixed at 1, so C holds mean and second moment.
"""
from __future__ import annotations

import numpy as np

MAX_STATE = 1500


def dense_operators(problem, rho):
    """N_k = (2 G_k + rho I)^{-1} (K, L, L) and w̆_k = 2 N_k h_k (K, L), by dense solves."""
    L = problem.n_features
    N, wb = [], []
    for k in range(problem.n_clients):
        Xw, yw = problem.whitened(k)
        A = 2.0 * Xw.T @ Xw + rho * np.eye(L)
        Nk = np.linalg.inv(A)
        N.append(0.5 * (Nk + Nk.T))
        wb.append(np.linalg.solve(A, 2.0 * Xw.T @ yw))
    return np.array(N), np.array(wb)


def _layout(algorithm, K, L):
    """State blocks (name -> shape) in order; local models are block 'w'."""
    if algorithm == "rerce":
        return {"w": (K, L), "glob": (L,), "prev": (L,)}
    if algorithm == "fedprox":
        return {"w": (K, L), "glob": (L,)}
    if algorithm == "admm":
        return {"w": (K, L), "z": (K, L), "store": (K, L)}
    return {"w": (K, L), "g": (K, L), "store": (K, L)}  # rerce-clu


def _round(algorithm, r, x, one, eta, zeta, a, N, wb, rho, M):
    """One round on a batch of states (dict of blocks with a trailing batch axis).

    one: (n,) value of the constant entry; eta, zeta: (K, L, n) link noise;
    a: (K,) scheduling indicators. Mirrors src/federated/simulation.cpp.
    """
    A = a[:, None, None]
    W = x["w"]
    wbn = wb[:, :, None] * one  # w̆_k times the constant entry
    apply_N = lambda v: np.einsum("kij,kjn->kin", N, v)  # noqa: E731
    if r == 0:
        if algorithm in ("rerce", "fedprox"):
            out = {"w": wbn, "glob": (A * (wbn + zeta)).sum(0) / M}
            if algorithm == "rerce":
                out["prev"] = np.zeros_like(out["glob"])
            return out
        if algorithm == "admm":
            return {"w": wbn, "z": np.zeros_like(W), "store": wbn + zeta}
        return {"w": wbn, "g": np.zeros_like(W), "store": 2.0 * wbn + zeta}
    if algorithm == "rerce":
        s = 2.0 * x["glob"] - x["prev"]
        w_new = W + A * rho * apply_N(s[None] + eta - W)
        return {"w": w_new, "glob": (A * (w_new + zeta)).sum(0) / M, "prev": x["glob"]}
    if algorithm == "fedprox":
        w_loc = wbn + rho * apply_N(x["glob"][None] + eta)
        return {"w": W + A * (w_loc - W), "glob": (A * (w_loc + zeta)).sum(0) / M}
    if algorithm == "admm":
        recv = x["store"].mean(0)[None] + eta
        z_new = x["z"] + rho * (W - recv)
        w_loc = wbn + apply_N(rho * recv - z_new)
        return {"w": W + A * (w_loc - W), "z": x["z"] + A * (z_new - x["z"]),
                "store": x["store"] + A * (w_loc + z_new / rho + zeta - x["store"])}
    g = x["g"] + A * (x["store"].mean(0)[None] + eta - x["g"])
    w_new = W + rho * apply_N(g - W)
    u = 2.0 * w_new - W
    return {"w": w_new, "g": g, "store": x["store"] + A * (u + zeta - x["store"])}


def _probe(algorithm, r, layout, N, wb, rho, M, a, noise_part):
    """Columns of [A(a) | c(a)] (noise_part False) or B(a) (True) of round r."""
    K, L = wb.shape
    sizes = [int(np.prod(s)) for s in layout.values()]
    D = sum(sizes)
    n = 2 * K * L if noise_part else D + 1
    basis = np.eye(n)
    if noise_part:
        xs = np.zeros((D, n)), np.zeros(n)
        eta = basis[: K * L].reshape(K, L, n)
        zeta = basis[K * L:].reshape(K, L, n)
    else:
        xs = basis[:D], basis[D]
        eta = zeta = np.zeros((K, L, n))
    x, off = {}, 0
    for (name, shape), size in zip(layout.items(), sizes):
        x[name] = xs[0][off:off + size].reshape(*shape, n)
        off += size
    out = _round(algorithm, r, x, xs[1], eta, zeta, a, N, wb, rho, M)
    rows = [out[name].reshape(-1, n) for name in layout]
    if not noise_part:
        rows.append(xs[1][None])  # the constant stays 1
    else:
        rows.append(np.zeros((1, n)))
    return np.vstack(rows)


def _expected_sandwich(A0, Ak, C, p, q):
    """E[A C A^T] for A = A_0 + sum_k a_k A_k."""
    S = sum(Ak)
    SCA = S @ C @ A0.T
    out = A0 @ C @ A0.T + p * (SCA + SCA.T) + q * (S @ C @ S.T)
    if p != q:
        out += (p - q) * sum(Ak_ @ C @ Ak_.T for Ak_ in Ak)
    return out


def predicted_nmsd_linear(problem, algorithm, rho, M, up, down, n_rounds, ref):
    K, L = problem.n_clients, problem.n_features
    layout = _layout(algorithm, K, L)
    D = sum(int(np.prod(s)) for s in layout.values())
    if D + 1 > MAX_STATE:
        raise ValueError(f"predicted_nmsd: the {algorithm!r} state has {D + 1} entries "
                         f"(K={K}, L={L}); at most {MAX_STATE} are supported")
    N, wb = dense_operators(problem, rho)
    Q = np.concatenate([np.full(K * L, down), np.full(K * L, up)])
    stale = algorithm in ("admm", "rerce-clu")

    def moments(r, full):
        p = 1.0 if full else M / K
        q = 1.0 if full else (M * (M - 1) / (K * (K - 1)) if K > 1 else 1.0)
        mats = []
        for noise_part in (False, True):
            base = _probe(algorithm, r, layout, N, wb, rho, M, np.zeros(K), noise_part)
            diffs = [_probe(algorithm, r, layout, N, wb, rho, M, np.eye(K)[k], noise_part) - base
                     for k in range(K)]
            mats.append((base, diffs))
        (A0, Ak), (B0, Bk) = mats
        # E[B Q B^T] with Q diagonal: sandwich of B sqrt(Q) around the identity.
        noise = _expected_sandwich(B0 * np.sqrt(Q), [b * np.sqrt(Q) for b in Bk],
                                   np.eye(2 * K * L), p, q)
        return A0, Ak, noise, p, q

    C = np.zeros((D + 1, D + 1))
    C[D, D] = 1.0
    first = moments(0, stale or M == K)
    later = moments(1, M == K) if n_rounds > 1 else None
    idx = np.arange(K * L)  # block "w" comes first
    ref_rep = np.tile(ref, K)
    ref_sq = float(ref @ ref)
    out = np.empty(n_rounds)
    for r in range(n_rounds):
        A0, Ak, noise, p, q = first if r == 0 else later
        C = _expected_sandwich(A0, Ak, C, p, q) + noise
        C = 0.5 * (C + C.T)
        msd = (C[idx, idx].sum() - 2.0 * ref_rep @ C[idx, D] + K * ref_sq) / K
        out[r] = max(msd, 0.0) / ref_sq
    return out
