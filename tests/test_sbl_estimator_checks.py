"""KroneckerSBL against scikit-learn's own estimator checks, plus dtype and intercept."""
import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.linear_model import ARDRegression  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fastls import sbl as S  # noqa: E402


@parametrize_with_checks([S.KroneckerSBL()])
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


def test_float32_kept_and_intercept_like_ard(rng):
    X = rng.standard_normal((60, 30))
    w = np.zeros(30)
    w[[2, 7, 19]] = [3.0, -2.0, 1.5]
    y = X @ w + 5.0 + 0.05 * rng.standard_normal(60)
    est = S.KroneckerSBL().fit(X.astype(np.float32), y.astype(np.float32))
    assert est.coef_.dtype == np.float32
    assert est.predict(X.astype(np.float32)).dtype == np.float32
    assert est.predict(X).dtype == np.float64
    ard = ARDRegression().fit(X, y)
    assert est.intercept_ == pytest.approx(ard.intercept_, abs=0.05)
    assert est.intercept_ == pytest.approx(5.0, abs=0.05)
    np.testing.assert_array_equal(np.flatnonzero(est.coef_), [2, 7, 19])
    np.testing.assert_allclose(est.coef_[[2, 7, 19]], w[[2, 7, 19]], atol=0.05)
    no_icpt = S.KroneckerSBL(fit_intercept=False).fit(X, y - 5.0)
    assert no_icpt.intercept_ == 0.0
