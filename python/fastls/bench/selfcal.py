"""Self-calibration: fastls.selfcal against numpy on the explicitly formed system.

Timing mode: for each model, fastls.selfcal.solve (native Schur complements)
against numpy.linalg.lstsq on the explicit [A_0; w^*] (method="lstsq") and
numpy.linalg.svd of the explicit A_0 (method="spectral"), on the same data
with 40 dB noise. error column: aligned relative error of the gains d against
the truth (both rows of a case should agree: they solve the same problem).

--paper: the note's protocols (section 3.3): P1 noiseless phase transitions
(success rate over n, p), P2 error vs SNR; --plot DIR writes PNG diagrams.
"""
from __future__ import annotations

import os
import time

import numpy as np

from fastls import selfcal
from fastls._reference import (P1_GRIDS, P2_ROWS, P2_SNRS, dense_system, numpy_lstsq, numpy_svd,
                               success_rate)
from fastls.bench._harness import Row, best_time, step, wrote
from fastls.datasets import selfcal_problem

HELP = "self-calibration (fastls.selfcal vs numpy lstsq/svd on the explicit system)"
LEGEND = {
    "case": "model (M1 shared-signal, M2 multi-signal, M3 shared-matrix), sizes m, n, p, method",
    "seconds": "wall time of one solve, best of --repeat runs (the peers get the explicitly "
               "formed system for free)",
    "error": "aligned relative error of the gains d against the truth (both rows of a case "
             "solve the same problem and should agree)",
    "fastls speedup": "peer seconds / fastls.selfcal seconds in the same case: "
                      ">1x fastls is faster, <1x fastls is slower",
}
PAPER_LEGEND = {
    "case": "P1: noiseless phase transition of one model; P2: error vs SNR of one configuration",
    "solver": "what the error column holds for the row",
    "seconds": "wall time of the whole protocol row (all its trials)",
    "error": "P1: number of (n, p) cells whose success rate disagrees with the counting rule "
             "(0 is a match); P2: worst ratio max(e/e_note, e_note/e) of the median aligned error "
             "of z to the note's, over 20-80 dB (1 is a match)",
    "fastls speedup": "not applicable: every row is fastls (no peer in the protocols)",
}
PAPER = "the note's protocols: P1 noiseless phase transitions, P2 error vs SNR"
FIGURES = "P1 success-rate diagrams and the P2 error-vs-noise plot (selfcal_P*.png)"
FIGURES_NEED_PAPER = True

_CODES = {"shared-signal": 1, "multi-signal": 2, "shared-matrix": 3}
_SHORT = {"shared-signal": "M1", "multi-signal": "M2", "shared-matrix": "M3"}

QUICK_CASES = [("shared-signal", 256, 32, 4), ("multi-signal", 64, 16, 8), ("shared-matrix", 64, 8, 32)]
FULL_CASES = QUICK_CASES + [("shared-signal", 512, 64, 8), ("multi-signal", 128, 32, 8),
                            ("shared-matrix", 256, 32, 16)]
LARGE_CASES = [("shared-signal", 100_000, 32, 4)]  # no peer: the explicit system would be ~10^11 entries


def add_arguments(parser) -> None:
    parser.add_argument("--trials", type=int, default=None,
                        help="--paper: trials per cell (default 5 for P1, 10 for P2; --quick: 2)")


# ----------------------------------------------------------------------------- data


def _split(z, model, m, n, p):
    return z[:m], (z[m:] if model == "shared-signal" else z[m:].reshape(p, n))


# ----------------------------------------------------------------------------- timing


def _timing(args) -> list[Row]:
    rows = []
    cases = QUICK_CASES if args.quick else FULL_CASES
    for model, m, n, p in cases:
        prob = selfcal_problem(model, m=m, n=n, p=p, snr_db=40, random_state=0)
        y, A, d = prob["y"], prob["A"], prob["d"]
        tag = f"{_SHORT[model]} m={m} n={n} p={p}"
        progress = step(f"selfcal {tag}")
        fast = lambda: selfcal.solve(A, y, model=model, method="lstsq", gap=False)  # noqa: E731
        sec, res = best_time(fast, repeat=args.repeat)
        rows.append(Row(f"{tag} lstsq", "fastls.selfcal lstsq", sec, selfcal.align(res.d, d)[1],
                        baseline=True))
        w = res.w
        M = dense_system(model, y, A)  # the peers get the explicit system for free
        sec, out = best_time(lambda: numpy_lstsq(M, w), repeat=args.repeat)
        rows.append(Row(f"{tag} lstsq", "numpy.linalg.lstsq (explicit)", sec,
                        selfcal.align(1 / _split(out[0], model, m, n, p)[0], d)[1]))
        sec, res = best_time(lambda: selfcal.solve(A, y, model=model, method="spectral"),
                             repeat=args.repeat)
        rows.append(Row(f"{tag} spectral", "fastls.selfcal spectral", sec,
                        selfcal.align(res.d, d)[1], baseline=True))
        sec, out = best_time(lambda: numpy_svd(M), repeat=args.repeat)
        rows.append(Row(f"{tag} spectral", "numpy.linalg.svd (explicit)", sec,
                        selfcal.align(1 / _split(out[0], model, m, n, p)[0], d)[1]))
        progress.done()
    if not args.quick:
        for model, m, n, p in LARGE_CASES:
            prob = selfcal_problem(model, m=m, n=n, p=p, snr_db=40, random_state=0)
            tag = f"{_SHORT[model]} m={m} n={n} p={p}"
            progress = step(f"selfcal {tag} (no peer)")
            for method in ("lstsq", "spectral"):
                sec, res = best_time(
                    lambda: selfcal.solve(prob["A"], prob["y"], model=model, method=method), repeat=1)
                rows.append(Row(f"{tag} {method}", f"fastls.selfcal {method} (no peer)", sec,
                                selfcal.align(res.d, prob["d"])[1], baseline=True))
            progress.done()
    return rows


# ----------------------------------------------------------------------------- paper protocols


def _paper(args) -> list[Row]:
    rows = []
    trials = args.trials or (2 if args.quick else 5)
    rng = np.random.default_rng(2018)
    grids = {}
    for model, g in P1_GRIDS.items():
        ps = g["p"][:8] if args.quick else g["p"]
        rate = np.zeros((len(g["n"]), len(ps)))
        mism = 0
        t0 = time.perf_counter()
        progress = step(f"selfcal P1 {_SHORT[model]}: {len(g['n'])} x {len(ps)} cells, {trials} trials each")
        for i, n in enumerate(g["n"]):
            for j, p in enumerate(ps):
                rate[i, j] = success_rate(model, g["m"], n, p, "spectral", trials, rng)
                mism += rate[i, j] != float(selfcal.identifiable(model, m=g["m"], n=n, p=p))
        grids[model] = (g["m"], g["n"], ps, rate)
        progress.done()
        print(f"P1 {_SHORT[model]} m={g['m']}: success rate (rows n={g['n']}, cols p={ps[0]}..{ps[-1]}),"
              f" {trials} trials/cell, spectral; cells disagreeing with the counting condition: {mism}")
        for n, r in zip(g["n"], rate):
            print(f"   n={n:>3}: " + " ".join(f"{v:.1f}" for v in r))
        rows.append(Row(f"P1 {_SHORT[model]} phase transition", "cells != counting rule",
                        time.perf_counter() - t0, float(mism), baseline=True))
    p2_trials = args.trials or (3 if args.quick else 10)
    p2 = []
    print(f"P2: median aligned rel. error of z over {p2_trials} trials (note's value in brackets)")
    for model, m, n, p, method, ref in P2_ROWS:
        progress = step(f"selfcal P2 {_SHORT[model]} m={m} n={n} p={p} {method}")
        t0 = time.perf_counter()
        med = []
        for snr in P2_SNRS:
            errs = []
            for _ in range(p2_trials):
                prob = selfcal_problem(model, m=m, n=n, p=p, snr_db=snr, random_state=rng)
                res = selfcal.solve(prob["A"], prob["y"], model=model, method=method, gap=False)
                errs.append(selfcal.align(np.concatenate([res.s, res.x.ravel()]), prob["z"])[1])
            med.append(float(np.median(errs)))
        p2.append((model, m, n, p, method, med, ref))
        progress.done()
        cells = " ".join(f"{e:.1e} [{r:.1e}]" for e, r in zip(med, ref))
        print(f"   {_SHORT[model]} m={m} n={n} p={p} {method}: {cells}")
        worst = max(max(e / r, r / e) for e, r in zip(med, ref))
        rows.append(Row(f"P2 {_SHORT[model]} m={m} n={n} p={p} {method}", "max ratio to note",
                        time.perf_counter() - t0, worst, baseline=True))
    if args.plot:
        _plot(args.plot, grids, p2)
    return rows


def _plot(outdir, grids, p2):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(outdir, exist_ok=True)
    for model, (m, ns, ps, rate) in grids.items():
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.imshow(rate, origin="lower", aspect="auto", cmap="gray", vmin=0, vmax=1,
                  extent=(ps[0] - 0.5, ps[-1] + 0.5, -0.5, len(ns) - 0.5))
        ax.set_yticks(range(len(ns)), [str(n) for n in ns])
        pp = np.linspace(ps[0] - 0.5, ps[-1] + 0.5, 400)
        # the counting boundary: smallest n-index that fails, as a step curve
        bound = [sum(selfcal.identifiable(model, m=m, n=n, p=max(1, int(np.floor(q + 0.5))))
                     for n in ns) - 0.5
                 for q in pp]
        ax.plot(pp, bound, "r-", lw=1.5, label="counting threshold")
        ax.set_xlabel("p (snapshots)")
        ax.set_ylabel("n")
        ax.set_title(f"{_SHORT[model]} ({model}), m={m}: noiseless success rate (white = 1)")
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        path = os.path.join(outdir, f"selfcal_P1_{_SHORT[model]}.png")
        fig.savefig(path, dpi=120)
        plt.close(fig)
        wrote(path)
    fig, ax = plt.subplots(figsize=(6, 4))
    for model, m, n, p, method, med, ref in p2:
        line, = ax.loglog([10 ** (-s / 20) for s in P2_SNRS], med, "o-",
                          label=f"{_SHORT[model]} {m}/{n}/{p} {method}")
        ax.loglog([10 ** (-s / 20) for s in P2_SNRS], ref, "x--", color=line.get_color(), alpha=0.6)
    ax.set_xlabel("relative noise level 10^(-SNR/20)")
    ax.set_ylabel("median aligned rel. error of z")
    ax.set_title("P2: error vs noise (o fastls, x the note)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(outdir, "selfcal_P2_noise.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    wrote(path)


def run(args) -> list[Row]:
    return _paper(args) if args.paper else _timing(args)
