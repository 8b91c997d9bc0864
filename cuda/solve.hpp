// Sketched least squares with A on the GPU: the sketch and every pass over A
// run on the device; the small m x d factorization runs on the host
// (SketchedFactor, shared with the CPU path), and LSQR moves only d-vectors
// between host and device per iteration.
#pragma once
#include <Eigen/Core>

#include "device.hpp"
#include "fastls/sketch/solve.hpp"

namespace fastls::cuda {

// FASTLS_CUDA_* code of a kind; InvalidArgument for kinds without a CUDA kernel.
int kind_code(sketch::Kind kind);

// S A (m x d, column-major) into SA on the device.
void sketch(const sketch::Spec& spec, const DeviceMatrix& A, double* SA);

// B (n x k, host, column-major). Same results as fastls::sketch::solve.
sketch::SolveResult solve(const sketch::SolveOptions& opt, const DeviceMatrix& A,
                          const ColRef& B);

}  // namespace fastls::cuda
