// Dense minimum-norm least squares: blocked Householder QR, then an SVD of the
// small triangular factor. The SVD gives the numerical rank with the same rule
// as numpy.linalg.lstsq (singular values <= rcond * s_max are dropped) and the
// minimum-norm solution, at O(min(m,n)^3) extra cost on top of the QR, which is
// what LAPACK's gelsd also does after its own QR. Real and complex.
#pragma once
#include <Eigen/Core>
#include <complex>

#include "fastls/common/types.hpp"

namespace fastls::dense {

template <class Scalar>
struct QrLstsq {
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> x;  // n x k
    Eigen::VectorXd singular_values;   // min(m, n), descending
    Eigen::VectorXd residual_norms;    // k: ||b_j - A x_j||_2
    Eigen::Index rank = 0;
};

using ComplexRef = Eigen::Ref<const Eigen::MatrixXcd>;

// How many of the singular values s (descending) exceed rcond * s_max: numpy's rank rule.
Eigen::Index numerical_rank(const Eigen::VectorXd& s, double rcond);

// A is m x n (any storage order), B is m x k. Singular values <= rcond * s_max
// count as zero (rcond >= 0; the caller applies numpy's default).
QrLstsq<double> qr_lstsq(const ColRef& A, const ColRef& B, double rcond);
QrLstsq<double> qr_lstsq(const RowRef& A, const ColRef& B, double rcond);
QrLstsq<std::complex<double>> qr_lstsq(const ComplexRef& A, const ComplexRef& B, double rcond);

}  // namespace fastls::dense
