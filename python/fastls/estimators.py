"""scikit-learn-style estimators (needs the optional scikit-learn).

Each estimator lives with its family and is re-exported here:
``GreedyLasso``, ``GreedyLassoCV`` (fastls.bcd) and ``KroneckerSBL`` (fastls.sbl).
"""
from __future__ import annotations

import importlib

_HOMES = {"GreedyLasso": "fastls.bcd", "GreedyLassoCV": "fastls.bcd", "KroneckerSBL": "fastls.sbl"}
__all__ = list(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'fastls.estimators' has no attribute {name!r}")
