// M-steps of Kronecker SBL: rank-one (SVD) projection, AM / pattern-coupled
// sweeps, and the small NNLS the coupled sweep needs.
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <cmath>
#include <limits>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/types.hpp"
#include "fastls/sbl/kron_sbl.hpp"

namespace fastls::sbl {
namespace {

using Eigen::Index;
using Eigen::VectorXd;

// Prior variances are kept >= this so the AM divisions stay finite.
constexpr double kTiny = 1e-300;

VectorXd inverse_kron(const std::vector<VectorXd>& g, size_t from, size_t to) {
    std::vector<VectorXd> inv;
    for (size_t l = from; l < to; ++l) inv.push_back(g[l].cwiseInverse());
    return kron_vector(inv);
}

// t[k] = Σ_{j: j_i = k} d_j / ∏_{l≠i} g_l[j_l]  (before the k_i/N factor).
VectorXd am_target(const VectorXd& d, const std::vector<VectorXd>& g, size_t i) {
    const VectorXd pre = inverse_kron(g, 0, i), post = inverse_kron(g, i + 1, g.size());
    const Index k = g[i].size(), S = post.size();
    VectorXd t = VectorXd::Zero(k);
    for (Index p = 0; p < pre.size(); ++p) {
        Eigen::Map<const Eigen::MatrixXd> D(d.data() + p * k * S, S, k);
        t.noalias() += pre[p] * (D.transpose() * post);
    }
    return t;
}

// ||γ_i|| = 1 for i < I, the scale goes into the last factor.
void normalise(std::vector<VectorXd>& g) {
    double scale = 1.0;
    for (size_t i = 0; i + 1 < g.size(); ++i) {
        const double c = g[i].norm();
        g[i] /= c;
        scale *= c;
    }
    g.back() *= scale;
}

}  // namespace

std::vector<VectorXd> svd_project(const VectorXd& d, const std::vector<Index>& shape) {
    Index n = 1;
    for (Index k : shape) n *= k;
    require(!shape.empty() && n > 0 && d.size() == n, "d must have length prod(shape) > 0");
    std::vector<VectorXd> out(shape.size());
    VectorXd r = d;
    for (size_t i = 0; i + 1 < shape.size(); ++i) {
        const Index rows = shape[i], cols = r.size() / rows;
        Eigen::Map<const RowMatrixXd> R(r.data(), rows, cols);
        // Top left singular vector from the small rows x rows Gram matrix.
        const Eigen::MatrixXd gram = R * R.transpose();
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(gram);
        const VectorXd u = es.eigenvectors().col(rows - 1);
        VectorXd v = R.transpose() * u;  // = s · (right singular vector)
        out[i] = u.cwiseAbs();           // Perron vector: the sign is arbitrary
        r = v.cwiseAbs();
    }
    out.back() = r;
    return out;
}

void am_project(const VectorXd& d, std::vector<VectorXd>& g, const std::vector<Eigen::MatrixXd>& C,
                const Options& opt) {
    Index n = 1;
    for (const auto& gi : g) n *= gi.size();
    require(!g.empty() && n > 0 && d.size() == n, "d must have length prod(len(g_i)) > 0");
    const double N = static_cast<double>(d.size());
    const bool coupled = opt.method == Method::pc;
    for (int sweep = 0; sweep < opt.inner_max_sweeps; ++sweep) {
        check_interrupt();
        const VectorXd before = kron_vector(g);
        for (size_t i = 0; i < g.size(); ++i) {
            const VectorXd t = am_target(d, g, i) * (static_cast<double>(g[i].size()) / N);
            if (coupled && opt.block[i])
                g[i] = (C[i] * nnls(C[i], t)).array() + opt.eps;
            else
                g[i] = t.cwiseMax(kTiny);
        }
        normalise(g);
        const VectorXd after = kron_vector(g);
        if ((after - before).norm() <= opt.inner_tol * before.norm()) break;
    }
}

VectorXd nnls(const Eigen::MatrixXd& C, const VectorXd& t) {
    require(C.rows() == t.size() && C.cols() > 0, "nnls: C must have as many rows as t");
    const Index n = C.cols();
    const double tol = 10 * std::numeric_limits<double>::epsilon() * C.cwiseAbs().colwise().sum().maxCoeff() *
                       static_cast<double>(std::max(C.rows(), n));
    VectorXd x = VectorXd::Zero(n);
    std::vector<bool> passive(n, false);
    auto solve_passive = [&] {  // least squares on the passive columns, zero elsewhere
        std::vector<Index> idx;
        for (Index j = 0; j < n; ++j)
            if (passive[j]) idx.push_back(j);
        Eigen::MatrixXd Cp(C.rows(), static_cast<Index>(idx.size()));
        for (size_t c = 0; c < idx.size(); ++c) Cp.col(c) = C.col(idx[c]);
        const VectorXd sp = Cp.colPivHouseholderQr().solve(t);
        VectorXd s = VectorXd::Zero(n);
        for (size_t c = 0; c < idx.size(); ++c) s[idx[c]] = sp[c];
        return s;
    };
    for (Index outer = 0; outer < 3 * n + 10; ++outer) {
        const VectorXd w = C.transpose() * (t - C * x);
        Index j = -1;
        double best = tol;
        for (Index k = 0; k < n; ++k)
            if (!passive[k] && w[k] > best) best = w[k], j = k;
        if (j < 0) break;
        passive[j] = true;
        VectorXd s = solve_passive();
        for (Index inner = 0; inner < 3 * n + 10; ++inner) {
            double alpha = 1.0;
            bool feasible = true;
            for (Index k = 0; k < n; ++k)
                if (passive[k] && s[k] <= 0) {
                    feasible = false;
                    const double gap = x[k] - s[k];
                    alpha = std::min(alpha, gap > 0 ? x[k] / gap : 0.0);
                }
            if (feasible) break;
            x += alpha * (s - x);
            for (Index k = 0; k < n; ++k)
                if (passive[k] && x[k] <= tol) passive[k] = false, x[k] = 0.0;
            s = solve_passive();
        }
        x = s;
    }
    return x.cwiseMax(0.0);
}

}  // namespace fastls::sbl
