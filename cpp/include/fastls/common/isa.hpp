// Run-time choice of the instruction set for the hot kernels.
//
// The kernels in cpp/src/isa/kernels.cpp are compiled once per ISA level
// (baseline always; AVX2+FMA and AVX-512 on x86-64), each copy in its own
// namespace with Eigen renamed (-DEigen=fastls_eigen_<level>), so no inline or
// template function of one copy can stand in for another's at link time. The
// copies meet the rest of fastls only through the plain-pointer table below;
// the rest of the library is compiled for the baseline target (or FASTLS_MARCH).
//
// The level is the best one both compiled in and supported by the CPU (and
// the OS), capped by the environment variable FASTLS_ISA=baseline|avx2|avx512
// when set (read once, at first use).
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastls::isa {

using Index = std::ptrdiff_t;

enum class Level { Baseline = 0, Avx2 = 1, Avx512 = 2 };

// Rows of S per generated block in the dense sketches (see dense.cpp).
constexpr Index kDenseBlock = 128;
// Columns per SRHT panel (see srht.cpp).
constexpr Index kSrhtPanel = 8;

// One unit of a dense (Gaussian/Rademacher) sketch: PA = S[:, j0:end] A[j0:end, :]
// and PB likewise for B, with S unscaled and j indexing local rows (S's column
// index is row_offset + j). PA (m x d) and PB (m x k) are column-major and
// overwritten; Sblk is an m x kDenseBlock scratch buffer.
struct DenseUnit {
    int rademacher = 0;  // 0: Gaussian, 1: Rademacher
    std::uint64_t seed = 0, row_offset = 0;
    Index m = 0;
    const double* A = nullptr;
    Index d = 0, a_outer = 0;
    bool a_row_major = false;
    const double* B = nullptr;  // column-major, b_outer between columns
    Index k = 0, b_outer = 0;
    Index j0 = 0, end = 0;
    double* Sblk = nullptr;
    double* PA = nullptr;
    double* PB = nullptr;
};

// A dense rows x cols matrix, column- or row-major, `outer` doubles between
// consecutive columns (column-major) or rows (row-major).
struct MatView {
    const double* data = nullptr;
    Index rows = 0, cols = 0, outer = 0;
    bool row_major = false;
};

template <class M>
MatView view(const M& A) {
    return MatView{A.data(), A.rows(), A.cols(), A.outerStride(), bool(M::IsRowMajor)};
}

struct Kernels {
    const char* name;
    void (*dense_unit)(const DenseUnit& u);
    // Unnormalised FWHT along the rows of a row-major block (see fwht.hpp).
    void (*fwht_rows)(double* data, Index len, Index width, Index stride);
    // SRHT panel load: rows [r0, r0 + len) of columns [c0, c0 + nc) of D A into
    // the row-major len x 8 block W (signs from `seed`; rows >= A.rows and
    // columns >= nc zero).
    void (*srht_load)(const MatView& A, std::uint64_t seed, Index r0, Index len, Index c0,
                      Index nc, double* W);
    // acc (m x 8, row-major) += (-1)^popcount(quot[t] & c) W[pos[t]] for each t < m.
    void (*srht_accumulate)(const double* W, const Index* pos, const std::uint64_t* quot, Index m,
                            std::uint64_t c, double* acc);
    // y = A x - alpha y (LSQR's u update).
    void (*gemv_n)(const MatView& A, const double* x, double alpha, double* y);
    // y = A^T x.
    void (*gemv_t)(const MatView& A, const double* x, double* y);
    // One row block of a fused pass (see fastls/dense/sweep.hpp): w = A_blk v or
    // b_blk - A_blk v, g += A_blk^T w, sums += (||w||^2, ||b_blk - w||^2).
    void (*sweep_block)(const MatView& A, Index r0, Index len, const double* v, const double* b,
                        double* w, double* g, double* sums);
    // SJLT hash codes of len data rows from global row `first` (row | sign << 31).
    void (*sjlt_hash)(std::uint64_t seed, std::uint64_t first, Index len, Index m, int s,
                      std::int32_t* code);
    // acc (m x nc, row-major, row stride ld) += weight * S A[r0:r0+len, c0:c0+nc];
    // column-major A: nc <= kSrhtPanel = ld.
    void (*sjlt_panel)(const MatView& A, Index r0, Index len, Index c0, Index nc,
                       const std::int32_t* code, int s, double weight, double* acc, Index ld);
    // Contiguous vectors of length n (coordinate descent).
    double (*dot)(const double* a, const double* b, Index n);
    void (*axpy)(double a, const double* x, double* y, Index n);  // y += a x
    // G (s x t, column-major) = A[:, a]^T A[:, b] for a column-major A; the same
    // list twice (a == b, s == t) gives the full symmetric block by a rank update.
    void (*gram)(const MatView& A, const Index* a, Index s, const Index* b, Index t, double* G);
    // Householder QR of the column-major m x d A (m >= d; overwritten): R (d x d,
    // column-major, zero below the diagonal) and B (m x k, column-major) <- Q^T B.
    void (*qr_r)(double* A, Index m, Index d, double* B, Index k, double* R);
    // SVD of the column-major d x d R: singular values s (descending); U and V
    // (d x d) too where not null.
    void (*svd)(const double* R, Index d, double* s, double* U, double* V);
    // Z (d x k, column-major) <- R^{-1} Z, or R^{-T} Z; R upper triangular.
    void (*tri_solve)(const double* R, Index d, double* Z, Index k, bool transpose);
};

// Tables compiled into this build (the non-baseline ones exist only on x86-64
// with FASTLS_DISPATCH).
extern const Kernels kernels_baseline;
#if defined(FASTLS_HAVE_ISA_AVX2)
extern const Kernels kernels_avx2;
#endif
#if defined(FASTLS_HAVE_ISA_AVX512)
extern const Kernels kernels_avx512;
#endif

// The table in use (chosen once, thread-safe). Per kernel, not per table: on
// an AVX-512 CPU the dense sketch (generation + a long GEMM), the fused sweep
// (20% fewer seconds at 2^20 x 100), the SJLT hashes and the QR and SVD take
// the AVX-512 copy, which measured ~2x faster than AVX2 for the dense sketch
// (QR of 7967 x 1000: 0.27 s against 0.37 s with AVX2); the others (FWHT,
// SRHT load, GEMV, dot, axpy, the Lasso's Gram) keep the AVX2 copy, which
// measured 5-20% faster than AVX-512 on these short or memory-bound loops
// (the Lasso's Newton Gram interleaved with AVX2 coordinate descent lost most).
const Kernels& kernels();
// The best level compiled in and supported (after the FASTLS_ISA cap).
Level level();
// Kernel name -> level name of the copy in use, for show_config().
struct KernelLevel {
    const char* kernel;
    const char* level;
};
int kernel_levels(KernelLevel* out, int cap);
const char* level_name(Level l);
// Levels compiled into this build, baseline first.
int compiled_levels(Level* out, int cap);
// Whether the CPU and OS support a level (always true for Baseline).
bool cpu_supports(Level l);

}  // namespace fastls::isa
