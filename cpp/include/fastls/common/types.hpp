// Matrix aliases shared by kernels and bindings. Kernels that read a dense A
// take both storage orders so NumPy's C and F arrays arrive without a copy.
#pragma once
#include <Eigen/Core>

namespace fastls {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColRef = Eigen::Ref<const Eigen::MatrixXd>;
using RowRef = Eigen::Ref<const RowMatrixXd>;

}  // namespace fastls
