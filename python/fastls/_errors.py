"""Exception and warning types shared by every family."""
from __future__ import annotations

from fastls._core import LinAlgError  # subclass of numpy.linalg.LinAlgError, raised by C++

__all__ = ["LinAlgError", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance.

    The result still comes back, with ``success=False`` and a ``status`` that
    says why; the warning only makes the event visible.
    """
