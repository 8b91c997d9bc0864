"""The paper's synthetic datasets (note section 6.1), for tests and benchmarks."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# f* of dataset D recorded by the authors and reproduced bit for bit by the note.
DATASET_D_FSTAR = -1045999575.2270696


def dataset_a(m=1000, n=10_000, seed=0):
    """Least squares with Lipschitz constants spread over orders of magnitude.

    X = N(0,1) + 1, column j scaled by 10 N(0,1), entries kept with probability
    10 ln(m)/m; w = N(0,1) * Bernoulli(0.1); y = X w + N(0,1). Returns (X, y).
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)) + 1.0
    X *= 10.0 * rng.standard_normal(n)
    X *= rng.random((m, n)) < 10.0 * np.log(m) / m
    w = rng.standard_normal(n) * (rng.random(n) < 0.1)
    y = X @ w + rng.standard_normal(m)
    return np.asfortranarray(X), y


def lattice(rows, cols, weight=1.0):
    """Symmetric 4-neighbour lattice weights, node index r * cols + c."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    i = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    j = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    W = sp.coo_matrix((np.full(len(i), weight), (i, j)), shape=(rows * cols,) * 2)
    return (W + W.T).tocsc()


def dataset_d():
    """Label propagation on the 50 x 50 lattice (weights 1e5, 100 labels 10 N(0,1)).

    Uses NumPy's legacy seed(1) stream through a private RandomState (never the
    global one), exactly as the authors' generator draws it.
    """
    from fastls.bcd import LabelPropagation
    rs = np.random.RandomState(1)
    labeled = rs.choice(2500, 100, replace=False)
    labels = 10.0 * rs.randn(100)
    return LabelPropagation(lattice(50, 50, 1e5), labels, labeled, grid_shape=(50, 50))
