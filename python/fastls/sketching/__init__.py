"""Oblivious sketches and sketched least squares (family 1).

``sketch(A, m, kind=...)`` returns S A for an m x n sketch S with E[S^T S] = I,
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

from fastls.sketching._sketch import (sketch, sketch_matrix, KINDS)

__all__ = ["sketch", "sketch_matrix", "KINDS"]
