"""The shared input/error policy: validation messages, C++ error mapping, Ctrl-C."""
import sys
import time

import numpy as np
import pytest

import fastls
from conftest import assert_ctrl_c_stops
from fastls import _core
from fastls._validation import (as_array, check_int, check_option, check_random_state,
                                native_seed)

GOOD_A = np.ones((4, 2)) + np.eye(4, 2)
GOOD_B = np.ones(4)


@pytest.mark.parametrize(
    "A, b, exc, words",
    [
        (np.ones(4), GOOD_B, ValueError, ["A", "2-D"]),
        (np.ones((4, 2, 1)), GOOD_B, ValueError, ["A", "2-D"]),
        (GOOD_A, np.ones(5), ValueError, ["Incompatible dimensions", "b", "rows"]),
        (GOOD_A, np.ones((4, 1, 1)), ValueError, ["b", "1-D or 2-D"]),
        (np.where(np.eye(4, 2) > 0, np.nan, 1.0), GOOD_B, ValueError, ["A", "NaN"]),
        (GOOD_A, np.array([1, np.inf, 1, 1]), ValueError, ["b", "Inf"]),
        (np.array([["a", "b"]] * 4), GOOD_B, TypeError, ["A", "numeric"]),
        (GOOD_A.astype(object), GOOD_B, TypeError, ["A", "numeric"]),
        ([[1, 2], [3]], GOOD_B, ValueError, ["A"]),
        (None, GOOD_B, TypeError, ["A"]),
    ],
)
def test_lstsq_bad_input_names_argument(A, b, exc, words):
    with pytest.raises(exc) as info:
        fastls.lstsq(A, b)
    for w in words:
        assert w in str(info.value)


def test_unknown_method_and_bad_rcond():
    with pytest.raises(ValueError, match="method must be one of"):
        fastls.lstsq(GOOD_A, GOOD_B, method="svd-magic")
    with pytest.raises(ValueError, match="rcond"):
        fastls.lstsq(GOOD_A, GOOD_B, rcond=np.inf)
    with pytest.raises(TypeError, match="rcond"):
        fastls.lstsq(GOOD_A, GOOD_B, rcond="tiny")


def test_as_array_copies_once_and_never_mutates():
    a = np.arange(12.0).reshape(3, 4)
    assert as_array(a, "a") is a                      # C order, float64: no copy
    f = np.asfortranarray(a)
    assert as_array(f, "a") is f                      # F order kept for "any"
    assert as_array(f, "a", order="C").flags.c_contiguous
    view = a[:, ::2]
    out = as_array(view, "a")
    assert out.flags.c_contiguous and np.array_equal(out, view)
    assert as_array(a.astype(np.float32), "a", dtype=(np.float64, np.float32)).dtype == np.float32
    assert as_array([1, 2], "v", dtype=np.complex128).dtype == np.complex128
    assert np.array_equal(a, np.arange(12.0).reshape(3, 4))


def test_option_and_number_checkers():
    with pytest.raises(ValueError, match="kind must be one of 'a', 'b'; got 'c'"):
        check_option("c", "kind", ("a", "b"))
    with pytest.raises(TypeError, match="block_size must be an integer"):
        check_int(2.5, "block_size")
    with pytest.raises(TypeError, match="block_size must be an integer"):
        check_int(True, "block_size")
    with pytest.raises(ValueError, match="block_size must be >= 1"):
        check_int(0, "block_size", low=1)
    assert check_int(np.int64(3), "k", low=1) == 3


def test_random_state_normalisation():
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert native_seed(7) == 7 and native_seed(7) == native_seed(7)
    assert native_seed(np.random.default_rng(3)) == native_seed(np.random.default_rng(3))
    with pytest.raises(TypeError, match="random_state"):
        check_random_state("seed")
    with pytest.raises(ValueError, match="random_state"):
        native_seed(-1)


def test_cpp_errors_map_to_python_types():
    with pytest.raises(ValueError, match="invalid argument from C\\+\\+"):
        _core._testing.raise_error("invalid")
    with pytest.raises(fastls.LinAlgError, match="singular") as info:
        _core._testing.raise_error("linalg")
    assert isinstance(info.value, np.linalg.LinAlgError)
    assert issubclass(fastls.ConvergenceWarning, UserWarning)


def test_show_config_and_cuda_status_never_raise(capsys):
    cfg = fastls.show_config(mode="dicts")
    for key in ("fastls", "numpy", "eigen", "pybind11", "isa", "omp_max_threads", "cuda"):
        assert key in cfg
    fastls.show_config()
    assert "eigen" in capsys.readouterr().out
    status = fastls.cuda_status()
    assert set(status) >= {"compiled", "available", "devices", "reason"}


def test_spin_returns_when_not_interrupted():
    t0 = time.perf_counter()
    _core._testing.spin(0.2)
    assert time.perf_counter() - t0 >= 0.2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_native_loop():
    """A subprocess in a 60 s native loop gets SIGINT and exits with KeyboardInterrupt fast."""
    assert_ctrl_c_stops("from fastls import _core", "_core._testing.spin(60.0)")
