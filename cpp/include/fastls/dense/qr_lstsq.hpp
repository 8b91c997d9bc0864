// Dense minimum-norm least squares: blocked Householder QR, then an SVD of the
// small triangular factor. The SVD gives the numerical rank with the same rule
// as numpy.linalg.lstsq (singular values <= rcond * s_max are dropped) and the
// minimum-norm solution, at O(min(m,n)^3) extra cost on top of the QR, which is
// what LAPACK's gelsd also does after its own QR.
#pragma once
#include <Eigen/Core>

#include "fastls/common/types.hpp"

namespace fastls::dense {

struct QrLstsq {
    Eigen::MatrixXd x;                 // n x k
    Eigen::VectorXd singular_values;   // min(m, n), descending
    Eigen::VectorXd residual_norms;    // k: ||b_j - A x_j||_2
    Eigen::Index rank = 0;
};

// A is m x n (any storage order), B is m x k. rcond < 0 means eps * max(m, n).
QrLstsq qr_lstsq(const ColRef& A, const ColRef& B, double rcond);
QrLstsq qr_lstsq(const RowRef& A, const ColRef& B, double rcond);

}  // namespace fastls::dense
