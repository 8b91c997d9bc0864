"""Backend choice for the sketch family: device="cpu" | "cuda" | "auto".

The default comes from the FASTLS_DEVICE environment variable, else "auto".
"auto" uses the GPU only when fastls._cuda reports a device, the kind has a
CUDA kernel and A is large enough (AUTO_MIN_ENTRIES) to repay the transfer.
"""
from __future__ import annotations

import os

from fastls import _core
from fastls._validation import check_option

__all__ = ["resolve_device", "is_cuda_array", "cuda_module"]

DEVICES = ("cpu", "cuda", "auto")
# Read off the C++ (sketch::has_cuda_kernel), not off fastls._cuda: a CPU-only
# build has no _cuda module but must still say which kinds would run there.
CUDA_KINDS = tuple(kind.name for kind in _core.sketch.CUDA_KINDS)
AUTO_MIN_ENTRIES = 2**24


def is_cuda_array(x) -> bool:
    """True for CuPy (or any __cuda_array_interface__) arrays."""
    return hasattr(x, "__cuda_array_interface__")


def cuda_module():
    """fastls._cuda when a device is usable; otherwise RuntimeError saying why."""
    from fastls._config import cuda_status

    status = cuda_status()
    if not status["available"]:
        raise RuntimeError(f"device='cuda' requested but CUDA is unavailable: {status['reason']}")
    from fastls import _cuda  # type: ignore[attr-defined]
    return _cuda


def resolve_device(device, kind: str, n_entries: int, on_gpu: bool = False) -> str:
    """The backend to run on: "cpu" or "cuda"."""
    if device is None:
        device = os.environ.get("FASTLS_DEVICE", "auto")
    device = check_option(device, "device", DEVICES)
    if on_gpu:  # CuPy input stays on the device
        if device == "cpu":
            raise TypeError("A is a CUDA array but device='cpu'; use device='cuda' or copy it to the host")
        device = "cuda"
    if device == "cuda":
        if kind not in CUDA_KINDS:
            raise ValueError(f"kind {kind!r} has no CUDA kernel; use one of {CUDA_KINDS} or device='cpu'")
        cuda_module()  # raises with the reason when there is no device
        return "cuda"
    if device == "auto" and kind in CUDA_KINDS and n_entries >= AUTO_MIN_ENTRIES:
        from fastls._config import cuda_status
        if cuda_status()["available"]:
            return "cuda"
    return "cpu"
