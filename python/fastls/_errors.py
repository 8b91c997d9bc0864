"""Exception and warning types shared by every family."""
from __future__ import annotations

from fastls._core import LinAlgError  # subclass of numpy.linalg.LinAlgError, raised by C++

__all__ = ["LinAlgError", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance.

    The result still comes back, with ``success=False`` and a ``status`` that
    says why; the warning only makes the event visible.
    """


_SKLEARN_WARNING = None


def sklearn_convergence_warning() -> type:
    """The ConvergenceWarning that estimators emit.

    A subclass of both :class:`ConvergenceWarning` and scikit-learn's
    ``sklearn.exceptions.ConvergenceWarning``, so either package's warning
    filters catch it (built on first use: importing scikit-learn is slow).
    """
    global _SKLEARN_WARNING
    if _SKLEARN_WARNING is None:
        from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

        class EstimatorConvergenceWarning(ConvergenceWarning, SklearnConvergenceWarning):
            """fastls's ConvergenceWarning, also scikit-learn's."""

        EstimatorConvergenceWarning.__module__ = __name__
        EstimatorConvergenceWarning.__qualname__ = "EstimatorConvergenceWarning"
        _SKLEARN_WARNING = EstimatorConvergenceWarning
    return _SKLEARN_WARNING
