"""Dense least squares: fastls.lstsq against numpy, scipy and LAPACK drivers.

Two matrix families per size: "gauss" (i.i.d. N(0,1)) and "cond1e8" (built
from an SVD with singular values log-spaced from 1 to 1e-8). b = A x + r with r
orthogonal to range(A), so x is the exact solution: error column
||x_hat - x|| / ||x||. "passes of A": seconds over one read of A in the same run.

Sparse (issue 16, "sparse" family): n x d with 8 nonzeros per row (N(0,1) at
random columns), columns scaled 1..1e3, b = A x + 1e-3 noise. fastls
precondition on CSR, CSC and a LinearOperator, to 1e-10 relative error, against
scipy.sparse.linalg.lsqr run to the same error (its atol = btol lowered from
1e-10 by 100x until it gets there) and dense gelsd on the densified matrix
(also the reference x). The solver column carries the iteration count.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from scipy.linalg import lapack

import fastls
from fastls.bench._harness import Row, best_time, step

HELP = "dense least squares (fastls.lstsq qr/precondition vs numpy/scipy/LAPACK)"
LEGEND = {
    "case": "NxD matrix family: gauss = i.i.d. N(0,1), cond1e8 = singular values 1..1e-8, "
            "sparse = 8 nonzeros per row, columns scaled 1..1e3",
    "error": "relative forward error ||x - x_true|| / ||x_true|| against the known solution "
             "(dense: b = A x_true + r with r orthogonal to range(A)); sparse: against scipy gelsd "
             "(lower is better; a backward-stable solver reaches about cond(A) * 1e-16)",
    "fastls speedup": "peer seconds / seconds of the case's row marked (fastls) (precondition on "
                      "F-ordered A, or CSR precondition for sparse): "
                      ">1x fastls is faster, <1x fastls is slower",
    "passes of A": "seconds / the seconds of one read of A (A^T u on the F-ordered A, same run): "
                   "the solve's cost in passes over A (dense cases)",
}
PAPER = None    # no paper reproduction: --paper is refused
FIGURES = None  # no figures: --plot is refused

QUICK_SIZES = [(2**15, 50), (2**14, 200)]
FULL_SIZES = [(2**17, 50), (2**20, 100), (2**16, 1000)]
SPARSE_QUICK = [(2**15, 100)]
SPARSE_FULL = [(2**18, 500)]
SPARSE_TARGET = 1e-10  # relative error every sparse solver is run to


def add_arguments(parser) -> None:
    parser.add_argument("--sizes", default=None,
                        help="comma-separated NxD list, e.g. 131072x50,16384x200")
    parser.add_argument("--matrices", default="gauss,cond1e8",
                        help="comma-separated matrix families: gauss, cond1e8")
    parser.add_argument("--tol", type=float, default=1e-12, help="tol for method='precondition'")
    parser.add_argument("--sparse-sizes", default=None,
                        help="NxD list for the sparse family (default 262144x500, --quick 32768x100)")


def parse_sizes(text):
    return [tuple(int(v) for v in s.lower().split("x")) for s in text.split(",")]


def make_problem(n: int, d: int, family: str, rng):
    """(A, b, x): dense, b = A x + r with r orthogonal to range(A) (||r|| ~ 1e-3 sqrt(n)),
    so x is the exact least-squares solution; sparse, b = A x + 1e-3 noise (x is then
    only near the solution: the sparse rows measure against gelsd)."""
    if family == "sparse":
        import scipy.sparse
        nnz_row = 8
        rows = np.repeat(np.arange(n), nnz_row)
        cols = rng.integers(0, d, n * nnz_row)
        A = scipy.sparse.csr_matrix((rng.standard_normal(n * nnz_row), (rows, cols)), shape=(n, d))
        A = scipy.sparse.csr_matrix(A @ scipy.sparse.diags(np.logspace(0, 3, d)))
        x = rng.standard_normal(d)
        return A, A @ x + 1e-3 * rng.standard_normal(n), x
    if family not in ("gauss", "cond1e8"):
        raise ValueError(f"unknown matrix family {family!r}")
    G = rng.standard_normal((n, d))
    U, R = np.linalg.qr(G)
    if family == "gauss":
        A = G
    else:
        V, _ = np.linalg.qr(rng.standard_normal((d, d)))
        A = (U * np.logspace(0, -8, d)) @ V.T
    x = rng.standard_normal(d)
    r = 1e-3 * rng.standard_normal(n)
    r -= U @ (U.T @ r)
    return A, A @ x + r, x


def _dgels(A, b):
    work, _ = lapack.dgels_lwork(*A.shape, 1)
    _, x, info = lapack.dgels(A, b, lwork=int(work))
    return x[: A.shape[1]]


def _lsqr(A, b):
    return scipy.sparse.linalg.lsqr(A, b, atol=1e-12, btol=1e-12, iter_lim=1000)[0]


def run_sparse(n: int, d: int, tol: float, repeat: int) -> list[Row]:
    from scipy.sparse.linalg import aslinearoperator

    progress = step(f"lstsq sparse {n}x{d}")
    rng = np.random.default_rng(0)
    A, b, _ = make_problem(n, d, "sparse", rng)
    Ad = A.toarray(order="F")
    gelsd = lambda: scipy.linalg.lstsq(Ad, b, lapack_driver="gelsd", check_finite=False)[0]  # noqa: E731
    t_gelsd, x_ref = best_time(gelsd, repeat=1)
    del Ad
    cond = np.linalg.cond(fastls.sketch(A, 4 * d, kind="sjlt", random_state=0))
    case = f"{n}x{d} sparse nnz={A.nnz} cond~{cond:.0e}"
    err = lambda x: np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)  # noqa: E731
    rows = []
    for i, (label, M) in enumerate([("CSR", A), ("CSC", A.tocsc()), ("LinearOperator", aslinearoperator(A))]):
        seconds, res = best_time(lambda: fastls.lstsq(M, b, method="precondition", tol=tol,
                                                      random_state=0), repeat=repeat)
        rows.append(Row(case, f"fastls precondition {label} (nit={res.nit}, m={res.sketch_rows})",
                        seconds, err(res.x), baseline=(i == 0)))
    atol = 1e-10
    while True:  # scipy's lsqr, to the same error
        seconds, out = best_time(lambda: scipy.sparse.linalg.lsqr(A, b, atol=atol, btol=atol,
                                                                  iter_lim=50_000), repeat=1)
        if err(out[0]) <= SPARSE_TARGET or atol < 1e-15:
            break
        atol /= 100
    rows.append(Row(case, f"scipy lsqr atol={atol:.0e} (nit={out[2]})", seconds, err(out[0])))
    try:  # SuiteSparseQR, where its binding and the SuiteSparse system library are installed
        import sparseqr
    except ImportError:
        pass
    else:
        Ac = A.tocsc()
        seconds, x = best_time(lambda: sparseqr.solve(Ac, b, tolerance=0), repeat=1)
        rows.append(Row(case, "SuiteSparseQR (sparseqr.solve)", seconds, err(x)))
    rows.append(Row(case, "scipy gelsd (densified, reference)", t_gelsd, 0.0))
    progress.done()
    return rows


def run(args) -> list[Row]:
    rows = []
    sparse_sizes = parse_sizes(args.sparse_sizes) if args.sparse_sizes else \
        (SPARSE_QUICK if args.quick else SPARSE_FULL)
    for n, d in sparse_sizes:
        rows += run_sparse(n, d, args.tol, args.repeat)
    if args.matrices == "sparse":
        return rows
    sizes = parse_sizes(args.sizes) if args.sizes else (QUICK_SIZES if args.quick else FULL_SIZES)
    for n, d in sizes:
        for family in args.matrices.split(","):
            progress = step(f"lstsq {n}x{d} {family}")
            A, b, x_true = make_problem(n, d, family, np.random.default_rng(0))
            Af = np.asfortranarray(A)  # LAPACK peers get their preferred layout for free
            Ac = np.ascontiguousarray(A)
            del A
            pass_seconds = best_time(lambda: Af.T @ b, repeat=5)[0]  # one read of A
            solvers = {
                "fastls precondition (F order)": lambda: fastls.lstsq(
                    Af, b, method="precondition", tol=args.tol, random_state=0),
                "fastls precondition (C order)": lambda: fastls.lstsq(
                    Ac, b, method="precondition", tol=args.tol, random_state=0),
                "fastls qr": lambda: fastls.lstsq(Af, b, method="qr"),
                "numpy.linalg.lstsq": lambda: np.linalg.lstsq(Ac, b, rcond=None)[0],
                "scipy gelsd": lambda: scipy.linalg.lstsq(Af, b, lapack_driver="gelsd",
                                                          check_finite=False)[0],
                "scipy gelsy": lambda: scipy.linalg.lstsq(Af, b, lapack_driver="gelsy",
                                                          check_finite=False)[0],
                "LAPACK dgels": lambda: _dgels(Af, b),
                "scipy lsqr (no precond.)": lambda: _lsqr(Ac, b),
            }
            case = f"{n}x{d} {family}"
            for i, (name, fn) in enumerate(solvers.items()):
                seconds, out = best_time(fn, repeat=args.repeat)
                x = getattr(out, "x", out)
                label = f"{name} (nit={out.nit}, {out.sketch}, m={out.sketch_rows})" \
                    if getattr(out, "nit", 0) else name
                err = np.linalg.norm(x - x_true) / np.linalg.norm(x_true)
                rows.append(Row(case, label, seconds, err, baseline=(i == 0),
                                extra={"passes of A": seconds / pass_seconds}))
            progress.done()
            del Af, Ac
    return rows
