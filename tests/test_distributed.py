"""fastls.distributed on a small embedded LocalCluster (threads: fits 2 cores).

Oracles: fastls.sketch of the same matrix in memory (same Philox entries, so
equal to rounding), the definition of the block SRHT via fastls.sketch per
chunk, a Monte Carlo estimate of E[S^T S] = I, numpy.linalg.lstsq /
dask.array.linalg.lstsq (TSQR), and the in-process federated simulator.
"""
import os
import signal
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import fastls  # noqa: E402
import fastls.federated as fed  # noqa: E402
from fastls import distributed as fd  # noqa: E402
from conftest import svd_matrix  # noqa: E402

EXACT_KINDS = ("gaussian", "rademacher", "countsketch", "sjlt")
CHUNKINGS = (250, (100, 250, 7, 643), (1000,), (1, 999))


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _rounding_tol(A):
    # Each entry of S A sums n terms |S_ij A_jk| <= ~6/sqrt(m) |A_jk|; two summation
    # orders differ by at most ~n eps times that sum. 1e-13 * column 1-norm covers it.
    return 1e-13 * np.abs(A).sum(axis=0).max()


@pytest.mark.parametrize("kind", EXACT_KINDS)
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_sketch_equals_in_memory_sketch(client, rng, kind, chunks):
    A = rng.standard_normal((1000, 7))
    got = fd.sketch(da.from_array(A, chunks=(chunks, 7)), 40, kind=kind, random_state=11)
    want = fastls.sketch(A, 40, kind=kind, random_state=11)
    np.testing.assert_allclose(got, want, rtol=0, atol=_rounding_tol(A))
    assert not np.allclose(got, fastls.sketch(A, 40, kind=kind, random_state=12))


def test_sketch_vector_column_chunks_and_sjlt_nnz(client, rng):
    A = rng.standard_normal((600, 6))
    dA = da.from_array(A, chunks=(150, 2))  # column chunks are merged
    np.testing.assert_allclose(fd.sketch(dA, 30, kind="sjlt", random_state=3, nnz_per_column=3),
                               fastls.sketch(A, 30, kind="sjlt", random_state=3, nnz_per_column=3),
                               rtol=0, atol=_rounding_tol(A))
    v = A[:, 0]
    np.testing.assert_allclose(fd.sketch(da.from_array(v, chunks=77), 20, kind="gaussian", random_state=5),
                               fastls.sketch(v, 20, kind="gaussian", random_state=5), rtol=0, atol=_rounding_tol(v[:, None]))


def test_block_srht_is_sum_of_chunk_srhts(client, rng):
    """Definition: S A = sum_i S_i A_i, S_i an SRHT of chunk i keyed by (seed, first row)."""
    A = rng.standard_normal((900, 5))
    sizes, m, seed = (300, 20, 580), 32, 9
    got = fd.sketch(da.from_array(A, chunks=(sizes, 5)), m, kind="srht", random_state=seed)
    want, r0 = np.zeros((m, 5)), 0
    for n_i in sizes:
        block = np.vstack([A[r0:r0 + n_i], np.zeros((max(0, m - n_i), 5))])
        want += fastls.sketch(block, m, kind="srht", random_state=fd._block_srht_seed(seed, r0))
        r0 += n_i
    np.testing.assert_allclose(got, want, rtol=0, atol=_rounding_tol(A))


def test_block_srht_expected_gram_is_identity():
    """E[S^T S] = I: Monte Carlo over seeds of the explicit block SRHT (3 ragged
    blocks, one shorter than m). Entries of S^T S average over T draws with
    variance <= 1/T per draw scale, so 6/sqrt(T) bounds every entry's error."""
    sizes, m, T = (5, 16, 11), 8, 1500
    n = sum(sizes)
    acc = np.zeros((n, n))
    for seed in range(T):
        blocks, r0 = [], 0
        for n_i in sizes:
            blocks.append(fd._sketch_chunk(np.eye(n_i), None, "srht", m, seed, 1, r0))
            r0 += n_i
        S = np.hstack(blocks)
        acc += S.T @ S
    np.testing.assert_allclose(np.diag(acc) / T, 1.0, atol=1e-12)  # exact: every column has norm 1
    assert np.abs(acc / T - np.eye(n)).max() < 6 / np.sqrt(T)


def test_lstsq_ill_conditioned_like_lapack(client, rng):
    """cond 1e8 over 10 chunks. Two backward-stable solvers agree in x only to
    ~cond*eps, so compare what backward stability promises (as
    test_sketch.py::test_precondition_ill_conditioned_like_lapack): ||A^T r||
    no worse than numpy's gelsd, ||r|| to 1e-10 relative, forward error within
    100 cond eps; and, on a consistent-to-rounding right-hand side's fitted
    values A x, agreement to 1e-10 relative."""
    n, d, cond = 8000, 20, 1e8
    A = svd_matrix(n, d, cond, rng)
    b = A @ rng.standard_normal(d) + 1e-3 * rng.standard_normal(n)
    res = fd.lstsq(da.from_array(A, chunks=(800, d)), da.from_array(b, chunks=1000), random_state=1)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    r, r_ref = b - A @ res.x, b - A @ x_ref
    assert res.success and res.nit < 100
    assert np.linalg.norm(A.T @ r) <= 10 * np.linalg.norm(A.T @ r_ref) + 1e-14
    assert abs(np.linalg.norm(r) - np.linalg.norm(r_ref)) <= 1e-10 * np.linalg.norm(r_ref)
    assert res.residual_norm == pytest.approx(np.linalg.norm(r), rel=1e-10)
    assert np.linalg.norm(res.x - x_ref) <= 100 * cond * np.finfo(float).eps * np.linalg.norm(x_ref)
    np.testing.assert_allclose(A @ res.x, A @ x_ref, rtol=0, atol=1e-10 * np.linalg.norm(A @ x_ref))


@pytest.mark.parametrize("kind", ("gaussian", "srht", "sjlt"))
def test_lstsq_matches_numpy_and_dask_tsqr(client, rng, kind):
    """cond 1e3: forward errors are ~1e-13, so x itself must match to 1e-10."""
    n, d = 6000, 15
    A = svd_matrix(n, d, 1e3, rng)
    b = rng.standard_normal(n)
    dA, db = da.from_array(A, chunks=(500, d)), da.from_array(b, chunks=500)
    res = fd.lstsq(dA, db, sketch=kind, random_state=3)
    x_np = np.linalg.lstsq(A, b, rcond=None)[0]
    x_tsqr = da.linalg.lstsq(dA, db)[0].compute()
    np.testing.assert_allclose(res.x, x_np, rtol=1e-10)
    np.testing.assert_allclose(res.x, x_tsqr, rtol=1e-10)


def test_lstsq_exact_and_validation(client, rng):
    A = rng.standard_normal((400, 4))
    dA = da.from_array(A, chunks=(100, 4))
    res = fd.lstsq(dA, da.from_array(A @ np.arange(1.0, 5.0), chunks=50), random_state=0)
    np.testing.assert_allclose(res.x, np.arange(1.0, 5.0), rtol=1e-12)
    with pytest.raises(ValueError, match="method"):
        fd.lstsq(dA, A[:, 0], method="normal")
    with pytest.raises(ValueError, match="b must have shape"):
        fd.lstsq(dA, np.ones(399))
    with pytest.raises(ValueError, match="tall"):
        fd.lstsq(dA.T, np.ones(4))
    with pytest.raises(ValueError, match="sketch_rows"):
        fd.lstsq(dA, A[:, 0], sketch_rows=3)
    with pytest.raises(ValueError, match="kind"):
        fd.sketch(dA, 10, kind="fourier")
    with pytest.raises(ValueError, match="sketch_rows"):
        fd.sketch(dA, 401)
    bad = A.copy()
    bad[123, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fd.sketch(da.from_array(bad, chunks=(100, 4)), 10)
    deficient = np.hstack([A, A[:, :1]])
    with pytest.raises(fastls.LinAlgError, match="rank deficient"):
        fd.lstsq(da.from_array(deficient, chunks=(100, 5)), A[:, 0])


@pytest.mark.parametrize("kind", ["sjlt", "srht", "countsketch"])
def test_lstsq_near_square_is_checked_against_A(client, kind):
    """Rows ~ columns: the sketch may lose rank that A has; the answer is then
    never read off S A (doubled sketch or TSQR), and always matches numpy."""
    rng = np.random.default_rng(11)
    for n, d in [(60, 60), (90, 60), (400, 60)]:
        A = rng.standard_normal((n, d))
        b = rng.standard_normal(n)
        res = fd.lstsq(da.from_array(A, chunks=(25, d)), da.from_array(b, chunks=25), sketch=kind,
                       random_state=0)
        x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
        np.testing.assert_allclose(res.x, x_ref, atol=1e-9 * np.linalg.cond(A) * np.linalg.norm(x_ref))
        assert res.success and res.normal_residual <= fastls.linalg.optimality_limit(1e-14, n, d)


@pytest.fixture(scope="module")
def small():
    return fed.reference_problem(5, n_clients=6, n_features=4, samples=[3, 5, 8, 4, 6, 7])


@pytest.mark.parametrize("algorithm", list(fed.ALGORITHMS))
@pytest.mark.parametrize("noise", (0.0, 0.01))
def test_federated_on_cluster_equals_in_process(client, small, algorithm, noise):
    kw = dict(rho=2.0, clients_per_round=3, uplink_noise=noise, downlink_noise=noise, n_rounds=30,
              w_true=small.w_true, random_state=7)
    want = fed.solve(small, algorithm=algorithm, **kw)
    got = fed.solve(small, algorithm=algorithm, cluster=client, **kw)
    np.testing.assert_allclose(got.w, want.w, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(got.local_models, want.local_models, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(got.history, want.history, rtol=1e-9)
    np.testing.assert_allclose(got.global_history, want.global_history, rtol=1e-9)
    assert (got.uplink_messages, got.downlink_messages, got.nit, got.status) == \
        (want.uplink_messages, want.downlink_messages, want.nit, want.status)
    assert got.residual_norm == pytest.approx(want.residual_norm, rel=1e-10)


def test_federated_on_cluster_callback_stops(client, small):
    seen = []
    res = fed.solve(small, algorithm="admm", n_rounds=20, random_state=1, cluster=client,
                    callback=lambda r, w, local: seen.append(r) or r == 4)
    assert seen == [0, 1, 2, 3, 4] and res.nit == 5 and res.status == fed.FederatedStatus.STOPPED
    with pytest.raises(TypeError, match="distributed.Client"):
        fed.solve(small, algorithm="admm", n_rounds=2, cluster="tcp://nowhere")


def _slow_block(block):
    time.sleep(0.3)
    return block


def test_sketch_survives_killed_worker(rng):
    """Process-based cluster: SIGKILL one worker mid-sketch; the nanny restarts
    it, Dask recomputes the lost chunks, and the result is still exact."""
    A = rng.standard_normal((1200, 5))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", env={"OMP_NUM_THREADS": "1"}) as cluster, \
            distributed.Client(cluster) as c:
        dA = da.from_array(A, chunks=(100, 5)).map_blocks(_slow_block)
        pids = list(c.run(os.getpid).values())
        killer = threading.Timer(0.8, os.kill, (pids[0], signal.SIGKILL))
        killer.start()
        got = fd.sketch(dA, 30, kind="gaussian", random_state=4)
        killer.join()
        assert len(c.run(os.getpid)) == 2  # the nanny brought a worker back
        assert pids[0] not in c.run(os.getpid).values()
    np.testing.assert_allclose(got, fastls.sketch(A, 30, kind="gaussian", random_state=4), rtol=0, atol=_rounding_tol(A))
