"""fastls.bcd.lasso and GreedyLasso against scikit-learn's Lasso, with duality-gap and KKT checks."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastls
from fastls import bcd

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import Lasso  # noqa: E402


def _gap(A, b, x, alpha):
    """benchopt's relative duality gap (note section 7), computed independently in NumPy."""
    m = A.shape[0]
    R = b - A @ x
    lam = alpha * m
    s = max(1.0, np.abs(A.T @ R).max() / lam)
    primal = 0.5 * R @ R + lam * np.abs(x).sum()
    dual = b @ R / s - 0.5 * R @ R / s**2
    return (primal - dual) / (0.5 * b @ b)


def _kkt(A, b, x, alpha, rtol):
    g = A.T @ (A @ x - b) / A.shape[0]
    on = x != 0
    assert np.all(np.abs(g[~on]) <= alpha * (1 + rtol))
    assert np.all(np.abs(g[on] + alpha * np.sign(x[on])) <= rtol * alpha)


def _data(m, n, rng, sparse=False):
    A = rng.standard_normal((m, n))
    if sparse:
        A = sp.random(m, n, density=0.05, random_state=1, format="csc", data_rvs=rng.standard_normal)
    w = np.zeros(n)
    w[rng.choice(n, 10, replace=False)] = rng.standard_normal(10)
    b = A @ w + 0.1 * rng.standard_normal(m)
    return A, b


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape,ratio", [((200, 80), 10), ((100, 500), 20), ((100, 500), 100)])
def test_lasso_matches_sklearn(rng, sparse, shape, ratio):
    A, b = _data(*shape, rng, sparse)
    alpha = np.abs(A.T @ b).max() / shape[0] / ratio
    res = bcd.lasso(A, b, alpha, tol=1e-12)
    assert res.success
    assert _gap(A, b, res.x, alpha) <= 1e-12 * (1 + 1e-6)
    assert res.gap == pytest.approx(_gap(A, b, res.x, alpha), rel=1e-4, abs=1e-15)
    _kkt(A, b, res.x, alpha, 1e-5)
    ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(A, b).coef_
    obj = lambda x: 0.5 * np.sum((b - A @ x) ** 2) / shape[0] + alpha * np.abs(x).sum()
    # both certified by a gap <= ~1e-12 P(0): objectives agree to that level
    assert abs(obj(res.x) - obj(ref)) <= 1e-10 * obj(np.zeros(shape[1]))
    assert res.objective == pytest.approx(obj(res.x), rel=1e-12)
    if shape[0] > shape[1]:  # unique solution: coefficients agree too
        assert np.abs(res.x - ref).max() <= 1e-6 * np.abs(ref).max()


def test_lasso_dense_c_order_and_no_anderson_agree(rng):
    A, b = _data(150, 300, rng)
    alpha = np.abs(A.T @ b).max() / 150 / 30
    r1 = bcd.lasso(np.asfortranarray(A), b, alpha, tol=1e-12)
    r2 = bcd.lasso(np.ascontiguousarray(A), b, alpha, tol=1e-12, anderson=0)
    np.testing.assert_allclose(r1.x, r2.x, atol=1e-7 * np.abs(r1.x).max())


def test_lasso_warm_start_and_alpha_max(rng):
    A, b = _data(100, 200, rng)
    amax = np.abs(A.T @ b).max() / 100
    res = bcd.lasso(A, b, amax * 1.0001, tol=1e-10)
    assert np.all(res.x == 0) and res.success  # x = 0 is optimal above alpha_max
    first = bcd.lasso(A, b, amax / 10, tol=1e-10)
    again = bcd.lasso(A, b, amax / 10, tol=1e-10, x0=first.x)
    assert again.nit == 0 and again.success


def test_lasso_budget_warns(rng):
    A, b = _data(100, 400, rng)
    with pytest.warns(fastls.ConvergenceWarning):
        res = bcd.lasso(A, b, np.abs(A.T @ b).max() / 100 / 100, tol=1e-14, max_epochs=3)
    assert not res.success


def test_lasso_bad_input(rng):
    A, b = _data(20, 30, rng)
    with pytest.raises(ValueError, match="alpha"):
        bcd.lasso(A, b, 0.0)
    with pytest.raises(ValueError, match="b must"):
        bcd.lasso(A, b[:-1], 0.1)
    with pytest.raises(ValueError, match="finite"):
        bcd.lasso(A, np.full(20, np.inf), 0.1)
    with pytest.raises(ValueError, match="x0"):
        bcd.lasso(A, b, 0.1, x0=np.zeros(3))
    with pytest.raises(ValueError, match="A must be 2-D"):
        bcd.lasso(b, b, 0.1)


def test_greedy_lasso_estimator_matches_sklearn(rng):
    from sklearn.base import clone
    A, b = _data(120, 60, rng)
    A = A + 3.0  # non-centred columns: the intercept matters
    b = b + 5.0
    est = bcd.GreedyLasso(alpha=0.05, tol=1e-12)
    assert est.fit(A, b) is est
    ref = Lasso(alpha=0.05, tol=1e-14, max_iter=10**6).fit(A, b)
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-6 * np.abs(ref.coef_).max())
    assert est.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_allclose(est.predict(A), ref.predict(A), atol=1e-5)
    # dual_gap_ is scikit-learn's absolute gap; its stopping rule is gap <= tol ||y - mean(y)||^2 / n
    assert est.n_iter_ >= 1 and est.n_features_in_ == 60 and est.dual_gap_ <= 1e-12 * np.var(b)
    assert 0.0 < est.score(A, b) <= 1.0  # RegressorMixin
    assert clone(est).get_params()["alpha"] == 0.05
    assert fastls.estimators.GreedyLasso is bcd.GreedyLasso
    with pytest.warns(fastls.ConvergenceWarning):
        bcd.GreedyLasso(alpha=0.001, tol=1e-14, max_iter=2).fit(A, b)
    with pytest.raises(ValueError, match="features"):
        est.predict(A[:, :5])
    # sparse X with an intercept: the kernel keeps the residual centred (X untouched)
    sparse_icpt = bcd.GreedyLasso(alpha=0.05, tol=1e-12).fit(sp.csc_matrix(A), b)
    np.testing.assert_allclose(sparse_icpt.coef_, ref.coef_, atol=1e-6 * np.abs(ref.coef_).max())
    assert sparse_icpt.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    sparse_fit = bcd.GreedyLasso(alpha=0.05, fit_intercept=False, tol=1e-12).fit(sp.csc_matrix(A), b)
    dense_fit = bcd.GreedyLasso(alpha=0.05, fit_intercept=False, tol=1e-12).fit(A, b)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, atol=1e-6)


def test_greedy_lasso_passes_sklearn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(bcd.GreedyLasso(), on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert not failed


@pytest.mark.parametrize("sparse", [False, True])
def test_lasso_intercept_matches_sklearn_wide(rng, sparse):
    """Intercept with n > m (the Newton step on the support sees centred columns)."""
    A, b = _data(80, 300, rng, sparse)
    A = A + (sp.csc_matrix(np.where(np.asarray(A.todense() if sparse else A) != 0, 2.0, 0.0)) if sparse else 2.0)
    b = b + 3.0
    alpha = 0.02
    res = bcd.lasso(A, b, alpha, fit_intercept=True, tol=1e-13)
    ref = Lasso(alpha=alpha, tol=1e-12, max_iter=10**6).fit(A, b)
    m = A.shape[0]
    obj = lambda w, c: 0.5 * np.sum((b - A @ w - c) ** 2) / m + alpha * np.abs(w).sum()
    assert res.success
    assert obj(res.x, res.intercept) <= obj(ref.coef_, ref.intercept_) + 1e-10 * obj(np.zeros(300), b.mean())
    Ad = A.toarray() if sparse else A
    Ac = Ad - Ad.mean(0)
    _kkt(Ac, b - b.mean(), res.x, alpha, 1e-5)
    assert res.intercept == pytest.approx(b.mean() - Ad.mean(0) @ res.x, rel=1e-10, abs=1e-10)
