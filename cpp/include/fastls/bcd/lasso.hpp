// Fast Lasso: min_x 1/(2m) ||b - A x - c u||^2 + alpha ||x||_1, optionally with x >= 0
// (scikit-learn's scaling; the intercept c along the column u, all ones by default,
// is optional and solved exactly: it keeps the residual orthogonal to u, so sparse A
// never needs centring; u = sqrt(w) gives the intercept of a sample-weighted fit on
// rows scaled by sqrt(w))
// by greedy working sets (note 7.7): each outer iteration computes the full
// correlation A^T R once, measures the duality gap, and picks the working set
// = support + the features closest to violating the dual constraint (a GS-s
// greedy block); the inner solver is cyclic CD on that block with Anderson
// extrapolation of the iterates, stopped on the block's own duality gap.
// With positive = true the prox is max(0, soft-threshold), the dual constraint
// is max_j a_j^T theta <= alpha (one-sided) and the working set ranks features by
// alpha - a_j^T R / m. With alpha = 0 (unpenalised least squares; non-negative
// least squares with positive) there is no finite dual bound, and the gap is
// replaced by scikit-learn's first-order measure ||A^T R||^2 (projected onto the
// feasible directions when positive).
#pragma once
#include <vector>

#include "fastls/bcd/design.hpp"

namespace fastls::bcd {

struct LassoOptions {
    double alpha = 1.0;
    double tol = 1e-6;         // stop when gap <= tol * P(0) (relative duality gap)
    Index max_outer = 100;     // outer (working-set) iterations
    Index max_epochs = 50000;  // inner CD epochs + Newton steps, all outer iterations together
    Index ws_start = 10;
    Index anderson = 5;        // 0 disables extrapolation
    bool intercept = false;    // unpenalised intercept c: residual b - A x - c u, kept orthogonal to u
    bool positive = false;     // constrain x >= 0
    VectorXd intercept_col;    // u (one entry per row of A); empty means all ones
};

struct LassoOutcome {
    VectorXd x;
    double intercept = 0.0;    // c (the coefficient of u)
    double gap = 0.0;          // duality gap at the end, in the objective's units (scikit-learn's dual_gap_)
    double rel_gap = 0.0;      // gap / P(0); 0 when P(0) = 0
    double p0 = 0.0;           // P(0) = ||b - c0 u||^2 / (2m), c0 the best intercept for x = 0
    double objective = 0.0;    // 1/(2m)||b - Ax - c u||^2 + alpha ||x||_1
    double residual_norm = 0.0;  // ||b - Ax - c u||
    Index n_outer = 0;         // outer iterations that did work (working-set solves or Newton steps)
    Index n_epochs = 0;        // inner CD epochs + Newton steps (passes over data)
    bool converged = false;
    std::vector<double> gaps;  // relative gap at each outer iteration
};

LassoOutcome lasso(const DenseCols& A, const Eigen::Ref<const VectorXd>& b, VectorXd x0, const LassoOptions& o);
LassoOutcome lasso(const SparseCols& A, const Eigen::Ref<const VectorXd>& b, VectorXd x0, const LassoOptions& o);
LassoOutcome lasso(const SparseCols32& A, const Eigen::Ref<const VectorXd>& b, VectorXd x0, const LassoOptions& o);

}  // namespace fastls::bcd
