#include "fastls/dense/qr_lstsq.hpp"

#include <Eigen/Householder>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <type_traits>

#include "fastls/common/error.hpp"
#include "fastls/common/isa.hpp"

namespace fastls::dense {
namespace {

using Eigen::Index;

template <class Scalar>
using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

// Left_r diag(1/s_r) Right_r^H C over the r leading singular triplets: the
// pseudo-inverse of R (Left=V, Right=U) or of R^H (Left=U, Right=V).
template <class Scalar>
Mat<Scalar> pinv_apply(const Mat<Scalar>& Left, const Mat<Scalar>& Right, const Eigen::VectorXd& s,
                       Index r, const Mat<Scalar>& C) {
    Mat<Scalar> tmp = Right.leftCols(r).adjoint() * C;
    // Divide, not multiply by 1/s: 1/s overflows for subnormal s, and 0 * inf is NaN.
    for (Index i = 0; i < r; ++i) tmp.row(i) /= s(i);
    return Left.leftCols(r) * tmp;
}

template <class MatA, class MatB>
auto solve(const MatA& A, const MatB& B, double rcond) {
    using Scalar = typename MatA::Scalar;
    const Index m = A.rows(), n = A.cols(), k = B.cols();
    require(B.rows() == m, "b must have as many rows as A");
    require(rcond >= 0, "rcond must be >= 0");

    QrLstsq<Scalar> out;
    const bool tall = m >= n;
    const Index p = std::min(m, n);
    if constexpr (std::is_same_v<Scalar, double>) {
        if (tall) {  // real and tall: the ISA-dispatched QR and SVD (isa/factor.cpp)
            const isa::Kernels& kern = isa::kernels();
            Mat<double> F = A, QtB = B, R(n, n), U(n, n), V(n, n);
            kern.qr_r(F.data(), m, n, QtB.data(), k, R.data());
            out.singular_values.resize(n);
            kern.svd(R.data(), n, out.singular_values.data(), U.data(), V.data());
            out.rank = numerical_rank(out.singular_values, rcond);
            out.x = pinv_apply<double>(V, U, out.singular_values, out.rank, QtB.topRows(n));
            out.residual_norms = (B - A * out.x).colwise().norm().transpose();
            return out;
        }
    }
    // Factor the tall orientation: A (tall) or A^H (wide). One copy of A.
    Eigen::HouseholderQR<Mat<Scalar>> qr;
    if (tall) qr.compute(Mat<Scalar>(A));
    else qr.compute(Mat<Scalar>(A.adjoint()));
    Mat<Scalar> R = qr.matrixQR().topRows(p).template triangularView<Eigen::Upper>();
    Eigen::BDCSVD<Mat<Scalar>> svd(R, Eigen::ComputeFullU | Eigen::ComputeFullV);
    out.singular_values = svd.singularValues();
    out.rank = numerical_rank(out.singular_values, rcond);
    const Eigen::VectorXd& sv = out.singular_values;
    if (tall) {
        // A = Q R  =>  x = R^+ (Q^H b)[:n].
        const Mat<Scalar> QhB = qr.householderQ().adjoint() * B;
        out.x = pinv_apply<Scalar>(svd.matrixV(), svd.matrixU(), sv, out.rank, QhB.topRows(n));
    } else {
        // A^H = Q R  =>  A = R^H Q^H and x = Q [(R^H)^+ b; 0].
        Mat<Scalar> z = Mat<Scalar>::Zero(n, k);
        z.topRows(m) = pinv_apply<Scalar>(svd.matrixU(), svd.matrixV(), sv, out.rank, Mat<Scalar>(B));
        out.x = qr.householderQ() * z;
    }
    out.residual_norms = (B - A * out.x).colwise().norm().transpose();
    return out;
}

}  // namespace

Eigen::Index numerical_rank(const Eigen::VectorXd& s, double rcond) {
    const double tol = s.size() ? rcond * s(0) : 0.0;
    Index r = 0;
    while (r < s.size() && s(r) > tol) ++r;
    return r;
}

QrLstsq<double> qr_lstsq(const ColRef& A, const ColRef& B, double rcond) { return solve(A, B, rcond); }
QrLstsq<double> qr_lstsq(const RowRef& A, const ColRef& B, double rcond) { return solve(A, B, rcond); }
QrLstsq<std::complex<double>> qr_lstsq(const ComplexRef& A, const ComplexRef& B, double rcond) {
    return solve(A, B, rcond);
}

}  // namespace fastls::dense
