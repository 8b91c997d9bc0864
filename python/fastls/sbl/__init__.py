"""Sparse Bayesian learning, classic and Kronecker-structured: ``fastls.sbl``.

Model: ``y = H x + n`` with ``n ~ N(0, σ² I)`` (CN for complex data) and the
prior ``x ~ N(0, diag(γ))``; the type-II (evidence) cost
``L(γ, σ²) = log det Σ_y + y^H Σ_y^{-1} y``, ``Σ_y = σ² I + H diag(γ) H^H``, is
minimised by EM. With a Kronecker dictionary ``H = H_1 ⊗ ... ⊗ H_I`` (numpy.kron
order: the first factor is the slowest index) the prior is Kronecker too,
``γ = γ_1 ⊗ ... ⊗ γ_I``, so the support of ``x`` is a Cartesian product of
per-factor supports (He and Joseph, IEEE TSP 2024, "KroSBL").

Entry points
------------
kron_matvec   (H_1 ⊗ ... ⊗ H_I) x without forming the product.
sbl           classic EM-SBL with a dense H.
kron_sbl      SVD-KroSBL (method="svd") and AM-KroSBL (method="am").
pc_kron_sbl   pattern-coupled (block-sparse) AM-KroSBL.
KroneckerSBL  scikit-learn estimator (needs scikit-learn): dense X like ARDRegression,
              or a Kronecker dictionary given as factors=... .

Every solver runs one native EM loop (GIL released, Ctrl-C checked once per
iteration) with the exact structured E-step: per-factor eigendecompositions of
``H_i Γ_i H_i^H`` (m_i × m_i) and Kronecker matvecs, so memory is
O(N + M + Σ m_i n_i); no N×N, M×N or M×M matrix is formed for I >= 2.
Real float64 and complex128 data; other numeric dtypes are cast to float64.
"""
from __future__ import annotations

from fastls.sbl._solve import (kron_matvec, sbl, kron_sbl, pc_kron_sbl, SBLResult, SBLStatus,
                               KroneckerSBL)

__all__ = ["kron_matvec", "sbl", "kron_sbl", "pc_kron_sbl", "SBLResult", "SBLStatus",
           "KroneckerSBL"]
