"""Sketches and sketched least squares (family 1), against explicit matrices,
numpy/scipy solvers and the exact laws of shared/papers/linf_sketch.md."""
import numpy as np
import pytest
import scipy.linalg
from scipy import stats
from threadpoolctl import threadpool_limits

import fastls
from fastls import _core
from conftest import svd_matrix

DENSE = ("gaussian", "rademacher", "srht")
ALL = DENSE + ("countsketch", "sjlt")


# ---- generator and transform ---------------------------------------------------------

@pytest.mark.parametrize("ctr, key, want", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_known_answers(ctr, key, want):
    """Random123's published known-answer vectors, for the scalar (sketch, CUDA)
    and the SIMD-lanes (federated noise) implementations."""
    key64 = key[0] | key[1] << 32
    for lanes in (False, True):
        assert tuple(_core._testing.philox4x32_10(list(ctr), key64, lanes)) == want


def test_portable_transcendentals_are_accurate(rng):
    x = np.concatenate([rng.random(20000) ** 8, [2.0**-53, 0.5, 1.0]])
    np.testing.assert_allclose(_core.sketch.portable_log(x), np.log(x), rtol=2e-15, atol=1e-300)
    u = rng.random(20000)
    np.testing.assert_allclose(_core.sketch.portable_cos_turn(u), np.cos(2 * np.pi * u), atol=2e-15)
    np.testing.assert_allclose(_core.sketch.portable_sin_turn(u), np.sin(2 * np.pi * u), atol=2e-15)


@pytest.mark.parametrize("N, width", [(1, 3), (2, 1), (64, 5), (4096, 2)])
def test_fwht_matches_hadamard(rng, N, width):
    X = rng.standard_normal((N, width))
    Y = X.copy()
    _core.sketch.fwht(Y)
    np.testing.assert_allclose(Y, scipy.linalg.hadamard(N) @ X, rtol=0, atol=1e-13 * N)
    _core.sketch.fwht(Y)  # H H = N I
    np.testing.assert_allclose(Y, N * X, atol=1e-12 * N)


def test_gaussian_entries_are_standard_normal():
    z = np.sqrt(4) * fastls.sketch_matrix(100_000, 4, kind="gaussian", random_state=3).ravel()
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / z.size)


# ---- sketches equal their explicit matrices --------------------------------------------

@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("n", [1000, 1024, 5000])
def test_sketch_equals_explicit_matrix(rng, kind, n):
    A = rng.standard_normal((n, 13))
    m = 60
    S = fastls.sketch_matrix(n, m, kind=kind, random_state=11)
    ref = S @ A
    for variant in (A, np.asfortranarray(A), A[:, ::-1][:, ::-1]):
        SA = fastls.sketch(variant, m, kind=kind, random_state=11)
        np.testing.assert_allclose(SA, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    np.testing.assert_allclose(fastls.sketch(A[:, 0], m, kind=kind, random_state=11), ref[:, 0],
                               atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("kind", ALL)
def test_scaling_gives_identity_in_expectation(kind):
    """E[S^T S] = I: column norms^2 of S average to 1 (exactly 1 for +-1 kinds)."""
    S = fastls.sketch_matrix(4096, 64, kind=kind, random_state=5)
    col = (S**2).sum(axis=0)
    if kind == "gaussian":
        assert abs(col.mean() - 1) < 5 * np.sqrt(2 / 64 / 4096)
    else:
        np.testing.assert_allclose(col, 1.0, rtol=1e-14)


def test_srht_rows_are_distinct_and_full_sample_is_orthogonal():
    rows = np.array(_core.sketch.srht_rows(1024, 1024, 9))
    assert np.array_equal(rows, np.arange(1024))
    S = fastls.sketch_matrix(1024, 1024, kind="srht", random_state=9)
    np.testing.assert_allclose(S.T @ S, np.eye(1024), atol=1e-12)


@pytest.mark.parametrize("kind", ALL)
def test_seeds_reproduce_and_threads_do_not_matter(rng, kind):
    A = rng.standard_normal((20_000, 17))
    with threadpool_limits(limits=1, user_api="openmp"):
        one = fastls.sketch(A, 300, kind=kind, random_state=42)
    if kind in ("gaussian", "rademacher", "srht"):  # the kinds with an OpenMP region
        with threadpool_limits(limits=2, user_api="openmp"):
            two = fastls.sketch(A, 300, kind=kind, random_state=42)
        assert np.array_equal(one, two)  # bitwise
    assert np.array_equal(one, fastls.sketch(A, 300, kind=kind, random_state=42))
    assert not np.array_equal(one, fastls.sketch(A, 300, kind=kind, random_state=43))
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    assert np.array_equal(fastls.sketch(A, 300, kind=kind, random_state=g1), fastls.sketch(A, 300, kind=kind, random_state=g2))


@pytest.mark.parametrize("kind", ["gaussian", "srht"])
def test_subspace_embedding_distortion(rng, kind):
    """Singular values of S U in 1 +- (sqrt(d/m) + sqrt(2 ln(2/delta)/m)) in >= 1-delta of draws."""
    n, d, m, delta, draws = 4096, 10, 400, 0.1, 40
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    band = np.sqrt(d / m) + np.sqrt(2 * np.log(2 / delta) / m)
    inside = 0
    for seed in range(draws):
        s = np.linalg.svd(fastls.sketch(U, m, kind=kind, random_state=seed), compute_uv=False)
        inside += (s.max() <= 1 + band) and (s.min() >= 1 - band)
    assert inside >= (1 - delta) * draws


# ---- sketch-and-solve: the exact Gaussian law and the l-infinity property ----------

def test_gaussian_coordinate_error_law(rng):
    """E||x' - x*||^2 = ||r||^2 tr((A^T A)^{-1}) / (m - d - 1) (note 1.6); the
    reported standard errors give Student-t coverage and the l-inf bound holds."""
    n, d, m, trials = 400, 8, 40, 500
    A = rng.standard_normal((n, d)) * np.linspace(1, 5, d)
    b = rng.standard_normal(n)
    x_star, *_ = np.linalg.lstsq(A, b, rcond=None)
    r2 = np.sum((b - A @ x_star) ** 2)
    C = np.linalg.inv(A.T @ A)
    predicted = r2 * np.trace(C) / (m - d - 1)
    sq, covered, linf_ok = [], 0, 0
    q = stats.t.ppf(0.975, m - d)
    for seed in range(trials):
        res = fastls.lstsq(A, b, method="sketch", sketch="gaussian", sketch_rows=m, random_state=seed)
        err = res.x - x_star
        sq.append(err @ err)
        covered += np.sum(np.abs(err) <= q * res.coordinate_error)
        linf_ok += np.abs(err).max() <= res.linf_bound
    ratio = np.mean(sq) / predicted
    # Relative standard error of the mean ~ sqrt((2/d_eff + 2/(m-d-3)) / T) ~ 0.03.
    assert 0.9 <= ratio <= 1.1
    coverage = covered / (trials * d)
    assert abs(coverage - 0.95) < 0.02  # binomial SE ~ 0.0035 (correlated within a draw)
    assert linf_ok >= 0.93 * trials     # nominal 0.95 by a union bound (conservative)


def _t1_stat(kind, seed, n=4096, d=64, m=512, k=8, nnz=None):
    """Family T1: coherent design [I; 0], residual with k spikes (x* = 0, ||r|| = ||A^+|| = 1)."""
    rng = np.random.default_rng(seed)
    A = np.zeros((n, d))
    A[:d, :d] = np.eye(d)
    r = np.zeros(n)
    r[rng.choice(np.arange(d, n), k, replace=False)] = rng.choice([-1.0, 1.0], k) / np.sqrt(k)
    opts = {} if nnz is None else {"nnz_per_column": nnz}
    x = fastls.lstsq(A, r, method="sketch", sketch=kind, sketch_rows=m, random_state=seed, **opts).x
    return np.sqrt(m) * np.abs(x).max()


def test_sparse_sketch_loses_linf_on_coherent_input():
    """Note 3.5: on T1 a 2-sparse SJLT is clearly worse in l-inf than dense sketches
    (observed median ratio ~2 at these sizes with k = 8 spikes, so that most draws
    see a collision); SRHT matches Gaussian."""
    med = {kind: np.median([_t1_stat(kind, s, nnz=2 if kind == "sjlt" else None)
                            for s in range(30)]) for kind in ("gaussian", "srht", "sjlt")}
    assert med["sjlt"] > 1.6 * med["gaussian"]
    assert abs(med["srht"] / med["gaussian"] - 1) < 0.25
    assert med["gaussian"] < 1.3 * np.sqrt(2 * np.log(2 * 64))


def test_srht_trap_rademacher_signs_are_exact():
    """Note 2.7(a): A = (e1+e2)/sqrt2, b = (e1-e2)/sqrt2 gives x' = 0 exactly with Rademacher signs."""
    n = 1024
    A = np.zeros((n, 1))
    A[:2, 0] = 1 / np.sqrt(2)
    b = np.zeros(n)
    b[:2] = [1 / np.sqrt(2), -1 / np.sqrt(2)]
    for seed in range(50):
        res = fastls.lstsq(A, b, method="sketch", sketch="srht", sketch_rows=64, random_state=seed)
        assert abs(res.x[0]) < 1e-12


def test_full_srht_is_exact(rng):
    """Note O2: SRHT with m = N has S^T S = I, so x' = x*."""
    A = rng.standard_normal((512, 6))
    b = rng.standard_normal(512)
    res = fastls.lstsq(A, b, method="sketch", sketch="srht", sketch_rows=512, random_state=1)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-12)


@pytest.mark.parametrize("kind", ALL)
def test_sketch_and_solve_equivariance(rng, kind):
    """Note O10: x'(b + A z) = x'(b) + z and x'(alpha b) = alpha x'(b) for the same S."""
    A = rng.standard_normal((3000, 5))
    b = rng.standard_normal(3000)
    z = rng.standard_normal(5)
    solve = lambda rhs: fastls.lstsq(A, rhs, method="sketch", sketch=kind, sketch_rows=200,
                                     random_state=3).x
    x = solve(b)
    np.testing.assert_allclose(solve(b + A @ z), x + z, atol=1e-12)
    np.testing.assert_allclose(solve(-2.5 * b), -2.5 * x, atol=1e-12)


def test_sketch_and_solve_l2_and_residual_bounds(rng):
    """Note O7: ||x'-x*|| <= 3 sqrt(d/m) ||r|| ||A^+|| and ||Ax'-b|| <= (1 + 5d/m) ||r||."""
    n, d, m = 8192, 32, 128
    A = svd_matrix(n, d, 100.0, rng)  # ||A^+|| = 100
    b = A @ (1e5 * rng.standard_normal(d)) + rng.standard_normal(n)
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    r = np.linalg.norm(b - A @ x_star)
    l2_bound, res_bound = 3 * np.sqrt(d / m) * r * 100.0, (1 + 5 * d / m) * r
    # Both bounds bite: x = 0 (or any answer far from x*) violates them.
    assert np.linalg.norm(x_star) > 10 * l2_bound and np.linalg.norm(b) > 10 * res_bound
    for kind in ("gaussian", "srht"):
        for seed in range(5):
            res = fastls.lstsq(A, b, method="sketch", sketch=kind, sketch_rows=m, random_state=seed)
            assert np.linalg.norm(res.x - x_star) <= l2_bound
            assert res.residual_norm <= res_bound
            assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-12)


@pytest.mark.parametrize("rank", [30, 20])
def test_sketch_and_solve_is_the_explicit_sketched_problem(rng, rank):
    """x, ||S r|| and the error bars equal the explicit S's least-squares problem's (note
    section 1.6: se_i = ||S r|| sqrt(((S A)^T S A)^+_ii / (m - rank))), also for rank-deficient
    A, where x is the minimum-norm solution of the sketched problem."""
    n, m = 3000, 120
    A = svd_matrix(n, 30, 10.0, rng, rank=rank)
    b = rng.standard_normal(n)
    res = fastls.lstsq(A, b, method="sketch", sketch="gaussian", sketch_rows=m, random_state=4)
    S = fastls.sketch_matrix(n, m, kind="gaussian", random_state=4)
    SA, Sb = S @ A, S @ b
    x = np.linalg.lstsq(SA, Sb, rcond=None)[0]
    assert res.rank == rank
    np.testing.assert_allclose(res.x, x, rtol=1e-9, atol=1e-12 * np.linalg.norm(x))
    r = np.linalg.norm(Sb - SA @ x)
    assert res.sketched_residual_norm == pytest.approx(r, rel=1e-9)
    se = r * np.sqrt(np.diag(np.linalg.pinv(SA.T @ SA, rcond=1e-12, hermitian=True)) / (m - rank))
    np.testing.assert_allclose(res.coordinate_error, se, rtol=1e-8)


# ---- sketch-and-precondition: full accuracy ----------------------------------------------

@pytest.mark.parametrize("kind", ["srht", "gaussian", "sjlt"])
def test_precondition_well_conditioned_matches_gelsd(rng, kind):
    A = svd_matrix(6000, 40, 1e4, rng)
    b = A @ rng.standard_normal(40) + 1e-2 * rng.standard_normal(6000)
    res = fastls.lstsq(A, b, method="precondition", sketch=kind, random_state=0)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    # cond 1e4: both answers are within ~cond * eps = 2e-12 of x*.
    assert np.linalg.norm(res.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref)
    assert res.success and res.status in (fastls.LstsqStatus.CONVERGED, fastls.LstsqStatus.CONSISTENT)
    assert 0 < res.nit < 60


def test_precondition_ill_conditioned_like_lapack(rng):
    """cond 1e10. No backward-stable solver agrees with another to better than
    ~cond*eps in x (gelsy vs gelsd differ by ~5e-7 here), so compare what a
    backward-stable solver promises: residual optimality no worse than gelsd's,
    the residual norm to 1e-10, and forward error within 100 * cond * eps."""
    n, d, cond = 20_000, 50, 1e10
    A = svd_matrix(n, d, cond, rng)
    b = A @ rng.standard_normal(d) + 1e-3 * rng.standard_normal(n)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    r_ref = b - A @ x_ref
    for kind in ("srht", "gaussian"):
        res = fastls.lstsq(A, b, method="precondition", sketch=kind, random_state=1)
        r = b - A @ res.x
        assert res.success
        assert np.linalg.norm(A.T @ r) <= 10 * np.linalg.norm(A.T @ r_ref) + 1e-14
        assert abs(np.linalg.norm(r) - np.linalg.norm(r_ref)) <= 1e-10 * np.linalg.norm(r_ref)
        assert np.linalg.norm(res.x - x_ref) <= 100 * cond * np.finfo(float).eps * np.linalg.norm(x_ref)


def test_precondition_rank_deficient_gives_minimum_norm(rng):
    A = svd_matrix(3000, 30, 10.0, rng, rank=20)
    b = rng.standard_normal(3000)
    res = fastls.lstsq(A, b, method="precondition", random_state=2)
    x_np, _, rank_np, _ = np.linalg.lstsq(A, b, rcond=None)
    assert res.rank == rank_np == 20 and "rank deficient" in res.message
    np.testing.assert_allclose(res.x, x_np, atol=1e-9 * np.linalg.norm(x_np))


def test_precondition_multiple_rhs_and_layouts(rng):
    A = rng.standard_normal((5000, 20))
    B = rng.standard_normal((5000, 3))
    x_np = np.linalg.lstsq(A, B, rcond=None)[0]
    for variant in (A, np.asfortranarray(A)):
        res = fastls.lstsq(variant, B, method="precondition", random_state=4)
        assert res.x.shape == (20, 3) and res.residual_norm.shape == (3,)
        np.testing.assert_allclose(res.x, x_np, atol=1e-10)


def test_maxiter_gives_warning_not_exception(rng):
    A = svd_matrix(4000, 30, 1e6, rng)
    b = rng.standard_normal(4000)
    with pytest.warns(fastls.ConvergenceWarning):
        res = fastls.lstsq(A, b, method="precondition", sketch_rows=30, maxiter=2, random_state=0)
    assert not res.success and res.status == fastls.LstsqStatus.MAX_ITER and res.nit == 2


def test_zero_rhs(rng):
    A = rng.standard_normal((2000, 10))
    res = fastls.lstsq(A, np.zeros(2000), method="precondition", random_state=0)
    assert np.array_equal(res.x, np.zeros(10)) and res.success


def test_auto_rule():
    from fastls.linalg._lstsq import choose_method
    # measured (benchmarks/auto_rule.py): precondition 1.2-3.4x faster at the first
    # group, QR faster or a tie (0.5-1.1x) at the second
    for n, d in [(2**20, 100), (64000, 64), (12800, 128), (5120, 256), (10240, 512), (20480, 1024)]:
        assert choose_method(n, d) == "precondition", (n, d)
    for n, d in [(2**20, 10), (16000, 16), (9600, 32), (6400, 64), (2560, 256), (5120, 512), (500, 100)]:
        assert choose_method(n, d) == "qr", (n, d)


def test_inputs_not_modified(rng):
    A = rng.standard_normal((3000, 8))
    b = rng.standard_normal(3000)
    A0, b0 = A.copy(), b.copy()
    for kind in ALL:
        fastls.sketch(A, 100, kind=kind, random_state=0)
        fastls.lstsq(A, b, method="precondition", sketch=kind, random_state=0)
    assert np.array_equal(A, A0) and np.array_equal(b, b0)


# ---- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("call, exc, words", [
    (lambda A, b: fastls.sketch(A, 2000, kind="srht"), ValueError, ["sketch_rows", "<= 1000"]),
    (lambda A, b: fastls.sketch(A, 0, kind="srht"), ValueError, ["sketch_rows", ">= 1"]),
    (lambda A, b: fastls.sketch(A, 10.5, kind="srht"), TypeError, ["sketch_rows", "integer"]),
    (lambda A, b: fastls.sketch(A, 10, kind="fourier"), ValueError, ["kind", "fourier"]),
    (lambda A, b: fastls.sketch(A, 10, kind="srht", nnz_per_column=2), ValueError, ["nnz_per_column"]),
    (lambda A, b: fastls.sketch(A, 10, kind="sjlt", nnz_per_column=11), ValueError, ["nnz_per_column"]),
    (lambda A, b: fastls.sketch(A, 10, kind="countsketch", nnz_per_column=2), ValueError, ["nnz_per_column"]),
    (lambda A, b: fastls.sketch(np.full((4, 4), np.nan), 2), ValueError, ["A", "NaN"]),
    (lambda A, b: fastls.sketch(A, 10, kind="srht", random_state="x"), TypeError, ["random_state"]),
    (lambda A, b: fastls.sketch_matrix(10**6, 10**4), ValueError, ["sketch_matrix", "GiB"]),
    (lambda A, b: fastls.lstsq(A, b, method="sketch", sketch_rows=3), ValueError, ["sketch_rows", "columns"]),
    (lambda A, b: fastls.lstsq(A, b, method="sketch", sketch="dct"), ValueError, ["sketch", "dct"]),
    (lambda A, b: fastls.lstsq(A, b, method="precondition", tol=0.0), ValueError, ["tol"]),
    (lambda A, b: fastls.lstsq(A, b, method="precondition", maxiter=0), ValueError, ["maxiter"]),
    (lambda A, b: fastls.lstsq(A, b, method="sketch", oversampling=0.5), ValueError, ["oversampling"]),
    (lambda A, b: fastls.lstsq(A, b[:-1], method="sketch"), ValueError, ["b", "rows"]),
])
def test_bad_input_named(call, exc, words):
    A = np.random.default_rng(0).standard_normal((1000, 5))
    b = np.ones(1000)
    with pytest.raises(exc) as info:
        call(A, b)
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize("kind", ["srht", "sjlt", "countsketch", "gaussian", "rademacher"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("order", ["C", "F"])
def test_sketch_names_a_non_finite_entry_without_a_pass_of_its_own(kind, bad, order):
    # fastls.sketch checks S A, not A: one bad entry anywhere must still be named.
    rng = np.random.default_rng(7)
    A = rng.standard_normal((5000, 11))
    for row, col in [(0, 0), (4999, 10), (4096, 3)]:
        M = np.asarray(A.copy(), order=order)
        M[row, col] = bad
        with pytest.raises(ValueError, match="A must be finite, but contains " + ("NaN" if np.isnan(bad) else "Inf")):
            fastls.sketch(M, 64, kind=kind, random_state=0)
        with pytest.raises(ValueError, match="A must be finite"):
            fastls.sketch(M[:, col] + 0j, 64, kind=kind, random_state=0)
