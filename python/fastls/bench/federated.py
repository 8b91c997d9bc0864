"""Federated WLS: fastls.federated against NumPy/SciPy implementations.

Timing (default): the note's reference set-up (K = 100 clients, L = 128,
n_k in [51, 90], M = 4 clients per round, link noise 1e-2, NMSD recorded
every round) for every algorithm, against
  "numpy loop":     cached Cholesky factor per client, one cho_solve per
                    client update (CLU: every client, every round);
  "numpy batched":  all N_k = (2 G_k + rho I)^{-1} by one batched inverse,
                    one batched matmul per round.
Both peers replay the simulator's own draws (scheduling and link noise from
the same counter-based streams, drawn in bulk inside the timed call), so all
three produce the same iterates. Factorizations are built before timing for
all three (the "setup" case times them separately).
error column: max_k ||w_k - w_k(numpy loop)|| / ||w*|| over the final local models.

--paper: the reference experiment (100 Monte Carlo runs, 500 rounds,
sigma^2 = 1e-2, M = 4): steady-state NMSD (mean of rounds 401-500) of each
algorithm next to the note's values; --plot DIR writes the NMSD curves.
"""
from __future__ import annotations

import os
import time

import numpy as np

import fastls.federated as fed
from fastls.federated import _reference as ref_impl
from fastls.bench._harness import Row, best_time, step, wrote

HELP = "federated WLS (ADMM / RERCE-Fed / CLU / FedProx) vs NumPy loops; --paper reproduces the note"

NOTE_FLOORS = {"admm": -16.44, "rerce": -17.66, "rerce-clu": -23.14, "fedprox": -21.70}
ALGOS = ("admm", "rerce", "rerce-clu", "fedprox")
LEGEND = {
    "case": "the note's set-up (K=100 clients, L=128): algorithm, clients per round M, rounds; "
            "'setup' times the per-client factorizations",
    "seconds": "wall time of one full simulation (or one setup), best of --repeat runs",
    "error": "max_k ||w_k - w_k(numpy loop)|| / ||w*|| over the final local models: agreement "
             "with the NumPy loop on the same draws (rounding-level when they agree; 0 for the loop "
             "itself)",
    "fastls speedup": "peer seconds / fastls.federated.solve seconds in the same case: "
                      ">1x fastls is faster, <1x fastls is slower",
}
PAPER_LEGEND = {
    "case": "the note's reference experiment (M=4 clients per round, link noise 1e-2)",
    "solver": "algorithm (its steady-state NMSD in dB, the note's value)",
    "seconds": "wall time of all --runs Monte Carlo runs of this algorithm (one pass)",
    "error": "|steady-state NMSD - the note's value| in dB (goal < 0.5)",
    "fastls speedup": "not applicable: every row is fastls (no peer in the reproduction)",
}
PAPER = "the note's Monte Carlo experiment: steady-state NMSD of each algorithm vs the note"
FIGURES = "NMSD curves of the --paper run (federated_nmsd.png)"
FIGURES_NEED_PAPER = True


def validate(args) -> str | None:
    """A problem with this family's options, found before any benchmark starts (or None)."""
    try:
        _algorithms(args)
    except SystemExit as exc:
        return f"--algorithms: {exc}"
    return None


def add_arguments(parser) -> None:
    parser.add_argument("--algorithms", default=",".join(ALGOS),
                        help="comma-separated subset of " + ",".join(ALGOS))
    parser.add_argument("--runs", type=int, default=None,
                        help="Monte Carlo runs for --paper (default 100, 10 with --quick)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds per run (default 500; 100 with --quick when timing)")


def _algorithms(args):
    names = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    for a in names:
        if a not in ALGOS:
            raise SystemExit(f"unknown algorithm {a!r}; choose from {', '.join(ALGOS)}")
    return names


def _timing(args) -> list[Row]:
    problem = fed.reference_problem(random_state=0)
    ws = problem.centralized()
    n_iter = args.rounds or (100 if args.quick else 500)
    rows = []

    # setup: per-client factorization, timed once each (it is cached afterwards)
    progress = step("federated setup K=100 L=128")
    t0 = time.perf_counter()
    problem._factors()
    t_bank = time.perf_counter() - t0
    rows.append(Row("setup K=100 L=128", "fastls (thin SVD per client)", t_bank, None, baseline=True))
    for backend in ("loop", "batched"):
        t, _ = best_time(lambda b=backend: ref_impl._Local(problem, 1.0, b), repeat=1)
        label = "numpy loop (Cholesky)" if backend == "loop" else "numpy batched (inverse)"
        rows.append(Row("setup K=100 L=128", label, t, None))
    progress.done()

    locals_ = {b: ref_impl._Local(problem, 1.0, b) for b in ("loop", "batched")}
    cases = [(alg, 4) for alg in _algorithms(args)] + [("rerce", 100)]
    for alg, M in cases:
        case = f"{alg} M={M} {n_iter} rounds"
        progress = step(f"federated {case}")
        kw = dict(rho=1.0, clients_per_round=M, uplink_noise=1e-2, downlink_noise=1e-2,
                  n_rounds=n_iter, w_true=ws, random_state=1)
        t_fast, res = best_time(lambda: fed.solve(problem, algorithm=alg, **kw), repeat=args.repeat)
        out = {}
        for backend in ("loop", "batched"):
            out[backend] = best_time(
                lambda b=backend: ref_impl.simulate(problem, alg, 1.0, M, 1e-2, 1e-2, n_iter, 1, ws,
                                                    backend=b, local=locals_[b]),
                repeat=args.repeat)
        scale = np.linalg.norm(ws)
        base = out["loop"][1][1]
        err = lambda W: float(np.linalg.norm(W - base, axis=1).max() / scale)  # noqa: E731
        rows.append(Row(case, "fastls.federated.solve", t_fast, err(res.local_models), baseline=True))
        rows.append(Row(case, "numpy loop (cho_solve)", out["loop"][0], 0.0))
        rows.append(Row(case, "numpy batched (inverse)", out["batched"][0], err(out["batched"][1][1])))
        progress.done()
    return rows


def _paper(args) -> list[Row]:
    problem = fed.reference_problem(random_state=0)
    n_runs = args.runs or (10 if args.quick else 100)
    n_iter = args.rounds or 500
    problem._factors()
    rows, curves = [], {}
    print(f"reference set-up: K=100, L=128, M=4, sigma^2=1e-2, rho=1, {n_runs} runs x {n_iter} rounds; "
          "metric: local-model NMSD vs the centralized WLS solution")
    print(f"{'algorithm':<10}  {'steady state (dB)':>18}  {'note (dB)':>10}  {'diff':>6}  {'seconds':>8}")
    for alg in _algorithms(args):
        t0 = time.perf_counter()
        progress = step(f"federated paper {alg}: {n_runs} runs x {n_iter} rounds")
        mc = fed.monte_carlo(problem, n_runs, algorithm=alg, clients_per_round=4, uplink_noise=1e-2,
                             downlink_noise=1e-2, n_rounds=n_iter, random_state=2024)
        dt = time.perf_counter() - t0
        progress.done()
        curves[alg] = mc.nmsd_db
        note = NOTE_FLOORS[alg]
        diff = mc.steady_state_db - note
        print(f"{alg:<10}  {mc.steady_state_db:>18.2f}  {note:>10.2f}  {diff:>+6.2f}  {dt:>8.2f}")
        rows.append(Row("paper M=4 s2=1e-2", f"{alg} (steady {mc.steady_state_db:.2f} dB, note {note:.2f})",
                        dt, abs(diff), baseline=False,
                        extra={"steady_state_db": mc.steady_state_db, "note_db": note,
                               "curve_db": mc.nmsd_db.tolist()}))
    if args.plot:
        _plot(curves, args.plot, n_runs)
    return rows


def _plot(curves, directory, n_runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(directory, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = {"admm": "ADMM (dual, stale store)", "rerce": "RERCE-Fed",
              "rerce-clu": "RERCE-Fed + CLU", "fedprox": "FedProx (exact prox)"}
    for alg, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=labels[alg])
    ax.set_xlabel("iteration")
    ax.set_ylabel("NMSD (dB)")
    ax.set_title(f"K=100, L=128, M=4, $\\sigma^2$=1e-2, {n_runs} runs")
    ax.grid(True, alpha=0.3)
    ax.legend()
    path = os.path.join(directory, "federated_nmsd.png")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    wrote(path)


def run(args) -> list[Row]:
    return _paper(args) if args.paper else _timing(args)
