// One federated client: its data reduced once to a factorization, and the
// local update every algorithm runs when it receives a message. This is the
// piece a distributed engine keeps resident on a worker; the server logic
// (scheduling, links, aggregation) lives in simulation.hpp.
//
// Convention (paper note, section 2.0): J_k(w) = ||y_k - X_k w||^2_{W_k} without
// a 1/2, so N_k = (2 G_k + rho I)^{-1}, T_k = I - rho N_k = 2 N_k G_k and the
// initial local estimate is w̆_k = 2 N_k h_k.
#pragma once
#include <Eigen/Core>

#include "fastls/common/types.hpp"

namespace fastls::federated {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

enum class Algorithm : int { Admm = 0, Rerce = 1, RerceClu = 2, FedProx = 3 };

// Client data after one thin SVD of the whitened design, W^{1/2} X = U S V^T:
// G = V diag(d) V^T with d = s^2, and h = V (s .* U^T W^{1/2} y). rho-free, so
// one factorization serves every rho and algorithm. The SVD (not an
// eigendecomposition of G) keeps null-space directions exactly at d = 0.
struct ClientFactor {
    MatrixXd V;   // L x r, r = min(n_k, L), orthonormal columns
    VectorXd d;   // r eigenvalues of G on range(V)
    VectorXd vh;  // r: V^T h

    // X: n x L (either order), y: n, weights: n (>= 0) or empty for ones.
    template <class MatX>
    static ClientFactor from_data(const MatX& X, const Eigen::Ref<const VectorXd>& y,
                                  const Eigen::Ref<const VectorXd>& weights);
    Index dim() const { return V.rows(); }
};

ClientFactor factorize(MatrixXd Xw, const VectorXd& yw);  // whitened, consumed

template <class MatX>
ClientFactor ClientFactor::from_data(const MatX& X, const Eigen::Ref<const VectorXd>& y,
                                     const Eigen::Ref<const VectorXd>& weights) {
    MatrixXd Xw = X;
    VectorXd yw = y;
    if (weights.size() > 0) {
        const VectorXd sw = weights.cwiseSqrt();
        Xw = sw.asDiagonal() * Xw;
        yw = yw.cwiseProduct(sw);
    }
    return factorize(std::move(Xw), yw);
}

// The rho-dependent diagonal pieces: T = V diag(t) V^T, t = 2d / (2d + rho),
// and w̆ = 2 N h = V (2 vh / (2d + rho)).
struct LocalOperator {
    const ClientFactor* factor = nullptr;
    double rho = 1.0;
    VectorXd t;          // r
    VectorXd breve;      // r: coefficients of w̆ in V
    VectorXd w_breve;    // L: w̆ itself

    LocalOperator(const ClientFactor& f, double rho);
    Index dim() const { return factor->dim(); }
    Index rank() const { return t.size(); }
    // out = T x (work: r scratch). out may not alias x.
    void apply_T(const VectorXd& x, VectorXd& out, VectorXd& work) const;
};

// A client's state for one algorithm, with its per-round local update. The
// update takes the message as received (link noise already added) and returns
// the vector to upload (before uplink noise).
class Client {
public:
    Client(const LocalOperator& op, Algorithm alg);

    // Round 0: local model w̆; returns the upload (ADMM/RERCE/FedProx: w̆,
    // CLU: 2 w̆, the client extrapolation against w = 0).
    const VectorXd& start();

    // Round `round` >= 1 for a scheduled client.
    const VectorXd& update(const VectorXd& received, long round);

    // Local model after round `round` (>= the last update round). Under CLU an
    // idle client keeps updating with its stale message g; m idle steps
    // collapse exactly to g + T^m (w - g), evaluated here lazily.
    void local_model(long round, VectorXd& out) const;

    const LocalOperator& op() const { return *op_; }
    // CLU lazy state: w = g + V (t^(round - last) .* c).
    const VectorXd& g() const { return g_; }
    const VectorXd& c() const { return c_; }
    long last() const { return last_; }
    // Eigen-coordinate change of g at the last CLU update: V^T (g_old - g_new).
    const VectorXd& g_shift() const { return work_r_; }

private:
    const LocalOperator* op_;
    Algorithm alg_;
    VectorXd w_, z_, g_, c_, up_, tmp_, work_r_, tc_;
    long last_ = 0;
};

}  // namespace fastls::federated
