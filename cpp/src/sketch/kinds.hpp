// Private: one kernel per sketch family, each instantiated for RowRef and ColRef.
#pragma once
#include "fastls/sketch/sketch.hpp"

namespace fastls::sketch::detail {

// Gaussian and Rademacher: S generated block by block and multiplied by GEMM.
template <class Mat>
void dense_apply(const Spec& spec, const Mat& A, const ColRef& B, Eigen::MatrixXd& SA,
                 Eigen::MatrixXd& SB);

// SRHT of the columns of A into SA (B is sketched by a second call).
template <class Mat>
void srht_apply(const Spec& spec, const Mat& A, Eigen::MatrixXd& SA);

// SJLT / CountSketch scatter-add of the rows of A into SA.
template <class Mat>
void sjlt_apply(const Spec& spec, const Mat& A, Eigen::MatrixXd& SA);

}  // namespace fastls::sketch::detail

namespace fastls::sketch {
// Throws on a spec that cannot sketch n rows (shared by every entry point).
void check_spec(const Spec& spec, Eigen::Index n);
}  // namespace fastls::sketch
