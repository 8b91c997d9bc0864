"""The one input policy of fastls.

Every public function passes its array arguments through :func:`as_array` and
its options through the small checkers below, so that bad input raises a
``ValueError``/``TypeError`` naming the argument before any native code runs.
Inputs are never modified; at most one explicit copy is made (dtype change or
non-contiguous layout).
"""
from __future__ import annotations

import numbers
import operator
import os
from collections.abc import Collection

import numpy as np

__all__ = [
    "as_array",
    "check_option",
    "check_int",
    "check_real",
    "check_random_state",
    "native_seed",
    "check_memory",
    "require_finite",
]

_REAL_KINDS = "biuf"


def as_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype=np.float64,
    order: str = "any",
    check_finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``x`` as a numeric array fit for a kernel, or raise naming ``name``.

    dtype:  the compute dtype, or a tuple of dtypes the kernel has; input of a
            listed dtype is kept, anything else numeric is cast to the first.
            Complex input is refused unless a complex dtype is listed.
    order:  "C", "F" or "any" (C- or F-contiguous, whichever is free).
    """
    if x is None:
        raise TypeError(f"{name} is required, got None")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None

    allowed = tuple(np.dtype(d) for d in (dtype if isinstance(dtype, tuple) else (dtype,)))
    complex_ok = any(d.kind == "c" for d in allowed)
    if arr.dtype.kind == "c" and not complex_ok:
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.dtype.kind not in _REAL_KINDS + "c":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")

    if ndim is not None:
        wanted = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in wanted:
            dims = " or ".join(f"{d}-D" for d in wanted)
            raise ValueError(f"{name} must be {dims}, got an array of shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")

    target = arr.dtype if arr.dtype in allowed else allowed[0]
    if arr.dtype.kind == "c" and target.kind != "c":
        target = next(d for d in allowed if d.kind == "c")
    layout = {"any": "K", "C": "C", "F": "F"}[order]
    arr = np.asarray(arr, dtype=target, order=layout)
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)

    if check_finite:
        require_finite(arr, name)
    return arr


def require_finite(arr, name: str) -> None:
    """Raise ValueError naming ``name`` when ``arr`` holds NaN or Inf."""
    if not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "Inf"
        raise ValueError(f"{name} must be finite, but contains {bad}")


def check_option(value, name: str, allowed: Collection[str]) -> str:
    """Validate a string option against its allowed values."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


# Counts and sizes cross into C++ as 32-bit ints in places: a larger value
# would surface as pybind11's unnamed "incompatible function arguments".
NATIVE_INT_MAX = 2**31 - 1


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer in [low, high] (inclusive; high defaults to NATIVE_INT_MAX)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = operator.index(value)
    high = NATIVE_INT_MAX if high is None else high
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_real(
    value, name: str, *, low: float | None = None, high: float | None = None,
    low_open: bool = False,
) -> float:
    """Validate a finite real number in [low, high] ((low, high] with low_open)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_random_state(random_state) -> np.random.Generator:
    """Normalise None | int | Generator to a Generator (never NumPy's global RNG)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    ):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return np.random.default_rng(random_state)
    raise TypeError(
        "random_state must be None, an int or a numpy.random.Generator, "
        f"got {type(random_state).__name__}"
    )


def native_seed(random_state) -> int:
    """The 64-bit key for the native counter-based generator.

    An int seed is used as the key itself, so the same int gives the same
    random stream in every backend (CPU, GPU, Dask workers); a Generator (or
    None) supplies a fresh key.
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return int(random_state) & 0xFFFFFFFFFFFFFFFF
    rng = check_random_state(random_state)
    return int(rng.integers(0, 2**63, dtype=np.int64))


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 2**63


def check_memory(nbytes: float, name: str) -> None:
    """Raise MemoryError naming ``name`` before allocating ``nbytes`` that the machine lacks.

    Linux over-commits: an allocation larger than the free memory can succeed
    and the process is then killed by the OOM killer while filling it.
    """
    available = _available_bytes()
    if nbytes > available:
        raise MemoryError(f"{name} would need {nbytes / 2**30:.1f} GiB, more than the "
                          f"{available / 2**30:.1f} GiB of memory available")
