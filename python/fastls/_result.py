"""Result objects: frozen dataclasses shaped like SciPy's results."""
from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

__all__ = ["Result"]


def _summary(value) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=4, separator=", ")
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, IntEnum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__}(len={len(value)})"
    return repr(value)


@dataclass(frozen=True, kw_only=True, repr=False)
class Result:
    """Fields every solver result has.

    x:             the solution.
    success:       True when the solver met its stopping criterion.
    status:        an IntEnum saying why the solver stopped.
    message:       the status in words.
    nit:           iterations performed (0 for direct methods).
    residual_norm: ||b - A x||_2 (an array with one entry per right-hand side
                   when b has several columns), or the family's own residual.
    """

    x: np.ndarray
    success: bool
    status: IntEnum
    message: str
    nit: int
    residual_norm: float | np.ndarray

    def __repr__(self) -> str:
        body = "\n".join(f"  {f.name}: {_summary(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}(\n{body}\n)"
