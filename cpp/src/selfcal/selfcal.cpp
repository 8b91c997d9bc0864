#include "fastls/selfcal/selfcal.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/types.hpp"

namespace fastls::selfcal {
namespace {

using Eigen::Index;
using Eigen::VectorXd;
using CLLT = Eigen::LLT<CMatrix, Eigen::Lower>;

// s = basis h (or s itself) and its adjoint, basis^* u.
CVector expand(const Problem& pb, const CVector& h) { return pb.basis ? CVector(pb.B() * h) : h; }
CVector reduce(const Problem& pb, const CVector& u) {
    return pb.basis ? CVector(pb.B().adjoint() * u) : u;
}
CVector y_of(const Problem& pb, Index l) { return pb.Y().row(l).transpose(); }

// A singular PSD matrix has a zero Cholesky pivot (det = prod l_kk^2), which
// round-off turns into ~eps * max pivot; and lambda_min <= min l_kk^2, so a
// pivot below 1e3 eps (relative) means a numerically singular matrix.
void require_pd(const CLLT& llt, const char* what) {
    const VectorXd piv = llt.matrixLLT().diagonal().real().cwiseAbs2();
    if (llt.info() != Eigen::Success || !piv.allFinite() ||
        !(piv.minCoeff() > 1e3 * std::numeric_limits<double>::epsilon() * piv.maxCoeff()))
        throw LinAlgError(std::string(what) + " is not numerically positive definite");
}

CMatrix hermitian(const CMatrix& S) { return (S + S.adjoint()) / 2.0; }

// N + tau I + w w^*, factored by block elimination; solve() applies its inverse.
class Gram {
   public:
    explicit Gram(const Problem& pb) : pb_(pb), lam_(pb.Y().cwiseAbs2().colwise().sum().transpose()) {}
    virtual ~Gram() = default;
    // Throws LinAlgError when the shifted, normalized Gram is not positive definite.
    virtual void factor(double tau, const CVector& w) = 0;
    virtual CVector solve(const CVector& r) const = 0;
    virtual double max_diag() const = 0;

   protected:
    // Dense s-block: diag(lam) or basis^* diag(lam) basis, plus tau I + ws ws^*.
    CMatrix s_block(double tau, const CVector& ws) const {
        CMatrix M = pb_.basis ? CMatrix(pb_.B().adjoint() * lam_.asDiagonal() * pb_.B())
                              : CMatrix(lam_.cast<cd>().asDiagonal());
        M.diagonal().array() += tau;
        M.noalias() += ws * ws.adjoint();
        return M;
    }
    double s_block_max_diag() const {
        if (!pb_.basis) return lam_.maxCoeff();
        return (pb_.B().cwiseAbs2().transpose() * lam_).maxCoeff();
    }

    const Problem& pb_;
    VectorXd lam_;  // sum_l |y_l|^2: diagonal of the s-block before the basis
};

// Model 1: N = [H Bx; Bx^* C] with H = diag(lam) (or basis^* diag(lam) basis),
// Bx = -sum_l diag(conj y_l) A_l, C = sum_l A_l^* A_l. The smaller block is
// the Schur complement that gets a dense Cholesky.
class SharedSignalGram final : public Gram {
   public:
    explicit SharedSignalGram(const Problem& pb) : Gram(pb) {
        const Index m = pb.m, n = pb.n;
        CMatrix Bm = CMatrix::Zero(m, n);
        for (Index l = 0; l < pb.p; ++l) {
            check_interrupt();
            Bm.noalias() -= y_of(pb, l).conjugate().asDiagonal() * pb.A_of(l);
        }
        // C = A_all^* A_all over the stacked (p m) x n matrix by one real rank
        // update (Eigen's real kernels are ~2x its complex ones): with
        // R = [Re A, Im A], R^T R = [[Ar'Ar, Ar'Ai], [Ai'Ar, Ai'Ai]] and
        // C = Ar'Ar + Ai'Ai + i (Ar'Ai - Ai'Ar). Row chunks of ~2^20 entries
        // bound the copy and give a Ctrl-C check between products.
        const CRowMap A_all(pb.A, pb.p * m, n);
        const Index chunk = std::max<Index>(1, (Index(1) << 20) / n);
        Eigen::MatrixXd G = Eigen::MatrixXd::Zero(2 * n, 2 * n);
        RowMatrixXd R;
        for (Index r = 0; r < A_all.rows(); r += chunk) {
            check_interrupt();
            const auto rows = A_all.middleRows(r, std::min(chunk, A_all.rows() - r));
            R.resize(rows.rows(), 2 * n);
            R.leftCols(n) = rows.real();
            R.rightCols(n) = rows.imag();
            G.selfadjointView<Eigen::Lower>().rankUpdate(R.transpose());
        }
        G = G.selfadjointView<Eigen::Lower>();
        C_.resize(n, n);
        C_.real() = G.topLeftCorner(n, n) + G.bottomRightCorner(n, n);
        C_.imag() = G.topRightCorner(n, n) - G.bottomLeftCorner(n, n);
        Bx_ = pb.basis ? CMatrix(pb.B().adjoint() * Bm) : std::move(Bm);
    }

    void factor(double tau, const CVector& w) override {
        const Index K = pb_.s_size(), n = pb_.n;
        const CVector ws = w.head(K), wx = w.tail(n);
        Bp_ = Bx_;
        Bp_.noalias() += ws * wx.adjoint();
        CMatrix Cp = C_;
        Cp.diagonal().array() += tau;
        Cp.noalias() += wx * wx.adjoint();
        elim_s_ = n <= K;
        if (elim_s_) {
            diag_s_ = !pb_.basis;
            if (diag_s_) {  // (diag(lam) + tau I + u u^*)^{-1} by Sherman-Morrison
                const VectorXd D = lam_.array() + tau;
                if (!(D.minCoeff() > 0)) throw LinAlgError("the s-block of the Gram matrix is singular");
                dinv_ = D.cwiseInverse();
                u_ = ws;
                dinv_u_ = dinv_.asDiagonal() * ws;
                denom_ = 1.0 + std::real(u_.dot(dinv_u_));
            } else {
                m_llt_.compute(s_block(tau, ws));
                require_pd(m_llt_, "the s-block of the Gram matrix");
            }
            s_llt_.compute(hermitian(Cp - Bp_.adjoint() * minv(Bp_)));
            require_pd(s_llt_, "the Schur complement on x");
        } else {
            c_llt_.compute(Cp);
            require_pd(c_llt_, "the x-block of the Gram matrix");
            const CMatrix Z = c_llt_.matrixL().solve(Bp_.adjoint());  // n x K
            CMatrix S = s_block(tau, ws);
            S.noalias() -= Z.adjoint() * Z;
            s_llt_.compute(hermitian(S));
            require_pd(s_llt_, "the Schur complement on s");
        }
    }

    CVector solve(const CVector& r) const override {
        const Index K = pb_.s_size(), n = pb_.n;
        const CVector rs = r.head(K), rx = r.tail(n);
        CVector out(K + n);
        if (elim_s_) {
            const CVector x = s_llt_.solve(rx - Bp_.adjoint() * minv(rs));
            out.head(K) = minv(rs - Bp_ * x);
            out.tail(n) = x;
        } else {
            const CVector s = s_llt_.solve(rs - Bp_ * c_llt_.solve(rx));
            out.tail(n) = c_llt_.solve(rx - Bp_.adjoint() * s);
            out.head(K) = s;
        }
        return out;
    }

    double max_diag() const override {
        return std::max(s_block_max_diag(), C_.diagonal().real().maxCoeff());
    }

   private:
    CMatrix minv(const CMatrix& X) const {
        if (!diag_s_) return m_llt_.solve(X);
        CMatrix Y = dinv_.asDiagonal() * X;
        Y.noalias() -= dinv_u_ * ((u_.adjoint() * Y) / denom_);
        return Y;
    }

    CMatrix Bx_, C_, Bp_;
    bool elim_s_ = true, diag_s_ = true;
    VectorXd dinv_;
    CVector u_, dinv_u_;
    double denom_ = 1;
    CLLT m_llt_, s_llt_, c_llt_;
};

// Models 2 and 3: N is a block arrowhead; eliminating every x_l leaves the
// K x K Schur complement sum_l diag(conj y_l) (I - A_l C_l^{-1} A_l^*) diag(y_l)
// (with C_l = A_l^* A_l + tau I), reduced by the basis when there is one.
class ArrowheadGram final : public Gram {
   public:
    explicit ArrowheadGram(const Problem& pb) : Gram(pb) {
        if (pb.model == Model::SharedMatrix) {
            const auto A = pb.A_of(0);
            C_ = A.adjoint() * A;
            cmax_ = C_.diagonal().real().maxCoeff();
        } else {
            for (Index l = 0; l < pb.p; ++l)
                cmax_ = std::max(cmax_, pb.A_of(l).cwiseAbs2().colwise().sum().maxCoeff());
        }
    }

    void factor(double tau, const CVector& w) override {
        const Index K = pb_.s_size(), n = pb_.n;
        const CVector ws = w.head(K);
        require(w.tail(w.size() - K).isZero(0.0), "w must vanish on the x-block for models 2 and 3");
        CMatrix S = s_block(tau, ws);
        if (pb_.model == Model::SharedMatrix) {
            CMatrix Cp = C_;
            Cp.diagonal().array() += tau;
            llts_.assign(1, CLLT(Cp));
            require_pd(llts_[0], "A^* A + tau I");
            const CMatrix Z = llts_[0].matrixL().solve(pb_.A_of(0).adjoint());  // n x m
            CMatrix P = Z.adjoint() * Z;                                       // A C^{-1} A^*
            check_interrupt();
            const CMatrix G = pb_.Y().adjoint() * pb_.Y();  // sum_l conj(y_l) y_l^T
            P = P.cwiseProduct(G);
            if (pb_.basis) S.noalias() -= pb_.B().adjoint() * P * pb_.B();
            else S -= P;
        } else {
            llts_.resize(pb_.p);
            for (Index l = 0; l < pb_.p; ++l) {
                check_interrupt();
                const auto Al = pb_.A_of(l);
                CMatrix Cl = CMatrix::Zero(n, n);
                Cl.selfadjointView<Eigen::Lower>().rankUpdate(Al.adjoint());
                Cl.diagonal().array() += tau;
                llts_[l].compute(Cl);
                require_pd(llts_[l], "A_l^* A_l + tau I");
                // E = L^{-1} A_l^* diag(y_l): the snapshot's term of the Schur complement is E^* E.
                CMatrix E = llts_[l].matrixL().solve(Al.adjoint() * y_of(pb_, l).asDiagonal());
                if (pb_.basis) E = E * pb_.B();
                S.selfadjointView<Eigen::Lower>().rankUpdate(E.adjoint(), -1.0);
            }
            S = S.selfadjointView<Eigen::Lower>();
        }
        s_llt_.compute(hermitian(S));
        require_pd(s_llt_, "the Schur complement on s");
    }

    CVector solve(const CVector& r) const override {
        const Index K = pb_.s_size(), m = pb_.m, n = pb_.n, p = pb_.p;
        const CVector rs = r.head(K);
        CVector out(K + p * n);
        if (pb_.model == Model::SharedMatrix) {  // one factor for all snapshots: GEMMs
            const auto A = pb_.A_of(0);
            const auto Yt = pb_.Y().transpose();  // m x p
            const CMatrix T = llts_[0].solve(Eigen::Map<const CMatrix>(r.data() + K, n, p));
            const CVector acc = -(Yt.conjugate().cwiseProduct(A * T)).rowwise().sum();
            const CVector s = s_llt_.solve(rs - reduce(pb_, acc));
            const CVector sf = expand(pb_, s);
            Eigen::Map<CMatrix>(out.data() + K, n, p) =
                T + llts_[0].solve(A.adjoint() * (sf.asDiagonal() * Yt));
            out.head(K) = s;
            return out;
        }
        CVector acc = CVector::Zero(m);  // sum_l B_l C_l^{-1} r_l before the basis
        std::vector<CVector> t(p);
        for (Index l = 0; l < p; ++l) {
            t[l] = chol(l).solve(r.segment(K + l * n, n));
            acc.noalias() -= y_of(pb_, l).conjugate().cwiseProduct(pb_.A_of(l) * t[l]);
        }
        const CVector s = s_llt_.solve(rs - reduce(pb_, acc));
        const CVector sf = expand(pb_, s);
        for (Index l = 0; l < p; ++l)
            out.segment(K + l * n, n) =
                t[l] + chol(l).solve(pb_.A_of(l).adjoint() * y_of(pb_, l).cwiseProduct(sf));
        out.head(K) = s;
        return out;
    }

    double max_diag() const override { return std::max(s_block_max_diag(), cmax_); }

   private:
    const CLLT& chol(Index l) const { return llts_[pb_.model == Model::SharedMatrix ? 0 : l]; }

    CMatrix C_;
    double cmax_ = 0;
    std::vector<CLLT> llts_;
    CLLT s_llt_;
};

std::unique_ptr<Gram> make_gram(const Problem& pb) {
    if (pb.model == Model::SharedSignal) return std::make_unique<SharedSignalGram>(pb);
    return std::make_unique<ArrowheadGram>(pb);
}

void check_problem(const Problem& pb) {
    require(pb.p > 0 && pb.m > 0 && pb.n > 0, "p, m and n must be positive");
    require(!pb.basis || (pb.k > 0 && pb.k <= pb.m), "the subspace basis must have 1..m columns");
}

// Deterministic start block (splitmix64), so results do not depend on any RNG state.
CMatrix start_block(Index dim, Index b) {
    std::uint64_t state = 0x5eedc0ffee123457ULL;
    auto next = [&state]() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        return double(z >> 11) * 0x1.0p-53 - 0.5;
    };
    CMatrix V(dim, b);
    for (Index j = 0; j < b; ++j)
        for (Index i = 0; i < dim; ++i) V(i, j) = cd(next(), next());
    return V;
}

// Orthonormalize the columns of V against Q(:, :j) and each other (two passes
// of classical Gram-Schmidt); columns that vanish are replaced by fresh ones.
void orthonormalize(CMatrix& V, const CMatrix& Q, Index j) {
    for (Index c = 0; c < V.cols(); ++c) {
        for (int attempt = 0; attempt < 3; ++attempt) {
            const double before = V.col(c).norm();
            for (int pass = 0; pass < 2; ++pass) {
                if (j > 0) V.col(c) -= Q.leftCols(j) * (Q.leftCols(j).adjoint() * V.col(c));
                if (c > 0) V.col(c) -= V.leftCols(c) * (V.leftCols(c).adjoint() * V.col(c));
            }
            const double after = V.col(c).norm();
            if (after > 1e-10 * before && after > 0) {
                V.col(c) /= after;
                break;
            }
            V.col(c) = start_block(V.rows(), c + 2 + attempt).col(c + 1 + attempt);
        }
    }
}

}  // namespace

CVector apply(const Problem& pb, const CVector& z) {
    const Index K = pb.s_size(), m = pb.m, n = pb.n;
    require(z.size() == pb.size(), "z has the wrong length");
    const CVector sf = expand(pb, z.head(K));
    CVector out(pb.p * m);
    for (Index l = 0; l < pb.p; ++l) {
        const Index xo = pb.model == Model::SharedSignal ? K : K + l * n;
        out.segment(l * m, m) = y_of(pb, l).cwiseProduct(sf) - pb.A_of(l) * z.segment(xo, n);
    }
    return out;
}

CVector apply_adjoint(const Problem& pb, const CVector& r) {
    const Index K = pb.s_size(), m = pb.m, n = pb.n;
    require(r.size() == pb.p * m, "r has the wrong length");
    CVector out = CVector::Zero(pb.size());
    CVector acc = CVector::Zero(m);
    for (Index l = 0; l < pb.p; ++l) {
        const auto rl = r.segment(l * m, m);
        acc.noalias() += y_of(pb, l).conjugate().cwiseProduct(rl);
        const Index xo = pb.model == Model::SharedSignal ? K : K + l * n;
        out.segment(xo, n).noalias() -= pb.A_of(l).adjoint() * rl;
    }
    out.head(K) = reduce(pb, acc);
    return out;
}

LstsqSolution lstsq(const Problem& pb, const CVector& w, cd c, int refine) {
    check_problem(pb);
    require(w.size() == pb.size(), "w has the wrong length");
    auto gram = make_gram(pb);
    gram->factor(0.0, w);
    LstsqSolution out;
    out.z = gram->solve(c * w);
    for (int i = 0; i < refine; ++i) {
        check_interrupt();
        const CVector r = c * w - selfcal::apply_adjoint(pb, selfcal::apply(pb, out.z)) - w * w.dot(out.z);
        out.z += gram->solve(r);
    }
    if (!out.z.allFinite()) throw LinAlgError("the normalized system is singular");
    out.residual = selfcal::apply(pb, out.z).norm();
    out.constraint_residual = std::abs(w.dot(out.z) - c);
    return out;
}

// The second pair only feeds sigma_second = ||A_0 u2||, a Rayleigh quotient
// whose error is quadratic in the Ritz residual: 1e-3 gives ~1e-6 relative
// (divided by the relative gap to the third value).
constexpr double kSecondTol = 1e-3;

SpectralSolution spectral(const Problem& pb, double tol, int maxiter) {
    check_problem(pb);
    require(tol > 0 && maxiter > 0, "tol and maxiter must be positive");
    auto gram = make_gram(pb);
    const Index dim = pb.size();
    const CVector zero = CVector::Zero(dim);
    // A tiny shift keeps the (noiseless: singular) Gram factorizable without
    // moving its eigenvectors; grow it only if round-off defeats the Cholesky.
    double tau = 1e-8 * gram->max_diag();
    require(tau > 0, "the system matrix is zero");
    for (int attempt = 0;; ++attempt) {
        try {
            gram->factor(tau, zero);
            break;
        } catch (const LinAlgError&) {
            if (attempt == 3) throw;
            tau *= 100.0;
        }
    }

    SpectralSolution out;
    out.shift = tau;
    const Index b = std::min<Index>(2, dim);
    // Krylov basis Q and W = T Q (T = (N + tau I)^{-1}) in storage that doubles
    // when full; H = Q^* W grows a block at a time.
    CMatrix Q(dim, 4 * b), W(dim, 4 * b), H(0, 0);
    CMatrix V = start_block(dim, b);
    orthonormalize(V, Q, 0);
    CVector u1, u2;
    double theta1 = 0, theta2 = 0, theta2_prev = 0;
    Index j = 0;
    for (;;) {
        check_interrupt();
        const Index j0 = j, bb = V.cols();
        j = j0 + bb;
        if (j > Q.cols()) {
            Q.conservativeResize(dim, std::min(dim, 2 * Q.cols()));
            W.conservativeResize(dim, Q.cols());
        }
        Q.middleCols(j0, bb) = V;
        for (Index c = 0; c < bb; ++c) W.col(j0 + c) = gram->solve(V.col(c));
        ++out.nit;
        H.conservativeResize(j, j);
        H.rightCols(bb) = Q.leftCols(j).adjoint() * W.middleCols(j0, bb);
        H.block(j0, 0, bb, j0) = H.block(0, j0, j0, bb).adjoint();
        H.bottomRightCorner(bb, bb) = hermitian(H.bottomRightCorner(bb, bb));
        Eigen::SelfAdjointEigenSolver<CMatrix> es(H);
        const auto& Yr = es.eigenvectors();
        theta1 = es.eigenvalues()(j - 1);
        theta2 = es.eigenvalues()(j - 2);
        u1 = Q.leftCols(j) * Yr.col(j - 1);
        u2 = Q.leftCols(j) * Yr.col(j - 2);
        const double res1 = (W.leftCols(j) * Yr.col(j - 1) - theta1 * u1).norm() / theta1;
        const double res2 = (W.leftCols(j) * Yr.col(j - 2) - theta2 * u2).norm() / theta2;
        // Ritz values increase monotonically to theirs: a second value that has
        // stopped moving (inside a cluster, where its vector converges slowly)
        // is as good as a converged one for sigma_second.
        const bool second_ok =
            res2 <= kSecondTol || (j0 > 0 && theta2 - theta2_prev <= 1e-8 * theta2);
        theta2_prev = theta2;
        if ((res1 <= tol && second_ok) || j >= dim) {
            out.converged = true;
            break;
        }
        if (out.nit >= maxiter) break;
        V = W.middleCols(j0, std::min(bb, dim - j));
        orthonormalize(V, Q, j);
    }
    // One more inverse-iteration step sharpens the vector by theta2 / theta1.
    CVector z = gram->solve(u1);
    out.z = z / z.norm();
    out.sigma_min = selfcal::apply(pb, out.z).norm();
    // The second value from its Ritz vector, measured through A_0 itself: the
    // Ritz value 1/theta2 - tau would lose everything below ~sqrt(tau * tol).
    u2 -= out.z * out.z.dot(u2);
    out.sigma_second = u2.norm() > 0 ? selfcal::apply(pb, CVector(u2 / u2.norm())).norm()
                                     : std::sqrt(std::max(1.0 / theta2 - tau, 0.0));
    return out;
}

}  // namespace fastls::selfcal
