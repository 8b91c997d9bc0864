"""fastls.bcd.lasso_path and GreedyLassoCV against scikit-learn's lasso_path and LassoCV."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import toeplitz

from fastls import bcd
from fastls._errors import ConvergenceWarning

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LassoCV, lasso_path  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


def _problem(kind, rng):
    """(A, b): iid or correlated (Toeplitz 0.6, benchopt's simulated design), n < p or n > p, sparse."""
    m, n = {"wide": (60, 150), "tall": (150, 40), "corr": (80, 160), "sparse": (120, 200)}[kind]
    if kind == "sparse":
        A = sp.random(m, n, density=0.1, random_state=1, format="csc", data_rvs=rng.standard_normal)
    elif kind == "corr":
        A = rng.standard_normal((m, n)) @ np.linalg.cholesky(toeplitz(0.6 ** np.arange(n))).T
    else:
        A = rng.standard_normal((m, n))
    w = np.zeros(n)
    w[rng.choice(n, 10, replace=False)] = rng.standard_normal(10)
    return A, A @ w + 0.1 * rng.standard_normal(m)


def _objective(A, b, x, alpha):
    r = b - A @ x
    return 0.5 * r @ r / A.shape[0] + alpha * np.abs(x).sum()


# ------------------------------------------------------------------------------- lasso_path

@pytest.mark.parametrize("kind", ["wide", "tall", "corr", "sparse"])
@pytest.mark.parametrize("positive", [False, True])
def test_objective_matches_sklearn_along_the_path(rng, kind, positive):
    A, b = _problem(kind, rng)
    m = A.shape[0]
    alphas, coefs, gaps = bcd.lasso_path(A, b, n_alphas=30, eps=1e-3, positive=positive, tol=1e-12)
    c = A.T @ b
    amax = (c.max() if positive else np.abs(c).max()) / m
    np.testing.assert_allclose(alphas, np.geomspace(amax, amax * 1e-3, 30), rtol=1e-12)
    assert coefs.shape == (A.shape[1], 30) and gaps.shape == (30,)
    assert not coefs[:, 0].any() and coefs[:, 1].any()
    assert (gaps >= 0).all() and (gaps <= 1e-12 * 0.5 * b @ b / m).all()
    if positive:
        assert (coefs >= 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn may not reach 1e-12 everywhere; its objective is still the reference
        _, ref, _ = lasso_path(A, b, alphas=alphas, tol=1e-12, max_iter=100_000, positive=positive)
    for i, alpha in enumerate(alphas):
        ours, theirs = _objective(A, b, coefs[:, i], alpha), _objective(A, b, ref[:, i], alpha)
        assert abs(ours - theirs) <= 1e-6 * theirs, (i, ours, theirs)


def test_sparse_and_dense_paths_agree(rng):
    A, b = _problem("sparse", rng)
    a1, c1, _ = bcd.lasso_path(A, b, n_alphas=10, tol=1e-12)
    a2, c2, _ = bcd.lasso_path(A.toarray(), b, n_alphas=10, tol=1e-12)
    a3, c3, _ = bcd.lasso_path(sp.csr_matrix(A), b, n_alphas=10, tol=1e-12)
    np.testing.assert_allclose(a1, a2, rtol=1e-14)
    np.testing.assert_allclose(c1, c2, atol=1e-8)
    np.testing.assert_allclose(c1, c3, atol=1e-12)


def test_csc_array_input_and_path_warning_points_at_the_caller(rng):
    A, b = _problem("sparse", rng)
    _, c1, _ = bcd.lasso_path(A, b, n_alphas=5, tol=1e-12)
    _, c2, _ = bcd.lasso_path(sp.csc_array(A), b, n_alphas=5, tol=1e-12)
    np.testing.assert_array_equal(c1, c2)
    with pytest.warns(ConvergenceWarning, match="relative duality gap") as record:
        bcd.lasso_path(A, b, n_alphas=5, tol=1e-14, max_epochs=1)
    assert all(w.filename == __file__ for w in record)


def test_given_alphas_are_sorted_and_x0_starts_the_path(rng):
    A, b = _problem("wide", rng)
    alphas, coefs, _ = bcd.lasso_path(A, b, alphas=[0.01, 0.1, 0.05], tol=1e-12)
    np.testing.assert_array_equal(alphas, [0.1, 0.05, 0.01])
    for i, alpha in enumerate(alphas):
        np.testing.assert_allclose(coefs[:, i], bcd.lasso(A, b, alpha, tol=1e-12).x, atol=1e-8)
    # a start at the solution: the first alpha is already converged (same answer)
    _, again, _ = bcd.lasso_path(A, b, alphas=[0.1], tol=1e-12, x0=coefs[:, 0])
    np.testing.assert_allclose(again[:, 0], coefs[:, 0], atol=1e-12)


def test_zero_target_gives_sklearns_degenerate_grid():
    A = np.eye(4)
    alphas, coefs, gaps = bcd.lasso_path(A, np.zeros(4), n_alphas=3)
    np.testing.assert_array_equal(alphas, np.full(3, np.finfo(float).resolution))
    assert not coefs.any() and not gaps.any()


@pytest.mark.parametrize("kwargs, name", [
    ({"b": np.ones(7)}, "b"), ({"alphas": [0.1, -1.0]}, "alphas"), ({"alphas": [0.0]}, "alphas"),
    ({"alphas": [np.nan]}, "alphas"), ({"n_alphas": 0}, "n_alphas"), ({"eps": 0.0}, "eps"),
    ({"eps": 2.0}, "eps"), ({"tol": -1.0}, "tol"), ({"maxiter": 0}, "maxiter"),
    ({"max_epochs": 0}, "max_epochs"), ({"x0": np.ones(3)}, "x0"),
    ({"A": np.full((6, 4), np.nan)}, "A"),
    ({"A": sp.csc_matrix(np.diag([1.0, np.inf, 1.0, 1.0]).repeat(2, axis=0)[:6])}, "A"),
    ({"A": sp.csc_array(np.diag([1.0, np.nan, 1.0, 1.0]).repeat(2, axis=0)[:6])}, "A"),
])
def test_bad_input_names_the_argument(rng, kwargs, name):
    args = {"A": rng.standard_normal((6, 4)), "b": np.ones(6)}
    A, b = kwargs.pop("A", args["A"]), kwargs.pop("b", args["b"])
    with pytest.raises(ValueError, match=name):
        bcd.lasso_path(A, b, **kwargs)


# ----------------------------------------------------------------------------- GreedyLassoCV

@parametrize_with_checks([bcd.GreedyLassoCV()])
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


def test_estimators_module_reexports_it():
    from fastls import estimators
    assert estimators.GreedyLassoCV is bcd.GreedyLassoCV


@pytest.mark.parametrize("kind", ["wide", "corr", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cv_matches_sklearn_lassocv(rng, kind, fit_intercept):
    A, b = _problem(kind, rng)
    b = b + 2.0
    cv = KFold(4, shuffle=True, random_state=0)
    # eps=1e-2: further down, supports as large as a training fold make the objective
    # nearly flat along some directions, and scikit-learn stops on max_iter there with
    # coefs 1e-5 off while its objective is within 1e-15 (ours: the Newton step lands)
    opts = dict(alphas=25, eps=1e-2, cv=cv, tol=1e-10, max_iter=100_000,
                fit_intercept=fit_intercept)
    ours = bcd.GreedyLassoCV(**opts).fit(A, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LassoCV(**opts).fit(A, b)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    assert ours.mse_path_.shape == ref.mse_path_.shape == (25, 4)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)  # the same grid point
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6 * np.abs(ref.coef_).max())
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6 * abs(b).max())
    np.testing.assert_allclose(ours.predict(A), ref.predict(A), rtol=1e-6, atol=1e-6)
    assert ours.n_features_in_ == A.shape[1] and ours.dual_gap_ >= 0 and ours.n_iter_ >= 0


def test_cv_sample_weight_and_given_alphas_match_sklearn(rng):
    A, b = _problem("wide", rng)
    sw = rng.uniform(0.5, 2.0, len(b))
    opts = dict(alphas=[0.3, 0.01, 0.1, 0.03], cv=KFold(3), tol=1e-10, max_iter=100_000)
    ours = bcd.GreedyLassoCV(**opts).fit(A, b, sample_weight=sw)
    ref = LassoCV(**opts).fit(A, b, sample_weight=sw)
    np.testing.assert_array_equal(ours.alphas_, [0.3, 0.1, 0.03, 0.01])
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert ours.alpha_ == ref.alpha_
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6 * np.abs(ref.coef_).max())


def test_cv_single_alpha_has_sklearns_shapes(rng):
    A, b = _problem("tall", rng)
    ours = bcd.GreedyLassoCV(alphas=[0.1], cv=3).fit(A, b)
    ref = LassoCV(alphas=[0.1], cv=3).fit(A, b)
    assert ours.mse_path_.shape == ref.mse_path_.shape == (3,)
    assert ours.alphas_.shape == ref.alphas_.shape and ours.alpha_ == ref.alpha_ == 0.1


def test_cv_threads_give_the_same_answer(rng):
    A, b = _problem("corr", rng)
    one = bcd.GreedyLassoCV(alphas=10, tol=1e-8).fit(A, b)
    two = bcd.GreedyLassoCV(alphas=10, tol=1e-8, n_jobs=2).fit(A, b)
    np.testing.assert_array_equal(one.mse_path_, two.mse_path_)
    np.testing.assert_array_equal(one.coef_, two.coef_)


def test_cv_refuses_multi_output_and_bad_options(rng):
    A, b = _problem("tall", rng)
    with pytest.raises(ValueError):
        bcd.GreedyLassoCV().fit(A, np.c_[b, b])
    for params, name in [({"alphas": 0}, "alphas"), ({"alphas": [-1.0]}, "alphas"),
                         ({"eps": 0.0}, "eps"), ({"max_iter": 0}, "max_iter"),
                         ({"tol": -1.0}, "tol")]:
        with pytest.raises(ValueError, match=name):
            bcd.GreedyLassoCV(**params).fit(A, b)
    with pytest.raises(ValueError, match="sample_weight"):
        bcd.GreedyLassoCV().fit(A, b, sample_weight=-np.ones(len(b)))
