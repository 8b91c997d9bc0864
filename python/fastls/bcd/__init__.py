"""Greedy block coordinate descent (Nutini, Laradji, Schmidt, JMLR 2022).

:func:`minimize` runs BCD with any of the paper's selection rules, block
partitions and block updates on six problem classes; :func:`lasso` and
:class:`GreedyLasso` are a fast Lasso built on greedy working sets, and
:func:`lasso_path` and :class:`GreedyLassoCV` its warm-started regularization
path and cross-validation. The whole iteration loop runs natively with the GIL
released; it is deterministic for a given ``random_state``.

Rules (score maximised over blocks; VB = variable blocks, FB = fixed partition):
  "cyclic", "random", "lipschitz" (sampling ~ L_b), "gs" (||g_b||), "gsl"
  (||g_b||^2/L_b; for VB the Gershgorin bound G_i = sum_j |H_ij|, as in the
  paper's plots: one pass over A^T A at setup, O(m n^2) for dense A),
  "gsd" (sum g_i^2/D_i; VB: D_i = tau L_i), "gsq" (g_b^T H_b^-1 g_b; VB by
  greedy forward selection), and for L1 problems "gs-q", "gsl-q", "gs-r",
  "gsl-r" (plain "gs"/"gsl"/"gsd" use the minimum-norm subgradient there).
Partitions: "variable"; fixed "sorted" (by L_i), "order", "random", "avg";
  label propagation also "red-black", "tree" (lattice combs with grid_shape,
  else a greedy forest partition) and "forest" (greedy forest partition).
Updates: "gradient" (1/L_b), "matrix" (H_b solve), "newton" (Hessian +
  Armijo backtracking), "prox-gradient", "prox-newton" (exact block Lasso with
  the block Hessian; backtracking on F for logistic), "message-passing"
  (linear-time exact solve on forest blocks; with partition="variable" the
  forest is grown greedily in the rule's order, or randomly for "random").
For L1 problems "gradient"/"matrix" mean their proximal versions.
"""
from __future__ import annotations

from fastls.bcd._minimize import (LeastSquares, Logistic, Softmax, LabelPropagation, Lasso,
                                  L1Logistic, minimize, BCDResult, BCDStatus, lasso, LassoResult,
                                  LassoStatus, GreedyLasso, RULES, PARTITIONS, UPDATES)
from fastls.bcd._path import lasso_path, GreedyLassoCV

__all__ = ["LeastSquares", "Logistic", "Softmax", "LabelPropagation", "Lasso", "L1Logistic",
           "minimize", "BCDResult", "BCDStatus", "lasso", "LassoResult", "LassoStatus",
           "GreedyLasso", "lasso_path", "GreedyLassoCV", "RULES", "PARTITIONS", "UPDATES"]
