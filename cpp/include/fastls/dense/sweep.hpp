// Fused passes over a dense A: the two products of one iteration read A once.
//
// A is cut into row blocks that fit in L2 (the block is multiplied by v, then
// its transpose by the result, while it is still in cache) and the blocks into
// tasks of a fixed size that depends on A's shape only. Tasks run on the
// OpenMP threads and their partial sums are added in task order, so results
// are bitwise the same for every thread count.
#pragma once
#include <Eigen/Core>

#include "fastls/common/isa.hpp"

namespace fastls::dense {

struct SweepNorms {
    double residual = 0;  // ||b - A x||
    double image = 0;     // ||A x||
};

// g = A^T (A v).
void normal_product(const isa::MatView& A, const Eigen::VectorXd& v, Eigen::VectorXd& g);

// g = A^T (b - A x) and the norms of b - A x and A x, in one pass.
SweepNorms residual_product(const isa::MatView& A, const Eigen::VectorXd& x, const double* b,
                            Eigen::VectorXd& g);

}  // namespace fastls::dense
