"""SciPy's own lsqr and lsmr tests, run against ``fastls.lstsq(method="precondition")``.

The test modules are imported from the installed SciPy at test time (never
copied); adapters with the signatures and return tuples of
``scipy.sparse.linalg.lsqr`` / ``lsmr`` stand in for them inside SciPy's test
modules. fastls takes dense A: the adapters densify SciPy's sparse matrices and
LinearOperators (the problems are the tests' own, at most 35 x 35).
"""
import numpy as np
import pytest
import scipy.sparse
from scipy.sparse.linalg import LinearOperator

import fastls

t_lsqr = pytest.importorskip("scipy.sparse.linalg._isolve.tests.test_lsqr")
t_lsmr = pytest.importorskip("scipy.sparse.linalg._isolve.tests.test_lsmr")


def _dense(A):
    if scipy.sparse.issparse(A):
        return A.toarray()
    if isinstance(A, LinearOperator):
        return A.matmat(np.eye(A.shape[1], dtype=A.dtype))
    return np.asarray(A)


def _solve(A, b, damp, tol, maxiter, x0):
    """fastls's precondition answer, and what SciPy's return tuples need."""
    A = _dense(A)
    b = np.atleast_1d(np.asarray(b))
    if b.ndim > 1:
        b = b.squeeze()
    rhs = b if x0 is None else b - A @ x0
    res = fastls.lstsq(A, rhs, method="precondition", damp=damp, tol=tol, maxiter=maxiter,
                       random_state=0)
    x = res.x if x0 is None else x0 + res.x
    r = b - A @ x
    if not np.any(b):
        istop = 0           # SciPy: b = 0, so x = 0 is exact
    elif res.status in (fastls.LstsqStatus.SOLVED, fastls.LstsqStatus.CONSISTENT) and \
            np.linalg.norm(r) <= max(tol, 1e-14) * (np.linalg.norm(b) + np.linalg.norm(A, 2) * np.linalg.norm(x)):
        istop = 1           # A x = b
    else:
        istop = {fastls.LstsqStatus.MAX_ITER: 7, fastls.LstsqStatus.ILL_CONDITIONED: 3}.get(res.status, 2)
    s = np.linalg.svd(A, compute_uv=False)
    normA, condA = np.linalg.norm(A), s[0] / s[-1] if s[-1] > 0 else np.inf
    r1 = np.linalg.norm(r)
    r2 = np.hypot(r1, damp * np.linalg.norm(x))
    normar = np.linalg.norm(A.conj().T @ r - damp**2 * x)
    return x, istop, res.nit, r1, r2, normA, condA, normar, np.linalg.norm(x)


def lsqr_like_scipy(A, b, damp=0.0, atol=1e-6, btol=1e-6, conlim=1e8, iter_lim=None,
                    show=False, calc_var=False, x0=None):
    x, istop, itn, r1, r2, normA, condA, normar, normx = _solve(
        A, b, damp, min(atol, btol), iter_lim, x0)
    return x, istop, itn, r1, r2, normA, condA, normar, normx, np.zeros_like(x)


def lsmr_like_scipy(A, b, damp=0.0, atol=1e-6, btol=1e-6, conlim=1e8, maxiter=None,
                    show=False, x0=None):
    x, istop, itn, r1, r2, normA, condA, normar, normx = _solve(
        A, b, damp, min(atol, btol), maxiter, x0)
    return x, istop, itn, r2, normar, normA, condA, normx


@pytest.fixture(autouse=True)
def fastls_as_scipy(monkeypatch):
    monkeypatch.setattr(t_lsqr, "lsqr", lsqr_like_scipy)
    monkeypatch.setattr(t_lsmr, "lsmr", lsmr_like_scipy)


# Every test of SciPy's two modules, collected here with the adapters in place.
for _name in dir(t_lsqr):
    if _name.startswith("test_"):
        globals()[_name] = getattr(t_lsqr, _name)


class TestLSMR(t_lsmr.TestLSMR):
    pass


class TestLSMRReturns(t_lsmr.TestLSMRReturns):
    pass
