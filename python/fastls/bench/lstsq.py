"""Dense least squares: fastls.lstsq against numpy, scipy and LAPACK drivers.

error column: ||x - x_ref|| / ||x_ref|| with x_ref from scipy's gelsd.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

import fastls
from fastls.bench._harness import Row, best_time

HELP = "dense least squares (fastls.lstsq vs numpy/scipy/LAPACK)"

QUICK_SIZES = [(20_000, 50), (2_000, 500)]
FULL_SIZES = [(2**17, 50), (2**20, 100), (2**16, 1000), (4_000, 4_000)]


def add_arguments(parser) -> None:
    parser.add_argument("--sizes", default=None,
                        help="comma-separated MxN list, e.g. 100000x50,2000x500")


def gen_problem(m: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    b = A @ rng.standard_normal(n) + 0.1 * rng.standard_normal(m)
    return A, b


def solvers(include: str = "all"):
    """Name -> callable(A, b) returning x; fastls first."""
    def dgels(A, b):
        lwork = lapack.dgels_lwork(*A.shape, 1)[1]
        _, x, info = lapack.dgels(A, b, lwork=int(lwork))
        return x[: A.shape[1]]

    return {
        "fastls.lstsq(qr)": lambda A, b: fastls.lstsq(A, b, method="qr").x,
        "numpy.linalg.lstsq": lambda A, b: np.linalg.lstsq(A, b, rcond=None)[0],
        "scipy gelsd": lambda A, b: scipy.linalg.lstsq(A, b, lapack_driver="gelsd",
                                                      check_finite=False)[0],
        "scipy gelsy": lambda A, b: scipy.linalg.lstsq(A, b, lapack_driver="gelsy",
                                                      check_finite=False)[0],
        "LAPACK dgels": dgels,
    }


def parse_sizes(text):
    return [tuple(int(v) for v in s.lower().split("x")) for s in text.split(",")]


def run(args) -> list[Row]:
    sizes = parse_sizes(args.sizes) if args.sizes else (QUICK_SIZES if args.quick else FULL_SIZES)
    rows = []
    for m, n in sizes:
        A, b = gen_problem(m, n)
        Af = np.asfortranarray(A)  # LAPACK peers get their preferred layout for free
        x_ref = scipy.linalg.lstsq(Af, b, lapack_driver="gelsd")[0]
        case = f"{m}x{n}"
        for i, (name, fn) in enumerate(solvers().items()):
            seconds, x = best_time(lambda: fn(Af, b), repeat=args.repeat)
            err = np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)
            rows.append(Row(case, name, seconds, err, baseline=(i == 0)))
    return rows
