// Oblivious sketches S (m x n, E[S^T S] = I) applied to tall matrices without
// ever storing S. Entries come from the counter layout of random.hpp, so the
// result depends only on (kind, m, seed, nnz), never on the thread count.
#pragma once
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>
#include <vector>

#include "fastls/common/types.hpp"

namespace fastls::sketch {

// The public kind names, in fastls.sketching.KINDS order (bound as fastls._core.sketch.Kind).
enum class Kind { Gaussian, Rademacher, Srht, CountSketch, Sjlt };  // CountSketch: Sjlt, nnz 1

// The kinds the CUDA backend (cuda/kernels.cu) generates; the sparse ones are CPU only.
constexpr bool has_cuda_kernel(Kind k) {
    return k == Kind::Gaussian || k == Kind::Rademacher || k == Kind::Srht;
}

struct Spec {
    Kind kind = Kind::Srht;
    Eigen::Index rows = 0;          // m
    std::uint64_t seed = 0;
    int nnz_per_column = 1;          // Sjlt only (CountSketch: 1)
    // Global index of the first data row (Gaussian, Rademacher, Sjlt): a row
    // chunk sketched with its offset gives its exact share of S A.
    std::uint64_t row_offset = 0;
};

// SA = S A and SB = S B with one S (B may have zero columns).
void apply(const Spec& spec, const ColRef& A, const ColRef& B, Eigen::MatrixXd& SA,
           Eigen::MatrixXd& SB);
void apply(const Spec& spec, const RowRef& A, const ColRef& B, Eigen::MatrixXd& SA,
           Eigen::MatrixXd& SB);

// Compressed sparse A (SciPy's CSR = RowMajor, CSC = ColMajor) mapped in
// place, 32- or 64-bit indices. Unsorted inner indices and duplicates are fine:
// every kernel is a sum over stored entries, so duplicates add up as SciPy's.
template <int Order, class I>
using SparseMap = Eigen::Map<const Eigen::SparseMatrix<double, Order, I>>;

// SA = S A for sparse A without densifying it: sjlt/countsketch O(nnz s),
// gaussian/rademacher/srht O(nnz m) (the needed columns of S generated from
// their counters; CSR generates each once, CSC once per stored entry).
#define FASTLS_SPARSE_APPLY(Order, I) \
    void apply(const Spec& spec, const SparseMap<Order, I>& A, Eigen::MatrixXd& SA);
FASTLS_SPARSE_APPLY(Eigen::RowMajor, std::int32_t)
FASTLS_SPARSE_APPLY(Eigen::RowMajor, std::int64_t)
FASTLS_SPARSE_APPLY(Eigen::ColMajor, std::int32_t)
FASTLS_SPARSE_APPLY(Eigen::ColMajor, std::int64_t)
#undef FASTLS_SPARSE_APPLY

// Rows [first, first + count) of S (count x n), e.g. to sketch an operator
// known only through products: S A = (A^T S^T)^T block by block.
Eigen::MatrixXd explicit_rows(const Spec& spec, Eigen::Index n, Eigen::Index first, Eigen::Index count);

// The explicit m x n matrix S (for tests and teaching: O(m n) memory).
Eigen::MatrixXd explicit_matrix(const Spec& spec, Eigen::Index n);

// SRHT row sample: m distinct indices of [0, N), sorted (Floyd's algorithm).
std::vector<std::uint64_t> srht_rows(std::uint64_t N, std::uint64_t m, std::uint64_t seed);

// Smallest power of two >= n.
std::uint64_t padded_length(std::uint64_t n);

}  // namespace fastls::sketch
