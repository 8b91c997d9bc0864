// Smooth parts f of the BCD problems. Each keeps the state that makes a block
// step cheap (residual r = Ax - b, margins z = Ax, scores Z = AX, or the
// gradient of a sparse quadratic) and exposes the quantities the selection
// rules and updates of greedy BCD need (note sections 1.2-1.3).
#pragma once
#include <memory>
#include <optional>

#include "fastls/bcd/design.hpp"

namespace fastls::bcd {

class Smooth {
public:
    virtual ~Smooth() = default;
    Index n() const { return x_.size(); }
    const VectorXd& x() const { return x_; }

    virtual double value() const = 0;                 // f(x)
    virtual void gradient(VectorXd& g) const = 0;     // full gradient at x
    virtual void block_gradient(const Block& b, VectorXd& gb) const = 0;
    virtual VectorXd lipschitz() const = 0;           // L_i >= sup H_ii
    virtual VectorXd gershgorin() const = 0;          // G_i = sum_j |H_ij| of the global bound H
    virtual MatrixXd bound_block(const Block& b) const = 0;  // H_b >= Hessian_bb everywhere
    virtual MatrixXd hessian_block(const Block& b) const { return bound_block(b); }
    virtual void bound_column(Index j, VectorXd& col) const = 0;  // column j of global bound H
    virtual VectorXd bound_diagonal() const { return lipschitz(); }  // diag of that H
    virtual void step(const Block& b, const VectorXd& d) = 0;     // x_b += d
    virtual double value_after(const Block& b, const VectorXd& d) const = 0;  // f(x + U_b d)
    virtual bool quadratic() const { return false; }  // Hessian constant and equal to the bound
    virtual const CscMap* graph() const { return nullptr; }  // sparse M of a quadratic (forests)
    virtual std::optional<double> residual_norm() const { return {}; }  // ||A x - b|| (least squares)

protected:
    VectorXd x_;
};

// (scale/2) ||A x - b||^2
std::unique_ptr<Smooth> make_least_squares(std::shared_ptr<const Design> A, VectorXd b,
                                           double scale);
// sum_j log(1 + exp(-y_j a_j^T x)) + (l2/2) ||x||^2, y in {-1, +1}
std::unique_ptr<Smooth> make_logistic(std::shared_ptr<const Design> A, VectorXd y, double l2);
// sum_j [logsumexp(a_j^T X) - a_j^T X_{:, y_j}] + (l2/2)||X||^2, X (p x K), x = vec of X rows
std::unique_ptr<Smooth> make_softmax(std::shared_ptr<const Design> A, Eigen::VectorXi y,
                                     int n_classes, double l2);
// 1/2 x^T M x - c^T x with M sparse symmetric positive definite (CSC)
std::unique_ptr<Smooth> make_quadratic(CscMap M, VectorXd c);

}  // namespace fastls::bcd
