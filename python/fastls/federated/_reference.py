"""Plain NumPy/SciPy implementations of the federated algorithms (private).

Benchmark peers (fastls.bench.federated) and test oracles (tests/test_federated.py,
tests/test_hardening.py) for fastls.federated. They consume exactly
the simulator's random draws (scheduling and link noise come from
``fastls._core.federated``), so with the same seed they must reproduce its
iterates. Two linear-algebra back ends for the local resolvent
N_k = (2 G_k + rho I)^{-1}:

"loop":     a cached Cholesky factor per client, one cho_solve per client
            update (the straightforward implementation; CLU updates every
            client every round, eagerly).
"batched":  all N_k formed once by a batched inverse; each round applies
            them to the scheduled (CLU: all) clients with one batched matmul.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from fastls import _core

STALE = ("admm", "rerce-clu")


class Draws:
    """The simulator's schedules and link noise for one run, drawn up front."""

    def __init__(self, K, L, algorithm, M, n_iter, seed, run=0):
        fed = _core.federated
        self.schedules = [list(range(K)) if algorithm in STALE else fed.schedule(seed, run, 0, K, M)]
        self.schedules += [fed.schedule(seed, run, r, K, M) for r in range(1, n_iter)]
        pairs = [(k, r) for r, s in enumerate(self.schedules) for k in s]
        clients = [k for k, _ in pairs]
        rounds = [r for _, r in pairs]
        up = fed.normals(seed, run, fed.Link.uplink, clients, rounds, L)
        down = fed.normals(seed, run, fed.Link.downlink, clients, rounds, L)
        self.up, self.down, off = [], [], 0
        for s in self.schedules:
            self.up.append(up[off:off + len(s)])
            self.down.append(down[off:off + len(s)])
            off += len(s)


class _Local:
    """w̆_k and the application of N_k, by Cholesky factors or batched inverses."""

    def __init__(self, problem, rho, backend):
        self.rho, self.backend = rho, backend
        L = problem.n_features
        self.chol, mats, wb = [], [], []
        for k in range(problem.n_clients):
            Xw, yw = problem.whitened(k)
            A = 2.0 * Xw.T @ Xw + rho * np.eye(L)
            c = scipy.linalg.cho_factor(A, check_finite=False)
            self.chol.append(c)
            mats.append(A)
            wb.append(scipy.linalg.cho_solve(c, 2.0 * Xw.T @ yw, check_finite=False))
        self.w_breve = np.array(wb)
        if backend == "batched":
            self.N = np.linalg.inv(np.array(mats))

    def apply(self, idx, V):
        """Rows N_k v_k for clients idx (rows of V)."""
        if self.backend == "batched":
            return np.matmul(self.N[idx], V[:, :, None])[:, :, 0]
        return np.array([scipy.linalg.cho_solve(self.chol[k], v, check_finite=False)
                         for k, v in zip(idx, V)])


def simulate(problem, algorithm, rho, M, uplink_noise, downlink_noise, n_iter, seed, ref=None,
             backend="loop", draws=None, local=None):
    """One run; returns (global model, (K, L) local models, per-round local NMSD or None)."""
    K, L = problem.n_clients, problem.n_features
    draws = draws or Draws(K, L, algorithm, M, n_iter, seed)
    loc = local or _Local(problem, rho, backend)
    su, sd = np.sqrt(uplink_noise), np.sqrt(downlink_noise)
    wb = loc.w_breve
    allk = np.arange(K)
    W = wb.copy()
    nmsd = None if ref is None else np.empty(n_iter)
    # round 0
    S = np.asarray(draws.schedules[0])
    if algorithm == "admm":
        Z = np.zeros((K, L))
        store = wb + su * draws.up[0]
        glob = store.mean(0)
    elif algorithm == "rerce-clu":
        G = np.zeros((K, L))
        store = 2.0 * wb + su * draws.up[0]
        glob = store.mean(0)
    else:
        glob, prev = (wb[S] + su * draws.up[0]).mean(0), np.zeros(L)
    if nmsd is not None:
        nmsd[0] = ((W - ref) ** 2).sum() / (K * (ref @ ref))
    for r in range(1, n_iter):
        S = np.asarray(draws.schedules[r])
        noise_up, noise_down = su * draws.up[r], sd * draws.down[r]
        if algorithm == "rerce":
            recv = (2.0 * glob - prev) + noise_down
            W[S] += rho * loc.apply(S, recv - W[S])
            prev, glob = glob, (W[S] + noise_up).mean(0)
        elif algorithm == "fedprox":
            recv = glob + noise_down
            W[S] = wb[S] + rho * loc.apply(S, recv)
            prev, glob = glob, (W[S] + noise_up).mean(0)
        elif algorithm == "admm":
            recv = glob + noise_down
            Z[S] += rho * (W[S] - recv)
            W[S] = wb[S] + loc.apply(S, rho * recv - Z[S])
            store[S] = W[S] + Z[S] / rho + noise_up
            glob = store.mean(0)
        else:  # rerce-clu: every client updates, eagerly
            G[S] = glob + noise_down
            W_new = W + rho * loc.apply(allk, G - W)
            store[S] = 2.0 * W_new[S] - W[S] + noise_up
            W = W_new
            glob = store.mean(0)
        if nmsd is not None:
            nmsd[r] = ((W - ref) ** 2).sum() / (K * (ref @ ref))
    return glob, W, nmsd
