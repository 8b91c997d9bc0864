#include "fastls/dense/qr_lstsq.hpp"

#include <Eigen/Householder>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <limits>

#include "fastls/common/error.hpp"

namespace fastls::dense {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;

// Left_r diag(1/s_r) Right_r^T C over the r leading singular triplets: the
// pseudo-inverse of R (Left=V, Right=U) or of R^T (Left=U, Right=V).
MatrixXd pinv_apply(const MatrixXd& Left, const MatrixXd& Right, const Eigen::VectorXd& s,
                    Index r, const MatrixXd& C) {
    MatrixXd tmp = Right.leftCols(r).transpose() * C;
    // Divide, not multiply by 1/s: 1/s overflows for subnormal s, and 0 * inf is NaN.
    tmp.array().colwise() /= s.head(r).array();
    return Left.leftCols(r) * tmp;
}

template <class MatA>
QrLstsq solve(const MatA& A, const ColRef& B, double rcond) {
    const Index m = A.rows(), n = A.cols(), k = B.cols();
    require(B.rows() == m, "b must have as many rows as A");
    if (rcond < 0) rcond = std::numeric_limits<double>::epsilon() * double(std::max(m, n));

    QrLstsq out;
    const bool tall = m >= n;
    // Factor the tall orientation: A (tall) or A^T (wide). One copy of A.
    Eigen::HouseholderQR<MatrixXd> qr;
    if (tall) qr.compute(MatrixXd(A));
    else qr.compute(MatrixXd(A.transpose()));
    const Index p = std::min(m, n);
    MatrixXd R = qr.matrixQR().topRows(p).template triangularView<Eigen::Upper>();
    Eigen::BDCSVD<MatrixXd> svd(R, Eigen::ComputeFullU | Eigen::ComputeFullV);
    out.singular_values = svd.singularValues();
    const double tol = p > 0 ? rcond * out.singular_values(0) : 0.0;

    const Eigen::VectorXd& sv = out.singular_values;
    while (out.rank < p && sv(out.rank) > tol) ++out.rank;
    if (tall) {
        // A = Q R  =>  x = R^+ (Q^T b)[:n].
        const MatrixXd QtB = qr.householderQ().transpose() * B;
        out.x = pinv_apply(svd.matrixV(), svd.matrixU(), sv, out.rank, QtB.topRows(n));
    } else {
        // A^T = Q R  =>  A = R^T Q^T and x = Q [(R^T)^+ b; 0].
        MatrixXd z = MatrixXd::Zero(n, k);
        z.topRows(m) = pinv_apply(svd.matrixU(), svd.matrixV(), sv, out.rank, B);
        out.x = qr.householderQ() * z;
    }
    out.residual_norms = (B - A * out.x).colwise().norm().transpose();
    return out;
}

}  // namespace

QrLstsq qr_lstsq(const ColRef& A, const ColRef& B, double rcond) { return solve(A, B, rcond); }
QrLstsq qr_lstsq(const RowRef& A, const ColRef& B, double rcond) { return solve(A, B, rcond); }

}  // namespace fastls::dense
