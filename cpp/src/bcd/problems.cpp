#include "fastls/bcd/problems.hpp"

#include <cmath>

#include "fastls/common/error.hpp"

namespace fastls::bcd {
namespace {

// log(1 + exp(t)) without overflow
double softplus(double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }
double sigmoid(double t) {
    if (t >= 0) return 1.0 / (1.0 + std::exp(-t));
    const double e = std::exp(t);
    return e / (1.0 + e);
}

class LeastSquares final : public Smooth {
public:
    LeastSquares(std::shared_ptr<const Design> A, VectorXd b, double scale)
        : A_(std::move(A)), r_(-b), scale_(scale) {
        x_ = VectorXd::Zero(A_->cols());
    }
    double value() const override { return 0.5 * scale_ * r_.squaredNorm(); }
    void gradient(VectorXd& g) const override {
        A_->matvec_t(r_, g);
        g *= scale_;
    }
    void block_gradient(const Block& b, VectorXd& gb) const override {
        gb.resize(Index(b.size()));
        for (size_t k = 0; k < b.size(); ++k) gb[Index(k)] = scale_ * A_->dot(b[k], r_);
    }
    VectorXd lipschitz() const override {
        VectorXd L(n());
        for (Index j = 0; j < n(); ++j) L[j] = scale_ * A_->sqnorm(j);
        return L;
    }
    VectorXd gershgorin() const override { return scale_ * A_->gram_abs_rowsums(); }
    MatrixXd bound_block(const Block& b) const override {
        MatrixXd Ab;
        A_->gather(b, Ab);
        return scale_ * (Ab.transpose() * Ab);
    }
    void bound_column(Index j, VectorXd& col) const override {
        MatrixXd aj;
        A_->gather({j}, aj);
        A_->matvec_t(aj.col(0), col);
        col *= scale_;
    }
    void step(const Block& b, const VectorXd& d) override {
        for (size_t k = 0; k < b.size(); ++k) {
            x_[b[k]] += d[Index(k)];
            A_->axpy(b[k], d[Index(k)], r_);
        }
    }
    double value_after(const Block& b, const VectorXd& d) const override {
        VectorXd r = r_;
        for (size_t k = 0; k < b.size(); ++k) A_->axpy(b[k], d[Index(k)], r);
        return 0.5 * scale_ * r.squaredNorm();
    }
    bool quadratic() const override { return true; }
    std::optional<double> residual_norm() const override { return r_.norm(); }

private:
    std::shared_ptr<const Design> A_;
    VectorXd r_;  // A x - b
    double scale_;
};

class Logistic final : public Smooth {
public:
    Logistic(std::shared_ptr<const Design> A, VectorXd y, double l2)
        : A_(std::move(A)), y_(std::move(y)), z_(VectorXd::Zero(A_->rows())), l2_(l2) {
        x_ = VectorXd::Zero(A_->cols());
        refresh();
    }
    double value() const override { return loss(z_) + 0.5 * l2_ * x_.squaredNorm(); }
    void gradient(VectorXd& g) const override {
        A_->matvec_t(u_, g);
        g += l2_ * x_;
    }
    void block_gradient(const Block& b, VectorXd& gb) const override {
        gb.resize(Index(b.size()));
        for (size_t k = 0; k < b.size(); ++k) gb[Index(k)] = A_->dot(b[k], u_) + l2_ * x_[b[k]];
    }
    VectorXd lipschitz() const override {
        VectorXd L(n());
        for (Index j = 0; j < n(); ++j) L[j] = 0.25 * A_->sqnorm(j) + l2_;
        return L;
    }
    VectorXd gershgorin() const override {
        return (0.25 * A_->gram_abs_rowsums()).array() + l2_;
    }
    MatrixXd bound_block(const Block& b) const override {
        MatrixXd Ab;
        A_->gather(b, Ab);
        MatrixXd H = 0.25 * (Ab.transpose() * Ab);
        H.diagonal().array() += l2_;
        return H;
    }
    MatrixXd hessian_block(const Block& b) const override {
        MatrixXd Ab;
        A_->gather(b, Ab);
        MatrixXd H = Ab.transpose() * w_.asDiagonal() * Ab;
        H.diagonal().array() += l2_;
        return H;
    }
    void bound_column(Index j, VectorXd& col) const override {
        MatrixXd aj;
        A_->gather({j}, aj);
        A_->matvec_t(aj.col(0), col);
        col *= 0.25;
        col[j] += l2_;
    }
    void step(const Block& b, const VectorXd& d) override {
        for (size_t k = 0; k < b.size(); ++k) {
            x_[b[k]] += d[Index(k)];
            A_->axpy(b[k], d[Index(k)], z_);
        }
        refresh();
    }
    double value_after(const Block& b, const VectorXd& d) const override {
        VectorXd z = z_;
        double reg = x_.squaredNorm();
        for (size_t k = 0; k < b.size(); ++k) {
            A_->axpy(b[k], d[Index(k)], z);
            const double xi = x_[b[k]];
            reg += (xi + d[Index(k)]) * (xi + d[Index(k)]) - xi * xi;
        }
        return loss(z) + 0.5 * l2_ * reg;
    }

private:
    double loss(const VectorXd& z) const {
        double s = 0.0;
        for (Index j = 0; j < z.size(); ++j) s += softplus(-y_[j] * z[j]);
        return s;
    }
    void refresh() {  // derivative u and curvature w of the loss at the margins
        u_.resize(z_.size());
        w_.resize(z_.size());
        for (Index j = 0; j < z_.size(); ++j) {
            const double s = sigmoid(-y_[j] * z_[j]);
            u_[j] = -y_[j] * s;
            w_[j] = s * (1.0 - s);
        }
    }
    std::shared_ptr<const Design> A_;
    VectorXd y_, z_, u_, w_;
    double l2_;
};

class Softmax final : public Smooth {
public:
    Softmax(std::shared_ptr<const Design> A, Eigen::VectorXi y, int K, double l2)
        : A_(std::move(A)), y_(std::move(y)), K_(K), l2_(l2), Z_(MatrixXd::Zero(A_->rows(), K)) {
        x_ = VectorXd::Zero(A_->cols() * K);
        refresh();
    }
    double value() const override { return loss(Z_) + 0.5 * l2_ * x_.squaredNorm(); }
    void gradient(VectorXd& g) const override {
        MatrixXd G;
        A_->matmat_t(E_, G);  // p x K
        g.resize(n());
        for (Index i = 0; i < G.rows(); ++i)
            for (Index c = 0; c < K_; ++c) g[i * K_ + c] = G(i, c);
        g += l2_ * x_;
    }
    void block_gradient(const Block& b, VectorXd& gb) const override {
        gb.resize(Index(b.size()));
        for (size_t k = 0; k < b.size(); ++k)
            gb[Index(k)] = A_->dot(b[k] / K_, E_.col(b[k] % K_)) + l2_ * x_[b[k]];
    }
    VectorXd lipschitz() const override {
        VectorXd L(n());
        for (Index i = 0; i < A_->cols(); ++i) L.segment(i * K_, K_).setConstant(0.25 * A_->sqnorm(i) + l2_);
        return L;
    }
    VectorXd gershgorin() const override {  // Boehning bound with k = K: row sums scale by 1 - 1/K
        const VectorXd G = A_->gram_abs_rowsums();
        VectorXd out(n());
        for (Index i = 0; i < G.size(); ++i) out.segment(i * K_, K_).setConstant((1.0 - 1.0 / K_) * G[i] + l2_);
        return out;
    }
    VectorXd bound_diagonal() const override {
        return ((lipschitz().array() - l2_) * 2.0 * (1.0 - 1.0 / K_) + l2_).matrix();
    }
    MatrixXd bound_block(const Block& b) const override {
        // Boehning's bound restricted to the classes the block touches: k = min(K, c + 1).
        std::vector<char> seen(size_t(K_), 0);
        int classes = 0;
        for (Index v : b) classes += seen[size_t(v % K_)] ? 0 : (seen[size_t(v % K_)] = 1);
        const double k = std::min(K_, classes + 1);
        MatrixXd Ab;
        A_->gather(features(b), Ab);
        const MatrixXd gram = Ab.transpose() * Ab;
        const Index t = Index(b.size());
        MatrixXd H(t, t);
        for (Index u = 0; u < t; ++u)
            for (Index v = 0; v < t; ++v) {
                const double s = (b[u] % K_ == b[v] % K_) ? 0.5 * (1.0 - 1.0 / k) : -0.5 / k;
                H(u, v) = s * gram(u, v);
            }
        H.diagonal().array() += l2_;
        return H;
    }
    MatrixXd hessian_block(const Block& b) const override {
        MatrixXd Ab;
        A_->gather(features(b), Ab);
        const Index t = Index(b.size());
        MatrixXd H(t, t);
        for (Index u = 0; u < t; ++u)
            for (Index v = u; v < t; ++v) {
                const Index cu = b[u] % K_, cv = b[v] % K_;
                VectorXd w = -P_.col(cu).cwiseProduct(P_.col(cv));
                if (cu == cv) w += P_.col(cu);
                H(u, v) = H(v, u) = (Ab.col(u).cwiseProduct(Ab.col(v))).dot(w);
            }
        H.diagonal().array() += l2_;
        return H;
    }
    void bound_column(Index j, VectorXd& col) const override {
        MatrixXd aj;
        VectorXd ga;
        A_->gather({j / K_}, aj);
        A_->matvec_t(aj.col(0), ga);
        col.resize(n());
        const double k = K_;
        for (Index i = 0; i < ga.size(); ++i)
            for (Index c = 0; c < K_; ++c)
                col[i * K_ + c] = ga[i] * ((c == j % K_) ? 0.5 * (1.0 - 1.0 / k) : -0.5 / k);
        col[j] += l2_;
    }
    void step(const Block& b, const VectorXd& d) override {
        for (size_t k = 0; k < b.size(); ++k) {
            x_[b[k]] += d[Index(k)];
            A_->axpy(b[k] / K_, d[Index(k)], Z_.col(b[k] % K_));
        }
        refresh();
    }
    double value_after(const Block& b, const VectorXd& d) const override {
        MatrixXd Z = Z_;
        double reg = x_.squaredNorm();
        for (size_t k = 0; k < b.size(); ++k) {
            A_->axpy(b[k] / K_, d[Index(k)], Z.col(b[k] % K_));
            const double xi = x_[b[k]];
            reg += (xi + d[Index(k)]) * (xi + d[Index(k)]) - xi * xi;
        }
        return loss(Z) + 0.5 * l2_ * reg;
    }

private:
    Block features(const Block& b) const {
        Block f(b.size());
        for (size_t k = 0; k < b.size(); ++k) f[k] = b[k] / K_;
        return f;
    }
    double loss(const MatrixXd& Z) const {
        double s = 0.0;
        for (Index j = 0; j < Z.rows(); ++j) {
            const double mx = Z.row(j).maxCoeff();
            s += mx + std::log((Z.row(j).array() - mx).exp().sum()) - Z(j, y_[j]);
        }
        return s;
    }
    void refresh() {  // probabilities P and gradient factor E = P - Y
        P_.resize(Z_.rows(), K_);
        for (Index j = 0; j < Z_.rows(); ++j) {
            const double mx = Z_.row(j).maxCoeff();
            P_.row(j) = (Z_.row(j).array() - mx).exp();
            P_.row(j) /= P_.row(j).sum();
        }
        E_ = P_;
        for (Index j = 0; j < Z_.rows(); ++j) E_(j, y_[j]) -= 1.0;
    }
    std::shared_ptr<const Design> A_;
    Eigen::VectorXi y_;
    int K_;
    double l2_;
    MatrixXd Z_, P_, E_;
};

class Quadratic final : public Smooth {
public:
    Quadratic(CscMap M, VectorXd c) : M_(M), c_(std::move(c)), g_(-c_) {
        x_ = VectorXd::Zero(M_.cols());
    }
    double value() const override { return 0.5 * x_.dot(g_) - 0.5 * c_.dot(x_); }
    void gradient(VectorXd& g) const override { g = g_; }
    void block_gradient(const Block& b, VectorXd& gb) const override {
        gb.resize(Index(b.size()));
        for (size_t k = 0; k < b.size(); ++k) gb[Index(k)] = g_[b[k]];
    }
    VectorXd lipschitz() const override {
        VectorXd L = VectorXd::Zero(n());
        for (Index j = 0; j < n(); ++j)
            for (CscMap::InnerIterator it(M_, j); it; ++it)
                if (it.row() == j) L[j] = it.value();
        return L;
    }
    VectorXd gershgorin() const override {
        VectorXd G(n());
        for (Index j = 0; j < n(); ++j) G[j] = M_.col(j).cwiseAbs().sum();
        return G;
    }
    MatrixXd bound_block(const Block& b) const override {
        const Index t = Index(b.size());
        std::vector<Index> pos(size_t(n()), -1);
        for (Index k = 0; k < t; ++k) pos[size_t(b[size_t(k)])] = k;
        MatrixXd H = MatrixXd::Zero(t, t);
        for (Index k = 0; k < t; ++k)
            for (CscMap::InnerIterator it(M_, b[size_t(k)]); it; ++it)
                if (pos[size_t(it.row())] >= 0) H(pos[size_t(it.row())], k) = it.value();
        return H;
    }
    void bound_column(Index j, VectorXd& col) const override { col = M_.col(j); }
    void step(const Block& b, const VectorXd& d) override {
        for (size_t k = 0; k < b.size(); ++k) {
            x_[b[k]] += d[Index(k)];
            for (CscMap::InnerIterator it(M_, b[k]); it; ++it) g_[it.row()] += it.value() * d[Index(k)];
        }
    }
    double value_after(const Block& b, const VectorXd& d) const override {
        double f = value();
        VectorXd Md = VectorXd::Zero(n());
        for (size_t k = 0; k < b.size(); ++k) {
            f += g_[b[k]] * d[Index(k)];
            for (CscMap::InnerIterator it(M_, b[k]); it; ++it) Md[it.row()] += it.value() * d[Index(k)];
        }
        for (size_t k = 0; k < b.size(); ++k) f += 0.5 * d[Index(k)] * Md[b[k]];
        return f;
    }
    bool quadratic() const override { return true; }
    const CscMap* graph() const override { return &M_; }

private:
    CscMap M_;
    VectorXd c_, g_;  // g = M x - c, maintained
};

}  // namespace

std::unique_ptr<Smooth> make_least_squares(std::shared_ptr<const Design> A, VectorXd b, double scale) {
    require(b.size() == A->rows(), "b must have one entry per row of A");
    return std::make_unique<LeastSquares>(std::move(A), std::move(b), scale);
}
std::unique_ptr<Smooth> make_logistic(std::shared_ptr<const Design> A, VectorXd y, double l2) {
    require(y.size() == A->rows(), "y must have one entry per row of A");
    return std::make_unique<Logistic>(std::move(A), std::move(y), l2);
}
std::unique_ptr<Smooth> make_softmax(std::shared_ptr<const Design> A, Eigen::VectorXi y, int K, double l2) {
    require(y.size() == A->rows(), "y must have one entry per row of A");
    require(K >= 2 && y.minCoeff() >= 0 && y.maxCoeff() < K, "labels must lie in [0, n_classes)");
    return std::make_unique<Softmax>(std::move(A), std::move(y), K, l2);
}
std::unique_ptr<Smooth> make_quadratic(CscMap M, VectorXd c) {
    require(M.rows() == M.cols() && c.size() == M.rows(), "M must be square and match c");
    return std::make_unique<Quadratic>(M, std::move(c));
}

}  // namespace fastls::bcd
