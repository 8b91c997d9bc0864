"""Never a silent wrong answer from fastls.lstsq.

Every sketched or iterative answer is checked against A itself: the rank of
S A is confirmed on A, a precondition answer must satisfy the normal
equations to its tolerance, and sketch-and-solve error bars hold at their
stated level or are NaN with a warning. References: numpy.linalg.lstsq and
the explicitly stacked ridge system.
"""
import warnings

import numpy as np
import pytest

import fastls
from fastls.linalg import normal_residual, optimality_limit

KINDS = ["srht", "gaussian", "rademacher", "countsketch", "sjlt"]
SHAPES = [(35, 35), (40, 30), (60, 40), (150, 100), (300, 30), (5000, 20)]  # n from d to 250 d


def _numpy(A, b):
    return np.linalg.lstsq(A, b, rcond=None)[0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_precondition_matches_numpy_from_square_to_tall(kind, shape):
    """The near-square case used to return relative error 1 with success=True (rank read off S A)."""
    n, d = shape
    rng = np.random.default_rng(n * 1000 + d)
    A = rng.standard_normal((n, d))
    b = rng.standard_normal(n)
    x_ref = _numpy(A, b)
    for seed in range(3):
        res = fastls.lstsq(A, b, method="precondition", sketch=kind, random_state=seed)
        assert res.success and res.rank == d
        cond = np.linalg.cond(A)
        np.testing.assert_allclose(res.x, x_ref, rtol=0, atol=1e-9 * cond * np.linalg.norm(x_ref))
        assert res.normal_residual <= optimality_limit(1e-12, n, d)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES[:4])
def test_sketch_and_solve_never_reports_false_error_bars(kind, shape):
    """A 35 x 35 system once reported linf_bound 1e-14 with an actual error of 1.7."""
    n, d = shape
    rng = np.random.default_rng(7)
    A = rng.standard_normal((n, d))
    b = A @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    x_ref = _numpy(A, b)
    for seed in range(5):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = fastls.lstsq(A, b, method="sketch", sketch=kind, random_state=seed)
        err = np.abs(res.x - x_ref).max()
        if np.isnan(res.linf_bound):
            assert any("error bars" in str(w.message) for w in caught)
            if "QR" in res.message:  # the sketch lost rank: the answer is exact
                np.testing.assert_allclose(res.x, x_ref, atol=1e-10 * np.linalg.norm(x_ref))
        else:
            # A bound that holds with probability 0.95 must not be off by orders of magnitude.
            assert err <= 10 * res.linf_bound


def test_lost_rank_is_detected_and_solved_exactly():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((100, 100))
    x = rng.standard_normal(100)
    res = fastls.lstsq(A, A @ x, method="precondition", sketch="srht", random_state=0)
    assert res.success and res.rank == 100
    assert "lost rank" in res.message and "QR" in res.message
    np.testing.assert_allclose(res.x, x, rtol=1e-10)


def test_true_rank_deficiency_is_confirmed_on_A():
    """A rank-deficient A keeps its sketched solve and minimum-norm answer (no fallback)."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4000, 12)) @ rng.standard_normal((12, 30))  # rank 12
    b = rng.standard_normal(4000)
    res = fastls.lstsq(A, b, method="precondition", random_state=2)
    assert res.rank == 12 and "QR" not in res.message and "checked against A" in res.message
    np.testing.assert_allclose(res.x, _numpy(A, b), atol=1e-8 * np.linalg.norm(_numpy(A, b)))


def test_a_kernel_answer_that_fails_the_check_is_never_returned(monkeypatch):
    """Whatever LSQR claims, an answer off the normal equations is replaced by
    a refinement sweep or, failing that, by QR."""
    import fastls.linalg._lstsq as linalg

    kernel = linalg._kernel

    class Corrupted:  # the kernel's SolveResult with x off the solution
        def __init__(self, out):
            self._out = out

        def __getattr__(self, name):
            return getattr(self._out, name)

        @property
        def x(self):
            return self._out.x + 1e-3  # claims CONVERGED, is wrong

    def corrupted(*args, **kwargs):
        return Corrupted(kernel(*args, **kwargs))

    monkeypatch.setattr(linalg, "_kernel", corrupted)
    rng = np.random.default_rng(2)
    A = rng.standard_normal((3000, 10))
    b = rng.standard_normal(3000)
    res = fastls.lstsq(A, b, method="precondition", random_state=0)
    assert "failed the check against A" in res.message
    np.testing.assert_allclose(res.x, _numpy(A, b), atol=1e-12)


def test_normal_residual_does_not_underflow():
    """A and b * 2^-300: A^T r has entries ~1e-180 whose squares underflowed, and a wrong x
    measured 0."""
    rng = np.random.default_rng(5)
    A, b = rng.standard_normal((200, 6)), rng.standard_normal(200)
    x = 1.1 * _numpy(A, b)
    s = 2.0**-300
    np.testing.assert_allclose(normal_residual(A * s, b * s, x), normal_residual(A, b, x), rtol=1e-14)
    assert normal_residual(A, b, x)[0] > 1e-3


def test_normal_residual_is_zero_for_the_solution_and_order_one_for_a_wrong_one():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((500, 8))
    b = rng.standard_normal(500)
    x = _numpy(A, b)
    norm_A = np.linalg.norm(A, 2)
    B, X = b[:, None], x[:, None]
    assert normal_residual(A, B, X, norm_A=norm_A)[0] < 1e-15
    X_wrong = X.copy()
    X_wrong[0] += 1.0
    assert normal_residual(A, B, X_wrong, norm_A=norm_A)[0] > 1e-2


@pytest.mark.parametrize("kind", ["gaussian", "srht", "rademacher"])
def test_linf_bound_coverage_on_small_and_coherent_problems(kind):
    """The 95% l-inf bound covers the actual error in >= 90% of draws (binomial
    SE ~ 0.015 at 200 draws), also where m is close to n and on a coherent design."""
    for n, d, m, coherent in [(40, 10, 40, False), (200, 10, 40, True)]:
        rng = np.random.default_rng(1)
        if coherent:
            A = np.zeros((n, d))
            A[:d, :d] = np.eye(d)
        else:
            A = rng.standard_normal((n, d)) * np.linspace(1, 5, d)
        covered = given = 0
        for seed in range(200):
            draw = np.random.default_rng(100 + seed)
            if coherent:
                b = np.zeros(n)
                b[draw.choice(np.arange(d, n), 4, replace=False)] = draw.choice([-1.0, 1.0], 4)
            else:
                b = A @ draw.standard_normal(d) + draw.standard_normal(n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = fastls.lstsq(A, b, method="sketch", sketch=kind, sketch_rows=m, random_state=seed)
            if np.isfinite(res.linf_bound):
                given += 1
                covered += np.abs(res.x - _numpy(A, b)).max() <= res.linf_bound
        assert given >= 150 and covered >= 0.9 * given


@pytest.mark.parametrize("kind", ["countsketch", "sjlt"])
def test_sparse_kinds_give_no_error_bars(kind):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((2000, 10))
    with pytest.warns(RuntimeWarning, match="no error bars"):
        res = fastls.lstsq(A, rng.standard_normal(2000), method="sketch", sketch=kind, random_state=0)
    assert np.isnan(res.linf_bound) and np.isnan(res.coordinate_error).all()


@pytest.mark.parametrize("method", ["qr", "sketch", "precondition"])
def test_damp_matches_stacked_system(method):
    rng = np.random.default_rng(4)
    A = rng.standard_normal((3000, 15))
    b = rng.standard_normal(3000)
    damp = 7.0
    ref = _numpy(np.vstack([A, damp * np.eye(15)]), np.concatenate([b, np.zeros(15)]))
    res = fastls.lstsq(A, b, method=method, damp=damp, sketch="gaussian", sketch_rows=3000,
                       random_state=0) if method == "sketch" else \
        fastls.lstsq(A, b, method=method, damp=damp, random_state=0)
    tol = 1e-10 if method != "sketch" else 0.5
    np.testing.assert_allclose(res.x, ref, rtol=tol, atol=tol * np.abs(ref).max())
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-10)


@pytest.mark.parametrize("method", ["qr", "precondition"])
@pytest.mark.parametrize("form", ["dense", "csr"])
@pytest.mark.parametrize("shape", [(20, 200), (300, 20)])
def test_damped_rank_is_the_stacked_systems_whatever_the_storage(method, form, shape):
    """Wide damped CSR with precondition reported rank(A) = 20 while dense and qr gave
    d = 200, the rank of [A; damp I]; the singular values likewise (d of them, >= damp)."""
    import scipy.sparse as sp
    rng = np.random.default_rng(9)
    A = rng.standard_normal(shape)
    b = rng.standard_normal(shape[0])
    res = fastls.lstsq(sp.csr_matrix(A) if form == "csr" else A, b, method=method, damp=0.3,
                       random_state=0)
    d = shape[1]
    ref = _numpy(np.vstack([A, 0.3 * np.eye(d)]), np.concatenate([b, np.zeros(d)]))
    np.testing.assert_allclose(res.x, ref, atol=1e-9 * np.abs(ref).max())
    assert res.rank == d and res.singular_values.shape == (d,)
    if method == "qr":
        np.testing.assert_allclose(res.singular_values, np.sqrt(
            np.concatenate([np.linalg.svd(A, compute_uv=False)**2, np.zeros(max(d - shape[0], 0))]) + 0.09))


@pytest.mark.parametrize("method", ["sketch", "precondition"])
def test_wide_A_is_solved_by_qr_with_minimum_norm(method):
    rng = np.random.default_rng(5)
    A = rng.standard_normal((20, 50))
    b = rng.standard_normal(20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = fastls.lstsq(A, b, method=method)
    assert "wide" in res.message
    np.testing.assert_allclose(res.x, _numpy(A, b), atol=1e-12)


@pytest.mark.parametrize("method", ["qr", "sketch", "precondition"])
def test_complex_A_and_b(method):
    rng = np.random.default_rng(6)
    A = rng.standard_normal((400, 12)) + 1j * rng.standard_normal((400, 12))
    b = rng.standard_normal(400) + 1j * rng.standard_normal(400)
    ref = _numpy(A, b)
    res = fastls.lstsq(A, b, method=method, sketch="gaussian", random_state=0)
    assert res.x.dtype == np.complex128 and res.rank == 12
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-10)
    if method == "sketch":
        assert np.abs(res.x - ref).max() <= res.linf_bound * 3
        assert res.coordinate_error.dtype == np.float64
    else:
        np.testing.assert_allclose(res.x, ref, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("dtype, out", [(np.float32, np.float32), (np.complex64, np.complex64),
                                        (np.int64, np.float64)])
def test_precision_family_as_numpy(dtype, out):
    rng = np.random.default_rng(8)
    A = (rng.standard_normal((50, 4)) * 10).astype(dtype)
    b = (rng.standard_normal(50) * 10).astype(dtype)
    res = fastls.lstsq(A, b, method="qr")
    assert res.x.dtype == np.linalg.lstsq(A, b, rcond=None)[0].dtype == out


def test_shape_mismatch_is_both_valueerror_and_linalgerror():
    with pytest.raises(np.linalg.LinAlgError, match="Incompatible dimensions") as info:
        fastls.lstsq(np.ones((5, 2)), np.ones(4))
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("shape, k", [((0, 3), 2), ((4, 0), 1), ((0, 0), 0), ((4, 2), 0)])
def test_empty_inputs_as_numpy(shape, k):
    A = np.ones(shape)
    b = np.ones((shape[0], k))
    res = fastls.lstsq(A, b)
    x_np, _, rank_np, s_np = np.linalg.lstsq(A, b, rcond=None)
    assert res.x.shape == x_np.shape and res.rank == rank_np
    np.testing.assert_array_equal(res.x, x_np)
    assert res.singular_values.shape == s_np.shape


@pytest.mark.parametrize("method", ["qr", "sketch", "precondition", "auto"])
@pytest.mark.parametrize("form", ["dense", "csr"])
def test_b_with_no_columns(method, form):
    """precondition raised 'max() arg is an empty sequence' for b of shape (n, 0)."""
    import scipy.sparse as sp
    A = np.random.default_rng(10).standard_normal((500, 6))
    res = fastls.lstsq(sp.csr_matrix(A) if form == "csr" else A, np.zeros((500, 0)), method=method,
                       random_state=0)
    assert res.x.shape == (6, 0) and res.success and res.rank == 6 and res.residual_norm.shape == (0,)


def _svd_matrix(rng, n, s, extra=1):
    """n x len(s) with singular values s, and an orthonormal U whose first columns span its range."""
    U, _ = np.linalg.qr(rng.standard_normal((n, len(s) + extra)))
    V, _ = np.linalg.qr(rng.standard_normal((len(s), len(s))))
    return (U[:, :len(s)] * s) @ V.T, U, V


@pytest.mark.parametrize("form", ["dense", "csr"])
@pytest.mark.parametrize("kind", ["gaussian", "srht"])
def test_an_iteration_limit_on_an_ill_conditioned_A_is_not_called_converged(form, kind):
    """maxiter = 1 at cond 1e11 left x 5e5 off numpy's and the residual 16% above
    the minimum, yet the status read CONVERGED: normal_residual's ||A|| ||x|| term
    hid the error behind x's huge norm. LSQR's own tests on A now decide."""
    import scipy.sparse as sp
    rng = np.random.default_rng(9)
    A, U, V = _svd_matrix(rng, 3000, np.logspace(0, -11, 40))
    b = A @ (V @ rng.standard_normal(40)) + U[:, 40]  # least-squares residual: U[:, 40], norm 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fastls.lstsq(sp.csr_matrix(A) if form == "csr" else A, b, method="precondition",
                           sketch=kind, maxiter=1, random_state=0)
    if res.success:  # only an answer that is optimal on A itself may say so
        assert np.linalg.norm(b - A @ res.x) <= 1 + 1e-6
    else:
        assert res.status == fastls.LstsqStatus.MAX_ITER


@pytest.mark.parametrize("method", ["precondition", "sketch"])
@pytest.mark.parametrize("form", ["dense", "csr"])
def test_singular_values_just_above_numpys_rank_threshold_are_kept(method, form):
    """sigma_min = 1.3 rcond sigma_max: the rank check compared ||A v|| with rcond s_1(S A),
    which exceeds sigma_max(A) by up to half at small Gaussian sketches, and dropped that
    direction in 8 of 20 seeds (rank d - 1, residual 41% above the minimum, success=True)."""
    import scipy.sparse as sp
    rng = np.random.default_rng(13)
    n, d = 2000, 20
    s = np.ones(d)
    s[-1] = 1.3 * np.finfo(float).eps * n
    A, U, _ = _svd_matrix(rng, n, s)
    b = U[:, :d] @ np.ones(d) + U[:, d]
    r_min = np.linalg.norm(b - A @ _numpy(A, b))
    for seed in range(20):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # QR fallbacks say so
            res = fastls.lstsq(sp.csr_matrix(A) if form == "csr" else A, b, method=method,
                               sketch="gaussian", random_state=seed)
        assert res.rank == d
        # (||x|| ~ 1e12: the residual itself carries ~1e-5 of rounding; sketch-and-solve's
        # is within its distortion of the minimum)
        assert np.linalg.norm(b - A @ res.x) <= r_min * (1.001 if method == "precondition" else 1.1)


@pytest.mark.parametrize("method", ["qr", "precondition", "auto"])
def test_float32_rank_follows_numpy(method):
    """numpy solves float32 input in float64 with float64's eps in rcond; float32's
    eps dropped singular values 1e-5..1e-4 (rank 9 of 12, x 61% off numpy's)."""
    rng = np.random.default_rng(1)
    A, _, V = _svd_matrix(rng, 800, np.logspace(0, -5, 12))
    A = A.astype(np.float32)
    b = (A.astype(float) @ (V @ rng.standard_normal(12))).astype(np.float32)
    x_np, _, rank_np, _ = np.linalg.lstsq(A, b, rcond=None)
    res = fastls.lstsq(A, b, method=method, random_state=0)
    assert res.rank == rank_np == 12 and res.x.dtype == np.float32
    np.testing.assert_allclose(res.x, x_np, rtol=0, atol=1e-3 * np.abs(x_np).max())


@pytest.mark.parametrize("kind", KINDS)
def test_real_sketch_of_complex_A(kind):
    rng = np.random.default_rng(9)
    A = rng.standard_normal((300, 4)) + 1j * rng.standard_normal((300, 4))
    S = fastls.sketch_matrix(300, 50, kind=kind, random_state=3)
    SA = fastls.sketch(A, 50, kind=kind, random_state=3)
    assert SA.dtype == np.complex128
    np.testing.assert_allclose(SA, S @ A, atol=1e-13 * np.abs(A).sum(axis=0).max())
    np.testing.assert_allclose(fastls.sketch(A[:, 1], 50, kind=kind, random_state=3), S @ A[:, 1],
                               atol=1e-13 * np.abs(A).sum())


class _HostRange:
    """The range object _core.krylov.lsqr drives (as fastls.distributed's, in memory)."""

    def __init__(self, A, b):
        self.A, self.u = A, b.copy()

    def norm(self):
        return np.linalg.norm(self.u)

    def scale(self, a):
        self.u *= a

    def apply_update(self, xhat, alpha):
        self.u = self.A @ xhat - alpha * self.u

    def apply_t(self):
        return self.A.T @ self.u


@pytest.mark.parametrize("consistent", [False, True])
def test_the_one_lsqr_follows_scipy_and_its_stops_are_lstsq_statuses(consistent):
    """_core.krylov.lsqr (the LSQR behind fastls.lstsq and fastls.distributed.lstsq)
    against scipy.sparse.linalg.lsqr: same stop, same iterations, same x; with a
    triangular R it solves min ||A R^-1 y - b||. Its stop codes read as LstsqStatus."""
    from scipy.sparse.linalg import lsqr
    from fastls import _core
    from fastls.linalg import LstsqStatus

    rng = np.random.default_rng(5)
    A = rng.standard_normal((300, 12)) * np.logspace(0, 2, 12)
    b = A @ rng.standard_normal(12) if consistent else rng.standard_normal(300)
    opt = _core.krylov.LsqrOptions()
    opt.atol = opt.btol = 1e-10
    res = _core.krylov.lsqr(_HostRange(A, b), np.eye(12), opt)
    ref = lsqr(A, b, atol=1e-10, btol=1e-10, iter_lim=200)
    assert (int(res.istop), res.nit) == (ref[1], ref[2])
    assert LstsqStatus(res.istop) == (LstsqStatus.CONSISTENT if consistent else LstsqStatus.CONVERGED)
    np.testing.assert_allclose(res.x, ref[0], rtol=1e-8)
    R = np.triu(rng.standard_normal((12, 12))) + 5 * np.eye(12)
    y = _core.krylov.lsqr(_HostRange(A, b), R, opt).x
    np.testing.assert_allclose(np.linalg.solve(R, y), _numpy(A, b), rtol=1e-7)
    # One status enum, bound from C++, with SciPy's istop values.
    assert LstsqStatus is _core.krylov.LstsqStatus and isinstance(res.istop, LstsqStatus)
    assert {s.name: int(s) for s in LstsqStatus} == \
        {"SOLVED": 0, "CONSISTENT": 1, "CONVERGED": 2, "ILL_CONDITIONED": 3, "MAX_ITER": 7}


@pytest.mark.parametrize("kind", ["srht", "sjlt", "countsketch", "gaussian", "rademacher"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["sketch", "precondition"])
def test_a_non_finite_entry_is_named_although_the_sketch_makes_the_check(kind, bad, method):
    # The CPU path skips the NaN/Inf pass over A and lets S A stand in for it:
    # one bad entry anywhere must still give the named error, never an answer.
    rng = np.random.default_rng(3)
    A, b = rng.standard_normal((3000, 12)), rng.standard_normal(3000)
    for row, col in [(0, 0), (1777, 5), (2999, 11)]:
        M = A.copy()
        M[row, col] = bad
        with pytest.raises(ValueError, match="A must be finite, but contains " + ("NaN" if np.isnan(bad) else "Inf")):
            fastls.lstsq(M, b, method=method, sketch=kind, random_state=0)
        with pytest.raises(ValueError, match="A must be finite"):
            fastls.lstsq(M.astype(complex), b, method=method, sketch=kind, random_state=0)
    wide = rng.standard_normal((6, 9))  # no sketch runs for wide A: QR, after the check
    wide[4, 8] = bad
    with pytest.raises(ValueError, match="A must be finite"):
        fastls.lstsq(wide, np.ones(6), method=method, sketch=kind, random_state=0)


@pytest.mark.parametrize("scale", [2.0**1000, 2.0**-1000, 1e306, 2.0**500])
@pytest.mark.parametrize("method", ["qr", "precondition", "sketch"])
def test_entries_near_the_float64_limits_are_solved_as_the_rescaled_problem(scale, method):
    # Householder norms of such entries over- or underflow; QR rescales A (and b) by a
    # power of two first, as LAPACK's drivers do, and the sketch methods hand such A to
    # it, so the answer (and its rank) is the rescaled problem's, never a silent rank 0
    # or a wrong x with success=True.
    rng = np.random.default_rng(8)
    A, b = rng.standard_normal((3000, 12)), rng.standard_normal(3000)
    big = A * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sketch: "no error bars" after QR
        res = fastls.lstsq(big, b, method=method, random_state=0)
        res_b = fastls.lstsq(A, b * scale, method=method, random_state=0)
    ref = np.linalg.lstsq(A, b, rcond=None)[0] / scale
    assert res.success and res.rank == 12
    np.testing.assert_allclose(res.x * scale, ref * scale, rtol=1e-10, atol=0)
    np.testing.assert_allclose(res_b.x / scale, ref * scale, rtol=1e-10)


@pytest.mark.parametrize("exps", [(1000, 1000), (-1000, -1000), (1000, 0), (-1000, 0), (0, 1000), (0, -1000),
                                  (500, -500), (-300, -300), (300, 300), (0, -120)])
@pytest.mark.parametrize("form", ["csr", "csc", "operator"])
@pytest.mark.parametrize("method", ["precondition", "sketch"])
def test_sparse_and_operator_entries_near_the_float64_limits(exps, form, method):
    # The sparse and operator paths scale A and b by powers of two (exactly) before the
    # sketch's QR and LSQR, whose norms would over- or underflow: A * 2^1000 gave x = NaN
    # and A * 2^-1000 a wrong x, both with success=True. x, the residual norm and the
    # singular values come back in the caller's units. Inside the float64 range too:
    # LSQR's absolute eps ended it after one iteration with A and b * 2^-300 (residual
    # 3.4x the minimum, success=True), so every column of b is brought to max |b| ~ 1.
    import scipy.sparse as sp
    from scipy.sparse.linalg import aslinearoperator

    ea, eb = exps
    rng = np.random.default_rng(9)
    A = sp.random(3000, 30, density=0.2, random_state=9, format="csr")
    b = A @ rng.standard_normal(30) + 1e-3 * rng.standard_normal(3000)
    as_form = {"csr": lambda M: M, "csc": sp.csc_matrix, "operator": aslinearoperator}[form]
    ref = fastls.lstsq(as_form(A), b, method=method, random_state=0)
    res = fastls.lstsq(as_form(A * 2.0**ea), b * 2.0**eb, method=method, random_state=0)
    assert res.success == ref.success and res.rank == ref.rank == 30
    np.testing.assert_allclose(np.ldexp(res.x, ea - eb), ref.x, rtol=1e-12)
    np.testing.assert_allclose(np.ldexp(res.residual_norm, -eb), ref.residual_norm, rtol=1e-12)
    np.testing.assert_allclose(np.ldexp(res.singular_values, -ea), ref.singular_values, rtol=1e-12)
    if method == "sketch":
        np.testing.assert_allclose(np.ldexp(res.linf_bound, ea - eb), ref.linf_bound, rtol=1e-12)
