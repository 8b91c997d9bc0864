"""Shared fixtures and helpers for the test suite."""
import numpy as np
import pytest

import fastls


def svd_matrix(m, n, cond, rng, rank=None):
    """m x n matrix with singular values spaced log-uniformly from 1 to 1/cond.

    With ``rank`` < min(m, n), the trailing singular values are exactly zero.
    """
    p = min(m, n)
    U, _ = np.linalg.qr(rng.standard_normal((m, p)))
    V, _ = np.linalg.qr(rng.standard_normal((n, p)))
    s = np.logspace(0, -np.log10(cond), p)
    if rank is not None:
        s[rank:] = 0.0
    return (U * s) @ V.T


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def pytest_collection_modifyitems(config, items):
    if fastls.cuda_status()["available"]:
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
