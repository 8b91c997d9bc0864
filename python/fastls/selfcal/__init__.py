"""Self-calibration of bilinear measurements by linear least squares: ``fastls.selfcal``.

Ling and Strohmer's linearization: sensors with unknown complex gains d see
``y_l = diag(d) A_l x_l``. With ``s = 1/d`` the data satisfy the *linear*
homogeneous system ``diag(y_l) s - A_l x_l = 0`` (``A_0 z = 0``, ``z = (s; x)``),
so (d, x) is found, up to the unavoidable complex scalar (d/a, a x), either by

* ``method="lstsq"``: least squares with a linear normalization ``<w, z> = c``,
  i.e. ``numpy.linalg.lstsq([A_0; w^*], (0, ..., 0, c))``, or
* ``method="spectral"``: the right singular vector of ``A_0`` for its smallest
  singular value.

Three models (``y`` has shape (p, m): p snapshots of m sensors):

====================  =======================  ===========================
model                 data                     A
====================  =======================  ===========================
``"shared-signal"``   y_l = D A_l x            (p, m, n)
``"multi-signal"``    y_l = D A_l x_l          (p, m, n)
``"shared-matrix"``   y_l = D A x_l            (m, n)
====================  =======================  ===========================

Dense A goes to the native core (C++/Eigen, complex128, GIL released), which
eliminates one block of the normal equations and factors only the Schur
complement (n x n or m x m for model 1, m x m for models 2/3): cost linear in
p, never the dense (pm x (m+n)) system. ``A`` may instead be a sequence of
``scipy.sparse.linalg.LinearOperator`` (one per snapshot; one for model 3),
e.g. FFT-times-mask operators; those are solved matrix-free (LSQR / LOBPCG).

Noiseless data determine (d, x) exactly (up to the scalar) at the counting
thresholds (see :func:`identifiable`): model 1 needs ``m p >= m + n - 1``,
models 2/3 need ``p (m - n) >= m - 1``.
"""
from __future__ import annotations

from fastls.selfcal._solve import (solve, align, identifiable, SelfCalResult, SelfCalStatus,
                                   DegenerateDataError, DeadSensorError, ZeroSnapshotError,
                                   IdentifiabilityWarning, mask_operators, blind_deconvolution,
                                   ula_steering, calibrate_array)

__all__ = ["solve", "align", "identifiable", "SelfCalResult", "SelfCalStatus",
           "DegenerateDataError", "DeadSensorError", "ZeroSnapshotError", "IdentifiabilityWarning",
           "mask_operators", "blind_deconvolution", "ula_steering", "calibrate_array"]
