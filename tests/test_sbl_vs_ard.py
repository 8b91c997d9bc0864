"""fastls.sbl with learned noise against scikit-learn's ARDRegression on sparse
recovery with Gaussian designs (M x N, 5-10 % sparsity, noise std relative to
||Hx||/sqrt(M)). Reference: ARDRegression(fit_intercept=False) on the same data and
the true coefficients; a hit is an exactly recovered support (nonzero pattern of the
coefficients, ARDRegression's own pruning rule), the error is ||x_hat - x|| / ||x||.

Before the MacKay updates became the default, EM's σ² drifted to 0 on
underdetermined designs (2e-7 against a true 1e-4 at 40 x 80) and the run reported
CONVERGED on an overfit with 10-25 spurious entries."""
import warnings

import numpy as np
import pytest

from fastls import sbl as S

pytest.importorskip("sklearn")
from sklearn.linear_model import ARDRegression  # noqa: E402

METHODS = {
    "sbl": lambda y, H: S.sbl(H, y),
    "kron_sbl-svd": lambda y, H: S.kron_sbl([H], y, method="svd"),
    "kron_sbl-am": lambda y, H: S.kron_sbl([H], y, method="am"),
    "pc_kron_sbl": lambda y, H: S.pc_kron_sbl([H], y, []),
    "KroneckerSBL": lambda y, H: S.KroneckerSBL(fit_intercept=False).fit(H, y).result_,
}


def problem(M, N, frac, rel, seed):
    """H Gaussian, x with round(frac N) N(0, 9) nonzeros, noise std rel ||Hx|| / sqrt(M)."""
    rng = np.random.default_rng(seed)
    H = rng.standard_normal((M, N))
    k = max(1, round(frac * N))
    x = np.zeros(N)
    x[rng.choice(N, k, replace=False)] = 3 * rng.standard_normal(k)
    y0 = H @ x
    sigma = rel * np.linalg.norm(y0) / np.sqrt(M)
    return H, x, y0 + sigma * rng.standard_normal(M), sigma ** 2


def run_cell(M, N, frac, rel, seeds, methods=tuple(METHODS)):
    """{method: (hits, mean error, [results])} with "ARD" among the methods."""
    out = {name: [0, [], []] for name in tuple(methods) + ("ARD",)}
    for seed in seeds:
        H, x, y, _ = problem(M, N, frac, rel, seed)
        true = np.flatnonzero(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in methods:
                res = METHODS[name](y, H)
                out[name][2].append(res)
                out[name][0] += np.array_equal(np.flatnonzero(res.x), true)
                out[name][1].append(np.linalg.norm(res.x - x) / np.linalg.norm(x))
            c = ARDRegression(fit_intercept=False).fit(H, y).coef_
            out["ARD"][0] += np.array_equal(np.flatnonzero(c), true)
            out["ARD"][1].append(np.linalg.norm(c - x) / np.linalg.norm(x))
    return {k: (h, float(np.mean(e)), r) for k, (h, e, r) in out.items()}


def check_at_least_ard(cell, seeds, methods=tuple(METHODS)):
    got = run_cell(*cell, seeds, methods)
    ard_hits, ard_err = got["ARD"][:2]
    table = {k: v[:2] for k, v in got.items()}
    for name in methods:
        hits, err, _ = got[name]
        assert hits >= ard_hits and err <= ard_err, (name, cell, table)
    return got


# Classic SBL (sbl() and the dense estimator) with its defaults: MacKay updates and
# evidence pruning. Measured on seeds 0-9 (hits/mean error, fastls vs ARD):
# 40x80 5% 0.3%: 9/0.0012 vs 7/0.0035; 1%: 7/0.0051 vs 0/0.0079; 50x100 10% 1%:
# 4/0.0071 vs 0/0.040; 200x100 10% 3%: 9/0.0073 vs 0/0.014; 40x80 10% noiseless:
# 10/3e-12 vs 3/0.48.
CLASSIC = ("sbl", "KroneckerSBL")
DEFAULT_CELLS = [(40, 80, 0.05, 0.003), (40, 80, 0.05, 0.01), (50, 100, 0.1, 0.01),
                 (200, 100, 0.1, 0.03), (40, 80, 0.1, 0.0)]


@pytest.mark.parametrize("cell", DEFAULT_CELLS, ids=lambda c: "x".join(map(str, c)))
def test_classic_sbl_at_least_as_good_as_ard(cell):
    check_at_least_ard(cell, range(10), CLASSIC)


def test_collapsed_noise_is_not_reported_as_converged():
    """Very noisy underdetermined data (40 x 80, 8 nonzeros, 10 % noise): both fastls and
    ARD miss the support on every seed. Every run whose learned σ² fell below a tenth
    of the truth must say so (NOISE_COLLAPSED and a warning), never CONVERGED."""
    flagged = 0
    for seed in range(10):
        H, x, y, s2 = problem(40, 80, 0.1, 0.1, seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = S.sbl(H, y)
        if res.noise_var < 0.1 * s2:
            flagged += 1
            assert res.status == S.SBLStatus.NOISE_COLLAPSED and not res.success
            assert any("not identifiable" in str(w.message) for w in caught)
    assert flagged >= 5


def test_noise_update_is_validated():
    H, x, y, _ = problem(40, 80, 0.05, 0.01, 0)
    with pytest.raises(ValueError, match="noise_update"):
        S.sbl(H, y, noise_update="newton")
    with pytest.raises(ValueError, match="gamma_update"):
        S.kron_sbl([H], y, gamma_update="x")


GRID = [(m, n, f, r) for (m, n) in [(40, 80), (50, 100), (100, 100), (200, 100)]
        for f in (0.05, 0.1) for r in (0.0, 0.003, 0.01, 0.03, 0.1)]


@pytest.mark.slow
@pytest.mark.parametrize("seeds", [range(0, 10), range(10, 20)], ids=["seeds0-9", "seeds10-19"])
def test_full_grid_classic_sbl_against_ard(seeds):
    """The whole grid (40 cells). Classic SBL wins most cells but not all: on seeds 0-9
    it loses hits at 50x100 with 0.3 % noise (6 vs 8 at 5 %, 4 vs 7 at 10 %) and at
    200x100 with 0.3 % noise (9 vs 10), and mean error at 40x80 10 % with 3 % and 10 %
    noise (0.044 vs 0.036, 0.23 vs 0.17, where both miss the support); on seeds 10-19
    50x100 10 % 0.3 % gives 7/0.025 vs ARD 9/0.0057. Asserted: the total hits beat
    ARD's, no cell loses more than 3 hits, and the mean over cells of the relative
    errors is below ARD's."""
    total = {"sbl": [0, 0.0], "ARD": [0, 0.0]}
    for cell in GRID:
        got = run_cell(*cell, seeds, ("sbl",))
        for k in total:
            total[k][0] += got[k][0]
            total[k][1] += got[k][1] / len(GRID)
        assert got["sbl"][0] >= got["ARD"][0] - 3, (cell, got["sbl"][:2], got["ARD"][:2])
    assert total["sbl"][0] > total["ARD"][0] and total["sbl"][1] < total["ARD"][1], total
