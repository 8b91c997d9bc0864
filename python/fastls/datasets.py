"""Reference problems and data generators of the notes fastls implements.

The synthetic data that the tests and the benchmarks (``fastls-bench``) draw:
the Kronecker-sparse signals of the SBL note, the self-calibration models of
the selfcal note and the greedy-BCD datasets A and D. Every generator that
draws at random takes ``random_state`` (None, an int or a
``numpy.random.Generator``; never NumPy's global generator), so a seed gives
the same data in a test, a benchmark and a user's script. The federated
reference set-up is :func:`fastls.federated.reference_problem`.
"""
from __future__ import annotations

from functools import reduce

import numpy as np

from fastls._validation import check_random_state

__all__ = [
    "complex_normal",
    "kron_sparse_problem",
    "selfcal_problem",
    "bcd_dataset_a",
    "bcd_dataset_d",
    "lattice",
    "BCD_DATASET_D_FSTAR",
]

#: f* of BCD dataset D recorded by the authors and reproduced bit for bit by the note.
BCD_DATASET_D_FSTAR = -1045999575.2270696

def complex_normal(shape, *, random_state=None):
    """I.i.d. circularly-symmetric complex normal CN(0, 1) entries.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the output.
    random_state : None, int or numpy.random.Generator, optional
        Source of randomness; the real parts are drawn before the imaginary parts.

    Returns
    -------
    z : ndarray of complex128
        ``(N(0,1) + 1j N(0,1)) / sqrt(2)`` of the given shape (``E|z|^2 = 1``).

    Examples
    --------
    >>> from fastls.datasets import complex_normal
    >>> z = complex_normal((2, 3), random_state=0)
    >>> z.shape, z.dtype
    ((2, 3), dtype('complex128'))
    """
    rng = check_random_state(random_state)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def kron_sparse_problem(shapes, snr_db, *, k=3, random_state=None):
    """A Kronecker-sparse recovery problem ``y = (H_1 ⊗ ... ⊗ H_I) x + noise`` (SBL note §5.1).

    Each factor ``H_i`` (``m_i x n_i``) has i.i.d. N(0, 1) entries; ``x`` is the
    Kronecker product of one ``k``-sparse vector per mode (N(0, 1) values at a
    uniformly drawn support), so it has ``k**I`` nonzeros; the noise is white
    Gaussian with variance ``mean(y0**2) / 10**(snr_db / 10)``.

    Parameters
    ----------
    shapes : sequence of (int, int)
        ``(m_i, n_i)`` of each factor.
    snr_db : float
        Signal-to-noise ratio in dB of the noiseless measurements ``y0``.
    k : int, optional
        Nonzeros per mode (default 3).
    random_state : None, int or numpy.random.Generator, optional
        Source of randomness. The draws are, in order: the factors, then per mode
        the support and its values, then the noise.

    Returns
    -------
    factors : list of ndarray
        The factors ``H_i``.
    x : ndarray
        The true sparse signal, length ``prod(n_i)``.
    y : ndarray
        The noisy measurements, length ``prod(m_i)``.
    noise_var : float
        The noise variance sigma^2.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls.datasets import kron_sparse_problem
    >>> H, x, y, noise_var = kron_sparse_problem([(8, 15), (12, 15)], 20, random_state=0)
    >>> [h.shape for h in H], x.shape, y.shape
    ([(8, 15), (12, 15)], (225,), (96,))
    >>> int(np.count_nonzero(x))
    9
    """
    from fastls.sbl import kron_matvec

    rng = check_random_state(random_state)
    H = [rng.standard_normal(s) for s in shapes]
    parts = []
    for _, n in shapes:
        v = np.zeros(n)
        v[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
        parts.append(v)
    x = reduce(np.kron, parts)
    y0 = kron_matvec(H, x)
    noise_var = float(np.mean(y0 ** 2) / 10 ** (snr_db / 10))
    return H, x, y0 + np.sqrt(noise_var) * rng.standard_normal(y0.size), noise_var


def selfcal_problem(model, *, m, n, p, snr_db=None, subspace=None, random_state=None):
    """A self-calibration problem ``y_l = diag(d) A_l x_l`` of the selfcal note (section 3.3).

    CN(0, 1) matrices ``A`` and signals ``x``; gains ``|d_i| ~ U[0.5, 1.5]`` with
    uniform phases; optional complex white noise of standard deviation
    ``rms(y0) 10**(-snr_db / 20)``. With ``subspace=K`` the inverse gains lie in
    a known subspace, ``s = 1/d = B h`` with a CN(0, 1) basis ``B`` (m x K).

    Parameters
    ----------
    model : {"shared-signal", "multi-signal", "shared-matrix"}
        M1: one ``x`` and ``p`` matrices ``A_l``; M2: ``p`` pairs ``(A_l, x_l)``;
        M3: one ``A`` and ``p`` signals ``x_l``.
    m, n, p : int
        Sensors, signal length and snapshots.
    snr_db : float, optional
        Noise level; None (default) gives noiseless data.
    subspace : int, optional
        Dimension K of the gain subspace; None (default) for unknown gains.
    random_state : None, int or numpy.random.Generator, optional
        Source of randomness.

    Returns
    -------
    problem : dict
        ``y`` (p x m), ``A`` ((p, m, n), or (m, n) for shared-matrix), ``d``,
        ``x`` ((n,) for shared-signal, else (p, n)), ``s = 1/d``, ``B`` and ``h``
        (None without ``subspace``) and ``z = (s or h; x)``, the true null vector.

    Examples
    --------
    >>> from fastls.datasets import selfcal_problem
    >>> prob = selfcal_problem("shared-signal", m=32, n=8, p=4, random_state=0)
    >>> prob["y"].shape, prob["A"].shape, prob["x"].shape, prob["z"].shape
    ((4, 32), (4, 32, 8), (8,), (40,))
    """
    from fastls.selfcal._solve import MODELS

    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    rng = check_random_state(random_state)

    def cn(*shape):
        return complex_normal(shape, random_state=rng)

    A = cn(m, n) if model == "shared-matrix" else cn(p, m, n)
    x = cn(n) if model == "shared-signal" else cn(p, n)
    B = h = None
    if subspace:
        B, h = cn(m, subspace), cn(subspace)
        s = B @ h
        d = 1.0 / s
    else:
        d = rng.uniform(0.5, 1.5, m) * np.exp(2j * np.pi * rng.random(m))
        s = 1.0 / d
    if model == "shared-signal":
        y = d * np.einsum("lij,j->li", A, x)
    elif model == "multi-signal":
        y = d * np.einsum("lij,lj->li", A, x)
    else:
        y = d * (x @ A.T)
    if snr_db is not None:
        sigma = np.sqrt(np.mean(np.abs(y) ** 2)) * 10 ** (-snr_db / 20)
        y = y + sigma * cn(*y.shape)
    z = np.concatenate([s if B is None else h, x.ravel()])
    return dict(y=y, A=A, d=d, x=x, s=s, B=B, h=h, z=z)


def bcd_dataset_a(m=1000, n=10_000, *, random_state=None):
    """Greedy-BCD dataset A: least squares with Lipschitz constants over orders of magnitude.

    ``X = N(0,1) + 1``, column j scaled by ``10 N(0,1)``, entries kept with
    probability ``10 ln(m) / m``; ``w = N(0,1) * Bernoulli(0.1)``;
    ``y = X w + N(0,1)`` (BCD note section 6.1; the note's size is the default).

    Parameters
    ----------
    m, n : int, optional
        Rows and columns (default 1000 x 10000).
    random_state : None, int or numpy.random.Generator, optional
        Source of randomness.

    Returns
    -------
    X : ndarray, shape (m, n)
        The design matrix (Fortran order).
    y : ndarray, shape (m,)
        The targets.

    Examples
    --------
    >>> from fastls.datasets import bcd_dataset_a
    >>> X, y = bcd_dataset_a(50, 200, random_state=0)
    >>> X.shape, y.shape, X.flags.f_contiguous
    ((50, 200), (50,), True)
    """
    rng = check_random_state(random_state)
    X = rng.standard_normal((m, n)) + 1.0
    X *= 10.0 * rng.standard_normal(n)
    X *= rng.random((m, n)) < 10.0 * np.log(m) / m
    w = rng.standard_normal(n) * (rng.random(n) < 0.1)
    y = X @ w + rng.standard_normal(m)
    return np.asfortranarray(X), y


def lattice(rows, cols, *, weight=1.0):
    """Symmetric 4-neighbour lattice weights (nothing random).

    Parameters
    ----------
    rows, cols : int
        Lattice size; node ``(r, c)`` has index ``r * cols + c``.
    weight : float, optional
        Weight of every edge (default 1).

    Returns
    -------
    W : scipy.sparse.csc_matrix, shape (rows * cols, rows * cols)
        Symmetric weights, zero diagonal.

    Examples
    --------
    >>> from fastls.datasets import lattice
    >>> W = lattice(2, 3)
    >>> W.shape, W.nnz
    ((6, 6), 14)
    """
    import scipy.sparse as sp

    idx = np.arange(rows * cols).reshape(rows, cols)
    i = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    j = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    W = sp.coo_matrix((np.full(len(i), weight), (i, j)), shape=(rows * cols,) * 2)
    return (W + W.T).tocsc()


def bcd_dataset_d():
    """Greedy-BCD dataset D: label propagation on the 50 x 50 lattice (BCD note section 6.1).

    Edge weights 1e5; 100 nodes labelled ``10 N(0,1)``. The draw is fixed: it
    uses NumPy's legacy ``seed(1)`` stream through a private ``RandomState``
    (never the global one), exactly as the authors' generator draws it, so that
    its optimum is the authors' :data:`BCD_DATASET_D_FSTAR`.

    Returns
    -------
    problem : fastls.bcd.LabelPropagation
        The problem, with ``grid_shape=(50, 50)``.

    Examples
    --------
    >>> from fastls.datasets import bcd_dataset_d
    >>> prob = bcd_dataset_d()
    >>> prob.labeled.size, prob.unlabeled.size
    (100, 2400)
    """
    from fastls.bcd import LabelPropagation

    rs = np.random.RandomState(1)
    labeled = rs.choice(2500, 100, replace=False)
    labels = 10.0 * rs.randn(100)
    return LabelPropagation(lattice(50, 50, weight=1e5), labels, labeled, grid_shape=(50, 50))
