"""Sketching and sketched least squares on a Dask cluster: ``fastls.distributed``.

Requires the optional extra ``fastls[dask]`` (``dask[array,distributed]``).
Works with whatever Dask scheduler is active: the default local threads, an
embedded ``distributed.LocalCluster``, or a real cluster after
``distributed.Client("tcp://scheduler:8786")``. A is a ``dask.array`` chunked
along its rows (column chunks are merged); every chunk is processed on the
worker that holds it, and only small vectors and m x d partial sketches travel.

``sketch(A, m, kind=..., random_state=...)``: each row chunk is sketched by the native kernel
with its counter-based randomness indexed by *global* row (``row_offset``), and
the partial sketches are summed in a tree. For "gaussian", "rademacher",
"countsketch" and "sjlt" the result equals ``fastls.sketch`` of the same matrix
in memory with the same seed, to rounding, for any chunking. "srht" mixes all
rows, so here it is the *block SRHT* S = [S_1 | ... | S_B]: chunk i gets its own
m x n_i SRHT S_i (own Rademacher signs, own Hadamard transform, own row
sample, keyed by (seed, global first row of the chunk)). Each S_i has
E[S_i^T S_i] = I and the blocks are independent with E[S_i] = 0, so
E[S^T S] = I exactly and ||S x||^2 is an unbiased estimate of ||x||^2 for every
x. Unlike the other kinds, the block SRHT depends on where the chunk
boundaries lie (same chunking and seed: same S).

``lstsq(A, b)``: sketch-and-precondition. [A b] is sketched once (one pass),
S A = Q R is factorized on the client, x0 = R^{-1} Q^T S b, then LSQR runs on
min ||A R^{-1} y - (b - A x0)|| (fastls's one LSQR, in C++, calling back for the
long vectors). A R^{-1} is never formed: each iteration is one map/reduce pass
over the chunks that sends R^{-1} v (d floats) to every chunk and returns
||u_i||^2 and A_i^T u_i (d + 1 floats); the Lanczos vector u stays on the
workers, chunk by chunk.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from fastls import _core
from fastls._errors import ConvergenceWarning, LinAlgError
from fastls._result import Result
from fastls.linalg._lstsq import _MESSAGES as _LSTSQ_MESSAGES
from fastls.linalg._lstsq import _CONVERGED, LstsqStatus, normal_residual_from_norms, optimality_limit
from fastls._validation import as_array, check_int, check_option, check_real, native_seed
from fastls.sketching._sketch import KINDS, _nnz, make_spec, native

__all__ = ["sketch", "lstsq", "DistributedLstsqResult", "LstsqStatus"]


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fastls.distributed needs Dask: pip install 'fastls[dask]'") from exc
    return dask, da


# --------------------------------------------------------------------------- chunks
# Module-level functions: they run on the workers and must pickle by reference.

def _block_srht_seed(seed: int, row_offset: int) -> int:
    """Key of the SRHT of the chunk starting at global row ``row_offset``."""
    words = [seed & 0xFFFFFFFF, seed >> 32, row_offset & 0xFFFFFFFF, row_offset >> 32]
    lo, hi = np.random.SeedSequence(words).generate_state(2, np.uint32)
    return int(lo) | (int(hi) << 32)


def _sketch_chunk(A, b, kind: str, m: int, seed: int, nnz: int, row_offset: int):
    """(S_chunk A_chunk, S_chunk b_chunk) as one m x (d + k) array."""
    A = as_array(A, "A", ndim=2)
    B = np.empty((A.shape[0], 0), order="F") if b is None else \
        np.asfortranarray(as_array(b, "b", ndim=1).reshape(-1, 1))
    if kind == "srht":
        pad = m - A.shape[0]
        if pad > 0:  # the block needs at least m rows to sample from; zero rows add nothing
            A = np.vstack([A, np.zeros((pad, A.shape[1]))])
            B = np.asfortranarray(np.vstack([B, np.zeros((pad, B.shape[1]))]))
        SA, SB = _core.sketch.apply(A, B, make_spec(kind, m, _block_srht_seed(seed, row_offset), nnz))
    else:
        SA, SB = _core.sketch.apply(A, B, make_spec(kind, m, seed, nnz, row_offset))
    return np.hstack([SA, SB])


def _add(*parts):
    out = parts[0].copy()
    for p in parts[1:]:
        out += p
    return out


def _tree_sum(parts, split_every: int):
    """Sum delayed arrays in a tree of fan-in ``split_every`` (one small result)."""
    from dask import delayed

    while len(parts) > 1:
        parts = [delayed(_add)(*parts[i:i + split_every]) if len(parts[i:i + split_every]) > 1
                 else parts[i] for i in range(0, len(parts), split_every)]
    return parts[0]


def _lsqr_pass(A, vhat, c: float, w_prev):
    """One Golub-Kahan half-step on a chunk: w = A vhat + c w_prev (w stays on the worker);
    returns w and [||w||^2, A^T w] (the only numbers that travel back)."""
    w = A @ vhat + c * w_prev
    return w, np.concatenate([[w @ w], A.T @ w])


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


# --------------------------------------------------------------------------- inputs

def _row_chunked(A, name: str, ndim=(2,)):
    _, da = _dask()
    if not isinstance(A, da.Array):
        A = da.asarray(A)
    if A.ndim not in ndim:
        raise ValueError(f"{name} must be a {' or '.join(f'{k}-D' for k in ndim)} array, "
                         f"got {A.ndim}-D with shape {A.shape}")
    if any(math.isnan(s) for s in A.shape):
        raise ValueError(f"{name} must have known chunk sizes (call {name}.compute_chunk_sizes())")
    if A.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {A.shape}")
    if A.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be real, got dtype {A.dtype}")
    if A.ndim == 2 and len(A.chunks[1]) > 1:
        A = A.rechunk({1: -1})
    return A


def _offsets(chunks):
    return np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)


def _sketch_parts(A, b, kind, m, seed, nnz, split_every):
    from dask import delayed

    blocks = A.to_delayed().ravel()
    bblocks = [None] * len(blocks) if b is None else list(b.to_delayed().ravel())
    offsets = _offsets(A.chunks[0])
    parts = [delayed(_sketch_chunk)(blk, bb, kind, m, seed, nnz, int(r0))
             for blk, bb, r0 in zip(blocks, bblocks, offsets[:-1])]
    return _tree_sum(parts, split_every)


def sketch(A: ArrayLike, sketch_rows: int, *, kind: str = "gaussian",
           random_state: int | np.random.Generator | None = None,
           nnz_per_column: int | None = None, split_every: int = 8) -> np.ndarray:
    """S A for a row-chunked dask array A, computed where the chunks live.

    Parameters
    ----------
    A : (n,) or (n, d) dask.array (array_like is wrapped with ``dask.array.asarray``)
        Chunked along rows; ragged chunks are fine; column chunks are merged.
    sketch_rows : int
        m, 1 <= m <= n.
    kind : {"gaussian", "rademacher", "countsketch", "sjlt", "srht"}
        "srht" is the block SRHT of the module docstring; the others equal
        ``fastls.sketch(A.compute(), m, kind=kind, random_state=random_state)``
        to rounding.
    random_state : None, int or numpy.random.Generator
        An int is the Philox key (as in ``fastls.sketch``).
    split_every : int
        Fan-in of the tree that sums the per-chunk m x d partial sketches.

    nnz_per_column : int, optional
        Nonzeros per column for "sjlt" (default 8).

    Returns
    -------
    (m,) or (m, d) numpy.ndarray

    Examples
    --------
    Any active Dask scheduler works (here the default local threads):

    >>> import numpy as np
    >>> import dask.array as da
    >>> import fastls
    >>> from fastls import distributed
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((400, 5))
    >>> SA = distributed.sketch(da.from_array(A, chunks=(100, 5)), 20, kind="gaussian",
    ...                         random_state=0)
    >>> SA.shape, np.allclose(SA, fastls.sketch(A, 20, kind="gaussian", random_state=0))
    ((20, 5), True)
    """
    dask, _ = _dask()
    kind = check_option(kind, "kind", KINDS)
    A = _row_chunked(A, "A", ndim=(1, 2))
    vector = A.ndim == 1
    if vector:
        A = A[:, None]
    m = check_int(sketch_rows, "sketch_rows", low=1, high=A.shape[0])
    nnz = _nnz(kind, nnz_per_column, m)
    split_every = check_int(split_every, "split_every", low=2)
    SA = _sketch_parts(A, None, kind, m, native_seed(random_state), nnz, split_every).compute()
    return SA[:, 0] if vector else SA


# --------------------------------------------------------------------------- lstsq

# The status enum is fastls.LstsqStatus (one enum per concept): the same stop
# reads the same here and in fastls.lstsq (scipy's lsqr istop codes).
_MESSAGES = {
    **_LSTSQ_MESSAGES,
    LstsqStatus.SOLVED: "the initial sketch-and-solve estimate is exact",
}


@dataclass(frozen=True, kw_only=True, repr=False)
class DistributedLstsqResult(Result):
    """Result of :func:`lstsq`.

    sketch_rows / sketch: the sketch used; r_diag: |diag R| of the sketched QR
    (its spread estimates cond(A)); residual_norm: ||b - A x|| (one extra pass);
    normal_residual: :func:`fastls.linalg.normal_residual` of x, checked before return;
    status: :class:`fastls.LstsqStatus` (SOLVED when the sketch-and-solve start is
    exact, else LSQR's stop read as :func:`fastls.lstsq` reads it).
    """

    sketch_rows: int
    sketch: str
    r_diag: np.ndarray
    normal_residual: float


def lstsq(A: ArrayLike, b: ArrayLike, *, method: str = "precondition", sketch: str = "sjlt",
          sketch_rows: int | None = None, tol: float = 1e-14, maxiter: int | None = None,
          refine: int = 1, random_state: int | np.random.Generator | None = None, split_every: int = 8,
          persist: bool = True) -> DistributedLstsqResult:
    """argmin_x ||b - A x||_2 for a tall row-chunked dask array A, by sketch-and-precondition.

    The answer is checked against A before it is returned: a sketch that lost
    rank A has is doubled (Dask's TSQR solves where it cannot grow); an LSQR
    answer whose normal-equation residual exceeds
    :func:`fastls.linalg.optimality_limit` is replaced by the TSQR solve (the
    message says so).

    Parameters
    ----------
    A : (n, d) dask.array, n >= d, full column rank
    b : (n,) dask.array (rechunked to A's row chunks) or array_like
    method : "precondition"
        The only method: a distributed sketch, R from the QR of S A on the
        client, LSQR on A R^{-1} with one map/reduce pass per iteration.
    sketch : kind of :func:`sketch`
        Default "sjlt": O(nnz) per entry of A, so a large sketch is cheap, and a
        large sketch makes A R^{-1} better conditioned and LSQR shorter (fewer
        passes over A, which dominate). "gaussian" costs 2 m n d flops.
    sketch_rows : int, optional
        Default 20 d for "sjlt"/"countsketch" (cond(A R^{-1}) ~ 1.6, ~20 passes
        a sweep), max(4 d, d + 50) for the dense kinds; capped at n.
    tol : float
        LSQR's atol = btol (SciPy's lsqr stopping rules, as :func:`fastls.lstsq`):
        stop when ||(A R^{-1})^T r|| <= tol ||A R^{-1}|| ||r||
        or ||r|| <= tol (||b|| + ||A|| ||x||).
    maxiter : int, optional
        Passes in all sweeps together; default 200 (A R^{-1} has condition ~ 3,
        so a sweep takes ~10-30 passes to reach tol 1e-14).
    refine : int
        Extra LSQR sweeps restarted at the current x (sketch-and-precondition
        with iterative refinement, Epperly, Meier & Nakatsukasa 2024: backward
        stable, where a single sweep from the sketch-and-solve x0 can leave
        ||A^T r|| ~10x above LAPACK's on ill-conditioned A). Default 1.
    persist : bool
        Persist A and b on the workers first, so every pass reads them from
        memory instead of recomputing their graph (set False if already persisted).

    random_state : None, int or numpy.random.Generator
        Seeds the sketch.
    split_every : int
        Fan-in of the reduction trees.

    Returns
    -------
    DistributedLstsqResult

    Raises
    ------
    fastls.LinAlgError
        When A is numerically rank deficient (confirmed on A: a null vector
        v of S A has ||A v|| <= eps max(n, d) ||A||).
    ValueError
        When A is wide or b does not match A's rows.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from fastls import distributed
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((400, 5)), rng.standard_normal(400)
    >>> res = distributed.lstsq(da.from_array(A, chunks=(100, 5)), b, random_state=0)
    >>> res.status, res.sketch, res.sketch_rows
    (<LstsqStatus.CONVERGED: 2>, 'sjlt', 100)
    >>> np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0])
    True
    """
    dask, da = _dask()
    check_option(method, "method", ("precondition",))
    kind = check_option(sketch, "sketch", KINDS)
    A = _row_chunked(A, "A")
    n, d = A.shape
    if n < d:
        raise ValueError(f"A must be tall (n >= d), got shape {A.shape}")
    b = _row_chunked(b, "b", ndim=(1,))
    if b.shape[0] != n:
        raise ValueError(f"b must have shape ({n},) like A's rows, got {b.shape}")
    b = b.rechunk((A.chunks[0],))
    default_m = 20 * d if kind in ("sjlt", "countsketch") else max(4 * d, d + 50)
    m = min(n, default_m) if sketch_rows is None else \
        check_int(sketch_rows, "sketch_rows", low=d, high=n)
    tol = check_real(tol, "tol", low=0.0)
    maxiter = 200 if maxiter is None else check_int(maxiter, "maxiter", low=0)
    refine = check_int(refine, "refine", low=0)
    split_every = check_int(split_every, "split_every", low=2)
    if persist:
        A, b = dask.persist(A.astype(np.float64), b.astype(np.float64))
    seed = native_seed(random_state)

    rcond = np.finfo(np.float64).eps * max(n, d)
    fallback = None
    while True:
        SAb = _sketch_parts(A, b, kind, m, seed, _nnz(kind, None, m), split_every).compute()
        Q, R = scipy.linalg.qr(SAb[:, :d], mode="economic")
        _, s, Vt = np.linalg.svd(R)
        if s[-1] > rcond * s[0]:
            break
        # S A is rank deficient: the rank is decided on A, never on S A alone.
        _, stats = _reduce_pass(A, [0.0] * A.numblocks[0], Vt[-1], 0.0, split_every)
        if math.sqrt(stats[0]) <= rcond * s[0]:
            raise LinAlgError(f"A is numerically rank deficient (a null vector v of the sketch has "
                              f"||A v|| = {math.sqrt(stats[0]):.1e} <= rcond ||A||); "
                              "fastls.distributed.lstsq needs full column rank")
        if 2 * m > n:
            fallback = "the sketch lost rank that A has"
            break
        m *= 2
    r_diag = np.abs(np.diag(R))
    nit, status = 0, LstsqStatus.SOLVED
    if fallback is None:
        x = scipy.linalg.solve_triangular(R, Q.T @ SAb[:, d])
        b_chunks = list(b.to_delayed().ravel())
        for _ in range(1 + refine):  # each sweep restarts LSQR at x with a freshly computed residual
            u = _ChunkedRange(A, b_chunks, -x, 1.0, split_every)  # u = b - A x
            res = _core.krylov.lsqr(u, R, native(_core.krylov.LsqrOptions, atol=tol, btol=tol,
                                                 maxiter=maxiter - nit))
            x = x + scipy.linalg.solve_triangular(R, res.x)
            nit += res.nit
            status = LstsqStatus(res.istop)
            if status not in (LstsqStatus.CONSISTENT, LstsqStatus.CONVERGED):
                break
        # The answer is checked against A: the final pass also gives A^T r.
        _, stats = _reduce_pass(A, list(b.to_delayed().ravel()), -x, 1.0, split_every)
        eta_x = _checked(stats, x, s[0])
        limit = optimality_limit(tol, n, d)
        if status not in _CONVERGED and eta_x <= limit:
            status = LstsqStatus.CONVERGED  # LSQR's estimates lagged; A itself says optimal
        if status in _CONVERGED and eta_x > limit:
            fallback = (f"the LSQR answer failed the check against A (normal-equation residual "
                        f"{eta_x:.1e} > {limit:.1e})")
    message = _MESSAGES[status]
    if fallback is not None:
        _, da = _dask()
        x = da.linalg.lstsq(A, b)[0].compute()
        _, stats = _reduce_pass(A, list(b.to_delayed().ravel()), -x, 1.0, split_every)
        eta_x = _checked(stats, x, s[0])
        message = f"solved by TSQR (dask.array.linalg.lstsq): {fallback}"
    if status not in _CONVERGED:
        warnings.warn(f"fastls.distributed.lstsq: LSQR reached maxiter={maxiter}"
                      if status == LstsqStatus.MAX_ITER else f"fastls.distributed.lstsq: {message}",
                      ConvergenceWarning, stacklevel=2)
    return DistributedLstsqResult(
        x=x, success=status in _CONVERGED, status=status, message=message,
        nit=nit, residual_norm=math.sqrt(stats[0]), sketch_rows=m, sketch=kind, r_diag=r_diag,
        normal_residual=eta_x)


def _checked(stats, x, norm_A: float) -> float:
    """normal_residual of x from a residual pass's [||r||^2, A^T r]."""
    return float(normal_residual_from_norms(np.linalg.norm(stats[1:]), math.sqrt(stats[0]),
                                            np.linalg.norm(x), norm_A)[0])


def _reduce_pass(A, w_prev, vhat, c, split_every):
    """w_i = A_i vhat + c w_prev_i on every chunk; returns (persisted w, sum of stats)."""
    import dask
    from dask import delayed

    pairs = [delayed(_lsqr_pass, pure=False)(blk, vhat, c, wp)
             for blk, wp in zip(A.to_delayed().ravel(), w_prev)]
    ws = [delayed(_first)(p) for p in pairs]
    total = _tree_sum([delayed(_second)(p) for p in pairs], split_every)
    *ws, total = dask.persist(*ws, total)
    return ws, total.compute()


class _ChunkedRange:
    """LSQR's long vector u = factor * w for _core.krylov.lsqr, w kept chunk by chunk on
    the workers. A product with A is one fused pass (_reduce_pass) that also returns
    ||w||^2 and A^T w, so norm() and apply_t() read what it left: one pass over A per
    LSQR iteration; scale() only updates the factor."""

    def __init__(self, A, w_prev, vhat, c, split_every):
        self.A, self.split_every = A, split_every
        self._pass(w_prev, vhat, c)

    def _pass(self, w_prev, vhat, c):  # w = A vhat + c w_prev
        self.w, stats = _reduce_pass(self.A, w_prev, vhat, c, self.split_every)
        self.sq, self.At, self.factor = stats[0], stats[1:], 1.0

    def norm(self):
        return abs(self.factor) * math.sqrt(self.sq)

    def scale(self, a):
        self.factor *= a

    def apply_update(self, xhat, alpha):  # u = A xhat - alpha u
        self._pass(self.w, xhat, -alpha * self.factor)

    def apply_t(self):
        return self.factor * self.At
