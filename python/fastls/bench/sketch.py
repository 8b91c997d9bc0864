"""Sketch kernels: fastls.sketch against what a NumPy/SciPy user would write.

Per size, m = oversampling * d rows; one case per kind, each with its peer:
- srht: "numpy A.copy()" (one read + one write of A, the floor for any
  transform that must not modify A; the goal is SRHT within 4x of it).
- gaussian / rademacher: numpy generate-then-multiply (stores the m x n S).
- countsketch / sjlt: scipy.sparse S built with numpy, then S @ A.
error column: |(||SA||_F^2 / ||A||_F^2) - 1|, a sanity check (expectation 0).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse

import fastls
from fastls.bench._harness import Row, best_time, step

HELP = "sketch kernels (fastls.sketch vs numpy/scipy equivalents)"
LEGEND = {
    "case": "NxD input A, m = sketch rows, sketch kind",
    "seconds": "wall time of one sketch S @ A, best of --repeat runs (lower is better)",
    "error": "fastls rows only: |(||SA||_F^2 / ||A||_F^2) - 1|, a sanity check of the sketch's "
             "scaling (expectation 0)",
    "fastls speedup": "peer seconds / fastls seconds in the same case: >1x fastls is faster, "
                      "<1x fastls is slower; for srht the peer is a plain copy of A, a floor "
                      "(below 1x is expected: the goal is within 4x, i.e. >= 0.25x)",
}
PAPER = None    # no paper reproduction: --paper is refused
FIGURES = None  # no figures: --plot is refused

QUICK_SIZES = [(2**16, 50)]
FULL_SIZES = [(2**17, 50), (2**20, 100), (2**16, 1000)]
KINDS = ("srht", "gaussian", "rademacher", "countsketch", "sjlt")
MAX_NUMPY_S_BYTES = 4 * 2**30


def add_arguments(parser) -> None:
    parser.add_argument("--sizes", default=None, help="comma-separated NxD list")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated sketch kinds")
    parser.add_argument("--oversampling", type=float, default=4.0, help="m = oversampling * d")


def numpy_peer(kind: str, A, m: int):
    """The peer callable for `kind`, or None when it would not fit in memory."""
    n = A.shape[0]
    if kind == "srht":
        return A.copy
    if kind in ("gaussian", "rademacher"):
        if m * n * 8 > MAX_NUMPY_S_BYTES:
            return None

        def dense():
            rng = np.random.default_rng(1)
            S = rng.standard_normal((m, n)) if kind == "gaussian" else \
                rng.integers(0, 2, (m, n)).astype(np.float64) * 2 - 1
            S /= np.sqrt(m)
            return S @ A
        return dense
    s = 1 if kind == "countsketch" else min(8, m)

    def sparse():
        rng = np.random.default_rng(1)
        block = np.arange(s) * m // s
        width = np.diff(np.append(block, m))
        rows = (block + (rng.random((n, s)) * width).astype(np.int64)).ravel()
        vals = rng.choice([-1.0, 1.0], n * s) / np.sqrt(s)
        cols = np.repeat(np.arange(n), s)
        return scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(m, n)) @ A
    return sparse


def run(args) -> list[Row]:
    from fastls.bench.lstsq import parse_sizes

    sizes = parse_sizes(args.sizes) if args.sizes else (QUICK_SIZES if args.quick else FULL_SIZES)
    rows = []
    for n, d in sizes:
        A = np.random.default_rng(0).standard_normal((n, d))
        m = int(args.oversampling * d)
        norm2 = np.sum(A * A)
        for kind in args.kinds.split(","):
            case = f"{n}x{d} m={m} {kind}"
            progress = step(f"sketch {case}")
            seconds, SA = best_time(lambda: fastls.sketch(A, m, kind=kind, random_state=0),
                                    repeat=args.repeat)
            rows.append(Row(case, f"fastls {kind}", seconds, abs(np.sum(SA * SA) / norm2 - 1),
                            baseline=True))
            peer = numpy_peer(kind, A, m)
            if peer is not None:
                seconds, _ = best_time(peer, repeat=args.repeat)
                name = {"srht": "numpy A.copy()", "gaussian": "numpy S@A",
                        "rademacher": "numpy S@A"}.get(kind, "scipy.sparse S@A")
                rows.append(Row(case, name, seconds))
            progress.done()
        del A
    return rows
