"""Oblivious sketches and sketched least squares (family 1).

``sketch(A, m, kind)`` returns S A for an m x n sketch S with E[S^T S] = I,
never storing S: entries come from Philox4x32-10 keyed by the seed and indexed
by (row, column), so the same seed gives the same S with any thread count.

Kinds (see ``shared/papers/linf_sketch.md``):

- ``"gaussian"``: i.i.d. N(0, 1/m). The only kind with the exact Student-t
  coordinate-error law, so its error bars are exact.
- ``"rademacher"``: i.i.d. +-1/sqrt(m).
- ``"srht"``: m^{-1/2} P H D: Rademacher signs, Walsh-Hadamard transform over
  the rows zero-padded to a power of two, m rows sampled without replacement.
  O(n d log n); the fast dense sketch. Behaves like the Gaussian empirically.
- ``"countsketch"``: one +-1 per column. ``"sjlt"``: ``nnz_per_column`` entries
  +-1/sqrt(s) per column in distinct row blocks. Sparse kinds are fast but do
  *not* carry the l-infinity guarantee (coherent inputs break them).
"""
from __future__ import annotations

import numpy as np

from fastls import _core
from fastls._validation import as_array, check_int, check_option, native_seed

__all__ = ["sketch", "sketch_matrix", "KINDS"]

KINDS = ("gaussian", "rademacher", "srht", "countsketch", "sjlt")
DEFAULT_SJLT_NNZ = 8


def _nnz(kind: str, nnz_per_column, sketch_rows: int) -> int:
    if nnz_per_column is None:
        return min(DEFAULT_SJLT_NNZ, sketch_rows) if kind == "sjlt" else 1
    if kind not in ("sjlt", "countsketch"):
        raise ValueError(f"nnz_per_column applies to kind='sjlt' only, not {kind!r}")
    nnz = check_int(nnz_per_column, "nnz_per_column", low=1, high=sketch_rows)
    if kind == "countsketch" and nnz != 1:
        raise ValueError("nnz_per_column must be 1 for kind='countsketch' (use kind='sjlt')")
    return nnz


def check_sketch_rows(sketch_rows, n: int) -> int:
    return check_int(sketch_rows, "sketch_rows", low=1, high=n)


def sketch(A, sketch_rows: int, kind: str = "srht", random_state=None, *,
           nnz_per_column: int | None = None) -> np.ndarray:
    """Return S A for a random m x n sketch S (m = sketch_rows), E[S^T S] = I.

    Parameters
    ----------
    A : (n,) or (n, d) array_like
        Real; computed in float64. C order is fastest for "srht" (rows are
        contiguous for its butterflies); F order is used without a copy too.
    sketch_rows : int
        m, with 1 <= m <= n.
    kind : {"srht", "gaussian", "rademacher", "countsketch", "sjlt"}
    random_state : None, int or numpy.random.Generator
        An int is the Philox key itself: the same int gives the same S in every
        call, process and backend.
    nnz_per_column : int, optional
        Nonzeros per column for "sjlt" (default 8).

    Returns
    -------
    (m,) or (m, d) ndarray
    """
    kind = check_option(kind, "kind", KINDS)
    A = as_array(A, "A", ndim=(1, 2))
    m = check_sketch_rows(sketch_rows, A.shape[0])
    nnz = _nnz(kind, nnz_per_column, m)
    A2 = A.reshape(A.shape[0], -1)
    no_b = np.empty((A.shape[0], 0), order="F")
    SA, _ = _core.sketch.apply(A2, no_b, kind, m, native_seed(random_state), nnz)
    return SA[:, 0] if A.ndim == 1 else SA


def sketch_matrix(n: int, sketch_rows: int, kind: str = "srht", random_state=None, *,
                  nnz_per_column: int | None = None) -> np.ndarray:
    """The explicit m x n matrix S that ``sketch`` applies (O(m n) memory: for tests and teaching).

    ``sketch(A, m, kind, seed)`` equals ``sketch_matrix(n, m, kind, seed) @ A``
    up to rounding.
    """
    kind = check_option(kind, "kind", KINDS)
    n = check_int(n, "n", low=1)
    m = check_sketch_rows(sketch_rows, n)
    if m * n > 2**28:
        raise ValueError(f"sketch_matrix is for small sizes: {m} x {n} entries would need "
                         f"{8 * m * n / 2**30:.1f} GiB; use sketch(A, ...) instead")
    nnz = _nnz(kind, nnz_per_column, m)
    return _core.sketch.explicit_matrix(n, kind, m, native_seed(random_state), nnz)
