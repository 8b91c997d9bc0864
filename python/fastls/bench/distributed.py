"""Least squares on a Dask LocalCluster: fastls.distributed.lstsq vs dask.array.linalg.lstsq (TSQR).

A (n x d, i.i.d. N(0,1), row chunks) and b = A x + noise are generated on the
workers and persisted before timing, so both solvers read them from worker
memory. error column: ||A^T r|| / (||A||_F ||r||), the optimality of x (one
extra distributed pass, not timed). "moved" in the solver name: bytes sent
between workers during the solve, from Dask's own counter
(Worker.transfer_outgoing_bytes_total); results gathered by the client are not
counted.
"""
from __future__ import annotations

import numpy as np

from fastls.bench._harness import Row, best_time, step

HELP = "distributed least squares on a Dask LocalCluster (fastls vs dask TSQR)"
LEGEND = {
    "case": "NxD Gaussian A in row chunks, persisted on the workers before timing",
    "solver": "solver [bytes sent between workers during one solve, from Dask's counter]",
    "seconds": "wall time of one solve after an untimed warm-up solve, best of --repeat runs",
    "error": "optimality ||A^T r|| / (||A||_F ||r||) of the returned x (lower is better)",
    "fastls speedup": "peer seconds / 'fastls sjlt m=20d' seconds in the same case: "
                      ">1x fastls is faster, <1x fastls is slower",
}
PAPER = None    # no paper reproduction: --paper is refused
FIGURES = None  # no figures: --plot is refused

QUICK = [(2**16, 20, 8)]
FULL = [(2**22, 100, 32)]


def add_arguments(parser) -> None:
    parser.add_argument("--size", default=None, help="NxDxCHUNKS, e.g. 4194304x100x32")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (1 thread each)")
    parser.add_argument("--scheduler", default=None,
                        help="address of an existing scheduler instead of a LocalCluster")


def _moved(client) -> int:
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def _optimality(A, b, x) -> float:
    import dask

    r = b - A @ x
    g, rn, an = dask.compute(A.T @ r, (r ** 2).sum(), (A ** 2).sum())
    return float(np.linalg.norm(g) / (np.sqrt(an) * np.sqrt(rn)))


def run(args) -> list[Row]:
    import dask.array as da
    import distributed

    from fastls import distributed as fd

    sizes = [tuple(int(v) for v in args.size.lower().split("x"))] if args.size else \
        (QUICK if args.quick else FULL)
    if args.scheduler:
        cluster, client = None, distributed.Client(args.scheduler)
    else:
        cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                           processes=False, dashboard_address=":0")
        client = distributed.Client(cluster)
    rows = []
    try:
        for n, d, chunks in sizes:
            rs = da.random.RandomState(0)
            A = rs.standard_normal((n, d), chunks=(-(-n // chunks), d))
            b = A @ np.ones(d) + rs.standard_normal(n, chunks=(-(-n // chunks),))
            A, b = client.persist([A, b])
            distributed.wait([A, b])
            case = f"{n}x{d} ({chunks} chunks)"
            progress = step(f"distributed {case}")
            solvers = [
                ("fastls sjlt m=20d", True, lambda: fd.lstsq(A, b, random_state=1, persist=False).x),
                ("fastls gaussian m=4d", False, lambda: fd.lstsq(A, b, sketch="gaussian", random_state=1,
                                                                 persist=False).x),
                ("dask TSQR", False, lambda: da.linalg.lstsq(A, b)[0].compute()),
            ]
            for name, base, solve in solvers:
                before = _moved(client)
                solve()  # one untimed solve: warm-up, and the bytes it moves between workers
                moved = _moved(client) - before
                seconds, x = best_time(solve, repeat=args.repeat)
                rows.append(Row(case, f"{name} [{moved / 1e6:.2f} MB moved]", seconds,
                                _optimality(A, b, x), baseline=base, extra={"bytes_moved": moved}))
            progress.done()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return rows
