"""The CUDA backend. Tests marked gpu skip when no device is present; the
others check the CPU-only behaviour (clear errors, "auto" falls back)."""
import numpy as np
import pytest
import scipy.linalg

import fastls
from conftest import svd_matrix

GPU_KINDS = ("gaussian", "rademacher", "srht")
HAS_GPU = fastls.cuda_status()["available"]


# ---- without a GPU --------------------------------------------------------------------------

@pytest.mark.skipif(HAS_GPU, reason="checks the behaviour without a device")
def test_cuda_request_without_device_is_a_clear_error(rng):
    A = rng.standard_normal((100, 3))
    with pytest.raises(RuntimeError, match="CUDA is unavailable"):
        fastls.sketch(A, 10, kind="srht", random_state=0, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA is unavailable"):
        fastls.lstsq(A, A[:, 0], method="precondition", device="cuda")


def test_auto_and_env_fall_back_to_cpu(rng, monkeypatch):
    A = rng.standard_normal((300, 4))
    ref = fastls.sketch(A, 20, kind="srht", random_state=5, device="cpu")
    assert np.array_equal(fastls.sketch(A, 20, kind="srht", random_state=5, device="auto"), ref)  # small: CPU
    monkeypatch.setenv("FASTLS_DEVICE", "cpu")
    assert np.array_equal(fastls.sketch(A, 20, kind="srht", random_state=5), ref)
    monkeypatch.setenv("FASTLS_DEVICE", "tpu")
    with pytest.raises(ValueError, match="device must be one of"):
        fastls.sketch(A, 20, kind="srht", random_state=5)


def test_device_options_are_checked(rng):
    A = rng.standard_normal((300, 4))
    with pytest.raises(ValueError, match="no CUDA kernel"):
        fastls.sketch(A, 20, kind="sjlt", random_state=0, device="cuda")
    with pytest.raises(ValueError, match="CPU only"):
        fastls.lstsq(A, A[:, 0], method="qr", device="cuda")
    with pytest.raises(ValueError, match="device"):
        fastls.sketch_matrix(10, 5, kind="srht", random_state=0, device="gpu")


def test_cuda_status_shape():
    status = fastls.cuda_status()
    assert isinstance(status["devices"], list)
    assert status["available"] == bool(status["devices"])
    if not status["available"]:
        assert status["reason"]


# ---- with a GPU -----------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("kind", GPU_KINDS)
@pytest.mark.parametrize("n", [1000, 4096])
def test_gpu_sketch_matrix_is_bitwise_cpu(kind, n):
    cpu = fastls.sketch_matrix(n, 70, kind=kind, random_state=123)
    gpu = fastls.sketch_matrix(n, 70, kind=kind, random_state=123, device="cuda")
    assert np.array_equal(cpu, gpu)


@pytest.mark.gpu
@pytest.mark.parametrize("kind", GPU_KINDS)
@pytest.mark.parametrize("shape", [(3000, 7), (20_000, 70), (2**21 + 5, 3)])
def test_gpu_sketch_matches_cpu(rng, kind, shape):
    if kind != "srht" and shape[0] > 100_000:
        pytest.skip("dense CPU reference too slow at this size")
    A = rng.standard_normal(shape)
    m = 4 * shape[1] + 10
    ref = fastls.sketch(A, m, kind=kind, random_state=9, device="cpu")
    for variant in (A, np.asfortranarray(A)):
        got = fastls.sketch(variant, m, kind=kind, random_state=9, device="cuda")
        assert np.linalg.norm(got - ref) <= 1e-12 * np.linalg.norm(ref)
    again = fastls.sketch(A, m, kind=kind, random_state=9, device="cuda")
    assert np.array_equal(again, fastls.sketch(A, m, kind=kind, random_state=9, device="cuda"))


@pytest.mark.gpu
@pytest.mark.parametrize("kind", GPU_KINDS)
def test_gpu_lstsq_matches_cpu(rng, kind):
    A = svd_matrix(30_000, 40, 1e6, rng)
    b = A @ rng.standard_normal(40) + 1e-3 * rng.standard_normal(30_000)
    cpu = fastls.lstsq(A, b, method="sketch", sketch=kind, sketch_rows=200, random_state=4,
                       device="cpu")
    gpu = fastls.lstsq(A, b, method="sketch", sketch=kind, sketch_rows=200, random_state=4,
                       device="cuda")
    # Same S, sketches equal to ~1e-13: the sketch-and-solve answers agree to ~cond * 1e-13.
    assert np.linalg.norm(gpu.x - cpu.x) <= 1e-6 * np.linalg.norm(cpu.x)
    np.testing.assert_allclose(gpu.coordinate_error, cpu.coordinate_error, rtol=1e-6)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    res = fastls.lstsq(A, b, method="precondition", sketch=kind, random_state=4, device="cuda")
    assert res.success
    assert np.linalg.norm(res.x - x_ref) <= 100 * 1e6 * np.finfo(float).eps * np.linalg.norm(x_ref)
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-10)


@pytest.mark.gpu
def test_gpu_out_of_memory_names_the_cuda_error():
    from fastls import _cuda
    with pytest.raises(RuntimeError, match="cudaErrorMemoryAllocation"):
        _cuda._allocate(2**50)


@pytest.mark.gpu
def test_cupy_arrays_stay_on_device(rng):
    cupy = pytest.importorskip("cupy")
    A = rng.standard_normal((50_000, 20))
    b = rng.standard_normal(50_000)
    dA = cupy.asarray(A)
    SA = fastls.sketch(dA, 100, kind="srht", random_state=2)
    assert isinstance(SA, cupy.ndarray)
    ref = fastls.sketch(A, 100, kind="srht", random_state=2, device="cpu")
    assert np.linalg.norm(cupy.asnumpy(SA) - ref) <= 1e-12 * np.linalg.norm(ref)
    res = fastls.lstsq(dA, cupy.asarray(b), method="precondition", random_state=0)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-10)
