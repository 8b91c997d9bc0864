// Sketch-and-solve and sketch-and-precondition least squares.
//
// Sketch [A b] once, QR-factor SA = Q R. Full rank: x0 = R^{-1} (Q^T S b) and
// the preconditioner is P = R^{-1}. Rank r < d: P = V_r S_r^{-1} from the SVD
// of R (LSRN's choice), which yields the minimum-norm solution. With
// precondition on a dense A (refine): two steps of iterative refinement,
// x += P y with y from CG on the preconditioned normal equations
// (P^T A^T A P) y = P^T A^T (b - A x), the residual recomputed from A between
// the steps (SPIR/FOSSILS: Epperly, Meier, Nakatsukasa 2024). A^T r enters
// once per step rather than at every iteration, which makes the answer
// backward stable where one LSQR run from x0 is not (backward error 1e-10 at
// cond 1e8 with a large residual). Otherwise (refine off, operator A, GPU):
// LSQR on A P from x0 to tol.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "fastls/common/types.hpp"
#include "fastls/krylov/lsqr.hpp"
#include "fastls/sketch/sketch.hpp"

namespace fastls::sketch {

struct SolveOptions {
    Spec spec;
    bool precondition = false;
    double tol = 1e-12;
    Eigen::Index maxiter = 200;
    double rcond = -1;  // < 0: eps * max(n, d)
    bool refine = true;  // dense precondition: two CG refinement steps; false: LSQR from x0
    bool wide = false;   // sparse/operator A: SA is S A^T and the answer the minimum-norm one
};

struct SolveResult {
    Eigen::MatrixXd x;                       // d x k
    Eigen::VectorXd residual_norms;          // ||b - A x|| per column; empty after refine (the caller checks x on A)
    Eigen::VectorXd sketched_residual_norms; // ||S(b - A x0)|| per column
    Eigen::VectorXd covariance_diag;         // diag(P P^T) ~ diag((A^T A)^+); sketch-and-solve only
    Eigen::VectorXd singular_values;         // of S A
    Eigen::MatrixXd right_singular_vectors;  // d x d: V of S A = U diag(singular_values) V^T
    Eigen::MatrixXd null_basis;              // d x (d - rank): right null vectors of S A
    Eigen::Index rank = 0;
    std::vector<krylov::Stop> istop;         // per column (precondition only)
    std::vector<Eigen::Index> nit;           // per column
};

// Everything that follows from (SA, SB): the preconditioner, the
// sketch-and-solve answer and its error statistics. Shared by the CPU and GPU
// paths, which differ only in where A lives.
class SketchedFactor {
public:
    // Refuses (ValueError) an S A or S B that is not finite or an S A whose largest
    // entry is outside 2^-480..2^480. covariance: also diag(P P^T), the
    // sketch-and-solve error bars' (R^{-1} explicitly).
    // SA is factored in place (pass it by move where the caller is done with it).
    SketchedFactor(Eigen::MatrixXd SA, const Eigen::MatrixXd& SB, Eigen::Index n, double rcond,
                   bool covariance);

    Eigen::Index rank() const { return rank_; }
    Eigen::Index cols() const { return dense_.size() ? dense_.cols() : R_.cols(); }
    void precondition(const Eigen::VectorXd& z, Eigen::VectorXd& out) const;    // out = P z
    void precondition_t(const Eigen::VectorXd& w, Eigen::VectorXd& out) const;  // out = P^T w
    // Fills x (sketch-and-solve), sketched residuals, covariance, singular values, rank.
    void fill(SolveResult& out) const;

    // LSQR on A P for column j: u holds b_j - A x_j on entry; x_j += P z.
    template <class Op>
    void refine(const Op& op, typename Op::Range& u, const SolveOptions& opt, SolveResult& out,
                Eigen::Index j) const {
        krylov::LsqrOptions lo;
        lo.atol = lo.btol = opt.tol;
        lo.maxiter = opt.maxiter;
        const auto res = krylov::lsqr(op, u, lo);
        Eigen::VectorXd dx;
        precondition(res.x, dx);
        out.x.col(j) += dx;
        out.istop[static_cast<std::size_t>(j)] = res.istop;
        out.nit[static_cast<std::size_t>(j)] = res.nit;
    }

private:
    Eigen::MatrixXd R_, dense_, x0_, null_basis_, V_;
    Eigen::VectorXd singular_values_, covariance_diag_, sketched_residuals_;
    Eigen::Index rank_ = 0;
};

SolveResult solve(const SolveOptions& opt, const ColRef& A, const ColRef& B);
SolveResult solve(const SolveOptions& opt, const RowRef& A, const ColRef& B);

// Karlson-Walden estimate of the least-squares backward error of x, per column:
//   ||(A^T A + mu I)^{-1/2} A^T r|| / ||x||,  mu = ||r||^2 / ||x||^2,
// with A^T A ~ V diag(s)^2 V^T from the sketch (s, V: the SVD of S A), so it
// costs d^2 per column once A^T r is known. Within a factor ~sqrt(2) of the
// exact backward error when accurate (Grcar, Saunders, Su 2007); the sketch's
// distortion of A^T A moves it by at most that distortion's square root.
// x = 0 gives 0 when A^T r = 0 and infinity otherwise.
Eigen::VectorXd kw_backward_error(const Eigen::VectorXd& s, const Eigen::MatrixXd& V,
                                  const Eigen::MatrixXd& ATR, const Eigen::VectorXd& rnorms,
                                  const Eigen::VectorXd& xnorms);

// A known through its products (a sparse matrix, or a callback into Python):
// all LSQR needs.
class LinearOperator {
public:
    virtual ~LinearOperator() = default;
    virtual Eigen::Index rows() const = 0;
    virtual Eigen::Index cols() const = 0;
    virtual void matvec(const Eigen::VectorXd& x, Eigen::VectorXd& y) const = 0;   // y = A x
    virtual void rmatvec(const Eigen::VectorXd& y, Eigen::VectorXd& x) const = 0;  // x = A^T y
};

// A sparse Eigen matrix or map (sketch.hpp's SparseMap) as a LinearOperator.
template <class Sp>
class SparseOperator final : public LinearOperator {
public:
    explicit SparseOperator(const Sp& A) : A_(A) {}
    Eigen::Index rows() const override { return A_.rows(); }
    Eigen::Index cols() const override { return A_.cols(); }
    void matvec(const Eigen::VectorXd& x, Eigen::VectorXd& y) const override { y.noalias() = A_ * x; }
    void rmatvec(const Eigen::VectorXd& y, Eigen::VectorXd& x) const override {
        x.noalias() = A_.transpose() * y;
    }

private:
    const Sp& A_;
};

// As solve(), for tall A given as an operator, from its sketch taken by the
// caller: SA = S A, SB = S B (opt.spec is not used).
SolveResult solve(const SolveOptions& opt, const LinearOperator& A, const Eigen::MatrixXd& SA,
                  const Eigen::MatrixXd& SB, const ColRef& B);

// Minimum-norm least-squares solution for wide A (LSRN's way): from SAt = S A^T
// (m x n, m >= n), P = R^{-1} or V_r S_r^{-1} of its factorisation, then LSQR
// from x = 0 on P^T A x = P^T b, whose iterates stay in range(A^T). P^T is
// injective on range(A) (when S kept A's rank), so this is pinv(A) b. Only
// x, residual_norms, singular_values, null_basis (of S A^T), rank, istop, nit.
SolveResult solve_wide(const SolveOptions& opt, const LinearOperator& A, const Eigen::MatrixXd& SAt,
                       const ColRef& B);

}  // namespace fastls::sketch
