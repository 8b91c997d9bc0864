// Dense factorizations compiled once per ISA level, like kernels.cpp (whose
// table points at them): FASTLS_ISA_NS names this copy's namespace, so each
// level's functions have their own symbols.
#pragma once
#include "fastls/common/isa.hpp"

namespace fastls::isa::FASTLS_ISA_NS {

void qr_r(double* A, Index m, Index d, double* B, Index k, double* R);
void svd(const double* R, Index d, double* s, double* U, double* V);
void tri_solve(const double* R, Index d, double* Z, Index k, bool transpose);

}  // namespace fastls::isa::FASTLS_ISA_NS
