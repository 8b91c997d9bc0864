#include "fastls/federated/client.hpp"

#include <Eigen/SVD>
#include <cmath>

#include "fastls/common/error.hpp"

namespace fastls::federated {

ClientFactor factorize(MatrixXd Xw, const VectorXd& yw) {
    require(Xw.rows() == yw.size(), "y must have one entry per row of X");
    Eigen::BDCSVD<MatrixXd> svd(Xw, Eigen::ComputeThinU | Eigen::ComputeThinV);
    if (svd.info() != Eigen::Success) throw LinAlgError("SVD of a client's design did not converge");
    ClientFactor f;
    f.V = svd.matrixV();
    const VectorXd& s = svd.singularValues();
    f.d = s.cwiseAbs2();
    f.vh = s.cwiseProduct(svd.matrixU().transpose() * yw);
    return f;
}

LocalOperator::LocalOperator(const ClientFactor& f, double rho_) : factor(&f), rho(rho_) {
    require(rho > 0 && std::isfinite(rho), "rho must be positive and finite");
    const VectorXd denom = (2.0 * f.d).array() + rho;
    t = (2.0 * f.d).cwiseQuotient(denom);
    breve = (2.0 * f.vh).cwiseQuotient(denom);
    w_breve = f.V * breve;
}

void LocalOperator::apply_T(const VectorXd& x, VectorXd& out, VectorXd& work) const {
    work.noalias() = factor->V.transpose() * x;
    work.array() *= t.array();
    out.noalias() = factor->V * work;
}

Client::Client(const LocalOperator& op, Algorithm alg) : op_(&op), alg_(alg) {
    const Index L = op.dim(), r = op.rank();
    w_.setZero(L);
    up_.setZero(L);
    tmp_.setZero(L);
    work_r_.setZero(r);
    if (alg == Algorithm::Admm) z_.setZero(L);
    if (alg == Algorithm::RerceClu) {
        g_.setZero(L);
        c_.setZero(r);
        tc_.setZero(r);
    }
}

const VectorXd& Client::start() {
    last_ = 0;
    if (alg_ == Algorithm::RerceClu) {
        g_.setZero();
        c_ = op_->breve;  // w̆ - g = V breve
        up_ = 2.0 * op_->w_breve;
        return up_;
    }
    w_ = op_->w_breve;
    if (alg_ == Algorithm::Admm) z_.setZero();
    up_ = w_;
    return up_;
}

const VectorXd& Client::update(const VectorXd& received, long round) {
    const LocalOperator& op = *op_;
    const double rho = op.rho;
    switch (alg_) {
        case Algorithm::Admm:
            // z += rho (w - w~);  w = N (2h - z + rho w~) = w̆ + (x - T x) / rho,
            // x = rho w~ - z;  upload w + z / rho.
            z_.noalias() += rho * (w_ - received);
            tmp_ = rho * received - z_;
            op.apply_T(tmp_, up_, work_r_);
            w_ = op.w_breve + (tmp_ - up_) / rho;
            up_ = w_ + z_ / rho;
            break;
        case Algorithm::Rerce:
            // w += rho N (s~ - w)  <=>  w = s~ + T (w - s~).
            tmp_ = w_ - received;
            op.apply_T(tmp_, w_, work_r_);
            w_ += received;
            up_ = w_;
            break;
        case Algorithm::FedProx:
            // exact proximal solve: w = N (2h + rho w~) = w̆ + w~ - T w~.
            op.apply_T(received, tmp_, work_r_);
            w_ = op.w_breve + received - tmp_;
            up_ = w_;
            break;
        case Algorithm::RerceClu: {
            // Catch up m idle rounds lazily: w_prev = g + V (t^m .* c). Then
            // w = g' + T (w_prev - g') = g' + V c' with c' = t .* (V^T (g - g') + t^m c),
            // and the upload u = 2 w - w_prev = 2 g' - g + V (2 c' - t^m c).
            const long m = round - 1 - last_;
            for (Index i = 0; i < c_.size(); ++i) tc_[i] = c_[i] * std::pow(op.t[i], double(m));
            tmp_ = g_ - received;
            work_r_.noalias() = op.factor->V.transpose() * tmp_;  // V^T (g - g')
            c_ = op.t.cwiseProduct(work_r_ + tc_);
            up_ = 2.0 * received - g_;
            tc_ = 2.0 * c_ - tc_;
            up_.noalias() += op.factor->V * tc_;
            g_ = received;
            last_ = round;
            break;
        }
    }
    if (alg_ != Algorithm::RerceClu) last_ = round;
    return up_;
}

void Client::local_model(long round, VectorXd& out) const {
    if (alg_ != Algorithm::RerceClu) {
        out = w_;
        return;
    }
    const long m = round - last_;
    VectorXd q(c_.size());
    for (Index i = 0; i < c_.size(); ++i) q[i] = c_[i] * std::pow(op_->t[i], double(m));
    out = g_;
    out.noalias() += op_->factor->V * q;
}

}  // namespace fastls::federated
