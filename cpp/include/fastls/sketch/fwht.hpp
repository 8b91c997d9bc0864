// Unnormalised fast Walsh-Hadamard transform (Sylvester order, entries +-1)
// along the rows of a row-major block: `len` rows (a power of two), each of
// `width` contiguous doubles, consecutive rows `stride` doubles apart. Every
// butterfly adds or subtracts two whole rows, a plain SIMD loop.
#pragma once
#include <Eigen/Core>

namespace fastls::sketch {

void fwht_rows(double* data, Eigen::Index len, Eigen::Index width, Eigen::Index stride);

}  // namespace fastls::sketch
