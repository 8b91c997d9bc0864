"""Build and runtime facts: show_config() and cuda_status()."""
from __future__ import annotations

import os

import numpy as np

from fastls import _core

__all__ = ["show_config", "cuda_status"]


def cuda_status() -> dict:
    """Whether the CUDA backend was built and a device can be used. Never raises.

    Returns a dict with ``compiled`` (fastls._cuda exists), ``available`` (a
    device answered), ``devices`` (one dict per device) and ``reason`` (why
    not, when unavailable).
    """
    status = {"compiled": False, "available": False, "devices": [], "reason": ""}
    try:
        from fastls import _cuda  # type: ignore[attr-defined]
    except ImportError as exc:
        status["reason"] = f"fastls was built without CUDA ({exc})"
        return status
    status["compiled"] = True
    try:
        devices = _cuda.devices()
    except Exception as exc:  # noqa: BLE001 - this function must never raise
        status["reason"] = f"CUDA runtime error: {exc}"
        return status
    status["devices"] = list(devices)
    status["available"] = bool(devices)
    if not devices:
        status["reason"] = "no CUDA device found"
    return status


def _config() -> dict:
    info = dict(_core.build_info())
    try:
        import scipy
        scipy_version = scipy.__version__
    except ImportError:  # pragma: no cover - scipy is a dependency
        scipy_version = None
    return {
        "fastls": info["version"],
        "numpy": np.__version__,
        "scipy": scipy_version,
        "eigen": info["eigen"],
        "pybind11": info["pybind11"],
        "compiler": info["compiler"],
        "isa": list(info["isa"]),
        "isa_levels": list(info["isa_levels"]),
        "isa_cpu_supports": dict(info["isa_cpu_supports"]),
        "dispatch": dict(info["dispatch"]),
        "openmp": info["openmp"],
        "omp_max_threads": _core.max_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "cuda": cuda_status(),
    }


def show_config(mode: str = "stdout"):
    """Print (mode="stdout") or return (mode="dicts") versions, ISA, threads and CUDA status.

    ``isa`` is the compile-time target of the code outside the dispatched kernels;
    ``isa_levels`` the kernel copies compiled in, ``isa_cpu_supports`` which of them
    this CPU runs, and ``dispatch`` the copy each hot kernel uses at run time.
    ``openmp`` is the OpenMP version compiled in, or None (kernels run serially).
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f"mode must be 'stdout' or 'dicts'; got {mode!r}")
    cfg = _config()
    if mode == "dicts":
        return cfg
    width = max(map(len, cfg))
    for key, value in cfg.items():
        print(f"{key:<{width}} : {value}")
    return None
