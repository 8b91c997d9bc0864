"""Greedy BCD: the paper's per-iteration comparisons (note section 6.4).

Cases: dataset A (least squares, Lipschitz constants spread over orders of
magnitude) with gradient updates (figure 4a) and matrix updates (figure 5a),
every rule on variable blocks (VB) and on the Sort partition (FB), tau = 5,
500 iterations; dataset D (50x50 lattice label propagation, figure 6a) with
exact block updates. error column: f(x^500) - f* (A: f* = 0, consistent system;
D: the authors' f*). The timing peer is a NumPy implementation of the same
GS-VB loop; the other ratios compare each rule with the case's baseline row
(gs VB for dataset A, the greedy tree for D).
--quick and the default use a 200 x 2000 draw of dataset A; --paper the
1000 x 10000 size of the note. --plot DIR writes f - f* curves.
"""
from __future__ import annotations

import time

import numpy as np

from fastls.bench._harness import Row, step, wrote

HELP = "greedy block coordinate descent: the paper's rule comparisons (datasets A, D)"
LEGEND = {
    "case": "dataset (A: least squares, D: 50x50 lattice), the note's figure, the block update",
    "solver": "selection rule and partition (VB: variable blocks, FB-Sort: fixed blocks of the "
              "Sort partition), all fastls.bcd.minimize, plus one NumPy GS-VB loop as the timing peer",
    "seconds": "wall time of one run of --iters iterations (tol=0, no repeats)",
    "error": "objective gap f(x_final) - f* (dataset A: f* = 0, a consistent system; "
             "D: the authors' f*); lower is better",
    "fastls speedup": "this row's seconds / seconds of the case's (fastls) row (gs VB for A, "
                      "Greedy tree for D): >1x the marked row is faster, <1x it is slower",
}
PAPER = "the note's 1000 x 10000 size of dataset A instead of 200 x 2000"
FIGURES = "f - f* per iteration, one PNG per case (bcd_<case>.png)"
FIGURES_NEED_PAPER = False

RULES_4A = ["random", "cyclic", "lipschitz", "gs", "gsl", "gsd"]
RULES_5A = ["random", "cyclic", "lipschitz", "gs", "gsl", "gsd", "gsq"]
D_STRATEGIES = {
    "General (GS, tau=13, dense)": dict(rule="gs", block_size=13, update="matrix"),
    "Red-black": dict(rule="cyclic", partition="red-black", update="message-passing"),
    "Random tree (VB)": dict(rule="random", update="message-passing"),
    "Tree partition (2 combs)": dict(rule="cyclic", partition="tree", update="message-passing"),
    "Greedy tree (VB)": dict(rule="gs", update="message-passing"),
}


def add_arguments(parser) -> None:
    parser.add_argument("--iters", type=int, default=500, help="iterations per run")


def numpy_gs_vb(A, y, tau, iters):
    """Reference GS-VB loop with 1/L_b gradient steps, in NumPy (the timing peer)."""
    x = np.zeros(A.shape[1])
    r = -y.copy()
    for _ in range(iters):
        g = A.T @ r
        b = np.argpartition(-np.abs(g), tau)[:tau]
        Ab = A[:, b]
        L = np.linalg.eigvalsh(Ab.T @ Ab)[-1]
        d = -g[b] / L
        x[b] += d
        r += Ab @ d
    return 0.5 * r @ r


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(args) -> list[Row]:
    from fastls import bcd
    from fastls.datasets import BCD_DATASET_D_FSTAR as DATASET_D_FSTAR
    from fastls.datasets import bcd_dataset_a, bcd_dataset_d
    iters = args.iters
    m, n = (1000, 10_000) if args.paper else (200, 2000)
    A, y = bcd_dataset_a(m, n, random_state=0)
    prob = bcd.LeastSquares(A, y)
    rows, curves = [], {}
    for fig, update, rules in [("4a", "gradient", RULES_4A), ("5a", "matrix", RULES_5A)]:
        case = f"A {m}x{n} fig{fig} {update}"
        progress = step(f"bcd {case}")
        for part, label in [("variable", "VB"), ("sorted", "FB-Sort")]:
            for rule in rules:
                sec, res = _timed(lambda: bcd.minimize(prob, rule=rule, partition=part, block_size=5,
                                                       update=update, maxiter=iters, tol=0.0,
                                                       random_state=0))
                name = f"{rule} {label}"
                rows.append(Row(case, name, sec, res.fun, baseline=(name == "gs VB")))
                curves[(case, name)] = res.history
        if update == "gradient":
            sec, f = _timed(lambda: numpy_gs_vb(A, y, 5, iters))
            rows.append(Row(case, "numpy loop: gs VB", sec, f))
        progress.done()
    prob_d = bcd_dataset_d()
    case = "D lattice fig6a exact"
    progress = step(f"bcd {case}")
    for i, (name, kw) in enumerate(D_STRATEGIES.items()):
        sec, res = _timed(lambda: bcd.minimize(prob_d, maxiter=iters, tol=0.0, f_opt=DATASET_D_FSTAR,
                                               random_state=0, **kw))
        rows.append(Row(case, name, sec, res.fun - DATASET_D_FSTAR, baseline=(i == len(D_STRATEGIES) - 1),
                        extra={"k100": res.history[min(100, iters)] - DATASET_D_FSTAR,
                               "k250": res.history[min(250, iters)] - DATASET_D_FSTAR}))
        curves[(case, name)] = res.history - DATASET_D_FSTAR
    progress.done()
    if getattr(args, "plot", None):
        _plot(curves, args.plot)
    return rows


def _plot(curves, folder):
    import os
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(folder, exist_ok=True)
    for case in dict.fromkeys(c for c, _ in curves):
        fig, ax = plt.subplots(figsize=(6, 4))
        for (c, name), h in curves.items():
            if c == case:
                ax.semilogy(np.maximum(h, 1e-16), label=name)
        ax.set_xlabel("iteration")
        ax.set_ylabel("f - f*")
        ax.set_title(case)
        ax.legend(fontsize=6)
        fig.tight_layout()
        path = os.path.join(folder, "bcd_" + "".join(ch if ch.isalnum() else "_" for ch in case) + ".png")
        fig.savefig(path)
        plt.close(fig)
        wrote(path)
