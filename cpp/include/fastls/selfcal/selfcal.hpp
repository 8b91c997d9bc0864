// Self-calibration of bilinear measurements y_l = diag(d) A_l x_l (Ling and
// Strohmer): with s = 1/d the data satisfy the homogeneous linear system
//     A_0 z = 0,   row block l: diag(y_l) s - A_l x_l,   z = (s; x),
// and both solvers work on the Gram matrix N = A_0^* A_0 by block elimination
// (Schur complements), never forming A_0 or N densely:
//   model 1 (shared signal, x_l = x):   N = [Lambda B; B^* C], Schur n x n or m x m
//   model 2 (one x_l and A_l per l):     block arrowhead, Schur m x m
//   model 3 (A_l = A for every l):       Schur (I - A A^+) (.) conj(Y^* Y), m x m
// With a subspace basis (s = basis h) the unknowns are (h; x). Cost is linear
// in p. All arithmetic is complex128.
#pragma once
#include <Eigen/Core>
#include <complex>

namespace fastls::selfcal {

using cd = std::complex<double>;
using CVector = Eigen::VectorXcd;
using CMatrix = Eigen::MatrixXcd;
using CRowMatrix = Eigen::Matrix<cd, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CRowMap = Eigen::Map<const CRowMatrix>;

enum class Model { SharedSignal = 1, MultiSignal = 2, SharedMatrix = 3 };

// Views of the caller's row-major data; nothing is copied.
struct Problem {
    Model model = Model::SharedSignal;
    Eigen::Index p = 0, m = 0, n = 0;
    const cd* y = nullptr;      // p x m
    const cd* A = nullptr;      // p x m x n (models 1, 2) or m x n (model 3)
    const cd* basis = nullptr;  // m x k, or nullptr when s is free
    Eigen::Index k = 0;

    CRowMap Y() const { return CRowMap(y, p, m); }
    // Sensing matrix of snapshot l.
    CRowMap A_of(Eigen::Index l) const {
        return CRowMap(A + (model == Model::SharedMatrix ? 0 : l * m * n), m, n);
    }
    CRowMap B() const { return CRowMap(basis, m, k); }
    Eigen::Index s_size() const { return basis ? k : m; }
    Eigen::Index x_size() const { return model == Model::SharedSignal ? n : p * n; }
    Eigen::Index size() const { return s_size() + x_size(); }
};

// A_0 z (length p*m, snapshot-major) and A_0^* r.
CVector apply(const Problem& pb, const CVector& z);
CVector apply_adjoint(const Problem& pb, const CVector& r);

struct LstsqSolution {
    CVector z;
    double residual = 0;             // ||A_0 z||
    double constraint_residual = 0;  // |w^* z - c|
};

// Least-squares solution of [A_0; w^*] z = (0; c) from the normal equations
// (N + w w^*) z = c w, plus `refine` steps of iterative refinement with the
// residual recomputed through A_0 (corrected semi-normal equations). For
// models 2 and 3, w must vanish on the x-block. Throws LinAlgError when
// N + w w^* is not numerically positive definite.
LstsqSolution lstsq(const Problem& pb, const CVector& w, cd c, int refine);

struct SpectralSolution {
    CVector z;                  // unit right singular vector for sigma_min
    double sigma_min = 0;       // ||A_0 z||, computed directly
    double sigma_second = 0;    // second smallest singular value (Ritz estimate)
    double shift = 0;           // tau in (N + tau I)^{-1}
    int nit = 0;                // block Krylov steps
    bool converged = false;
};

// The two smallest eigenpairs of N by block (size 2) shift-and-invert Krylov
// with Rayleigh-Ritz: each step costs two structured solves with N + tau I.
// Both singular values are measured as ||A_0 u|| for unit Ritz vectors u.
// Converged when the relative Ritz residual of the first pair is <= tol and
// of the second <= 1e-3 (enough for its Rayleigh quotient), or its Ritz value
// stagnates (1e-8 relative change per step).
SpectralSolution spectral(const Problem& pb, double tol, int maxiter);

}  // namespace fastls::selfcal
