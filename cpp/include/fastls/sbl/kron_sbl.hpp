// Sparse Bayesian learning with a Kronecker dictionary H = H_1 ⊗ ... ⊗ H_I and
// a Kronecker prior variance gamma = gamma_1 ⊗ ... ⊗ gamma_I (He and Joseph,
// "Bayesian algorithms for Kronecker-structured sparse vector recovery",
// IEEE TSP 2024). One factor (I = 1) is classic EM-SBL.
//
// E-step (exact, structured): per factor G_i = H_i Γ_i H_i^H = U_i diag(p_i) U_i^H
// and W_i = Γ_i H_i^H U_i; with p = ⊗p_i, z = (⊗U_i^H) y, w = z / (σ² + p):
//   μ = (⊗W_i) w,   diag Σ = γ − (⊗|W_i|²) (1 / (σ² + p)),
//   L = Σ log(σ² + p) + Σ |z|² / (σ² + p)   (type-II cost, log det Σ_y + y^H Σ_y^{-1} y).
// Memory O(N + M + Σ m_i n_i): for I >= 2 no N×N, M×N or M×M matrix is ever
// formed (only m_i×m_i and n_i×m_i ones). With one (dense) factor the driver
// uses the Cholesky form of classic SBL instead (M×M and M×N, like H itself).
//
// M-step from d = diag Σ + |μ|² (length N, over the kept entries):
//   svd: sequential rank-one fits of reshapes of d (TT-SVD style projection);
//   am:  Gauss-Seidel sweeps of the exact per-factor minimisers of
//        Q = Σ log γ_j + d_j / γ_j, normalised (||γ_i|| = 1 for i < I);
//   pc:  am with pattern coupling on the block modes: γ̃_i = ε + C_β g_i,
//        g_i = argmin_{g >= 0} ||C_β g − t_i|| (C_β = I + β(E + E^T)).
// Pruning drops entry k of factor i when γ_i[k] < prune_rel[i] · max γ_i or
// γ_i[k] < prune_abs, which removes column k of H_i, so the support stays a
// Cartesian product of per-factor keep-lists. With one factor, prune_snr adds
// the evidence-based test of Options::prune_snr. The kernel works in the units
// it is given: the Python layer scales y and the factors to unit RMS first, so
// that the initial γ = 1, prune_abs, eps and the noise floor are all relative.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "fastls/sbl/kron.hpp"

namespace fastls::sbl {

enum class Method { svd, am, pc };

// Fixed-point form of the hyperparameter updates. Both have the fixed points of
// the type-II cost; they differ in speed and in the basin they fall into.
//   em:     γ_j ← |μ_j|² + Σ_jj,           σ² ← (||y − Hμ||² + σ² Σ_j w_j) / M
//   mackay: γ_j ← |μ_j|² / w_j,            σ² ← ||y − Hμ||² / (M − Σ_j w_j)
// with w_j = 1 − Σ_jj/γ_j (how well the data determine entry j) and
// M − Σ_j w_j = σ² tr Σ_y^{-1} the noise's degrees of freedom. EM's steps shrink
// by the factors w_j and Σ w_j / M, which near 1 (underdetermined designs, M < N)
// makes σ² and the γ_j of poorly determined entries crawl: σ² then drifts to 0
// and the noise is fitted by spurious entries. MacKay's steps do not shrink.
// For I >= 2 a MacKay γ feeds |μ|²/w into the Kronecker projection instead of d.
enum class Update { em, mackay };

struct Options {
    Method method = Method::svd;
    int max_iter = 150;
    double tol = 1e-4;                 // EM stop: ||Δγ|| < tol ||γ|| (and, when σ² is learned,
                                       // |Δσ²| <= tol σ² and |σ²_mackay − σ²| <= tol σ², so that
                                       // EM's slow σ² steps cannot fake convergence)
    std::vector<double> prune_rel;     // per factor (empty: no relative pruning)
    double prune_abs = 0.0;
    bool learn_noise = false;
    Update noise_update = Update::em;  // σ² rule when learned (see Update)
    Update gamma_update = Update::em;  // γ rule (the input of the M-step projection)
    double noise_var = 1.0;            // known σ², or the initial one when learning
    double noise_floor = 0.0;          // σ² is kept >= this (noiseless data)
    double inner_tol = 1e-5;           // am/pc sweeps stop: ||Δγ|| <= inner_tol ||γ||
    int inner_max_sweeps = 100;
    std::vector<bool> block;           // pc: factors with pattern coupling
    double beta = 0.8;                 // pc: coupling strength
    double eps = 1e-5;                 // pc: offset of the effective factors
    // One factor only: once EM has settled (relative changes of γ and σ² below
    // 10 tol), drop entries whose prior variance the data barely shrank,
    // γ_j / Σ_jj − 1 < prune_snr (γ_j s_j < prune_snr with Tipping's
    // s_j = h_j^H C_{-j}^{-1} h_j: the entry's prior variance is below prune_snr
    // times its data-conditional variance). Scale-free; 0 disables.
    double prune_snr = 0.0;
};

template <class S>
struct EStep {
    Vec<S> mu;              // posterior mean (kept entries, C order)
    Eigen::VectorXd diag;   // diag Σ
    double cost = 0.0;      // log det Σ_y + y^H Σ_y^{-1} y
    double trace = 0.0;     // Σ_j (1 − Σ_jj / γ_j) = Σ_k p_k / (σ² + p_k)
    double dof = 0.0;       // M − trace = σ² tr Σ_y^{-1}, computed without cancellation
};

// Structured E-step for factors H (m_i × k_i) and prior factors g (k_i).
template <class S>
EStep<S> estep(const std::vector<Mat<S>>& H, const std::vector<Eigen::VectorXd>& g,
               const Eigen::Ref<const Vec<S>>& y, double noise_var);

// Sequential rank-one projection of d (C-order tensor of shape `shape`):
// returns nonnegative factors with ||γ_i|| = 1 for i < I.
std::vector<Eigen::VectorXd> svd_project(const Eigen::VectorXd& d,
                                         const std::vector<Eigen::Index>& shape);

// AM (or pc) sweeps on g in place, starting from the current g. C holds the
// coupling matrices of the kept entries (used where opt.block is set).
void am_project(const Eigen::VectorXd& d, std::vector<Eigen::VectorXd>& g,
                const std::vector<Eigen::MatrixXd>& C, const Options& opt);

// Nonnegative least squares min ||C x − t||, x >= 0 (Lawson-Hanson active set).
Eigen::VectorXd nnls(const Eigen::MatrixXd& C, const Eigen::VectorXd& t);

template <class S>
struct Fit {
    Vec<S> x;                                  // length N, zero off the support
    std::vector<Eigen::VectorXd> gamma;        // per factor, full length n_i, zeros where pruned
    double noise_var = 0.0;
    double dof = 0.0;                          // M − Σ_j w_j at the final E-step (noise dof)
    double residual_norm = 0.0;                // ||y − H x|| for the returned x, in the units given
    int nit = 0;
    bool converged = false;
    std::vector<double> cost;                  // type-II cost at each iteration's E-step
};

// The whole EM loop; checks for interrupts once per iteration and sweep.
template <class S>
Fit<S> kron_sbl(const std::vector<Mat<S>>& H, const Eigen::Ref<const Vec<S>>& y,
                const Options& opt);

}  // namespace fastls::sbl
