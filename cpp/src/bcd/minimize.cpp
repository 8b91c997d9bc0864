#include "fastls/bcd/minimize.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "fastls/bcd/graph.hpp"
#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/philox.hpp"

namespace fastls::bcd {
namespace {

double soft(double u, double t) { return u > t ? u - t : (u < -t ? u + t : 0.0); }

// Distance of -g to the subdifferential of alpha|x| (GS-s score; |g| when smooth).
double subgrad(double g, double x, double alpha) {
    if (x > 0) return std::abs(g + alpha);
    if (x < 0) return std::abs(g - alpha);
    return std::max(std::abs(g) - alpha, 0.0);
}

// One-coordinate proximal step with curvature c: displacement d and model
// decrease q = g d + c d^2 / 2 + alpha (|x + d| - |x|) <= 0 (note 3.5).
void prox_step(double g, double x, double c, double alpha, double& d, double& q) {
    const double xp = soft(x - g / c, alpha / c);
    d = xp - x;
    q = g * d + 0.5 * c * d * d + alpha * (std::abs(xp) - std::abs(x));
}

double l1(const VectorXd& v) { return v.lpNorm<1>(); }

// The k largest scores, ties broken by the smaller index (deterministic).
Block top_k(const VectorXd& score, Index k) {
    Block idx(size_t(score.size()));
    std::iota(idx.begin(), idx.end(), Index(0));
    auto better = [&](Index a, Index b) { return score[a] > score[b] || (score[a] == score[b] && a < b); };
    std::nth_element(idx.begin(), idx.begin() + (k - 1), idx.end(), better);
    idx.resize(size_t(k));
    std::sort(idx.begin(), idx.end());
    return idx;
}

double lambda_max(const MatrixXd& H) {
    if (H.rows() == 1) return H(0, 0);
    if (H.rows() > 300) return H.cwiseAbs().rowwise().sum().maxCoeff();  // Gershgorin: cheap, valid
    return Eigen::SelfAdjointEigenSolver<MatrixXd>(H, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
}

// Solves H d = rhs for symmetric PSD H; a pseudo-inverse where H is singular
// (rank-deficient A_b), as the authors do.
VectorXd solve_psd(const MatrixXd& H, const VectorXd& rhs) {
    Eigen::LLT<MatrixXd> llt(H);
    if (llt.info() == Eigen::Success) {
        VectorXd d = llt.solve(rhs);
        if (d.allFinite()) return d;
    }
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(H);
    const VectorXd& w = eig.eigenvalues();
    const double cut = std::max(w.maxCoeff(), 0.0) * 1e-12 * double(H.rows());
    VectorXd coef = eig.eigenvectors().transpose() * rhs;
    for (Index i = 0; i < w.size(); ++i) coef[i] = w[i] > cut ? coef[i] / w[i] : 0.0;
    return eig.eigenvectors() * coef;
}

// argmin_y lin^T y + y^T H y / 2 + alpha ||y||_1 by coordinate descent from y.
void small_lasso(const MatrixXd& H, const VectorXd& lin, double alpha, VectorXd& y) {
    VectorXd grad = lin + H * y;
    const double scale = std::max(1.0, y.cwiseAbs().maxCoeff());
    for (int sweep = 0; sweep < 10000; ++sweep) {
        double change = 0.0;
        for (Index i = 0; i < y.size(); ++i) {
            if (H(i, i) <= 0.0) continue;
            const double yi = soft(y[i] - grad[i] / H(i, i), alpha / H(i, i));
            const double delta = yi - y[i];
            if (delta == 0.0) continue;
            grad.noalias() += delta * H.col(i);
            y[i] = yi;
            change = std::max(change, std::abs(delta));
        }
        if (change <= 1e-15 * scale) break;
    }
}

// Sequential 64-bit words of Philox4x32-10 keyed by the seed (counter = block
// number), as the sketches key it: unlike std::mt19937_64 with the std
// distributions, the same stream under every standard library.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : key_(seed) {}

    std::uint64_t below(std::uint64_t n) {  // uniform in [0, n)
        const std::uint64_t w = next();
        return fastls::below(std::uint32_t(w >> 32), std::uint32_t(w), n);
    }
    double uniform() { return (double(next() >> 11) + 0.5) * 0x1.0p-53; }  // in (0, 1)
    template <class It>
    void shuffle(It first, It last) {  // Fisher-Yates
        for (auto i = last - first; i > 1; --i)
            std::iter_swap(first + (i - 1), first + std::ptrdiff_t(below(std::uint64_t(i))));
    }

private:
    static constexpr int kLanes = 8;

    std::uint64_t next() {
        if (pos_ == 2 * kLanes) {
            std::uint32_t x[4][kLanes];
            for (int l = 0; l < kLanes; ++l) {
                x[0][l] = std::uint32_t(block_ + std::uint64_t(l));
                x[1][l] = std::uint32_t((block_ + std::uint64_t(l)) >> 32);
                x[2][l] = x[3][l] = 0;
            }
            philox4x32_10_lanes<kLanes>(x, key_);
            for (int l = 0; l < kLanes; ++l) {
                buf_[2 * l] = std::uint64_t(x[0][l]) << 32 | x[1][l];
                buf_[2 * l + 1] = std::uint64_t(x[2][l]) << 32 | x[3][l];
            }
            block_ += kLanes;
            pos_ = 0;
        }
        return buf_[pos_++];
    }

    std::uint64_t key_, block_ = 0;
    int pos_ = 2 * kLanes;
    std::uint64_t buf_[2 * kLanes];
};

bool greedy(Rule r) { return r != Rule::Cyclic && r != Rule::Random && r != Rule::Lipschitz; }

class Engine {
public:
    Engine(Smooth& f, const Options& o) : f_(f), o_(o), graph_(f.graph()), rng_(o.seed), n_(f.n()) {
        require(o.update != Update::MessagePassing || (graph_ && f.quadratic()),
                "message passing needs a sparse quadratic problem (label propagation)");
        require(!o.forest_blocks || graph_, "forest blocks need a graph");
        L_ = f.lipschitz();
        if (o.rule == Rule::GSL && o.blocks.empty()) G_ = f.gershgorin();  // VB "GSL" = Gershgorin GSD
        Lmax_ = L_.maxCoeff();
        info_.resize(o.blocks.size());
        if (!o.blocks.empty() && (o.rule == Rule::GSq || o.rule == Rule::GSr)) {
            Lmax_ = 0.0;
            for (size_t k = 0; k < o.blocks.size(); ++k) Lmax_ = std::max(Lmax_, block_info(k).L);
        }
    }

    Outcome run() {
        Outcome out;
        VectorXd g;
        f_.gradient(g);
        double F = objective();
        out.history.push_back(F);
        const double opt0 = scaled_optimality(g);
        double opt = opt0;
        const Index nb = o_.blocks.empty() ? std::max<Index>(1, n_ / std::max<Index>(1, o_.block_size))
                                           : Index(o_.blocks.size());
        const bool need_g = greedy(o_.rule) || o_.forest_blocks;
        if (done(F, opt0, opt0)) out.converged = true;
        for (Index k = 0; k < o_.maxiter && !out.converged; ++k) {
            check_interrupt();
            Block b;
            std::size_t fixed = 0;
            select(g, b, fixed);
            if (!b.empty()) update(b, fixed);
            F = objective();
            out.history.push_back(F);
            out.nit = k + 1;
            if (o_.record_blocks) out.blocks.push_back(b);
            // Greedy rules need the gradient every iteration; others check it once an epoch.
            const bool check = !o_.f_opt && ((k + 1) % nb == 0 || k + 1 == o_.maxiter);
            if (need_g || check) {
                f_.gradient(g);
                if (!o_.f_opt) opt = scaled_optimality(g);
            }
            if (done(F, opt, opt0)) out.converged = true;
            if (o_.callback && o_.callback(k + 1, f_.x(), F)) {
                out.stopped = true;
                break;
            }
        }
        f_.gradient(g);  // (current already unless a non-greedy rule stopped mid-epoch)
        out.optimality = optimality(g);
        out.residual_norm = f_.residual_norm().value_or(out.optimality);
        out.x = f_.x();
        return out;
    }

private:
    struct BlockInfo {
        bool ready = false;
        double L = 0.0;
        VectorXd D;   // within-block Gershgorin diagonal bound
        MatrixXd H;   // bound H_b (not kept for graph blocks over 300 variables)
    };

    double objective() const { return f_.value() + o_.alpha * l1(f_.x()); }

    double optimality(const VectorXd& g) const {
        double m = 0.0;
        for (Index i = 0; i < n_; ++i) m = std::max(m, subgrad(g[i], f_.x()[i], o_.alpha));
        return m;
    }

    // The stopping test's measure: each distance over sqrt(L_i), which makes it
    // invariant to the units of a variable (a column scaled by s scales its
    // distance by s and L_i by s^2). Unscaled, a column in other units set the
    // initial value alone and ended runs early: one column x 1e8 in a 100 x 20
    // least-squares problem stopped at 37x the optimal objective, CONVERGED.
    double scaled_optimality(const VectorXd& g) const {
        double m = 0.0;
        for (Index i = 0; i < n_; ++i) {
            const double d = subgrad(g[i], f_.x()[i], o_.alpha);
            m = std::max(m, L_[i] > 0.0 ? d / std::sqrt(L_[i]) : d);
        }
        return m;
    }

    bool done(double F, double opt, double opt0) const {
        if (o_.f_opt) return F - *o_.f_opt <= o_.tol;
        return opt <= o_.tol * opt0;
    }

    const BlockInfo& block_info(std::size_t k) {
        BlockInfo& bi = info_[k];
        if (bi.ready) return bi;
        const Block& b = o_.blocks[k];
        if (graph_ && b.size() > 300) {  // big graph blocks: Gershgorin bounds from sparse rows
            bi.D.resize(Index(b.size()));
            std::vector<char> in(size_t(n_), 0);
            for (Index v : b) in[size_t(v)] = 1;
            for (size_t i = 0; i < b.size(); ++i) {
                double s = 0.0;
                for (CscMap::InnerIterator it(*graph_, b[i]); it; ++it)
                    if (in[size_t(it.row())]) s += std::abs(it.value());
                bi.D[Index(i)] = s;
            }
            bi.L = bi.D.maxCoeff();
        } else {
            bi.H = f_.bound_block(b);
            bi.L = lambda_max(bi.H);
            bi.D = bi.H.cwiseAbs().rowwise().sum();
        }
        bi.ready = true;
        return bi;
    }

    // Per-coordinate score for variable blocks (larger is better).
    VectorXd coordinate_scores(const VectorXd& g) const {
        VectorXd s(n_);
        const VectorXd& x = f_.x();
        for (Index i = 0; i < n_; ++i) {
            const double sg = subgrad(g[i], x[i], o_.alpha);
            double d, q;
            switch (o_.rule) {
                case Rule::GS: s[i] = sg; break;
                case Rule::GSL: s[i] = G_[i] > 0 ? sg * sg / G_[i] : 0.0; break;  // Gershgorin GSD
                case Rule::GSD: s[i] = L_[i] > 0 ? sg * sg / L_[i] : 0.0; break;
                case Rule::GSq: prox_step(g[i], x[i], Lmax_, o_.alpha, d, q); s[i] = -q; break;
                case Rule::GSLq:
                    if (L_[i] > 0) { prox_step(g[i], x[i], L_[i], o_.alpha, d, q); s[i] = -q; }
                    else s[i] = 0.0;
                    break;
                case Rule::GSr: prox_step(g[i], x[i], Lmax_, o_.alpha, d, q); s[i] = std::abs(d); break;
                case Rule::GSLr:
                    if (L_[i] > 0) { prox_step(g[i], x[i], L_[i], o_.alpha, d, q); s[i] = std::sqrt(L_[i]) * std::abs(d); }
                    else s[i] = 0.0;
                    break;
                default: s[i] = sg;
            }
        }
        return s;
    }

    Block random_subset(Index k) {
        Block idx(static_cast<size_t>(n_));
        std::iota(idx.begin(), idx.end(), Index(0));
        for (Index i = 0; i < k; ++i)  // partial Fisher-Yates
            std::swap(idx[size_t(i)], idx[size_t(i) + size_t(rng_.below(std::uint64_t(n_ - i)))]);
        idx.resize(size_t(k));
        std::sort(idx.begin(), idx.end());
        return idx;
    }

    // GSQ over all tau-subsets approximated by greedy forward selection with the
    // global bound's columns (note 3.4): exact gain of adding each coordinate.
    Block forward_select(const VectorXd& g, Index tau) {
        VectorXd gt(n_), den = f_.bound_diagonal(), col;
        for (Index i = 0; i < n_; ++i) gt[i] = subgrad(g[i], f_.x()[i], o_.alpha) * (g[i] < 0 ? -1 : 1);
        const VectorXd hd = den;
        MatrixXd Q(n_, tau);
        Block S;
        std::vector<char> chosen(size_t(n_), 0);
        for (Index k = 0; k < tau; ++k) {
            Index s = -1;
            double best = -1.0;
            for (Index j = 0; j < n_; ++j) {
                if (chosen[size_t(j)] || den[j] <= 1e-12 * hd[j]) continue;
                const double v = gt[j] * gt[j] / den[j];
                if (v > best) { best = v; s = j; }
            }
            if (s < 0) break;
            f_.bound_column(s, col);
            VectorXd q = col - Q.leftCols(k) * Q.row(s).head(k).transpose();
            const double root = std::sqrt(den[s]);
            q /= root;
            gt -= q * (gt[s] / root);
            den -= q.cwiseAbs2();
            Q.col(k) = q;
            chosen[size_t(s)] = 1;
            S.push_back(s);
        }
        std::sort(S.begin(), S.end());
        return S;
    }

    void select(const VectorXd& g, Block& b, std::size_t& fixed) {
        const Index tau = std::min(o_.block_size, n_);
        if (o_.forest_blocks) {
            Block order(static_cast<size_t>(n_));
            std::iota(order.begin(), order.end(), Index(0));
            if (greedy(o_.rule)) {
                const VectorXd s = coordinate_scores(g);
                std::stable_sort(order.begin(), order.end(), [&](Index a, Index c) { return s[a] > s[c]; });
            } else {
                rng_.shuffle(order.begin(), order.end());
            }
            b = grow_forest(*graph_, order);
            return;
        }
        if (o_.blocks.empty()) {
            switch (o_.rule) {
                case Rule::Cyclic: {  // fresh permutation each epoch, consecutive chunks
                    if (cursor_ >= perm_.size()) {
                        perm_.resize(size_t(n_));
                        std::iota(perm_.begin(), perm_.end(), Index(0));
                        rng_.shuffle(perm_.begin(), perm_.end());
                        cursor_ = 0;
                    }
                    const std::size_t end = std::min(perm_.size(), cursor_ + std::size_t(tau));
                    b.assign(perm_.begin() + std::ptrdiff_t(cursor_), perm_.begin() + std::ptrdiff_t(end));
                    std::sort(b.begin(), b.end());
                    cursor_ = end;
                    return;
                }
                case Rule::Random: b = random_subset(tau); return;
                case Rule::Lipschitz: {  // tau distinct, probability ~ L_i (Efraimidis-Spirakis keys)
                    VectorXd key(n_);
                    for (Index i = 0; i < n_; ++i) key[i] = L_[i] > 0 ? std::log(rng_.uniform()) / L_[i] : -INFINITY;
                    b = top_k(key, tau);
                    return;
                }
                case Rule::GSQ: b = forward_select(g, tau); return;
                default: b = top_k(coordinate_scores(g), tau); return;
            }
        }
        const std::size_t nb = o_.blocks.size();
        switch (o_.rule) {
            case Rule::Cyclic: fixed = cursor_++ % nb; break;
            case Rule::Random: fixed = std::size_t(rng_.below(nb)); break;
            case Rule::Lipschitz: {
                std::vector<double> cum(nb);
                double total = 0.0;
                for (std::size_t k = 0; k < nb; ++k) cum[k] = total += block_info(k).L;
                const double r = rng_.uniform() * total;
                fixed = std::size_t(std::upper_bound(cum.begin(), cum.end(), r) - cum.begin());
                fixed = std::min(fixed, nb - 1);
                break;
            }
            default: {
                double best = -1.0;
                for (std::size_t k = 0; k < nb; ++k) {
                    const double s = block_score(g, k);
                    if (s > best) { best = s; fixed = k; }
                }
            }
        }
        b = o_.blocks[fixed];
    }

    double block_score(const VectorXd& g, std::size_t k) {
        const Block& b = o_.blocks[k];
        const VectorXd& x = f_.x();
        double s = 0.0, d, q;
        const Rule r = o_.rule;
        const bool needs_info = r == Rule::GSL || r == Rule::GSD || r == Rule::GSQ || r == Rule::GSLq || r == Rule::GSLr;
        const BlockInfo* bi = needs_info ? &block_info(k) : nullptr;
        VectorXd sb(Index(b.size()));
        for (size_t i = 0; i < b.size(); ++i) {
            const Index v = b[i];
            const double sg = subgrad(g[v], x[v], o_.alpha);
            sb[Index(i)] = sg * (g[v] < 0 ? -1 : 1);
            switch (r) {
                case Rule::GS: s += sg * sg; break;
                case Rule::GSL: s += bi->L > 0 ? sg * sg / bi->L : 0.0; break;
                case Rule::GSD: s += bi->D[Index(i)] > 0 ? sg * sg / bi->D[Index(i)] : 0.0; break;
                case Rule::GSq: prox_step(g[v], x[v], Lmax_, o_.alpha, d, q); s -= q; break;
                case Rule::GSLq: if (bi->L > 0) { prox_step(g[v], x[v], bi->L, o_.alpha, d, q); s -= q; } break;
                case Rule::GSr: prox_step(g[v], x[v], Lmax_, o_.alpha, d, q); s += d * d; break;
                case Rule::GSLr: if (bi->L > 0) { prox_step(g[v], x[v], bi->L, o_.alpha, d, q); s += bi->L * d * d; } break;
                default: break;
            }
        }
        if (r == Rule::GSQ) {
            require(bi->H.size() > 0, "rule 'gsq' needs graph blocks of at most 300 variables");
            s = sb.dot(solve_psd(bi->H, sb));
        }
        return s;
    }

    double block_L(const Block& b, std::size_t fixed) {
        if (!o_.blocks.empty()) return block_info(fixed).L;
        return lambda_max(f_.bound_block(b));
    }

    void update(const Block& b, std::size_t fixed) {
        VectorXd gb, d;
        f_.block_gradient(b, gb);
        VectorXd xb(Index(b.size()));
        for (size_t i = 0; i < b.size(); ++i) xb[Index(i)] = f_.x()[b[i]];
        switch (o_.update) {
            case Update::Gradient: {
                const double L = block_L(b, fixed);
                if (!(L > 0)) return;
                d = -gb / L;
                break;
            }
            case Update::ProxGradient: {
                const double L = block_L(b, fixed);
                if (!(L > 0)) return;
                d.resize(gb.size());
                for (Index i = 0; i < gb.size(); ++i) d[i] = soft(xb[i] - gb[i] / L, o_.alpha / L) - xb[i];
                break;
            }
            case Update::Matrix: {
                const MatrixXd H = (!o_.blocks.empty() && block_info(fixed).H.size() > 0)
                                       ? block_info(fixed).H : f_.bound_block(b);
                d = solve_psd(H, -gb);
                break;
            }
            case Update::Newton: {
                d = solve_psd(f_.hessian_block(b), -gb);
                double slope = gb.dot(d);
                if (!(slope < 0)) {  // flat Hessian: fall back to the bound (always descent)
                    d = solve_psd(f_.bound_block(b), -gb);
                    slope = gb.dot(d);
                    if (!(slope < 0)) return;
                }
                if (f_.quadratic()) break;  // Hessian = bound: the unit step is exact
                const double f0 = f_.value();
                // Predicted decrease below the round-off of f: unit Newton steps are
                // locally accepted anyway, and comparing f values would only see noise.
                if (-slope <= 1e-12 * std::max(1.0, std::abs(f0))) break;
                double t = 1.0;
                for (int i = 0; i < 60 && f_.value_after(b, t * d) > f0 + 1e-4 * t * slope; ++i) t *= 0.5;
                d *= t;
                break;
            }
            case Update::ProxNewton: {
                MatrixXd H = f_.hessian_block(b);
                H.diagonal().array() += 1e-12 * std::max(1.0, H.diagonal().maxCoeff());
                VectorXd y = xb;
                small_lasso(H, gb - H * xb, o_.alpha, y);
                d = y - xb;
                if (!f_.quadratic()) {  // backtracking on F (Lee, Sun, Saunders)
                    const double F0 = f_.value();
                    // model decrease g^T d + alpha (|y| - |x|), per coordinate so that the
                    // L1 change does not cancel catastrophically near the optimum
                    double decrease = 0.0;
                    for (Index i = 0; i < d.size(); ++i) {
                        const bool same = (y[i] > 0 && xb[i] > 0) || (y[i] < 0 && xb[i] < 0);
                        decrease += same ? (gb[i] + o_.alpha * (xb[i] > 0 ? 1.0 : -1.0)) * d[i]
                                         : gb[i] * d[i] + o_.alpha * (std::abs(y[i]) - std::abs(xb[i]));
                    }
                    if (!(decrease < 0)) return;
                    if (-decrease <= 1e-12 * std::max(1.0, std::abs(F0))) break;  // as for Newton
                    double t = 1.0;
                    for (int i = 0; i < 60; ++i, t *= 0.5) {
                        const VectorXd td = t * d;
                        if (f_.value_after(b, td) + o_.alpha * (l1(xb + td) - l1(xb)) <= F0 + 1e-4 * t * decrease)
                            break;
                    }
                    d *= t;
                }
                break;
            }
            case Update::MessagePassing: d = forest_solve(*graph_, b, -gb); break;
        }
        if (d.allFinite()) f_.step(b, d);
    }

    Smooth& f_;
    const Options& o_;
    const CscMap* graph_;  // sparse M of a quadratic, else null
    Rng rng_;
    Index n_;
    VectorXd L_, G_;
    double Lmax_ = 0.0;
    std::vector<BlockInfo> info_;
    Block perm_;
    std::size_t cursor_ = 0;
};

}  // namespace

Outcome minimize(Smooth& f, const Options& opt) {
    require(opt.maxiter >= 0, "maxiter must be >= 0");
    require(opt.block_size >= 1, "block_size must be >= 1");
    for (const Block& b : opt.blocks)
        for (Index v : b) require(v >= 0 && v < f.n(), "block index out of range");
    return Engine(f, opt).run();
}

}  // namespace fastls::bcd
