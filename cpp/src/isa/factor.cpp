// The dense factorizations of sketch-and-precondition (QR of S A, SVD of R,
// solves with R) and of method="qr", compiled per ISA level: Eigen's blocked
// QR and SVD ran 2-3x faster in the AVX-512 copy than in the baseline build
// (QR of 7967 x 1000: 0.77 -> 0.27 s; SVD of its R: 0.47 -> 0.28 s). The rules
// of kernels.cpp hold here: Eigen is renamed per copy, plain pointers cross.
#if !defined(FASTLS_ISA_NS)
#error "compile this file through CMake's fastls_isa_<level> targets"
#endif

#include "factor.hpp"

#include <Eigen/Householder>
#include <Eigen/QR>
#include <Eigen/SVD>

namespace fastls::isa::FASTLS_ISA_NS {

using Eigen::Map;
using Eigen::MatrixXd;

void qr_r(double* A, Index m, Index d, double* B, Index k, double* R) {
    Map<MatrixXd> Am(A, m, d), Bm(B, m, k);
    const Eigen::HouseholderQR<Eigen::Ref<MatrixXd>> qr(Am);  // in place
    Map<MatrixXd>(R, d, d) = qr.matrixQR().topRows(d).triangularView<Eigen::Upper>();
    if (k) Bm.applyOnTheLeft(qr.householderQ().transpose());
}

void svd(const double* R, Index d, double* s, double* U, double* V) {
    const int flags = (U ? Eigen::ComputeFullU : 0) | (V ? Eigen::ComputeFullV : 0);
    const Eigen::BDCSVD<MatrixXd> f(Map<const MatrixXd>(R, d, d), flags);
    Map<Eigen::VectorXd>(s, d) = f.singularValues();
    if (U) Map<MatrixXd>(U, d, d) = f.matrixU();
    if (V) Map<MatrixXd>(V, d, d) = f.matrixV();
}

void tri_solve(const double* R, Index d, double* Z, Index k, bool transpose) {
    const Map<const MatrixXd> Rm(R, d, d);
    Map<MatrixXd> Zm(Z, d, k);
    if (transpose) Rm.transpose().triangularView<Eigen::Lower>().solveInPlace(Zm);
    else Rm.triangularView<Eigen::Upper>().solveInPlace(Zm);
}

}  // namespace fastls::isa::FASTLS_ISA_NS
