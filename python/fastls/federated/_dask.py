"""Federated clients on Dask workers: ``fastls.federated.solve(..., cluster=client)``.

Each client's data and its factorization live in a Dask actor (a
``fastls.federated.LocalClient``) pinned to one worker, spread round-robin;
rounds move only L-vectors. The server loop is the native one
(``_core.federated.Server``, the same code the in-process simulator runs):
it schedules, adds the link noise and aggregates; the actors' updates are the
only remote work. So the iterates equal ``solve(...)`` without a cluster.
"""
from __future__ import annotations

import math

import numpy as np

from fastls import _core


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


def _gather(futures):
    return [f.result() for f in futures]


def run(problem, algorithm, settings, ref, callback, client):
    """fastls.federated.solve's run on a cluster (arguments validated there).

    Returns (the server's RunResult, ||residual|| of the global model)."""
    if not hasattr(client, "submit") or not hasattr(client, "scheduler_info"):
        raise TypeError(f"cluster must be a distributed.Client, got {type(client).__name__}")
    actors = _place(client, problem, algorithm, settings.rho)
    server = _core.federated.Server(problem.n_clients, problem.n_features, settings,
                                    max(_gather([a.initial_norm() for a in actors])), ref)
    while not server.finished:
        r = server.rounds_done
        ks = server.begin_round()
        if r == 0:  # every client starts; the server hears those it scheduled
            starts = _gather([a.start() for a in actors])
            ups = [starts[k] for k in ks]
        else:
            ups = _gather([actors[k].update(server.downlink(k), r) for k in ks])
        for k, u in zip(ks, ups):
            server.receive(k, u)
        server.end_round()
        if server.diverged or (ref is None and callback is None):
            continue
        local = np.array(_gather([a.local_model(r) for a in actors]))
        if ref is not None:
            server.record_local(float(np.sum((local - ref) ** 2)))
        if callback is not None and callback(r, server.global_model, local):
            break
    last = server.rounds_done - 1
    out = server.result(np.array(_gather([a.local_model(last) for a in actors])))
    residual = math.sqrt(sum(_gather([a.residual_sq(out.w) for a in actors])))
    return out, residual
