"""Problem classes of :mod:`fastls.bcd` and their conversion for the native core.

Each problem validates its data once, keeps it in the layout the kernels read
without copying (dense: F-contiguous float64; sparse: CSC with int64 indices)
and can evaluate its own objective in NumPy (an independent check of the
native state).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import scipy.sparse as sp
from scipy.special import logsumexp

from fastls import _core
from fastls._validation import as_array, check_int, check_real

__all__ = [
    "LeastSquares", "Logistic", "Softmax", "LabelPropagation", "Lasso", "L1Logistic",
]


def _design(A, name="A"):
    """Dense -> F-contiguous float64 (one copy if C order); sparse -> canonical CSC."""
    if sp.issparse(A):
        # a float64 CSC input is kept as it is: a new wrapper would forget scipy's
        # cached canonical-format flag and rescan every index at each call
        if not (A.format == "csc" and A.dtype == np.float64):
            A = sp.csc_matrix(A, dtype=np.float64, copy=False)
        if A.shape[0] == 0 or A.shape[1] == 0:
            raise ValueError(f"{name} must not be empty, got shape {A.shape}")
        if not A.has_canonical_format:
            A = A.copy()
            A.sum_duplicates()
        # min and max carry any NaN or Inf, without isfinite's temporary array
        if A.nnz and not (np.isfinite(A.data.min()) and np.isfinite(A.data.max())):
            raise ValueError(f"{name} must be finite, but contains NaN or Inf")
        return A
    return np.asfortranarray(as_array(A, name, ndim=2))


def _native(A):
    """What the binding takes: the F-ordered array, or a CSC tuple with int64 indices."""
    if sp.issparse(A):
        return (np.ascontiguousarray(A.data), A.indices.astype(np.int64),
                A.indptr.astype(np.int64), A.shape[0], A.shape[1])
    return A


def _target(v, name, m):
    v = as_array(v, name, ndim=1)
    if v.shape[0] != m:
        raise ValueError(f"{name} must have one entry per row of A ({m}), got {v.shape[0]}")
    return np.ascontiguousarray(v)


def _binary_labels(y, m):
    y = _target(y, "y", m)
    values = set(np.unique(y).tolist())
    if not values <= {-1.0, 1.0} and not values <= {0.0, 1.0}:
        raise ValueError(f"y must hold binary labels in {{-1, 1}} or {{0, 1}}, got values {sorted(values)[:5]}")
    return np.where(y > 0, 1.0, -1.0)


class _Problem:
    l1 = 0.0           # weight of the L1 term in the native objective
    scale = 1.0        # least squares: f = scale/2 ||A x - b||^2

    @property
    def n_variables(self) -> int:
        return self.A.shape[1]

    def _run(self, options):
        """The native BCD loop on this problem (a ``_core.bcd.Outcome``)."""
        raise NotImplementedError

    def lipschitz(self) -> np.ndarray:
        """Coordinate-wise Lipschitz constants L_i (used by the fixed partitions)."""
        A = self.A
        sq = np.asarray(A.multiply(A).sum(axis=0)).ravel() if sp.issparse(A) else (A * A).sum(axis=0)
        return self._curvature * sq


class LeastSquares(_Problem):
    """Least squares f(x) = 1/2 ||A x - b||^2 (A dense or scipy.sparse; CSC is read without copying).

    Parameters
    ----------
    A : (m, n) array_like or scipy.sparse matrix
        Dense A is kept F-contiguous float64 (one copy if C order); sparse A
        as canonical CSC.
    b : (m,) array_like

    Raises
    ------
    ValueError
        When b does not have one entry per row of A, or A is empty or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> problem = bcd.LeastSquares(A, b)
    >>> problem.n_variables
    20
    >>> res = bcd.minimize(problem, maxiter=2000, tol=1e-10)
    >>> res.status, np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-6)
    (<BCDStatus.CONVERGED: 0>, True)
    """

    _curvature = 1.0

    def __init__(self, A: ArrayLike, b: ArrayLike):
        self.A = _design(A)
        self.b = _target(b, "b", self.A.shape[0])

    def objective(self, x):
        return 0.5 * self.scale * float(np.sum((self.A @ x - self.b) ** 2)) + self.l1 * float(np.abs(x).sum())

    def _run(self, options):
        return _core.bcd.least_squares(_native(self.A), self.b, self.scale, options)


class Lasso(LeastSquares):
    """Lasso F(x) = 1/(2m) ||A x - b||^2 + alpha ||x||_1 (scikit-learn's Lasso objective).

    Parameters
    ----------
    A : (m, n) array_like or scipy.sparse matrix
    b : (m,) array_like
    alpha : float > 0
        Weight of the L1 term.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> problem = bcd.Lasso(A, b, alpha=0.1)
    >>> res = bcd.minimize(problem, rule="gs-q", maxiter=2000)
    >>> res.status, round(res.fun, 4), int(np.count_nonzero(res.x))
    (<BCDStatus.CONVERGED: 0>, 0.3178, 8)
    >>> round(problem.objective(res.x), 4)
    0.3178
    """

    def __init__(self, A: ArrayLike, b: ArrayLike, alpha: float):
        super().__init__(A, b)
        self.alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
        self.scale = 1.0 / self.A.shape[0]
        self.l1 = self.alpha
        self._curvature = self.scale


class Logistic(_Problem):
    """Logistic regression f(x) = sum_j log(1 + exp(-y_j a_j^T x)) + l2/2 ||x||^2.

    Parameters
    ----------
    A : (m, n) array_like or scipy.sparse matrix
    y : (m,) array_like
        Binary labels in {-1, 1} (or {0, 1}).
    l2 : float >= 0
        Weight of the ridge term.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 20))
    >>> y = np.where(A @ rng.standard_normal(20) > 0, 1, -1)
    >>> problem = bcd.Logistic(A, y, l2=1.0)
    >>> res = bcd.minimize(problem, maxiter=500)
    >>> res.status, bool(np.isclose(res.fun, problem.objective(res.x)))
    (<BCDStatus.CONVERGED: 0>, True)
    """

    _curvature = 0.25

    def __init__(self, A: ArrayLike, y: ArrayLike, *, l2: float = 0.0):
        self.A = _design(A)
        self.y = _binary_labels(y, self.A.shape[0])
        self.l2 = check_real(l2, "l2", low=0.0)

    def _run(self, options):
        return _core.bcd.logistic(_native(self.A), self.y, self.l2, options)

    def objective(self, x):
        z = self.A @ x
        return (float(np.logaddexp(0.0, -self.y * z).sum()) + 0.5 * self.l2 * float(x @ x)
                + self.l1 * float(np.abs(x).sum()))


class L1Logistic(Logistic):
    """L1-regularised logistic regression F(x) = sum_j log(1 + exp(-y_j a_j^T x)) + alpha ||x||_1.

    The objective of scikit-learn's ``LogisticRegression(penalty="l1", C=1/alpha)``
    without intercept.

    Parameters
    ----------
    A : (m, n) array_like or scipy.sparse matrix
    y : (m,) array_like
        Binary labels in {-1, 1} (or {0, 1}).
    alpha : float > 0
        Weight of the L1 term.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 20))
    >>> y = np.where(A @ rng.standard_normal(20) > 0, 1, -1)
    >>> res = bcd.minimize(bcd.L1Logistic(A, y, alpha=1.0), rule="gsl-r", maxiter=500)
    >>> res.status, bool(np.count_nonzero(res.x) < 20)
    (<BCDStatus.CONVERGED: 0>, True)
    """

    def __init__(self, A: ArrayLike, y: ArrayLike, alpha: float):
        super().__init__(A, y)
        self.alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
        self.l1 = self.alpha


class Softmax(_Problem):
    """Multinomial logistic regression f(X) = sum_j [logsumexp(a_j^T X) - a_j^T X[:, y_j]] + l2/2 ||X||^2.

    X has shape (p, n_classes); the solver's x is X flattened row by row
    (variable i * n_classes + c), and ``result.x`` comes back as X.

    Parameters
    ----------
    A : (m, p) array_like or scipy.sparse matrix
    y : (m,) array_like
        Integer class labels in [0, n_classes).
    n_classes : int >= 2
    l2 : float >= 0
        Weight of the ridge term.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import bcd
    >>> rng = np.random.default_rng(0)
    >>> A, y = rng.standard_normal((60, 4)), rng.integers(0, 3, 60)
    >>> problem = bcd.Softmax(A, y, 3, l2=1.0)
    >>> problem.n_variables
    12
    >>> res = bcd.minimize(problem, maxiter=1000, tol=1e-6)
    >>> res.status, res.x.shape
    (<BCDStatus.CONVERGED: 0>, (4, 3))
    """

    def __init__(self, A: ArrayLike, y: ArrayLike, n_classes: int, *, l2: float = 0.0):
        self.A = _design(A)
        self.n_classes = check_int(n_classes, "n_classes", low=2)
        y = as_array(y, "y", ndim=1, dtype=(np.int64, np.float64))
        if y.shape[0] != self.A.shape[0]:
            raise ValueError(f"y must have one entry per row of A ({self.A.shape[0]}), got {y.shape[0]}")
        if not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(f"y must hold integer class labels in [0, {self.n_classes}), "
                             f"got values in [{y.min()}, {y.max()}]")
        self.y = y.astype(np.int32)
        self.l2 = check_real(l2, "l2", low=0.0)

    @property
    def n_variables(self) -> int:
        return self.A.shape[1] * self.n_classes

    def lipschitz(self):
        A = self.A
        sq = np.asarray(A.multiply(A).sum(axis=0)).ravel() if sp.issparse(A) else (A * A).sum(axis=0)
        return np.repeat(0.25 * sq + self.l2, self.n_classes)

    def _run(self, options):
        return _core.bcd.softmax(_native(self.A), self.y, self.n_classes, self.l2, options)

    def objective(self, x):
        X = np.asarray(x).reshape(self.A.shape[1], self.n_classes)
        Z = np.asarray(self.A @ X)
        return float((logsumexp(Z, axis=1) - Z[np.arange(len(self.y)), self.y]).sum()
                     + 0.5 * self.l2 * np.sum(X * X))


class LabelPropagation(_Problem):
    """Label propagation on a graph: f(x) = 1/2 x^T M x - c^T x over the unlabelled nodes.

    M = (D - W)[U, U] and c = W[U, L] y_L, so that x minimises
    1/2 sum_ij w_ij (x_i - x_j)^2 with x_L = y_L fixed.

    Parameters
    ----------
    W : (n_nodes, n_nodes) scipy.sparse matrix or array_like
        Symmetric non-negative weights.
    labels : array_like
        The labelled nodes' values, one per labelled node (or one per node,
        read at ``labeled``).
    labeled : array_like of int, or (n_nodes,) bool mask
        Indices (or a boolean mask) of the labelled nodes.
    grid_shape : (rows, cols), optional
        Marks W as a 4-neighbour lattice with node index r * cols + c, which
        enables the checkerboard red-black and two-comb tree partitions.

    Raises
    ------
    ValueError
        When W is not square, symmetric and non-negative, or some unlabelled
        node is not connected to a labelled node.

    Examples
    --------
    A chain of 10 nodes with its ends labelled 0 and 1; message passing
    solves the forest block exactly in one iteration:

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastls import bcd
    >>> W = sp.diags([np.ones(9), np.ones(9)], [-1, 1])
    >>> problem = bcd.LabelPropagation(W, [0.0, 1.0], [0, 9])
    >>> res = bcd.minimize(problem, rule="gs", update="message-passing")
    >>> res.status, res.nit
    (<BCDStatus.CONVERGED: 0>, 1)
    >>> np.round(problem.full(res.x), 3)
    array([0.   , 0.111, 0.222, 0.333, 0.444, 0.556, 0.667, 0.778, 0.889,
           1.   ])
    """

    def __init__(self, W: ArrayLike, labels: ArrayLike, labeled: ArrayLike, *,
                 grid_shape: tuple[int, int] | None = None):
        W = sp.csc_matrix(W, dtype=np.float64) if sp.issparse(W) else sp.csc_matrix(as_array(W, "W", ndim=2))
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"W must be square, got shape {W.shape}")
        if not np.isfinite(W.data).all():
            raise ValueError("W must be finite, but contains NaN or Inf")
        if (W.data < 0).any():
            raise ValueError("W must have non-negative weights")
        if abs(W - W.T).max() > 1e-12 * max(1.0, abs(W).max()):
            raise ValueError("W must be symmetric")
        n = W.shape[0]
        labeled = np.asarray(labeled)
        if labeled.dtype == bool:
            if labeled.shape != (n,):
                raise ValueError(f"labeled as a mask must have shape ({n},), got {labeled.shape}")
            labeled = np.flatnonzero(labeled)
        labeled = as_array(labeled, "labeled", ndim=1, dtype=(np.int64, np.float64))
        if not np.all(labeled == np.round(labeled)) or labeled.min() < 0 or labeled.max() >= n:
            raise ValueError(f"labeled must hold node indices in [0, {n}), got range "
                             f"[{labeled.min()}, {labeled.max()}]")
        labeled = labeled.astype(np.int64)
        if len(np.unique(labeled)) != len(labeled):
            raise ValueError("labeled must not repeat a node")
        labels = as_array(labels, "labels", ndim=1)
        if labels.shape[0] == n and len(labeled) != n:
            labels = labels[labeled]
        if labels.shape[0] != len(labeled):
            raise ValueError(f"labels must have one value per labelled node ({len(labeled)}) "
                             f"or per node ({n}), got {labels.shape[0]}")
        if len(labeled) == n:
            raise ValueError("labeled covers every node: nothing to propagate")
        mask = np.zeros(n, bool)
        mask[labeled] = True
        self.unlabeled = np.flatnonzero(~mask)
        self.labeled, self.labels, self.W = labeled, labels, W
        W = W.tocsr()
        WUU = W[self.unlabeled][:, self.unlabeled]
        deg = np.asarray(W.sum(axis=1)).ravel()[self.unlabeled]
        M = (sp.diags(deg) - WUU).tocsc()
        M.sort_indices()
        self.M = M
        self.c = np.asarray(W[self.unlabeled][:, labeled] @ labels).ravel()
        # M is positive definite iff every unlabelled component touches a labelled node.
        ncomp, comp = sp.csgraph.connected_components(WUU, directed=False)
        touched = np.zeros(ncomp, bool)
        touched[comp[np.asarray(W[self.unlabeled][:, labeled].sum(axis=1)).ravel() > 0]] = True
        if not touched.all():
            raise ValueError("every unlabelled node must be connected to a labelled node through W")
        if grid_shape is not None:
            grid_shape = tuple(check_int(v, "grid_shape", low=1) for v in grid_shape)
            if len(grid_shape) != 2 or grid_shape[0] * grid_shape[1] != n:
                raise ValueError(f"grid_shape must be (rows, cols) with rows * cols = {n}")
        self.grid_shape = grid_shape

    A = property(lambda self: self.M)

    def lipschitz(self):
        return self.M.diagonal()

    def _run(self, options):
        return _core.bcd.quadratic(_native(self.M), self.c, options)

    def objective(self, x):
        return float(0.5 * x @ (self.M @ x) - self.c @ x)

    def full(self, x):
        """Node values: x on the unlabelled nodes, the labels on the labelled ones."""
        out = np.empty(self.W.shape[0])
        out[self.unlabeled] = x
        out[self.labeled] = self.labels
        return out

    def _grid_blocks(self, which):
        rows, cols = self.grid_shape
        r, c = np.divmod(np.arange(rows * cols), cols)
        if which == "red-black":
            node_blocks = [np.flatnonzero((r + c) % 2 == k) for k in (0, 1)]
        else:  # two combs: a full boundary row plus every other column (note 4.6)
            first = (r == 0) | ((c % 2 == 0) & (r < rows - 1))
            node_blocks = [np.flatnonzero(first), np.flatnonzero(~first)]
        position = np.full(rows * cols, -1)
        position[self.unlabeled] = np.arange(len(self.unlabeled))
        return [position[b][position[b] >= 0] for b in node_blocks]
