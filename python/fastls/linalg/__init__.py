"""Dense least squares: ``fastls.lstsq``, direct (QR) or sketched."""
from __future__ import annotations

from fastls.linalg._lstsq import (lstsq, LstsqResult, LstsqStatus, normal_residual,
                                  optimality_limit)

__all__ = ["lstsq", "LstsqResult", "LstsqStatus", "normal_residual", "optimality_limit"]
