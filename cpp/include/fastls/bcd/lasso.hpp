// Fast Lasso: min_x 1/(2m) ||b - A x - c||^2 + alpha ||x||_1 (scikit-learn's scaling;
// the intercept c is optional and solved exactly: it keeps the residual centred, so
// sparse A never needs centring)
// by greedy working sets (note 7.7): each outer iteration computes the full
// correlation A^T R once, measures the duality gap, and picks the working set
// = support + the features closest to violating the dual constraint (a GS-s
// greedy block); the inner solver is cyclic CD on that block with Anderson
// extrapolation of the iterates, stopped on the block's own duality gap.
#pragma once
#include "fastls/bcd/design.hpp"

namespace fastls::bcd {

struct LassoOptions {
    double alpha = 1.0;
    double tol = 1e-6;        // stop when gap <= tol * P(0) (relative duality gap)
    Index max_outer = 100;
    Index max_epochs = 50000;  // inner CD epochs, all outer iterations together
    Index ws_start = 10;
    Index anderson = 5;        // 0 disables extrapolation
    bool intercept = false;    // unpenalised intercept c: residual b - A x - c, kept centred
};

struct LassoOutcome {
    VectorXd x;
    double intercept = 0.0;
    double gap = 0.0;          // relative duality gap at the end
    double objective = 0.0;    // 1/(2m)||b - Ax||^2 + alpha ||x||_1
    Index n_outer = 0;
    Index n_epochs = 0;
    bool converged = false;
    std::vector<double> gaps;  // relative gap at each outer iteration
};

LassoOutcome lasso(const DenseCols& A, const VectorXd& b, VectorXd x0, const LassoOptions& o);
LassoOutcome lasso(const SparseCols& A, const VectorXd& b, VectorXd x0, const LassoOptions& o);

}  // namespace fastls::bcd
