#include "fastls/sketch/solve.hpp"

#include <Eigen/Householder>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <limits>

#include "fastls/common/error.hpp"
#include "fastls/krylov/lsqr.hpp"

namespace fastls::sketch {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// A P with P = R^{-1} (upper triangular) or P = V_r diag(1/s_r) (dense d x r).
template <class Mat>
struct PreconditionedOp {
    const Mat& A;
    const MatrixXd& R;       // used when dense is empty
    const MatrixXd& dense;   // V_r diag(1/s_r), or empty
    mutable VectorXd buf_d, buf_d2;

    Index rows() const { return A.rows(); }
    Index cols() const { return dense.size() ? dense.cols() : R.cols(); }
    void precondition(const VectorXd& z, VectorXd& out) const {
        if (dense.size()) out.noalias() = dense * z;
        else out = R.triangularView<Eigen::Upper>().solve(z);
    }
    void apply(const VectorXd& v, VectorXd& out) const {
        precondition(v, buf_d);
        out.noalias() = A * buf_d;
    }
    void apply_t(const VectorXd& u, VectorXd& out) const {
        buf_d2.noalias() = A.transpose() * u;
        if (dense.size()) out.noalias() = dense.transpose() * buf_d2;
        else out = R.transpose().triangularView<Eigen::Lower>().solve(buf_d2);
    }
};

template <class Mat>
SolveResult solve_any(const SolveOptions& opt, const Mat& A, const ColRef& B) {
    const Index n = A.rows(), d = A.cols(), k = B.cols(), m = opt.spec.rows;
    require(m >= d, "sketch_rows must be at least the number of columns of A");
    require(B.rows() == n, "b must have as many rows as A");
    MatrixXd SA, SB;
    apply(opt.spec, A, B, SA, SB);

    Eigen::HouseholderQR<MatrixXd> qr(SA);
    const MatrixXd R = qr.matrixQR().topRows(d).triangularView<Eigen::Upper>();
    const MatrixXd QtSB = qr.householderQ().transpose() * SB;

    SolveResult out;
    Eigen::BDCSVD<MatrixXd> svd(R);
    out.singular_values = svd.singularValues();
    const double rcond = opt.rcond >= 0 ? opt.rcond
                                        : std::numeric_limits<double>::epsilon() * double(std::max(n, d));
    const double tol = rcond * out.singular_values(0);
    while (out.rank < d && out.singular_values(out.rank) > tol) ++out.rank;
    const Index r = out.rank;
    if (r == 0) throw LinAlgError("A is numerically zero: its sketch has no singular value above rcond");

    MatrixXd dense;  // V_r diag(1/s_r) when rank deficient
    if (r == d) {
        out.x = R.triangularView<Eigen::Upper>().solve(QtSB.topRows(d));
        const MatrixXd Rinv = R.triangularView<Eigen::Upper>().solve(MatrixXd::Identity(d, d));
        out.covariance_diag = Rinv.rowwise().squaredNorm();
        out.sketched_residual_norms = QtSB.bottomRows(m - d).colwise().norm().transpose();
    } else {
        svd.compute(R, Eigen::ComputeFullU | Eigen::ComputeFullV);
        dense = svd.matrixV().leftCols(r) *
                svd.singularValues().head(r).cwiseInverse().asDiagonal();
        out.x = dense * (svd.matrixU().leftCols(r).transpose() * QtSB.topRows(d));
        out.covariance_diag = dense.rowwise().squaredNorm();
        out.sketched_residual_norms = (SB - SA * out.x).colwise().norm().transpose();
    }

    out.istop.assign(static_cast<std::size_t>(k), 0);
    out.nit.assign(static_cast<std::size_t>(k), 0);
    if (opt.precondition) {
        PreconditionedOp<Mat> op{A, R, dense, {}, {}};
        krylov::LsqrOptions lo;
        lo.atol = lo.btol = opt.tol;
        lo.maxiter = opt.maxiter;
        for (Index j = 0; j < k; ++j) {
            const VectorXd r0 = B.col(j) - A * out.x.col(j);
            const auto res = krylov::lsqr(op, r0, lo);
            VectorXd dx;
            op.precondition(res.x, dx);
            out.x.col(j) += dx;
            out.istop[static_cast<std::size_t>(j)] = res.istop;
            out.nit[static_cast<std::size_t>(j)] = res.nit;
        }
    }
    out.residual_norms = (B - A * out.x).colwise().norm().transpose();
    return out;
}

}  // namespace

SolveResult solve(const SolveOptions& opt, const ColRef& A, const ColRef& B) { return solve_any(opt, A, B); }
SolveResult solve(const SolveOptions& opt, const RowRef& A, const ColRef& B) { return solve_any(opt, A, B); }

}  // namespace fastls::sketch
