// Kronecker products applied without forming them.
//
// Convention (numpy.kron): for A = A_1 ⊗ ... ⊗ A_I the first factor is the
// slowest index, so x of length prod(cols) is a C-order tensor of shape
// (n_1, ..., n_I) and A x applies A_k along axis k. Cost
// sum_k (prod_{l<k} m_l)(prod_{l>=k} n_l) m_k instead of prod(m) prod(n);
// memory: two tensors of the intermediate sizes.
#pragma once
#include <Eigen/Core>
#include <complex>
#include <vector>

namespace fastls::sbl {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;
using cdouble = std::complex<double>;

// (A_1 ⊗ ... ⊗ A_I) x, or (A_1^H ⊗ ... ⊗ A_I^H) x with adjoint.
template <class S>
Vec<S> kron_matvec(const std::vector<Mat<S>>& A, const Eigen::Ref<const Vec<S>>& x,
                   bool adjoint = false);

// v_1 ⊗ ... ⊗ v_I for vectors (length prod of lengths).
Eigen::VectorXd kron_vector(const std::vector<Eigen::VectorXd>& v);

}  // namespace fastls::sbl
