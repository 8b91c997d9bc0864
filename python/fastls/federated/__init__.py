"""Federated weighted least squares by ADMM: ``fastls.federated``.

K clients hold (X_k, y_k, W_k) and never share them; a server coordinates
rounds in which M scheduled clients receive one L-vector and send one back,
both over links with additive white Gaussian noise. Algorithms (paper note
``wls_admm_federated.md``, Lari, Arablouei, Gogineni, Werner 2024):

``"admm"``       consensus ADMM with duals at the clients; the server averages
                 the latest uplink of every client (stale store).
``"rerce"``      RERCE-Fed: dual-free; the server sends 2 w^(r-1) - w^(r-2) and
                 averages the scheduled clients only.
``"rerce-clu"``  RERCE-Fed with continual local updates: idle clients keep
                 updating with their last message (exactly and lazily), the
                 extrapolation moves to the clients, stale-store average.
``"fedprox"``    FedProx with exact proximal solves (ADMM with z = 0); biased
                 by design, the dual-free inexact control.

Scaling convention: J_k(w) = ||y_k - X_k w||^2_{W_k} without a 1/2, so the
local resolvent is N_k = (2 G_k + rho I)^{-1}. (The authors' ``RERCE_Fed.m``
uses (G_k + rho I)^{-1}: its rho equals 2 rho here.)

All rounds run in C++ with the GIL released. Each client is factorized once
(thin SVD of its whitened design, cached on the :class:`Problem` and reused
for every rho and algorithm); link noise and scheduling come from Philox
counter-based streams keyed by (seed, run, link, client, round), so results
do not depend on thread count.
"""
from __future__ import annotations

from fastls.federated._solve import (Problem, reference_problem, solve, monte_carlo, predicted_nmsd,
                                     FederatedResult, FederatedStatus, MonteCarloResult,
                                     LocalClient, ALGORITHMS, REFERENCE_SAMPLES)

__all__ = ["Problem", "reference_problem", "solve", "monte_carlo", "predicted_nmsd",
           "FederatedResult", "FederatedStatus", "MonteCarloResult", "LocalClient", "ALGORITHMS",
           "REFERENCE_SAMPLES"]
