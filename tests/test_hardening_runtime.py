"""Hardening beyond bad input (issue 10): threads, thread-count determinism,
iteration limits, Ctrl-C, memory, and the numerical edge cases."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.linalg

import fastls
from fastls import bcd, federated, sbl, selfcal

from conftest import assert_ctrl_c_stops, svd_matrix


def _quiet(fn):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    return run


def _arrays(out):
    """Every array a result carries, in a fixed order (for bitwise comparison)."""
    if isinstance(out, np.ndarray):
        return [out]
    fields = getattr(out, "__dataclass_fields__", None)
    values = [getattr(out, f) for f in fields] if fields else list(out)
    return [np.asarray(v) for v in values
            if isinstance(v, (np.ndarray, float, int)) and not isinstance(v, bool)]


def _same(a, b):
    for u, v in zip(_arrays(a), _arrays(b), strict=True):
        assert u.shape == v.shape and u.tobytes() == v.tobytes()


_rng = np.random.default_rng(2024)
_A = _rng.standard_normal((600, 20))
_B = _rng.standard_normal(600)
_FED = federated.reference_problem(3, n_clients=6, n_features=4, samples=[8, 9, 10, 11, 12, 13])
_SC = {"d": np.exp(1j * _rng.uniform(0, 6, 8)), "A": _rng.standard_normal((5, 8, 2))
       + 1j * _rng.standard_normal((5, 8, 2)), "x": _rng.standard_normal(2) + 0j}
_SC["y"] = np.einsum("i,lij,j->li", _SC["d"], _SC["A"], _SC["x"])
_KF = [_rng.standard_normal((6, 8)), _rng.standard_normal((5, 7))]
_KX = np.zeros(56)
_KX[[3, 20, 41]] = [1.0, -2.0, 0.5]
_KY = np.kron(*_KF) @ _KX + 0.01 * _rng.standard_normal(30)

# Calls whose API promises the same answer for a given seed, whatever the threads.
DETERMINISTIC = {
    **{f"sketch-{k}": (lambda k=k: fastls.sketch(_A, 64, kind=k, random_state=5))
       for k in fastls.sketching.KINDS},
    "lstsq-precondition": lambda: fastls.lstsq(_A, _B, method="precondition", random_state=5),
    "lstsq-sketch": lambda: fastls.lstsq(_A, _B, method="sketch", sketch="gaussian", random_state=5),
    "lstsq-qr": lambda: fastls.lstsq(_A, _B, method="qr"),
    "federated.solve": lambda: federated.solve(_FED, clients_per_round=2, uplink_noise=1e-3,
                                               n_rounds=40, random_state=5),
    "federated.monte_carlo": lambda: federated.monte_carlo(_FED, 6, clients_per_round=2,
                                                           uplink_noise=1e-3, n_rounds=30,
                                                           random_state=5),
    "bcd.minimize": _quiet(lambda: bcd.minimize(bcd.LeastSquares(_A[:60], _B[:60]), rule="random",
                                                maxiter=200, random_state=5)),
    "bcd.lasso": lambda: bcd.lasso(_A, _B, 0.05),
    "selfcal.solve": lambda: selfcal.solve(_SC["A"], _SC["y"], model="shared-signal", method="spectral"),
    "sbl.kron_sbl-svd": _quiet(lambda: sbl.kron_sbl(_KF, _KY, method="svd")),
    "sbl.kron_sbl-am": _quiet(lambda: sbl.kron_sbl(_KF, _KY, method="am")),
}


@pytest.mark.parametrize("name", list(DETERMINISTIC))
def test_threads_give_the_serial_answer(name):
    call = DETERMINISTIC[name]
    inputs = (_A.copy(), _B.copy())
    serial = call()
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: call(), range(8)))
    for out in outs:
        _same(out, serial)
    assert np.array_equal(_A, inputs[0]) and np.array_equal(_B, inputs[1])


# OpenMP thread-count determinism, only where a parallel region really runs
# (`grep -rn "pragma omp parallel" cpp/`; Eigen is built with EIGEN_DONT_PARALLELIZE):
#   cpp/src/sketch/dense.cpp     gaussian/rademacher: units of 128 x 32 = 4096 rows of A
#   cpp/src/sketch/srht.cpp      srht: panels of 8 columns of A
#   cpp/src/sketch/sparse.cpp    sjlt/countsketch of a dense A: hash chunks of 1024 rows, panels of 8 columns
#   cpp/src/dense/sweep.cpp      lstsq precondition's fused passes: tasks of 8 row blocks of ~1 MiB
#   cpp/src/federated/simulation.cpp   monte_carlo: one Monte Carlo run per iteration
#   cpp/bindings/bind_federated.cpp    Problem's factorizations: one client per iteration
# Each case below has >= 3 of those work items, so 2 threads split it. Sketches of
# sparse A, QR, LSQR, BCD, Lasso, self-calibration and SBL have no parallel region:
# their thread-count independence is trivial and is not tested here.
_OMP_SETUP = """
import hashlib, json, sys
import numpy as np
import fastls
from fastls import _core, federated
rng = np.random.default_rng(2024)
A_rows = rng.standard_normal((3 * 4096 + 77, 6))      # 4 row units (dense sketches)
A_cols = rng.standard_normal((5000, 37))              # 5 column panels, 2 row chunks (srht)
b_rows = rng.standard_normal(A_rows.shape[0])
b_cols = rng.standard_normal(A_cols.shape[0])
A_sweep = rng.standard_normal((6000, 800))            # 5 sweep tasks of 1280 rows
b_sweep = rng.standard_normal(6000)
fed = lambda: federated.reference_problem(3, n_clients=6, n_features=4,
                                          samples=[8, 9, 10, 11, 12, 13])
CASES = {
    "sketch-gaussian": lambda: fastls.sketch(A_rows, 64, kind="gaussian", random_state=5),
    "sketch-rademacher": lambda: fastls.sketch(A_rows, 64, kind="rademacher", random_state=5),
    "sketch-srht": lambda: fastls.sketch(A_cols, 300, kind="srht", random_state=5),
    "lstsq-precondition-srht": lambda: fastls.lstsq(A_cols, b_cols, method="precondition",
                                                   sketch="srht", random_state=5).x,
    "sketch-sjlt": lambda: fastls.sketch(A_cols, 300, kind="sjlt", random_state=5),
    "lstsq-precondition-sjlt": lambda: fastls.lstsq(A_sweep, b_sweep, method="precondition",
                                                   sketch="sjlt", random_state=5).x,
    "lstsq-sketch-gaussian": lambda: fastls.lstsq(A_rows, b_rows, method="sketch", sketch="gaussian",
                                                  random_state=5).x,
    "federated.Problem": lambda: fed().centralized(),
    "federated.solve": lambda: federated.solve(fed(), clients_per_round=2, uplink_noise=1e-3,
                                               n_rounds=40, random_state=5).local_models,
    "federated.monte_carlo": lambda: federated.monte_carlo(fed(), 6, clients_per_round=2,
                                                           uplink_noise=1e-3, n_rounds=30,
                                                           random_state=5).runs,
}
out = {"threads": _core.max_threads()}
for name, call in CASES.items():
    x = np.ascontiguousarray(call())
    out[name] = [str(x.dtype), list(x.shape), hashlib.sha256(x.tobytes()).hexdigest()]
print(json.dumps(out))
"""
OMP_CASES = ("sketch-gaussian", "sketch-rademacher", "sketch-srht", "lstsq-precondition-srht",
             "sketch-sjlt", "lstsq-precondition-sjlt", "lstsq-sketch-gaussian", "federated.Problem", "federated.solve",
             "federated.monte_carlo")


@pytest.fixture(scope="module")
def omp_hashes():
    runs = {}
    for threads in (1, 2):
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": "1"}
        proc = subprocess.run([sys.executable, "-c", _OMP_SETUP], env=env, text=True,
                              capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        runs[threads] = json.loads(proc.stdout.splitlines()[-1])
    return runs


_NO_OPENMP = pytest.mark.skipif(fastls.show_config(mode="dicts")["openmp"] is None,
                                reason="fastls was built without OpenMP (kernels run serially)")


@_NO_OPENMP
def test_openmp_thread_counts_really_differ(omp_hashes):
    assert omp_hashes[1]["threads"] == 1 and omp_hashes[2]["threads"] == 2


@pytest.mark.parametrize("name", OMP_CASES)
def test_bitwise_same_for_one_and_two_openmp_threads(name, omp_hashes):
    assert omp_hashes[1][name] == omp_hashes[2][name]


@_NO_OPENMP
def test_threadpoolctl_sets_the_openmp_threads_of_the_kernels():
    """README: OpenMP threads follow OMP_NUM_THREADS and threadpoolctl."""
    code = ("from threadpoolctl import threadpool_limits\n"
            "from fastls import _core\n"
            "before = _core.max_threads()\n"
            "with threadpool_limits(limits=1, user_api='openmp'):\n"
            "    inside = _core.max_threads()\n"
            "print(before, inside, _core.max_threads())\n")
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["2", "1", "2"]


# ----------------------------------------------------------- iteration limits

def test_lstsq_maxiter_honoured():
    rng = np.random.default_rng(0)
    A = svd_matrix(400, 30, 1e10, rng)
    b = rng.standard_normal(400)
    with pytest.warns(fastls.ConvergenceWarning):
        res = fastls.lstsq(A, b, method="precondition", sketch="countsketch", sketch_rows=30, maxiter=2,
                           tol=1e-16, random_state=0)
    assert res.nit <= 2 and not res.success and res.status == fastls.LstsqStatus.MAX_ITER


def test_bcd_minimize_maxiter_and_tol_honoured():
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((40, 20)), rng.standard_normal(40)
    prob = bcd.LeastSquares(A, b)
    with pytest.warns(fastls.ConvergenceWarning):
        res = bcd.minimize(prob, rule="cyclic", maxiter=7, tol=1e-14, random_state=0)
    assert res.nit == 7 and not res.success and res.status == bcd.BCDStatus.MAX_ITER
    # tol honoured: the run stops once the optimality is tol times its start, and the
    # objective is then within reach of the exact minimiser's.
    res = bcd.minimize(prob, rule="gsl", maxiter=100_000, tol=1e-6)
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    g0 = np.linalg.norm(A.T @ b)
    assert res.success and res.nit < 100_000
    assert np.linalg.norm(A.T @ (A @ res.x - b)) <= 1e-6 * g0 * np.sqrt(20)
    assert prob.objective(res.x) - prob.objective(x_star) < 1e-6 * prob.objective(np.zeros(20))


def test_bcd_lasso_max_iter_honoured():
    rng = np.random.default_rng(2)
    A, b = rng.standard_normal((50, 200)), rng.standard_normal(50)
    with pytest.warns(fastls.ConvergenceWarning):
        res = bcd.lasso(A, b, 1e-4, tol=1e-15, maxiter=1, max_epochs=3)
    assert res.nit <= 1 and res.n_epochs <= 3 and not res.success
    res = bcd.lasso(A, b, 0.05, tol=1e-8)
    assert res.success and res.gap <= 1e-8


def test_selfcal_spectral_maxiter_honoured():
    with pytest.warns(fastls.ConvergenceWarning):
        res = selfcal.solve(_SC["A"], _SC["y"], model="shared-signal", method="spectral", maxiter=1, tol=1e-300)
    assert not res.success and res.status == selfcal.SelfCalStatus.MAX_ITER and res.nit <= 1


@pytest.mark.parametrize("method", ["svd", "am"])
def test_sbl_max_iter_honoured(method):
    with pytest.warns(fastls.ConvergenceWarning):
        res = sbl.kron_sbl(_KF, _KY, method=method, maxiter=2, tol=1e-300)
    assert res.nit == 2 and not res.success


def test_sbl_single_factor_is_classic_sbl():
    H = _rng.standard_normal((12, 20))
    x = np.zeros(20)
    x[[2, 9]] = [1.5, -1.0]
    y = H @ x + 1e-3 * _rng.standard_normal(12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastls.ConvergenceWarning)
        ref = sbl.sbl(H, y, prune=1e-3)
        for method in ("svd", "am"):
            res = sbl.kron_sbl([H], y, method=method, prune=1e-3)
            np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-10)


def test_federated_n_iter_honoured():
    res = federated.solve(_FED, n_rounds=13)
    assert res.nit == 13 and res.success


# ----------------------------------------------------------- Ctrl-C (loops not covered per family)

def test_ctrl_c_stops_lstsq_precondition():
    setup = """
        import numpy as np, fastls
        rng = np.random.default_rng(0)
        A = rng.standard_normal((20000, 200)); b = rng.standard_normal(20000)
    """
    call = ('for _ in range(10**6): fastls.lstsq(A, b, method="precondition", sketch="countsketch", '
            'sketch_rows=200, tol=1e-300, maxiter=10**9)')
    assert_ctrl_c_stops(setup, call, within=3.0, settle=1.0)


def test_ctrl_c_stops_bcd_lasso():
    setup = """
        import numpy as np, warnings
        from fastls import bcd
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        A = rng.standard_normal((300, 3000)); b = rng.standard_normal(300)
    """
    call = "bcd.lasso(A, b, 1e-7, tol=0.0, maxiter=10**9, max_epochs=10**9)"
    assert_ctrl_c_stops(setup, call, within=3.0, settle=1.0)


# ----------------------------------------------------------- memory

def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


LEAK_CALLS = {
    "lstsq-qr": lambda: fastls.lstsq(_A[:60], _B[:60], method="qr"),
    "lstsq-precondition": lambda: fastls.lstsq(_A, _B, method="precondition", random_state=1),
    "sketch-srht": lambda: fastls.sketch(_A, 40, kind="srht", random_state=1),
    "sketch-sjlt": lambda: fastls.sketch(_A, 40, kind="sjlt", random_state=1),
    "federated.solve": lambda: federated.solve(_FED, n_rounds=10, w_true=_FED.w_true),
    "federated.monte_carlo": lambda: federated.monte_carlo(_FED, 2, n_rounds=10),
    "bcd.minimize": lambda: bcd.minimize(bcd.LeastSquares(_A[:30], _B[:30]), maxiter=20, tol=0),
    "bcd.lasso": lambda: bcd.lasso(_A[:60], _B[:60], 0.1),
    "selfcal.solve": lambda: selfcal.solve(_SC["A"], _SC["y"], model="shared-signal"),
    "sbl.kron_sbl": _quiet(lambda: sbl.kron_sbl(_KF, _KY, method="svd", maxiter=20)),
    "bad input": lambda: pytest.raises(ValueError, fastls.lstsq, _A, _B[:5]),
}


@pytest.mark.parametrize("name", list(LEAK_CALLS))
def test_repeated_calls_do_not_grow_memory(name):
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("under ASan freed memory stays in its quarantine: RSS says nothing")
    call = LEAK_CALLS[name]
    for _ in range(100):  # warm caches, allocator pools and lazy imports
        call()
    before = _rss_bytes()
    for _ in range(1000):
        call()
    # A leak of one small array per call (>= 8 x 20 doubles) would add >= 1.3 MB.
    assert _rss_bytes() - before < 1_000_000


@pytest.mark.parametrize("call, words", [
    (lambda: fastls.sketch_matrix(2**30, 2**20), "GiB"),
    (lambda: fastls.sketch_matrix(2**40, 2**20), "n must be"),
    (lambda: fastls.sketch(_A, 10**12), "sketch_rows"),
    (lambda: federated.monte_carlo(_FED, 2**30, n_rounds=10**6), "n_runs * n_rounds"),
    # 32 GiB of NMSD curves: over-committed, it was filled and OOM-killed before the check.
    (lambda: federated.solve(_FED, n_rounds=2**31 - 1, w_true=_FED.w_true), "n_rounds"),
    (lambda: federated.predicted_nmsd(_FED, n_rounds=10**12), "n_rounds"),
    (lambda: selfcal.ula_steering(10**12, [0.0]), ""),
])
def test_absurd_sizes_fail_before_allocating(call, words):
    # Over the machine's memory (each case needs >= 32 GiB; guarded so a smaller
    # request on a bigger machine is never attempted for real).
    from fastls._validation import _available_bytes
    if _available_bytes() > 30 * 2**30:
        pytest.skip("machine has more than 30 GiB available: the cases would allocate")
    before = _rss_bytes()
    with pytest.raises((MemoryError, ValueError)) as info:
        call()
    assert words in str(info.value)
    assert _rss_bytes() - before < 100_000_000


# ----------------------------------------------------------- numerical edge cases

def test_lstsq_rank_deficient_and_collinear_give_minimum_norm():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((200, 6))
    A[:, 5] = 2.0 * A[:, 1]  # exactly collinear
    b = rng.standard_normal(200)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]  # numpy's minimum-norm solution
    for method in ("qr", "precondition"):
        res = fastls.lstsq(A, b, method=method, random_state=0)
        assert res.rank == 5 and "rank deficient" in res.message or method == "qr"
        np.testing.assert_allclose(res.x, x_ref, rtol=1e-8, atol=1e-10)
    assert fastls.lstsq(A, b, method="qr").rank == 5


@pytest.mark.parametrize("method", ["qr", "sketch", "precondition"])
def test_lstsq_zero_rhs_one_by_one_and_square(method):
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 4))
    res = fastls.lstsq(A, np.zeros(30), method=method, random_state=0)
    assert res.success and np.array_equal(res.x, np.zeros(4)) and res.residual_norm == 0.0
    res = fastls.lstsq([[2.0]], [3.0], method=method, random_state=0)
    assert res.x.shape == (1,) and res.x[0] == pytest.approx(1.5, rel=1e-14)
    S = svd_matrix(8, 8, 1e3, rng)  # n = d: the sketch is the whole problem
    x = rng.standard_normal(8)
    res = fastls.lstsq(S, S @ x, method=method, random_state=0)
    np.testing.assert_allclose(res.x, x, rtol=1e-9)  # kappa 1e3 * eps * safety


def test_lstsq_zero_matrix():
    res = fastls.lstsq(np.zeros((5, 3)), np.ones(5), method="qr")
    assert res.rank == 0 and np.array_equal(res.x, np.zeros(3))


def test_federated_single_client_is_weighted_least_squares():
    rng = np.random.default_rng(5)
    X, y, w = rng.standard_normal((20, 3)), rng.standard_normal(20), rng.uniform(0.5, 2, 20)
    prob = federated.Problem([X], [y], [w])
    sw = np.sqrt(w)
    w_ref = scipy.linalg.lstsq(X * sw[:, None], y * sw)[0]
    np.testing.assert_allclose(prob.centralized(), w_ref, rtol=1e-10)
    res = federated.solve(prob, n_rounds=300)
    np.testing.assert_allclose(res.w, w_ref, rtol=1e-8, atol=1e-10)


def test_federated_singular_total_gram_is_a_named_error():
    X = [np.ones((3, 2)), np.ones((4, 2))]  # identical columns: sum of G_k singular
    prob = federated.Problem(X, [np.ones(3), np.ones(4)])
    with pytest.raises(fastls.LinAlgError):
        prob.centralized()


def test_bcd_single_variable_and_zero_target():
    A, b = np.array([[2.0], [1.0]]), np.array([4.0, 2.0])
    res = bcd.minimize(bcd.LeastSquares(A, b), block_size=1)
    assert res.success and res.x == pytest.approx([2.0], rel=1e-12)
    res = bcd.lasso(A, np.zeros(2), 0.1)
    assert res.success and np.array_equal(res.x, [0.0])


def test_selfcal_dead_sensor_raises_or_drops():
    y = _SC["y"].copy()
    y[:, 3] = 0.0
    with pytest.raises(selfcal.DeadSensorError, match="sensor"):
        selfcal.solve(_SC["A"], y, model="shared-signal")
    res = selfcal.solve(_SC["A"], y, model="shared-signal", dead_sensors="drop")
    assert res.dead_sensors == (3,) and np.isfinite(res.d).all()
    live = np.arange(8) != 3
    assert selfcal.align(res.d[live], _SC["d"][live])[1] < 1e-10


@pytest.mark.parametrize("kind", ["gaussian", "srht"])
def test_ctrl_c_stops_a_long_dense_sketch(kind):
    setup = """
        import numpy as np, fastls
        A = np.ones((40000, 400))
    """
    call = f'for _ in range(10**6): fastls.sketch(A, 4000, kind="{kind}", random_state=0)'
    assert_ctrl_c_stops(setup, call, within=3.0, settle=1.0)
