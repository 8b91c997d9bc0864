#include "fastls/sketch/solve.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include "fastls/common/error.hpp"
#include "fastls/common/isa.hpp"
#include "fastls/dense/qr_lstsq.hpp"
#include "fastls/dense/sweep.hpp"

namespace fastls::sketch {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

SketchedFactor::SketchedFactor(MatrixXd SA, const MatrixXd& SB, Index n, double rcond, bool covariance) {
    // Every entry of A and B reaches S [A B] with a nonzero weight, and NaN/Inf
    // never cancel: for a dense A (CPU or GPU) this stands in for a NaN/Inf check
    // of A, without its pass.
    require(SA.allFinite() && SB.allFinite(),
            "A and b must be finite: their sketch is not (NaN or Inf in A, or entries near the "
            "float64 limit)");
    // Householder norms (sums of squares) of S A over- or underflow when its
    // entries are near the float64 limits: the caller solves such A otherwise
    // (dense A by QR; sparse and operator A arrive scaled).
    const double amax = SA.size() ? SA.cwiseAbs().maxCoeff() : 0.0;
    require(amax == 0.0 || (amax >= 0x1p-480 && amax <= 0x1p480),
            "A's entries are near the float64 limits: its sketch's largest entry is outside "
            "2^-480..2^480");
    const Index m = SA.rows(), d = SA.cols(), k = SB.cols();
    const isa::Kernels& kern = isa::kernels();
    MatrixXd QtSB = SB;
    R_.resize(d, d);
    kern.qr_r(SA.data(), m, d, QtSB.data(), k, R_.data());

    // V too: d x d, cheap next to the sketch; kw_backward_error needs it.
    singular_values_.resize(d);
    V_.resize(d, d);
    kern.svd(R_.data(), d, singular_values_.data(), nullptr, V_.data());
    if (rcond < 0) rcond = std::numeric_limits<double>::epsilon() * double(std::max(n, d));
    rank_ = dense::numerical_rank(singular_values_, rcond);
    if (rank_ == 0) throw LinAlgError("A is numerically zero: its sketch has no singular value above rcond");

    if (rank_ == d) {
        x0_ = QtSB.topRows(d);
        kern.tri_solve(R_.data(), d, x0_.data(), k, false);
        if (covariance) {
            MatrixXd Rinv = MatrixXd::Identity(d, d);
            kern.tri_solve(R_.data(), d, Rinv.data(), d, false);
            covariance_diag_ = Rinv.rowwise().squaredNorm();
        }
        sketched_residuals_ = QtSB.bottomRows(m - d).colwise().norm().transpose();
    } else {
        MatrixXd U(d, d), V(d, d);
        VectorXd s(d);
        kern.svd(R_.data(), d, s.data(), U.data(), V.data());
        dense_ = V.leftCols(rank_) * s.head(rank_).cwiseInverse().asDiagonal();
        x0_ = dense_ * (U.leftCols(rank_).transpose() * QtSB.topRows(d));
        if (covariance) covariance_diag_ = dense_.rowwise().squaredNorm();
        // The caller checks A against these: S A may have lost rank that A has.
        null_basis_ = V.rightCols(d - rank_);
        // ||S (b - A x0)||^2 = ||(Q^T S b)_top - R x0||^2 + ||(Q^T S b)_bottom||^2.
        const MatrixXd top = QtSB.topRows(d) - R_.triangularView<Eigen::Upper>() * x0_;
        sketched_residuals_ =
            (top.colwise().squaredNorm() + QtSB.bottomRows(m - d).colwise().squaredNorm()).cwiseSqrt().transpose();
    }
}

void SketchedFactor::precondition(const VectorXd& z, VectorXd& out) const {
    if (dense_.size()) {
        out.noalias() = dense_ * z;
    } else {
        out = z;
        isa::kernels().tri_solve(R_.data(), R_.cols(), out.data(), 1, false);
    }
}

void SketchedFactor::precondition_t(const VectorXd& w, VectorXd& out) const {
    if (dense_.size()) {
        out.noalias() = dense_.transpose() * w;
    } else {
        out = w;
        isa::kernels().tri_solve(R_.data(), R_.cols(), out.data(), 1, true);
    }
}

void SketchedFactor::fill(SolveResult& out) const {
    out.x = x0_;
    out.sketched_residual_norms = sketched_residuals_;
    out.covariance_diag = covariance_diag_;
    out.singular_values = singular_values_;
    out.right_singular_vectors = V_;
    out.null_basis = null_basis_.size() ? null_basis_ : MatrixXd(x0_.rows(), 0);
    out.rank = rank_;
    out.istop.assign(static_cast<std::size_t>(x0_.cols()), krylov::Stop::Solved);
    out.nit.assign(static_cast<std::size_t>(x0_.cols()), 0);
}

namespace {

// A P on host memory, for LSQR. The two passes over A per iteration run in the
// ISA-dispatched GEMV kernels.
template <class Mat>
struct PreconditionedOp {
    using Range = VectorXd;
    const Mat& A;
    const SketchedFactor& P;
    mutable VectorXd buf;
    const isa::Kernels& kern = isa::kernels();
    const isa::MatView view = isa::view(A);

    Index cols() const { return P.cols(); }
    double norm(const VectorXd& u) const { return u.norm(); }
    void scale(VectorXd& u, double a) const { u *= a; }
    void apply_update(const VectorXd& v, double alpha, VectorXd& u) const {
        P.precondition(v, buf);
        u.resize(A.rows());
        kern.gemv_n(view, buf.data(), alpha, u.data());
    }
    void apply_t(const VectorXd& u, VectorXd& out) const {
        buf.resize(A.cols());
        kern.gemv_t(view, u.data(), buf.data());
        P.precondition_t(buf, out);
    }
};

// Two steps of x += P y, y from CG on (P^T A^T A P) y = c = P^T A^T (b - A x)
// (see solve.hpp). P^T A^T A P is well conditioned, so CG converges like LSQR
// on A P; its products with y carry rounding relative to ||y||, which is
// small in the second step, while the large residual enters only through c.
// Step 1 reduces ||c|| by sqrt(tol); step 2 stops at ||c|| <= tol (||r|| + ||A x||),
// LSQR's optimality test for A P (||A P|| ~ 1); eps there instead of tol
// (1e-14 from lstsq) costs about two more iterations and changes the forward
// error only for well-conditioned A (2e-15 vs 8e-15 at 2^18 x 100, cond 10).
// maxiter counts the CG iterations of both steps. Every product with A is a
// fused pass (dense/sweep.hpp): one read of A per iteration and per residual.
krylov::Stop refine_twice(const isa::MatView& A, const SketchedFactor& P, const double* b,
                          VectorXd& x, const SolveOptions& opt, Index& nit) {
    VectorXd g, c, y, p, Mp, dx;
    const auto normal_op = [&](const VectorXd& v, VectorXd& out) {  // out = P^T A^T A P v
        P.precondition(v, dx);
        dense::normal_product(A, dx, g);
        P.precondition_t(g, out);
    };
    double c0 = -1;
    for (int step = 0; step < 2; ++step) {
        const dense::SweepNorms norms = dense::residual_product(A, x, b, g);
        P.precondition_t(g, c);
        double cn = c.norm();
        if (c0 < 0) c0 = cn;
        if (c0 == 0) return krylov::Stop::Solved;  // x0 is exact
        const double stop = step == 0 ? std::sqrt(opt.tol) * c0 : opt.tol * (norms.residual + norms.image);
        y = VectorXd::Zero(c.size());
        p = c;
        double rr = cn * cn;
        while (cn > stop) {
            if (nit >= opt.maxiter) return krylov::Stop::MaxIter;
            check_interrupt();
            normal_op(p, Mp);
            const double pMp = p.dot(Mp);
            if (!(pMp > 0)) break;  // rounding floor of an SPD system: no further progress
            const double a = rr / pMp;
            y += a * p;
            c -= a * Mp;
            const double rr_new = c.squaredNorm();
            p = c + (rr_new / rr) * p;
            rr = rr_new;
            cn = std::sqrt(rr);
            ++nit;
        }
        P.precondition(y, dx);
        x += dx;
    }
    return krylov::Stop::Converged;
}

template <class Mat>
SolveResult solve_any(const SolveOptions& opt, const Mat& A, const ColRef& B) {
    const Index n = A.rows(), d = A.cols(), k = B.cols();
    require(opt.spec.rows >= d, "sketch_rows must be at least the number of columns of A");
    require(B.rows() == n, "b must have as many rows as A");
    MatrixXd SA, SB;
    apply(opt.spec, A, B, SA, SB);
    const SketchedFactor factor(std::move(SA), SB, n, opt.rcond, !opt.precondition);  // (checks S A: A's NaN/Inf check)
    SolveResult out;
    factor.fill(out);
    if (opt.precondition && opt.refine) {
        // No residual pass here: the caller checks the answer against A
        // (dense::residual_product, bound as _core.dense.residual_product).
        const isa::MatView view = isa::view(A);
        for (Index j = 0; j < k; ++j) {
            VectorXd xj = out.x.col(j);
            Index nit = 0;
            out.istop[static_cast<std::size_t>(j)] = refine_twice(view, factor, B.col(j).data(), xj, opt, nit);
            out.nit[static_cast<std::size_t>(j)] = nit;
            out.x.col(j) = xj;
        }
    } else if (opt.precondition) {
        const PreconditionedOp<Mat> op{A, factor};
        for (Index j = 0; j < k; ++j) {
            VectorXd r0 = B.col(j);
            VectorXd xj = out.x.col(j);
            op.kern.gemv_n(op.view, xj.data(), 1.0, r0.data());  // A x - b
            r0 = -r0;
            factor.refine(op, r0, opt, out, j);
        }
    }
    if (!(opt.precondition && opt.refine)) out.residual_norms = (B - A * out.x).colwise().norm().transpose();
    return out;
}

// A P (tall, right preconditioner) and P^T A (wide, left) for an operator A.
struct RightPreconditioned {
    using Range = VectorXd;
    const LinearOperator& A;
    const SketchedFactor& P;
    mutable VectorXd buf, tmp;

    Index cols() const { return P.cols(); }
    double norm(const VectorXd& u) const { return u.norm(); }
    void scale(VectorXd& u, double a) const { u *= a; }
    void apply_update(const VectorXd& v, double alpha, VectorXd& u) const {
        P.precondition(v, buf);
        A.matvec(buf, tmp);
        u = tmp - alpha * u;
    }
    void apply_t(const VectorXd& u, VectorXd& out) const {
        A.rmatvec(u, buf);
        P.precondition_t(buf, out);
    }
};

struct LeftPreconditioned {
    using Range = VectorXd;
    const LinearOperator& A;
    const SketchedFactor& P;
    mutable VectorXd buf, tmp;

    Index cols() const { return A.cols(); }
    double norm(const VectorXd& u) const { return u.norm(); }
    void scale(VectorXd& u, double a) const { u *= a; }
    void apply_update(const VectorXd& v, double alpha, VectorXd& u) const {
        A.matvec(v, tmp);
        P.precondition_t(tmp, buf);
        u = buf - alpha * u;
    }
    void apply_t(const VectorXd& u, VectorXd& out) const {
        P.precondition(u, tmp);
        A.rmatvec(tmp, out);
    }
};

VectorXd residual_norms(const LinearOperator& A, const MatrixXd& X, const ColRef& B) {
    VectorXd out(B.cols()), Ax;
    for (Index j = 0; j < B.cols(); ++j) {
        A.matvec(X.col(j), Ax);
        out(j) = (B.col(j) - Ax).norm();
    }
    return out;
}

}  // namespace

SolveResult solve(const SolveOptions& opt, const LinearOperator& A, const MatrixXd& SA, const MatrixXd& SB,
                  const ColRef& B) {
    const Index n = A.rows(), d = A.cols();
    require(SA.cols() == d && SA.rows() >= d, "S A must be m x d with m >= d");
    require(B.rows() == n && SB.rows() == SA.rows() && SB.cols() == B.cols(), "b and S b do not match A");
    const SketchedFactor factor(SA, SB, n, opt.rcond, !opt.precondition);
    SolveResult out;
    factor.fill(out);
    if (opt.precondition) {
        const RightPreconditioned op{A, factor};
        VectorXd Ax;
        for (Index j = 0; j < B.cols(); ++j) {
            A.matvec(out.x.col(j), Ax);
            VectorXd r0 = B.col(j) - Ax;
            factor.refine(op, r0, opt, out, j);
        }
    }
    out.residual_norms = residual_norms(A, out.x, B);
    return out;
}

SolveResult solve_wide(const SolveOptions& opt, const LinearOperator& A, const MatrixXd& SAt, const ColRef& B) {
    const Index n = A.rows(), d = A.cols(), k = B.cols();
    require(SAt.cols() == n && SAt.rows() >= n, "S A^T must be m x n with m >= n");
    require(B.rows() == n, "b must have as many rows as A");
    const SketchedFactor factor(SAt, MatrixXd(SAt.rows(), 0), d, opt.rcond, false);
    SolveResult probe;
    factor.fill(probe);
    SolveResult out;
    out.singular_values = probe.singular_values;
    out.right_singular_vectors = probe.right_singular_vectors;  // the rank check estimates ||A|| with them
    out.null_basis = probe.null_basis;
    out.rank = probe.rank;
    out.x = MatrixXd::Zero(d, k);
    out.istop.assign(static_cast<std::size_t>(k), krylov::Stop::Solved);
    out.nit.assign(static_cast<std::size_t>(k), 0);
    const LeftPreconditioned op{A, factor};
    krylov::LsqrOptions lo;
    lo.atol = lo.btol = opt.tol;
    lo.maxiter = opt.maxiter;
    for (Index j = 0; j < k; ++j) {
        VectorXd u;
        factor.precondition_t(B.col(j), u);
        const auto res = krylov::lsqr(op, u, lo);
        out.x.col(j) = res.x;
        out.istop[static_cast<std::size_t>(j)] = res.istop;
        out.nit[static_cast<std::size_t>(j)] = res.nit;
    }
    out.residual_norms = residual_norms(A, out.x, B);
    return out;
}

VectorXd kw_backward_error(const VectorXd& s, const MatrixXd& V, const MatrixXd& ATR, const VectorXd& rnorms,
                           const VectorXd& xnorms) {
    const MatrixXd W = V.transpose() * ATR;  // A^T r in the sketch's right singular basis
    VectorXd out(ATR.cols());
    const double inf = std::numeric_limits<double>::infinity();
    for (Index j = 0; j < ATR.cols(); ++j) {
        const double xn = xnorms(j), mu = xn > 0 ? (rnorms(j) / xn) * (rnorms(j) / xn) : 0.0;
        double g2 = 0;  // a zero singular value with mu = 0 (consistent, rank deficient) adds 0 or inf
        for (Index i = 0; i < s.size(); ++i) {
            const double w = W(i, j), den = s(i) * s(i) + mu;
            g2 += den > 0 ? w * w / den : (w == 0 ? 0.0 : inf);
        }
        out(j) = xn > 0 ? std::sqrt(g2) / xn : (W.col(j).squaredNorm() == 0 ? 0.0 : inf);
    }
    return out;
}

SolveResult solve(const SolveOptions& opt, const ColRef& A, const ColRef& B) { return solve_any(opt, A, B); }
SolveResult solve(const SolveOptions& opt, const RowRef& A, const ColRef& B) { return solve_any(opt, A, B); }

}  // namespace fastls::sketch
