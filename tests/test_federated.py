"""fastls.federated: federated WLS by ADMM, RERCE-Fed, CLU and FedProx.

Oracles: scipy's dense solve of the global normal equations (centralized
WLS), the closed-form FedProx fixed point, the note's invariant (section
3.1), a NumPy/SciPy transcription of every algorithm fed with the simulator's
own random draws (fastls.federated._reference), and the exact mean-square
recursion (predicted_nmsd) against Monte Carlo.
"""
import sys
import warnings

import numpy as np
import pytest
import scipy.linalg

import fastls
from conftest import assert_ctrl_c_stops
import fastls.federated as fed
from fastls import _core
from fastls.federated._theory import dense_operators
from fastls.federated import _reference as ref_impl

EXACT = ("admm", "rerce", "rerce-clu")


def small_problem(rng, K=8, L=6, n=20):
    """The note's test-1 problem: heterogeneous clients, random diagonal W_k."""
    X = [rng.standard_normal((n, L)) * rng.uniform(0.5, 2.0, L) for _ in range(K)]
    w0 = rng.standard_normal(L)
    y = [Xk @ w0 + 0.1 * rng.standard_normal(n) for Xk in X]
    W = [rng.uniform(0.5, 2.0, n) for _ in range(K)]
    return fed.Problem(X, y, W)


def good_rho(problem):
    """sqrt(lambda_min lambda_max) over the spectra of all 2 G_k (note 3.5)."""
    ev = np.concatenate([2 * np.linalg.eigvalsh(Xw.T @ Xw)
                         for Xw, _ in map(problem.whitened, range(problem.n_clients))])
    return float(np.sqrt(ev.min() * ev.max()))


@pytest.fixture
def small(rng):
    return small_problem(rng)


# ---------------------------------------------------------------- exactness

def test_centralized_matches_normal_equations(small):
    G = sum(Xw.T @ Xw for Xw, _ in map(small.whitened, range(small.n_clients)))
    h = sum(Xw.T @ yw for Xw, yw in map(small.whitened, range(small.n_clients)))
    expected = scipy.linalg.solve(G, h, assume_a="pos")
    # cond(G) is ~1e2 here, so the two routes agree to ~1e-14.
    np.testing.assert_allclose(small.centralized(), expected, rtol=1e-12)


@pytest.mark.parametrize("algorithm", EXACT)
def test_converges_to_centralized(small, algorithm):
    ws = small.centralized()
    res = fed.solve(small, algorithm=algorithm, rho=good_rho(small), n_rounds=100, w_true=ws)
    assert res.success and res.status == fed.FederatedStatus.COMPLETED and res.nit == 100
    # The note measures NMSD ~1e-25 after 100 rounds at this rho; 1e-8 relative
    # leaves room for any rounding while failing on a wrong fixed point.
    scale = np.linalg.norm(ws)
    assert np.linalg.norm(res.w - ws) <= 1e-8 * scale
    assert np.abs(res.local_models - ws).max() <= 1e-8 * scale
    assert res.history[-1] < -160
    assert res.uplink_messages == 8 * 100 and res.downlink_messages == 8 * 99


def test_fedprox_converges_to_its_biased_fixed_point(small):
    rho = good_rho(small)
    N, wb = dense_operators(small, rho)
    K, L = wb.shape
    # w = mean_k N_k (2 h_k + rho w)  <=>  (I - rho/K sum N_k) w = mean_k w̆_k
    w_fp = np.linalg.solve(np.eye(L) - rho / K * N.sum(0), wb.mean(0))
    res = fed.solve(small, algorithm="fedprox", rho=rho, n_rounds=200)
    np.testing.assert_allclose(res.w, w_fp, rtol=1e-8)
    # ... which is not the WLS solution: FedProx is biased when rho ~ lambda(G).
    assert np.linalg.norm(w_fp - small.centralized()) > 1e-3 * np.linalg.norm(w_fp)


def _trajectory(problem, algorithm, **kw):
    out = []
    fed.solve(problem, algorithm=algorithm, callback=lambda r, w, local: out.append((w, local)) and False, **kw)
    return out


def test_dual_free_iterates_equal_admm_iterates(small):
    """Note 2.2: without noise and with full participation the three exact
    algorithms are the same iteration; only rounding may differ."""
    kw = dict(rho=good_rho(small), n_rounds=40)
    runs = {alg: _trajectory(small, alg, **kw) for alg in EXACT}
    scale = np.abs(small.centralized()).max()
    for r in range(40):
        for alg in ("rerce", "rerce-clu"):
            # a few ulps of the model scale per round
            np.testing.assert_allclose(runs[alg][r][1], runs["admm"][r][1], rtol=0, atol=1e-13 * scale)
        np.testing.assert_allclose(runs["rerce"][r][0], runs["admm"][r][0], rtol=0, atol=1e-13 * scale)


def test_invariant_replacing_the_dual(small):
    """Note 3.1: sum_k N_k^{-1} w_k^(r) - rho K w^(r-1) = 2 sum_k h_k for all r."""
    rho = 1.0  # slow convergence, so the iterates move for all 30 rounds
    N, wb = dense_operators(small, rho)
    K = small.n_clients
    Ninv = np.linalg.inv(N)
    two_h = sum(Ninv[k] @ wb[k] for k in range(K))
    traj = _trajectory(small, "rerce", rho=rho, n_rounds=30)
    prev = np.zeros(small.n_features)
    for w, local in traj:
        inv = np.einsum("kij,kj->i", Ninv, local) - rho * K * prev
        np.testing.assert_allclose(inv, two_h, rtol=1e-10, atol=1e-10 * np.abs(two_h).max())
        prev = w


@pytest.mark.parametrize("algorithm", list(fed.ALGORITHMS))
@pytest.mark.parametrize("backend", ["loop", "batched"])
def test_iterates_match_numpy_reference(small, algorithm, backend):
    """Noisy links, 3 of 8 clients per round: same draws, same iterates. This
    also checks CLU's lazy idle-client catch-up against eager updates."""
    kw = dict(rho=2.0, clients_per_round=3, uplink_noise=1e-3, downlink_noise=4e-3, n_rounds=60)
    ws = small.centralized()
    res = fed.solve(small, algorithm=algorithm, w_true=ws, random_state=7, **kw)
    w, local, nmsd = ref_impl.simulate(small, algorithm, kw["rho"], 3, 1e-3, 4e-3, 60, 7, ws,
                                       backend=backend)
    np.testing.assert_allclose(res.local_models, local, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(res.w, w, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(res.history, 10 * np.log10(nmsd), atol=1e-8)


def test_initial_nmsd_is_that_of_the_local_estimates(small):
    ws = small.centralized()
    _, wb = dense_operators(small, 1.0)
    expected = 10 * np.log10(((wb - ws) ** 2).sum(1).mean() / (ws @ ws))
    for alg in fed.ALGORITHMS:
        res = fed.solve(small, algorithm=alg, clients_per_round=2, uplink_noise=1.0, downlink_noise=1.0,
                        n_rounds=3, w_true=ws, random_state=1)
        assert res.history[0] == pytest.approx(expected, abs=1e-10)


# ---------------------------------------------------------------- theory vs Monte Carlo

@pytest.fixture(scope="module")
def tiny():
    """The note's test-5 problem: K = 6, L = 4, n_k = 8."""
    rng = np.random.default_rng(2024)
    X = [rng.standard_normal((8, 4)) for _ in range(6)]
    y = [Xk @ rng.standard_normal(4) + 0.1 * rng.standard_normal(8) for Xk in X]
    return fed.Problem(X, y)


@pytest.mark.parametrize("algorithm", list(fed.ALGORITHMS))
def test_monte_carlo_matches_predicted_nmsd(tiny, algorithm):
    kw = dict(algorithm=algorithm, rho=1.0, clients_per_round=2, uplink_noise=1e-2,
              downlink_noise=1e-2, n_rounds=300)
    pred = fed.predicted_nmsd(tiny, **kw)
    mc = fed.monte_carlo(tiny, 2000, random_state=11, **kw)
    # Round 0 has no scheduling randomness in the local models: exact.
    assert mc.nmsd_db[0] == pytest.approx(pred[0], abs=1e-9)
    # Steady window (rounds 200-299, averaged in linear scale): with 2000 runs
    # its Monte Carlo spread is ~0.03 dB; the note saw <= 0.015 dB pointwise
    # with 20000 runs. 0.2 dB is the bound.
    window = slice(200, 300)
    mc_ss = 10 * np.log10(mc.runs[:, window].mean())
    pred_ss = 10 * np.log10(np.mean(10 ** (pred[window] / 10)))
    assert abs(mc_ss - pred_ss) < 0.2
    # transient, pointwise (spread ~0.1 dB)
    for r in (1, 20, 100):
        assert abs(mc.nmsd_db[r] - pred[r]) < 0.3


def test_predicted_nmsd_noise_free_full_participation_converges(tiny):
    pred = fed.predicted_nmsd(tiny, algorithm="rerce", rho=1.0, n_rounds=200)
    res = fed.solve(tiny, algorithm="rerce", rho=1.0, n_rounds=200, w_true=tiny.centralized())
    np.testing.assert_allclose(pred[:60], res.history[:60], atol=1e-6)


def test_predicted_nmsd_refuses_large_states():
    big = fed.reference_problem(0, n_clients=10, n_features=64, samples=[60] * 10)
    with pytest.raises(ValueError, match="state has"):
        fed.predicted_nmsd(big, algorithm="admm", n_rounds=2)


# ---------------------------------------------------------------- reference regime

@pytest.fixture(scope="module")
def reference():
    return fed.reference_problem(random_state=0)


def test_reference_problem_setup(reference):
    assert reference.n_clients == 100 and reference.n_features == 128
    assert reference.n_samples == list(fed.REFERENCE_SAMPLES) and sum(reference.n_samples) == 7038
    assert np.sum(reference.w_true ** 2) / 128 == pytest.approx(1.0)
    assert abs(reference.w_true.mean()) < 1e-12
    ws = reference.centralized()
    # BLUE with 7038 samples at noise variance 1e-4: ~-79 dB from w° (note 4.1)
    assert 10 * np.log10(np.sum((ws - reference.w_true) ** 2) / 128) < -70


@pytest.fixture(scope="module")
def floors(reference):
    """Steady-state NMSD (rounds 401-500) with 10 runs, as in the note's table 4.3."""
    out = {}
    for alg in ("admm", "rerce", "rerce-clu"):
        for var in (1e-2, 6.25e-4):
            mc = fed.monte_carlo(reference, 10, algorithm=alg, clients_per_round=4,
                                 uplink_noise=var, downlink_noise=var, random_state=123)
            out[alg, var] = mc.steady_state_db
    return out


def test_floor_ordering(floors):
    # note 4.3: ADMM -16.44, RERCE -17.66, CLU -23.14 dB; its test 8 margins
    assert floors["rerce", 1e-2] <= floors["admm", 1e-2] - 0.8
    assert floors["rerce-clu", 1e-2] <= floors["rerce", 1e-2] - 4.5


@pytest.mark.parametrize("algorithm", ["admm", "rerce", "rerce-clu"])
def test_floor_scales_with_noise_variance(floors, algorithm):
    # 16x less noise variance moves a noise-dominated floor by 10 log10 16 = 12.04 dB
    drop = floors[algorithm, 1e-2] - floors[algorithm, 6.25e-4]
    assert drop == pytest.approx(12.04, abs=0.3)


def test_floors_near_the_notes_values(floors):
    # 10 runs; the note's 10-run values on its own data draw, +-0.5 dB
    for alg, note in (("admm", -16.44), ("rerce", -17.66), ("rerce-clu", -23.14)):
        assert floors[alg, 1e-2] == pytest.approx(note, abs=0.5)


def test_rerce_one_client_per_round_diverges_and_says_so(reference):
    with pytest.warns(fastls.ConvergenceWarning, match="rerce-clu"):
        mc = fed.monte_carlo(reference, 5, algorithm="rerce", clients_per_round=1,
                             uplink_noise=1e-2, downlink_noise=1e-2, n_rounds=120, random_state=1)
    assert mc.nmsd_db[100] > 0  # note: +61 dB at round 100
    # CLU is the advised remedy: it converges with M = 1 (note: -17.7 dB at 500)
    clu = fed.monte_carlo(reference, 5, algorithm="rerce-clu", clients_per_round=1,
                          uplink_noise=1e-2, downlink_noise=1e-2, n_rounds=300, random_state=1)
    assert clu.nmsd_db[-1] < -5


def test_divergence_is_reported_not_silent(reference):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastls.ConvergenceWarning)
        res = fed.solve(reference, algorithm="rerce", clients_per_round=1, uplink_noise=1e-2,
                        downlink_noise=1e-2, n_rounds=20000, w_true=reference.centralized(),
                        random_state=3)
    assert res.status == fed.FederatedStatus.DIVERGED and not res.success
    assert res.nit < 20000 and np.isinf(res.history[-1])
    assert np.isfinite(res.history[:-1]).all()


# ---------------------------------------------------------------- determinism, RNG

def test_same_seed_same_run_and_monte_carlo_run_zero(small):
    kw = dict(clients_per_round=3, uplink_noise=1e-2, downlink_noise=1e-2, n_rounds=50,
              w_true=small.centralized())
    a = fed.solve(small, algorithm="rerce-clu", random_state=5, **kw)
    b = fed.solve(small, algorithm="rerce-clu", random_state=5, **kw)
    c = fed.solve(small, algorithm="rerce-clu", random_state=6, **kw)
    np.testing.assert_array_equal(a.local_models, b.local_models)
    assert not np.array_equal(a.local_models, c.local_models)
    mc = fed.monte_carlo(small, 3, algorithm="rerce-clu", random_state=5, **kw)
    np.testing.assert_allclose(10 * np.log10(mc.runs[0]), a.history, rtol=0, atol=1e-12)


def test_monte_carlo_independent_of_thread_count(small):
    from threadpoolctl import threadpool_limits
    kw = dict(algorithm="admm", clients_per_round=2, uplink_noise=1e-2, downlink_noise=1e-2,
              n_rounds=40, random_state=9)
    with threadpool_limits(limits=1, user_api="openmp"):
        one = fed.monte_carlo(small, 70, **kw)
    with threadpool_limits(limits=2, user_api="openmp"):
        two = fed.monte_carlo(small, 70, **kw)
    np.testing.assert_array_equal(one.runs, two.runs)


def test_monte_carlo_with_a_factory_redraws_the_data():
    calls = []

    def factory(rng):
        calls.append(rng)
        return fed.reference_problem(rng, n_clients=6, n_features=4, samples=[8] * 6)

    mc = fed.monte_carlo(factory, 3, algorithm="rerce", clients_per_round=2, n_rounds=20,
                         uplink_noise=1e-2, downlink_noise=1e-2, random_state=0)
    assert len(calls) == 3 and mc.runs.shape == (3, 20)
    assert len({float(r[0]) for r in mc.runs}) == 3  # different data, different w̆


def test_link_noise_is_standard_normal_and_schedules_are_uniform():
    z = _core.federated.normals(1, 0, _core.federated.Link.downlink, list(range(2000)), [3] * 2000, 50).ravel()
    # 1e5 draws: mean within 5 sigma (1.6e-2), variance within 5 sigma (2.2e-2)
    assert abs(z.mean()) < 0.016 and abs(z.var() - 1) < 0.022
    assert abs(np.mean(z ** 4) - 3) < 0.15
    counts = np.zeros(10)
    for r in range(3000):
        s = _core.federated.schedule(4, 0, r, 10, 3)
        assert len(set(s)) == 3
        counts[s] += 1
    # each client is picked with probability 3/10: 900 +- 25 per client
    assert np.abs(counts - 900).max() < 5 * 25


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("call", [
    "fed.solve(p, algorithm='rerce-clu', clients_per_round=4, uplink_noise=1e-2, n_rounds=2_000_000)",
    "fed.monte_carlo(p, 64, clients_per_round=4, uplink_noise=1e-2, n_rounds=100_000)",
])
def test_ctrl_c_stops_the_native_loops(call):
    setup = """
        import fastls.federated as fed
        p = fed.reference_problem(0)
        p._factors()
        """
    assert_ctrl_c_stops(setup, call, within=5.0, settle=0.5)


# ---------------------------------------------------------------- input policy

def test_bad_problems_get_named_errors(rng):
    X = [rng.standard_normal((5, 3)) for _ in range(2)]
    y = [rng.standard_normal(5) for _ in range(2)]
    with pytest.raises(ValueError, match=r"y\[1\] must have one entry per row of X\[1\]"):
        fed.Problem(X, [y[0], y[1][:4]])
    with pytest.raises(ValueError, match="same number of features"):
        fed.Problem([X[0], X[1][:, :2]], y)
    with pytest.raises(ValueError, match="one entry per client"):
        fed.Problem(X, y[:1])
    with pytest.raises(ValueError, match=r"weights\[0\] must be non-negative"):
        fed.Problem(X, y, [-np.ones(5), None])
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape"):
        fed.Problem(X, y, [None, np.ones(4)])
    with pytest.raises(ValueError, match=r"X\[0\] must be finite"):
        fed.Problem([np.full((5, 3), np.nan), X[1]], y)
    with pytest.raises(ValueError, match="at least one client"):
        fed.Problem([], [])
    with pytest.raises(TypeError, match="X must be a list"):
        fed.Problem(3.0, y)
    with pytest.raises(fastls.LinAlgError, match="singular"):
        fed.Problem([X[0][:2]], [y[0][:2]]).centralized()


def test_bad_options_get_named_errors(small):
    with pytest.raises(ValueError, match="clients_per_round must be >= 1"):
        fed.solve(small, clients_per_round=0)
    with pytest.raises(ValueError, match="clients_per_round must be <= 8"):
        fed.solve(small, clients_per_round=9)
    with pytest.raises(ValueError, match="rho must be > 0"):
        fed.solve(small, rho=0.0)
    with pytest.raises(ValueError, match="rho must be > 0"):
        fed.solve(small, rho=-1.0)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        fed.solve(small, algorithm="fedavg")
    with pytest.raises(ValueError, match="uplink_noise must be >= 0"):
        fed.solve(small, uplink_noise=-1e-3)
    with pytest.raises(ValueError, match="n_rounds must be >= 1"):
        fed.solve(small, n_rounds=0)
    with pytest.raises(ValueError, match=r"w_true must have shape \(6,\)"):
        fed.solve(small, w_true=np.ones(5))
    with pytest.raises(TypeError, match="problem must be"):
        fed.solve([np.ones((3, 2))])
    with pytest.raises(ValueError, match="n_runs must be >= 1"):
        fed.monte_carlo(small, 0)


def test_inputs_not_modified_and_layout_free(rng):
    p = small_problem(rng, K=3, L=4, n=6)
    X = [Xk.copy() for Xk in p.X]
    y = [yk.copy() for yk in p.y]
    W = [wk.copy() for wk in p.weights]
    res = fed.solve(fed.Problem(X, y, W), algorithm="admm", clients_per_round=2, uplink_noise=1e-2,
                    n_rounds=20, random_state=0)
    for a, b in zip(X + y + W, p.X + p.y + p.weights):
        np.testing.assert_array_equal(a, b)
    pf = fed.Problem([np.asfortranarray(Xk) for Xk in X], y, W)
    res_f = fed.solve(pf, algorithm="admm", clients_per_round=2, uplink_noise=1e-2, n_rounds=20, random_state=0)
    np.testing.assert_allclose(res_f.local_models, res.local_models, rtol=1e-13, atol=1e-15)


def test_callback_can_stop_and_errors_propagate(small):
    res = fed.solve(small, n_rounds=50, callback=lambda r, w, local: r >= 9)
    assert res.status == fed.FederatedStatus.STOPPED and res.nit == 10 and not res.success

    def boom(r, w, local):
        raise RuntimeError("from callback")

    with pytest.raises(RuntimeError, match="from callback"):
        fed.solve(small, n_rounds=5, callback=boom)


def test_result_residual_norm(small):
    res = fed.solve(small, algorithm="admm", rho=good_rho(small), n_rounds=100)
    r2 = sum(np.sum((yw - Xw @ res.w) ** 2) for Xw, yw in map(small.whitened, range(8)))
    assert res.residual_norm == pytest.approx(np.sqrt(r2), rel=1e-12)
    assert "FederatedResult" in repr(res)


# ---------------------------------------------------------------- paper (slow)

@pytest.mark.slow
def test_paper_reproduction_100_runs(reference):
    """Note 4.3/4.4: 100 runs of 500 rounds, M = 4, sigma^2 = 1e-2; within 0.5 dB."""
    for alg, note in (("admm", -16.44), ("rerce", -17.66), ("rerce-clu", -23.14), ("fedprox", -21.70)):
        mc = fed.monte_carlo(reference, 100, algorithm=alg, clients_per_round=4,
                             uplink_noise=1e-2, downlink_noise=1e-2, random_state=2024)
        assert mc.steady_state_db == pytest.approx(note, abs=0.5), alg
    full = fed.monte_carlo(reference, 20, algorithm="rerce", uplink_noise=1e-2,
                           downlink_noise=1e-2, random_state=1)
    assert full.steady_state_db == pytest.approx(-23.14, abs=0.5)


@pytest.mark.parametrize("algorithm", list(fed.ALGORITHMS))
def test_local_clients_driven_from_python_reproduce_solve(small, algorithm):
    """The per-client step is separable: a Python server loop over LocalClient
    objects, with the simulator's draws, gives solve()'s iterates."""
    K, L, M, seed, n_iter, s = small.n_clients, small.n_features, 3, 4, 25, 0.05
    clients = [fed.LocalClient(X, y, w, algorithm=algorithm, rho=2.0)
               for X, y, w in zip(small.X, small.y, small.weights)]
    noise = lambda link, k, r: s * _core.federated.normals(seed, 0, link, [k], [r], L)[0]  # noqa: E731
    UP, DOWN = _core.federated.Link.uplink, _core.federated.Link.downlink
    ups = [c.start() for c in clients]
    stale = algorithm in ("admm", "rerce-clu")
    if stale:
        store = np.array([u + noise(UP, k, 0) for k, u in enumerate(ups)])
        glob = store.mean(0)
    else:
        S = _core.federated.schedule(seed, 0, 0, K, M)
        glob, prev = np.mean([ups[k] + noise(UP, k, 0) for k in S], axis=0), np.zeros(L)
    for r in range(1, n_iter):
        msg = 2 * glob - prev if algorithm == "rerce" else glob
        S = _core.federated.schedule(seed, 0, r, K, M)
        got = {k: clients[k].update(msg + noise(DOWN, k, r), r) + noise(UP, k, r) for k in S}
        if stale:
            for k, u in got.items():
                store[k] = u
            glob = store.mean(0)
        else:
            prev, glob = glob, np.mean(list(got.values()), axis=0)
    res = fed.solve(small, algorithm=algorithm, rho=2.0, clients_per_round=M, uplink_noise=s * s,
                    downlink_noise=s * s, n_rounds=n_iter, random_state=seed)
    local = np.array([c.local_model(n_iter - 1) for c in clients])
    np.testing.assert_allclose(local, res.local_models, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(glob, res.w, rtol=1e-12, atol=1e-13)


def test_local_client_validation(rng):
    c = fed.LocalClient(rng.standard_normal((5, 3)), rng.standard_normal(5), algorithm="admm")
    c.start()
    with pytest.raises(ValueError, match=r"message must have shape \(3,\)"):
        c.update(np.ones(4), 1)
    with pytest.raises(ValueError, match="round must be >= 1"):
        c.update(np.ones(3), 0)
    with pytest.raises(ValueError, match=r"weights\[0\] must be non-negative"):
        fed.LocalClient(np.ones((2, 2)), np.ones(2), -np.ones(2))


def test_weights_none_equal_unit_weights_and_zero_weight_drops_a_sample(rng):
    p = small_problem(rng, K=4, L=3, n=7)
    ones = fed.Problem(p.X, p.y, [np.ones(7)] * 4)
    plain = fed.Problem(p.X, p.y)
    kw = dict(algorithm="rerce-clu", clients_per_round=2, uplink_noise=1e-2, n_rounds=30, random_state=2)
    np.testing.assert_allclose(fed.solve(ones, **kw).local_models, fed.solve(plain, **kw).local_models,
                               rtol=1e-12, atol=1e-14)
    w = [np.ones(7) for _ in range(4)]
    w[1] = w[1].copy()
    w[1][3] = 0.0
    dropped = fed.Problem([X if k != 1 else np.delete(X, 3, 0) for k, X in enumerate(p.X)],
                          [y if k != 1 else np.delete(y, 3) for k, y in enumerate(p.y)])
    np.testing.assert_allclose(fed.Problem(p.X, p.y, w).centralized(), dropped.centralized(), rtol=1e-12)


def test_native_server_enforces_the_round_protocol():
    """_core.federated.Server (the loop the Dask path drives) refuses uploads
    out of begin_round() order and a round closed before every upload."""
    assert fed.ALGORITHMS == ("admm", "rerce", "rerce-clu", "fedprox")
    s = _core.federated.Settings()
    s.algorithm, s.clients_per_round, s.n_rounds = _core.federated.Algorithm.rerce, 2, 3
    server = _core.federated.Server(4, 3, s, 1.0)
    ks = server.begin_round()
    assert len(ks) == 2 and ks == sorted(ks)
    with pytest.raises(ValueError, match="begin_round"):
        server.receive(ks[1], np.zeros(3))
    server.receive(ks[0], np.ones(3))
    with pytest.raises(ValueError, match="upload first"):
        server.end_round()
    server.receive(ks[1], np.ones(3))
    server.end_round()
    np.testing.assert_array_equal(server.global_model, np.ones(3))
    k = server.begin_round()[0]
    np.testing.assert_array_equal(server.downlink(k), 2 * np.ones(3))  # RERCE: 2 w^(0) - w^(-1)
    with pytest.raises(ValueError, match="one entry per feature"):
        server.receive(k, np.ones(2))
