"""Federated clients on Dask workers: ``fastls.federated.solve(..., cluster=client)``.

Each client's data and its factorization live in a Dask actor (a
``fastls.federated.LocalClient``) pinned to one worker, spread round-robin;
rounds move only L-vectors. The server loop here replays the in-process
simulator (cpp/src/federated/simulation.cpp) step for step: the same Philox
scheduling (``_core.federated.schedule``) and link noise
(``_core.federated.normals``) keyed by (seed, run 0, link, client, round), the
same aggregation order, so the iterates equal ``solve(...)`` without a cluster
to rounding.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from fastls import _core

_DOWNLINK, _UPLINK = 1, 2


class ClientActor:
    """One federated client held on a worker (runs there; never copied back)."""

    def __init__(self, X, y, weights, algorithm, rho):
        from fastls.federated import LocalClient

        self._client = LocalClient(X, y, weights, algorithm=algorithm, rho=rho)
        self._X, self._y, self._w = X, y, weights

    def initial_norm(self) -> float:
        return float(np.linalg.norm(self._client.initial_estimate))

    def start(self):
        return self._client.start()

    def update(self, message, round):
        return self._client.update(message, round)

    def local_model(self, round):
        return self._client.local_model(round)

    def residual_sq(self, w) -> float:
        r = self._X @ w - self._y
        return float(r @ r) if self._w is None else float((r * r) @ self._w)


def _place(client, problem, algorithm, rho):
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        raise ValueError("cluster has no workers")
    futures = [client.submit(ClientActor, X, y, w, algorithm, rho, actor=True,
                             workers=[workers[k % len(workers)]], pure=False)
               for k, (X, y, w) in enumerate(zip(problem.X, problem.y, problem.weights))]
    return [f.result() for f in futures]


def solve(problem, algorithm, rho, M, up_var, down_var, n_rounds, ref, seed, callback, client):
    """Arguments already validated by fastls.federated.solve; returns its FederatedResult."""
    from fastls.federated._solve import _MESSAGES, FederatedResult, FederatedStatus, _db
    from fastls._errors import ConvergenceWarning

    if not hasattr(client, "submit") or not hasattr(client, "scheduler_info"):
        raise TypeError(f"cluster must be a distributed.Client, got {type(client).__name__}")
    K, L = problem.n_clients, problem.n_features
    up_std, down_std = math.sqrt(up_var), math.sqrt(down_var)
    actors = _place(client, problem, algorithm, rho)
    stale = algorithm in ("admm", "rerce-clu")  # server keeps every client's latest uplink
    blowup = 1e100 * max([1.0] + [1.0 + a.initial_norm().result() for a in actors])
    watch = ref is not None or callback is not None

    def noise(link, ks, r, std):
        if std == 0.0 or not ks:
            return np.zeros((len(ks), L))
        return std * _core.federated.normals(seed, 0, link, list(ks), [r] * len(ks), L)

    def locals_at(r):
        return np.array([f.result() for f in [a.local_model(r) for a in actors]])

    nmsd, gnmsd = np.full(n_rounds, np.nan), np.full(n_rounds, np.nan)
    store = np.zeros((K, L))
    glob = prev = np.zeros(L)  # w^(0) and w^(-1)
    n_up = n_down = 0
    diverged = stopped = False
    rounds = 0
    for r in range(n_rounds):
        if r == 0:
            picked = sorted(_core.federated.schedule(seed, 0, 0, K, K if stale else M))
            starts = [f.result() for f in [a.start() for a in actors]]
            ups = {k: starts[k] + z for k, z in zip(picked, noise(_UPLINK, picked, 0, up_std))}
        else:
            message = 2.0 * glob - prev if algorithm == "rerce" else glob
            sched = _core.federated.schedule(seed, 0, r, K, M)
            received = message + noise(_DOWNLINK, sched, r, down_std)
            futures = [actors[k].update(received[i], r) for i, k in enumerate(sched)]
            ups = {k: f.result() + z for k, f, z in zip(sched, futures, noise(_UPLINK, sched, r, up_std))}
            n_down += len(sched)
        n_up += len(ups)
        if stale:
            for k, u in ups.items():
                store[k] = u
            new = store.sum(axis=0) / K
        else:
            total = np.zeros(L)
            for u in ups.values():  # in upload order, as the simulator adds them
                total += u
            new = total / M
        prev, glob = (np.zeros(L) if r == 0 else glob), new
        rounds = r + 1
        if not np.all(np.isfinite(glob)) or np.linalg.norm(glob) > blowup:
            diverged = True
            nmsd[r:] = gnmsd[r:] = np.inf
            break
        if watch:
            local = locals_at(r)
            if ref is not None:
                ref_sq = ref @ ref
                nmsd[r] = np.sum((local - ref) ** 2) / (K * ref_sq)
                gnmsd[r] = np.sum((glob - ref) ** 2) / ref_sq
            if callback is not None and callback(r, glob.copy(), local):
                stopped = True
                break
    if diverged:
        status = FederatedStatus.DIVERGED
        warnings.warn(f"federated {algorithm!r} diverged at round {rounds - 1}", ConvergenceWarning,
                      stacklevel=3)
    else:
        status = (FederatedStatus.STOPPED if stopped and rounds < n_rounds
                  else FederatedStatus.COMPLETED)
    history = global_history = None
    if ref is not None:
        history, global_history = _db(nmsd[:rounds]), _db(gnmsd[:rounds])
    local = locals_at(rounds - 1)
    residual = math.sqrt(sum(f.result() for f in [a.residual_sq(glob) for a in actors]))
    return FederatedResult(
        x=glob, w=glob, success=status == FederatedStatus.COMPLETED, status=status,
        message=_MESSAGES[status], nit=int(rounds), residual_norm=residual, local_models=local,
        history=history, global_history=global_history, uplink_messages=int(n_up),
        downlink_messages=int(n_down), algorithm=algorithm)
