"""fastls: fast least-squares solvers from recent papers, on C++/Eigen kernels.

Families: sketched regression (``fastls.lstsq``, ``fastls.sketch``), federated
weighted least squares (``fastls.federated``), greedy block coordinate descent
(``fastls.bcd``), Kronecker sparse Bayesian learning (``fastls.sbl``) and
bilinear self-calibration (``fastls.selfcal``). The notes' reference problems
are drawn by ``fastls.datasets``.
"""
from __future__ import annotations

import importlib

from fastls import _core

from fastls._config import cuda_status, show_config
from fastls._errors import ConvergenceWarning, LinAlgError
from fastls.linalg import LstsqResult, LstsqStatus, lstsq
from fastls.sketching import sketch, sketch_matrix

__version__ = _core.build_info()["version"]

__all__ = [
    "lstsq",
    "sketch",
    "sketch_matrix",
    "LstsqResult",
    "LstsqStatus",
    "LinAlgError",
    "ConvergenceWarning",
    "show_config",
    "cuda_status",
]

# Family modules are imported on first use so `import fastls` stays light.
_SUBMODULES = {"linalg", "sketching", "federated", "bcd", "sbl", "selfcal", "estimators",
               "distributed", "datasets"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"fastls.{name}")
    raise AttributeError(f"module 'fastls' has no attribute {name!r}")
