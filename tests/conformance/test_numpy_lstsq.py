"""numpy's own lstsq tests, run against ``fastls.lstsq(method="qr")``.

The test classes are imported from the installed numpy at test time (never
copied); a numpy-shaped adapter stands in for ``numpy.linalg.lstsq`` inside
numpy's test module, so numpy's cases, fixtures and assertions run unchanged.
"""
import types

import numpy as np
import pytest

import fastls

tl = pytest.importorskip("numpy.linalg.tests.test_linalg")


def lstsq_like_numpy(a, b, rcond=None):
    """numpy.linalg.lstsq's contract on top of fastls.lstsq: (x, residuals, rank, s)."""
    res = fastls.lstsq(a, b, method="qr", rcond=rcond)
    n, d = np.shape(a)
    real = np.float32 if res.x.dtype in (np.float32, np.complex64) else np.float64
    if res.rank == d and n > d:  # numpy reports squared residuals only for full-rank tall A
        residuals = np.atleast_1d(np.square(res.residual_norm)).astype(real)
    else:
        residuals = np.empty(0, dtype=real)
    wrap = getattr(b, "__array_wrap__", None) if isinstance(b, np.ndarray) else None
    x = wrap(res.x) if wrap is not None else res.x
    residuals = wrap(residuals) if wrap is not None else residuals
    return x, residuals, res.rank, res.singular_values


@pytest.fixture(autouse=True)
def fastls_as_numpy_lstsq(monkeypatch):
    linalg = types.SimpleNamespace(**{k: getattr(np.linalg, k) for k in dir(np.linalg)
                                      if not k.startswith("__")})
    linalg.lstsq = lstsq_like_numpy
    monkeypatch.setattr(tl, "linalg", linalg)


class TestLstsq(tl.TestLstsq):
    """Every case of numpy's TestLstsq (square, non-square, empty, strided,
    real and complex, single and double, rcond, empty a/b, incompatible dims)."""


tm = pytest.importorskip("numpy.matrixlib.tests.test_matrix_linalg")


class TestLstsqMatrix(tm.TestLstsqMatrix):
    """numpy's lstsq cases on np.matrix inputs: x and residuals keep b's subclass."""
