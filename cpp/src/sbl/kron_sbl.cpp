// Structured E-step and the EM driver of Kronecker SBL (see kron_sbl.hpp).
#include "fastls/sbl/kron_sbl.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"

namespace fastls::sbl {
namespace {

using Eigen::Index;
using Eigen::VectorXd;

constexpr double kTiny = 1e-300;  // floor of prior variances (see mstep.cpp)

// Flat indices (in the full N-vector) of the kept entries, in compact C order.
std::vector<Index> kept_flat_indices(const std::vector<std::vector<Index>>& keep,
                                     const std::vector<Index>& n) {
    std::vector<Index> idx{0}, next;
    for (size_t i = 0; i < keep.size(); ++i) {
        next.clear();
        for (Index a : idx)
            for (Index k : keep[i]) next.push_back(a * n[i] + k);
        idx.swap(next);
    }
    return idx;
}

// Drops small entries of each factor; returns true when anything was dropped.
bool prune(std::vector<VectorXd>& g, std::vector<std::vector<Index>>& keep, const Options& opt) {
    bool changed = false;
    for (size_t i = 0; i < g.size(); ++i) {
        if (g[i].size() == 0) continue;
        const double rel = opt.prune_rel.empty() ? 0.0 : opt.prune_rel[i];
        const double cut = std::max(rel * g[i].maxCoeff(), opt.prune_abs);
        std::vector<Index> k2;
        std::vector<double> g2;
        for (Index k = 0; k < g[i].size(); ++k)
            if (!(g[i][k] < cut)) k2.push_back(keep[i][k]), g2.push_back(g[i][k]);
        if (k2.size() != keep[i].size()) {
            changed = true;
            keep[i] = k2;
            g[i] = Eigen::Map<const VectorXd>(g2.data(), static_cast<Index>(g2.size()));
        }
    }
    return changed;
}

Eigen::MatrixXd coupling(Index n, double beta) {
    Eigen::MatrixXd C = Eigen::MatrixXd::Identity(n, n);
    for (Index k = 0; k + 1 < n; ++k) C(k, k + 1) = C(k + 1, k) = beta;
    return C;
}

// One factor (classic SBL with a dense H): the Woodbury / Cholesky form of the
// note's §2, 2 M²N + M³/3 flops against ~2 M²N + 9 M³ for the eigendecomposition.
// Returns false (and leaves e alone) when σ² I + H Γ H^H is not numerically
// positive definite, e.g. noiseless data after pruning; the caller then uses
// the eigendecomposition, which handles a singular H Γ H^H exactly.
template <class S>
bool estep_cholesky(const Mat<S>& H, const VectorXd& g, const Eigen::Ref<const Vec<S>>& y,
                    double noise_var, EStep<S>& e) {
    Mat<S> C(H.rows(), H.rows());
    {
        const Mat<S> HG = H * g.asDiagonal();
        C.noalias() = HG * H.adjoint();
    }
    C.diagonal().array() += noise_var;
    Eigen::LLT<Mat<S>> llt(C);
    if (llt.info() != Eigen::Success) return false;
    const Mat<S> B = llt.matrixL().solve(H);
    const Vec<S> b = llt.matrixL().solve(y);
    const VectorXd colsum = B.cwiseAbs2().colwise().sum().transpose();
    e.mu = g.cast<S>().cwiseProduct(B.adjoint() * b);
    e.diag = (g - g.cwiseAbs2().cwiseProduct(colsum)).cwiseMax(0.0);
    e.cost = 2 * llt.matrixLLT().diagonal().real().array().log().sum() + b.squaredNorm();
    e.trace = g.dot(colsum);
    // σ² tr C^{-1} = σ² ||L^{-1}||_F²: M − trace without its cancellation at small σ².
    const Mat<S> Linv = llt.matrixL().solve(Mat<S>::Identity(H.rows(), H.rows()));
    e.dof = noise_var * Linv.squaredNorm();
    return std::isfinite(e.cost);
}

}  // namespace

template <class S>
EStep<S> estep(const std::vector<Mat<S>>& H, const std::vector<VectorXd>& g,
               const Eigen::Ref<const Vec<S>>& y, double noise_var) {
    const size_t I = H.size();
    require(I > 0 && g.size() == I, "need one prior factor per dictionary factor");
    Index M = 1;
    for (size_t i = 0; i < I; ++i) {
        require(H[i].rows() > 0 && g[i].size() == H[i].cols() && g[i].size() > 0,
                "every prior factor must have one entry per column of its dictionary factor");
        M *= H[i].rows();
    }
    require(y.size() == M, "y must have length prod(factor rows)");
    std::vector<Mat<S>> U(I), W(I);
    std::vector<Mat<double>> W2(I);
    std::vector<VectorXd> p(I);
    for (size_t i = 0; i < I; ++i) {
        const Mat<S> HG = H[i] * g[i].asDiagonal();
        const Mat<S> G = HG * H[i].adjoint();
        Eigen::SelfAdjointEigenSolver<Mat<S>> es(G);
        if (es.info() != Eigen::Success) throw LinAlgError("eigendecomposition of H_i Γ_i H_i^H failed");
        p[i] = es.eigenvalues().cwiseMax(0.0);  // clip roundoff below zero
        U[i] = es.eigenvectors();
        W[i] = HG.adjoint() * U[i];
        W2[i] = W[i].cwiseAbs2();
    }
    const VectorXd s = (kron_vector(p).array() + noise_var).matrix();
    if (!(s.minCoeff() > 0))
        throw LinAlgError("Σ_y is singular: the noise variance is zero and H Γ H^H is rank deficient");
    const VectorXd inv = s.cwiseInverse();
    const Vec<S> z = kron_matvec<S>(U, y, true);
    const Vec<S> w = z.cwiseProduct(inv.template cast<S>());
    EStep<S> e;
    e.mu = kron_matvec<S>(W, w);
    e.diag = (kron_vector(g) - kron_matvec<double>(W2, inv)).cwiseMax(0.0);
    e.cost = s.array().log().sum() + (z.cwiseAbs2().array() * inv.array()).sum();
    e.trace = ((s.array() - noise_var) * inv.array()).sum();
    e.dof = noise_var * inv.sum();
    return e;
}

template <class S>
Fit<S> kron_sbl(const std::vector<Mat<S>>& H, const Eigen::Ref<const Vec<S>>& y, const Options& opt) {
    const size_t I = H.size();
    require(I > 0, "factors must not be empty");
    std::vector<Index> n(I);
    Index M = 1;
    for (size_t i = 0; i < I; ++i) {
        require(H[i].rows() > 0 && H[i].cols() > 0, "every factor must be non-empty");
        n[i] = H[i].cols();
        M *= H[i].rows();
    }
    require(y.size() == M, "y must have length prod(factor rows)");
    require(opt.prune_rel.empty() || opt.prune_rel.size() == I, "prune_rel needs one value per factor");
    const bool pc = opt.method == Method::pc;
    require(!pc || opt.block.size() == I, "block needs one flag per factor");

    // Initial prior: γ = 1 split as γ_i = 1/√n_i (i < I); pc starts from γ̃ = ε + C_β 1.
    std::vector<VectorXd> g(I);
    std::vector<Eigen::MatrixXd> Cfull(I), C(I);
    double last = 1.0;
    for (size_t i = 0; i < I; ++i) {
        if (pc) {
            Cfull[i] = coupling(n[i], opt.block[i] ? opt.beta : 0.0);
            g[i] = opt.block[i] ? VectorXd((Cfull[i].rowwise().sum().array() + opt.eps).matrix())
                                : VectorXd::Ones(n[i]);
        } else if (i + 1 < I) {
            g[i] = VectorXd::Constant(n[i], 1.0 / std::sqrt(double(n[i])));
            last *= std::sqrt(double(n[i]));
        } else {
            g[i] = VectorXd::Constant(n[i], last);
        }
    }
    std::vector<std::vector<Index>> keep(I);
    for (size_t i = 0; i < I; ++i)
        for (Index k = 0; k < n[i]; ++k) keep[i].push_back(k);

    std::vector<Mat<S>> Hk = H;
    C = Cfull;
    auto compact = [&] {
        for (size_t i = 0; i < I; ++i) {
            Hk[i].resize(H[i].rows(), static_cast<Index>(keep[i].size()));
            for (size_t c = 0; c < keep[i].size(); ++c) Hk[i].col(c) = H[i].col(keep[i][c]);
            if (pc) {
                C[i].resize(Hk[i].cols(), Hk[i].cols());
                for (size_t a = 0; a < keep[i].size(); ++a)
                    for (size_t b = 0; b < keep[i].size(); ++b) C[i](a, b) = Cfull[i](keep[i][a], keep[i][b]);
            }
        }
    };
    auto empty = [&] {
        for (const auto& k : keep)
            if (k.empty()) return true;
        return false;
    };

    auto posterior = [&](double noise_var) {
        EStep<S> e;
        if (!(I == 1 && estep_cholesky<S>(Hk[0], g[0], y, noise_var, e))) e = estep<S>(Hk, g, y, noise_var);
        if (!std::isfinite(e.cost) || !e.mu.allFinite())
            throw LinAlgError("the posterior overflowed; rescale y and the factors");
        return e;
    };

    Fit<S> fit;
    double sigma2 = std::max(opt.noise_var, opt.noise_floor);
    for (int it = 0; it < opt.max_iter; ++it) {
        check_interrupt();
        if (prune(g, keep, opt)) compact();
        if (empty()) break;
        const EStep<S> e = posterior(sigma2);
        fit.cost.push_back(e.cost);
        const VectorXd before = kron_vector(g);
        VectorXd d = e.diag + e.mu.cwiseAbs2();
        if (opt.gamma_update == Update::mackay) {
            // γ_j ← |μ_j|² / w_j, w_j = 1 − Σ_jj/γ_j. Where w_j < 1e-8 (the data say almost
            // nothing about entry j) the subtraction has lost its digits and |μ_j|²/w_j
            // could overflow: that entry keeps EM's step |μ_j|² + Σ_jj.
            const VectorXd w = VectorXd::Ones(before.size()) - e.diag.cwiseQuotient(before);
            for (Index j = 0; j < d.size(); ++j)
                if (w[j] >= 1e-8) d[j] = std::norm(e.mu[j]) / w[j];
        }
        if (opt.method == Method::svd) {
            std::vector<Index> shape(I);
            for (size_t i = 0; i < I; ++i) shape[i] = g[i].size();
            g = svd_project(d, shape);
            for (auto& gi : g) gi = gi.cwiseMax(kTiny);
        } else {
            am_project(d, g, C, opt);
        }
        const double sigma2_old = sigma2;
        double fp_gap = 0.0;  // |σ²_mackay − σ²|: the fixed-point residual of σ²
        if (opt.learn_noise) {
            const double rss = (y - kron_matvec<S>(Hk, e.mu)).squaredNorm();
            const double mackay = std::max(rss / std::max(e.dof, std::numeric_limits<double>::min()),
                                           opt.noise_floor);
            fp_gap = std::abs(mackay - sigma2_old);
            sigma2 = opt.noise_update == Update::mackay
                         ? mackay
                         : std::max((rss + sigma2 * e.trace) / double(M), opt.noise_floor);
        }
        fit.nit = it + 1;
        const double dg = (kron_vector(g) - before).norm(), gn = before.norm();
        const double ds = std::max(std::abs(sigma2 - sigma2_old), fp_gap);
        bool done = dg < opt.tol * gn && ds <= opt.tol * sigma2_old;
        const bool settled = dg < 10 * opt.tol * gn && ds <= 10 * opt.tol * sigma2_old;
        if (I == 1 && opt.prune_snr > 0 && settled) {
            // Evidence-based pruning (see Options::prune_snr); `before` holds the
            // γ of this E-step, whose diag Σ is e.diag.
            std::vector<Index> k2;
            std::vector<double> g2;
            for (Index k = 0; k < before.size(); ++k)
                if (!(before[k] - e.diag[k] < opt.prune_snr * e.diag[k]))
                    k2.push_back(keep[0][k]), g2.push_back(g[0][k]);
            if (k2.size() != keep[0].size()) {
                keep[0] = k2;
                g[0] = Eigen::Map<const VectorXd>(g2.data(), static_cast<Index>(g2.size()));
                compact();
                done = false;
            }
        }
        if (done) {
            fit.converged = true;
            break;
        }
    }

    // Final estimate: μ with the last γ (after its pruning).
    if (prune(g, keep, opt)) compact();
    Index N = 1;
    for (Index ni : n) N *= ni;
    fit.x = Vec<S>::Zero(N);
    fit.dof = static_cast<double>(M);
    fit.residual_norm = y.norm();  // x = 0 when everything was pruned
    if (!empty()) {
        const EStep<S> e = posterior(sigma2);
        fit.dof = e.dof;
        // x is μ scattered onto the support, so H x = H_kept μ (the cheap, compact product).
        fit.residual_norm = (y - kron_matvec<S>(Hk, e.mu)).norm();
        const std::vector<Index> flat = kept_flat_indices(keep, n);
        for (size_t j = 0; j < flat.size(); ++j) fit.x[flat[j]] = e.mu[static_cast<Index>(j)];
    }
    fit.gamma.resize(I);
    for (size_t i = 0; i < I; ++i) {
        fit.gamma[i] = VectorXd::Zero(n[i]);
        for (size_t c = 0; c < keep[i].size(); ++c) fit.gamma[i][keep[i][c]] = g[i][c];
    }
    fit.noise_var = sigma2;
    return fit;
}

template EStep<double> estep(const std::vector<Mat<double>>&, const std::vector<VectorXd>&,
                             const Eigen::Ref<const Vec<double>>&, double);
template EStep<cdouble> estep(const std::vector<Mat<cdouble>>&, const std::vector<VectorXd>&,
                              const Eigen::Ref<const Vec<cdouble>>&, double);
template Fit<double> kron_sbl(const std::vector<Mat<double>>&, const Eigen::Ref<const Vec<double>>&,
                              const Options&);
template Fit<cdouble> kron_sbl(const std::vector<Mat<cdouble>>&, const Eigen::Ref<const Vec<cdouble>>&,
                               const Options&);

}  // namespace fastls::sbl
