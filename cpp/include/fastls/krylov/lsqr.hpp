// LSQR (Paige & Saunders 1982) with SciPy's stopping rules; the Stop values
// are SciPy's istop codes (its machine-precision variants 4-6 are reported as
// 1-3), which fastls.LstsqStatus reads as they are.
//
// The operator owns the long (range) vectors, so the same iteration runs with
// them in host memory or on a GPU. Op provides:
//   using Range;                                  // n-vector type
//   Index cols() const;
//   double norm(const Range& u) const;
//   void scale(Range& u, double a) const;         // u *= a
//   void apply_update(const VectorXd& v, double alpha, Range& u) const;  // u = A v - alpha u
//   void apply_t(const Range& u, VectorXd& out) const;                  // out = A^T u
// The short (domain) vectors are host Eigen vectors.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <limits>

#include "fastls/common/interrupt.hpp"

namespace fastls::krylov {

enum class Stop {
    Solved = 0,          // x = 0 is exact (b = 0 or A^T b = 0)
    Consistent = 1,      // A x = b to btol/atol
    Converged = 2,       // least-squares optimality to atol
    IllConditioned = 3,  // condition estimate above conlim
    MaxIter = 7,         // iteration limit
};

struct LsqrOptions {
    double atol = 1e-12;
    double btol = 1e-12;
    double conlim = 1e12;
    Eigen::Index maxiter = 200;
};

struct LsqrResult {
    Eigen::VectorXd x;
    Stop istop = Stop::Solved;
    Eigen::Index nit = 0;
    double rnorm = 0, arnorm = 0, anorm = 0, acond = 0;
};

// Solves min ||A x - b|| with u holding b on entry (overwritten).
template <class Op>
LsqrResult lsqr(const Op& A, typename Op::Range& u, const LsqrOptions& opt) {
    using Eigen::VectorXd;
    const double eps = std::numeric_limits<double>::epsilon();
    LsqrResult res;
    res.x = VectorXd::Zero(A.cols());
    VectorXd v = VectorXd::Zero(A.cols()), w, tmp(A.cols());
    double beta = A.norm(u), alpha = 0;
    if (beta > 0) {
        A.scale(u, 1.0 / beta);
        A.apply_t(u, v);
        alpha = v.norm();
    }
    if (alpha > 0) v /= alpha;
    w = v;
    double rhobar = alpha, phibar = beta, anorm = 0, acond = 0, ddnorm = 0, xxnorm = 0;
    double z = 0, cs2 = -1, sn2 = 0;
    const double bnorm = beta;
    double rnorm = beta, arnorm = alpha * beta;
    const double ctol = opt.conlim > 0 ? 1.0 / opt.conlim : 0.0;
    res.rnorm = rnorm;
    res.arnorm = arnorm;
    if (arnorm == 0) return res;  // x = 0 is exact
    res.istop = Stop::MaxIter;      // also for maxiter <= 0: no step taken

    for (Eigen::Index it = 1; it <= opt.maxiter; ++it) {
        check_interrupt();
        A.apply_update(v, alpha, u);
        beta = A.norm(u);
        if (beta > 0) {
            A.scale(u, 1.0 / beta);
            anorm = std::sqrt(anorm * anorm + alpha * alpha + beta * beta);
            A.apply_t(u, tmp);
            v = tmp - beta * v;
            alpha = v.norm();
            if (alpha > 0) v /= alpha;
        }
        const double rho = std::hypot(rhobar, beta);
        const double cs = rhobar / rho, sn = beta / rho;
        const double theta = sn * alpha;
        rhobar = -cs * alpha;
        const double phi = cs * phibar;
        phibar = sn * phibar;
        const double tau = sn * phi;
        ddnorm += (w / rho).squaredNorm();
        res.x += (phi / rho) * w;
        w = v - (theta / rho) * w;

        const double delta = sn2 * rho, gambar = -cs2 * rho;
        const double rhs = phi - delta * z;
        const double xnorm = std::sqrt(xxnorm + (rhs / gambar) * (rhs / gambar));
        const double gamma = std::hypot(gambar, theta);
        cs2 = gambar / gamma;
        sn2 = theta / gamma;
        z = rhs / gamma;
        xxnorm += z * z;

        acond = anorm * std::sqrt(ddnorm);
        rnorm = std::abs(phibar);
        arnorm = alpha * std::abs(tau);
        const double test1 = rnorm / bnorm;
        const double test2 = arnorm / (anorm * rnorm + eps);
        const double test3 = 1.0 / (acond + eps);
        const double t1 = test1 / (1 + anorm * xnorm / bnorm);
        const double rtol = opt.btol + opt.atol * anorm * xnorm / bnorm;
        res.nit = it;
        // SciPy's precedence: consistent, then optimal, then ill-conditioned.
        const bool consistent = 1 + t1 <= 1 || test1 <= rtol;
        const bool optimal = 1 + test2 <= 1 || test2 <= opt.atol;
        const bool ill = 1 + test3 <= 1 || test3 <= ctol;
        if (consistent) res.istop = Stop::Consistent;
        else if (optimal) res.istop = Stop::Converged;
        else if (ill) res.istop = Stop::IllConditioned;
        if (consistent || optimal || ill || it >= opt.maxiter) break;
    }
    res.rnorm = rnorm;
    res.arnorm = arnorm;
    res.anorm = anorm;
    res.acond = acond;
    return res;
}

}  // namespace fastls::krylov
