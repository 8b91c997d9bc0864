// Hot kernels, compiled once per ISA level (see fastls/common/isa.hpp and
// CMakeLists.txt): FASTLS_ISA names the level, Eigen is renamed per copy, and
// nothing here may define a symbol with external linkage except the table
// FASTLS_ISA_TABLE. Hence: everything in an anonymous namespace, no std
// containers or algorithms (their out-of-line instantiations would be shared
// with the baseline code at link time), plain pointers across the boundary.
#if !defined(FASTLS_ISA) || !defined(FASTLS_ISA_TABLE)
#error "compile this file through CMake's fastls_isa_<level> targets"
#endif

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "fastls/common/isa.hpp"
#include "fastls/sketch/random.hpp"
#include "factor.hpp"

namespace fastls::isa {
namespace {

using sketch::draw;
using sketch::gaussian_entry;
using sketch::gaussian_pair;
using sketch::hi32;
using sketch::kRademacher;
using sketch::lo32;

// Columns j0 .. j0+nb-1 (global data rows) of the unscaled S into Sblk (m x nb, column-major).
void fill_block(int rademacher, std::uint64_t seed, std::uint64_t j0, Index nb, Index m,
                double* Sblk) {
    for (Index jj = 0; jj < nb; ++jj) {
        const std::uint64_t j = j0 + static_cast<std::uint64_t>(jj);
        double* col = Sblk + jj * m;
        if (!rademacher) {
            const Index pairs = m / 2;
#pragma omp simd
            for (Index p = 0; p < pairs; ++p)
                gaussian_pair(seed, static_cast<std::uint64_t>(p), j, col[2 * p], col[2 * p + 1]);
            if (m % 2) col[m - 1] = gaussian_entry(seed, static_cast<std::uint64_t>(m - 1), j);
        } else {
            for (Index i0 = 0; i0 < m; i0 += 128) {
                const U32x4 r = draw(seed, static_cast<std::uint32_t>(i0 >> 7), lo32(j), hi32(j),
                                     kRademacher);
                const Index iend = i0 + 128 < m ? i0 + 128 : m;
                for (Index i = i0; i < iend; ++i) {
                    const unsigned bit = static_cast<unsigned>(i - i0);
                    col[i] = ((r.v[bit >> 5] >> (bit & 31)) & 1u) ? -1.0 : 1.0;
                }
            }
        }
    }
}

using Eigen::Dynamic;
using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::OuterStride;
using RowMat = Eigen::Matrix<double, Dynamic, Dynamic, Eigen::RowMajor>;

template <class AMap>
void dense_unit_impl(const DenseUnit& u, const AMap& A) {
    Map<MatrixXd> PA(u.PA, u.m, u.d), PB(u.PB, u.m, u.k);
    Map<const MatrixXd, 0, OuterStride<>> B(u.B, u.end, u.k,
                                            OuterStride<>(u.b_outer > u.end ? u.b_outer : u.end));
    Map<MatrixXd> S(u.Sblk, u.m, kDenseBlock);
    PA.setZero();
    PB.setZero();
    for (Index j0 = u.j0; j0 < u.end; j0 += kDenseBlock) {
        const Index nb = u.end - j0 < kDenseBlock ? u.end - j0 : kDenseBlock;
        fill_block(u.rademacher, u.seed, u.row_offset + static_cast<std::uint64_t>(j0), nb, u.m,
                   u.Sblk);
        PA.noalias() += S.leftCols(nb) * A.middleRows(j0, nb);
        if (u.k > 0) PB.noalias() += S.leftCols(nb) * B.middleRows(j0, nb);
    }
}

void dense_unit(const DenseUnit& u) {
    // Rows beyond `end` are never read; the maps only need to cover them.
    if (u.a_row_major)
        dense_unit_impl(u, Map<const RowMat, 0, OuterStride<>>(u.A, u.end, u.d, OuterStride<>(u.a_outer)));
    else
        dense_unit_impl(u, Map<const MatrixXd, 0, OuterStride<>>(u.A, u.end, u.d, OuterStride<>(u.a_outer)));
}

// kWidth > 0: the row width known at compile time (the SRHT's panel and
// super-row widths), so the inner loops become straight vector code.
template <Index kWidth>
void fwht_rows_impl(double* data, Index len, Index width_rt, Index stride) {
    const Index width = kWidth > 0 ? kWidth : width_rt;
    Index h = 1;
    if (__builtin_ctzll(static_cast<unsigned long long>(len)) % 2) {  // odd stage count: one radix-2
        for (Index i = 0; i < len; i += 2) {
            double* x = data + i * stride;
            double* y = x + stride;
#pragma omp simd
            for (Index t = 0; t < width; ++t) {
                const double a = x[t], b = y[t];
                x[t] = a + b;
                y[t] = a - b;
            }
        }
        h = 2;
    }
    // Radix-4: stages h and 2h in one pass over the rows.
    for (; h < len; h *= 4)
        for (Index base = 0; base < len; base += 4 * h)
            for (Index i = base; i < base + h; ++i) {
                double* x0 = data + i * stride;
                double* x1 = x0 + h * stride;
                double* x2 = x1 + h * stride;
                double* x3 = x2 + h * stride;
#pragma omp simd
                for (Index t = 0; t < width; ++t) {
                    const double a = x0[t] + x1[t], b = x0[t] - x1[t];
                    const double c = x2[t] + x3[t], d = x2[t] - x3[t];
                    x0[t] = a + c;
                    x2[t] = a - c;
                    x1[t] = b + d;
                    x3[t] = b - d;
                }
            }
}

void fwht_rows(double* data, Index len, Index width, Index stride) {
    if (width == kSrhtPanel) fwht_rows_impl<kSrhtPanel>(data, len, width, stride);
    else if (width == 8 * kSrhtPanel) fwht_rows_impl<8 * kSrhtPanel>(data, len, width, stride);
    else fwht_rows_impl<0>(data, len, width, stride);
}

// Rows are taken in blocks of 128 (one Philox draw of signs each when r0 is a
// multiple of 128); within a block a column-major A is read column by column,
// contiguously, so the 8 column streams prefetch well.
void srht_load(const MatView& A, std::uint64_t seed, Index r0, Index len, Index c0, Index nc,
               double* W) {
    constexpr Index P = kSrhtPanel, RB = 128;
    const Index n = A.rows;
    Index valid = n - r0 < len ? n - r0 : len;
    if (valid < 0) valid = 0;
    for (Index i = valid * P; i < len * P; ++i) W[i] = 0.0;
    U32x4 bits{};
    double sg[RB];
    for (Index i0 = 0; i0 < valid; i0 += RB) {
        const Index ib = valid - i0 < RB ? valid - i0 : RB;
        for (Index i = 0; i < ib; ++i) {
            const std::uint64_t row = static_cast<std::uint64_t>(r0 + i0 + i);
            if (i == 0 || (row & 127) == 0)
                bits = draw(seed, lo32(row >> 7), hi32(row >> 7), 0, sketch::kSigns);
            const unsigned b = static_cast<unsigned>(row & 127);
            const std::uint64_t neg = (bits.v[b >> 5] >> (b & 31)) & 1u;
            sg[i] = sketch::bits_double(0x3ff0000000000000ull | (neg << 63));  // -1 or +1, no branch
        }
        double* Wb = W + i0 * P;
        if (A.row_major) {
            for (Index i = 0; i < ib; ++i) {
                const double* a = A.data + (r0 + i0 + i) * A.outer + c0;
                for (Index t = 0; t < nc; ++t) Wb[i * P + t] = sg[i] * a[t];
            }
        } else {
            for (Index t = 0; t < nc; ++t) {
                const double* a = A.data + (c0 + t) * A.outer + r0 + i0;
                for (Index i = 0; i < ib; ++i) Wb[i * P + t] = sg[i] * a[i];
            }
        }
        for (Index t = nc; t < P; ++t)
            for (Index i = 0; i < ib; ++i) Wb[i * P + t] = 0.0;
    }
}

using Eigen::VectorXd;
using ColMap = Map<const MatrixXd, 0, OuterStride<>>;
using RowMap = Map<const RowMat, 0, OuterStride<>>;

// SJLT hashes of data rows first .. first+len-1: code[i*s + t] = target row of
// nonzero t, with bit 31 set when its sign is -1 (random.hpp's sjlt_entry,
// lane-parallel; m < 2^31). below() with a 32-bit bound needs no 128-bit product:
// (x * bound) >> 64 = (a * bound + (b * bound >> 32)) >> 32 for x = a:b.
void sjlt_hash(std::uint64_t seed, std::uint64_t first, Index len, Index m, int s,
               std::int32_t* code) {
    constexpr int L = 16;
    for (int t = 0; t < s; ++t) {
        const std::uint64_t lo = static_cast<std::uint64_t>(m) * t / s;
        const std::uint64_t width = static_cast<std::uint64_t>(m) * (t + 1) / s - lo;
        for (Index i0 = 0; i0 < len; i0 += L) {
            std::uint32_t x[4][L];
#pragma omp simd
            for (int l = 0; l < L; ++l) {
                const std::uint64_t j = first + static_cast<std::uint64_t>(i0 + l);
                x[0][l] = lo32(j);
                x[1][l] = hi32(j);
                x[2][l] = static_cast<std::uint32_t>(t);
                x[3][l] = sketch::kHash;
            }
            philox4x32_10_lanes<L>(x, seed);
            const Index nl = len - i0 < L ? len - i0 : L;
            for (int l = 0; l < nl; ++l) {
                const std::uint64_t hi = static_cast<std::uint64_t>(x[0][l]) * width;
                const std::uint64_t row = lo + ((hi + ((static_cast<std::uint64_t>(x[1][l]) * width) >> 32)) >> 32);
                code[(i0 + l) * s + t] = sketch::sjlt_code(row, x[2][l] & 1u);
            }
        }
    }
}

// acc (m x nc, row-major, row stride ld) += weight * S A[r0:r0+len, c0:c0+nc]
// for the hashed rows (code from sjlt_hash, code[0] for row r0): per data row,
// s signed scatter-adds of its nc entries. A row-major A is read in place; a
// column-major one (nc <= kSrhtPanel = ld) is first transposed through a small
// buffer by Eigen's block copy (2x faster here than strided scalar stores).
void sjlt_panel(const MatView& A, Index r0, Index len, Index c0, Index nc, const std::int32_t* code,
                int s, double weight, double* acc, Index ld) {
    constexpr Index P = kSrhtPanel, RB = 256;
    // dst += (+-weight) src over `width` entries (no branch: the signs are random)
    const auto scatter = [&](const std::int32_t* ci, const double* src, Index width) {
        for (int t = 0; t < s; ++t) {
            double* dst = acc + sketch::sjlt_code_row(ci[t]) * ld;
            const double sg = sketch::sjlt_code_signed(ci[t], weight);
#pragma omp simd
            for (Index k = 0; k < width; ++k) dst[k] += sg * src[k];
        }
    };
    if (A.row_major) {
        for (Index i = 0; i < len; ++i) scatter(code + i * s, A.data + (r0 + i) * A.outer + c0, nc);
        return;
    }
    alignas(64) double buf[RB * P];
    Map<Eigen::Matrix<double, RB, P, Eigen::RowMajor>> W(buf);
    if (nc < P) W.rightCols(P - nc).setZero();
    for (Index i0 = 0; i0 < len; i0 += RB) {
        const Index ib = len - i0 < RB ? len - i0 : RB;
        W.topLeftCorner(ib, nc) = ColMap(A.data + c0 * A.outer + r0 + i0, ib, nc, OuterStride<>(A.outer));
        for (Index i = 0; i < ib; ++i) scatter(code + (i0 + i) * s, buf + i * P, P);
    }
}

// acc (m x kSrhtPanel, row-major) += (-1)^popcount(quot[t] & c) W[pos[t]] for
// every sampled row t: chunk c's share of the SRHT (see srht.cpp).
void srht_accumulate(const double* W, const Index* pos, const std::uint64_t* quot, Index m,
                     std::uint64_t c, double* acc) {
    constexpr Index P = kSrhtPanel;
    for (Index t = 0; t < m; ++t) {
        const std::uint64_t odd = static_cast<std::uint64_t>(__builtin_popcountll(quot[t] & c) & 1);
        const double sg = sketch::bits_double(0x3ff0000000000000ull | (odd << 63));
        const double* w = W + pos[t] * P;
        double* a = acc + t * P;
#pragma omp simd
        for (Index k = 0; k < P; ++k) a[k] += sg * w[k];
    }
}

void gemv_n(const MatView& A, const double* x, double alpha, double* y) {
    Map<const VectorXd> xv(x, A.cols);
    Map<VectorXd> yv(y, A.rows);
    if (alpha == 0.0) yv.setZero();  // y may hold garbage (or NaN) when alpha = 0
    else yv *= -alpha;
    if (A.row_major) yv.noalias() += RowMap(A.data, A.rows, A.cols, OuterStride<>(A.outer)) * xv;
    else yv.noalias() += ColMap(A.data, A.rows, A.cols, OuterStride<>(A.outer)) * xv;
}

void gemv_t(const MatView& A, const double* x, double* y) {
    Map<const VectorXd> xv(x, A.rows);
    Map<VectorXd> yv(y, A.cols);
    if (A.row_major) yv.noalias() = RowMap(A.data, A.rows, A.cols, OuterStride<>(A.outer)).transpose() * xv;
    else yv.noalias() = ColMap(A.data, A.rows, A.cols, OuterStride<>(A.outer)).transpose() * xv;
}

// Rows [r0, r0 + len) of A, which stay in cache between the two products:
// w = A_blk v (b null) or w = b[r0:] - A_blk v, then g += A_blk^T w;
// with b, sums[0] += ||w||^2 and sums[1] += ||A_blk v||^2.
void sweep_block(const MatView& A, Index r0, Index len, const double* v, const double* b, double* w,
                 double* g, double* sums) {
    Map<const VectorXd> vv(v, A.cols);
    Map<VectorXd> wv(w, len), gv(g, A.cols);
    if (A.row_major) {
        const RowMap blk(A.data + r0 * A.outer, len, A.cols, OuterStride<>(A.outer));
        wv.noalias() = blk * vv;
    } else {
        // A v of a column-major block, four column streams at a time: Eigen's
        // column-major GEMV measured ~40% slower here (one pass of A at 2^20 x 100).
        wv.setZero();
        Index c = 0;
        for (; c + 4 <= A.cols; c += 4) {
            const double* a0 = A.data + c * A.outer + r0;
            const double *a1 = a0 + A.outer, *a2 = a1 + A.outer, *a3 = a2 + A.outer;
            const double v0 = v[c], v1 = v[c + 1], v2 = v[c + 2], v3 = v[c + 3];
#pragma omp simd
            for (Index i = 0; i < len; ++i) w[i] += v0 * a0[i] + v1 * a1[i] + v2 * a2[i] + v3 * a3[i];
        }
        for (; c < A.cols; ++c) wv.noalias() += v[c] * Map<const VectorXd>(A.data + c * A.outer + r0, len);
    }
    if (b) {
        Map<const VectorXd> bv(b + r0, len);
        sums[1] += wv.squaredNorm();
        wv = bv - wv;
        sums[0] += wv.squaredNorm();
    }
    if (A.row_major) gv.noalias() += RowMap(A.data + r0 * A.outer, len, A.cols, OuterStride<>(A.outer)).transpose() * wv;
    else gv.noalias() += ColMap(A.data + r0, len, A.cols, OuterStride<>(A.outer)).transpose() * wv;
}

double dot(const double* a, const double* b, Index n) {
    return Map<const VectorXd>(a, n).dot(Map<const VectorXd>(b, n));
}

void axpy(double a, const double* x, double* y, Index n) {
    Map<VectorXd>(y, n).noalias() += a * Map<const VectorXd>(x, n);
}

// A[:, cols] (m x s): a view where the columns are consecutive, else a copy in a
// per-thread buffer kept between calls (a fresh m x s allocation faulted its pages
// in at every call: 91 columns of 10000 rows took 4.8 ms against 1.4 ms reused;
// gathering row blocks instead made Eigen's product up to 2x slower). Buffers
// over 64 MiB are released after use.
struct Gathered {
    Gathered(const MatView& A, const Index* cols, Index s, std::vector<double>& buf)
        : buf_(buf), data_(A.data + (s > 0 ? cols[0] : 0) * A.outer), rows_(A.rows), cols_(s) {
        bool consecutive = A.outer == A.rows;
        for (Index k = 1; k < s && consecutive; ++k) consecutive = cols[k] == cols[0] + k;
        if (consecutive) return;
        buf_.resize(size_t(A.rows) * size_t(s));
        for (Index k = 0; k < s; ++k)
            Map<VectorXd>(buf_.data() + k * A.rows, A.rows) = Map<const VectorXd>(A.data + cols[k] * A.outer, A.rows);
        data_ = buf_.data();
    }
    ~Gathered() {
        if (buf_.capacity() > (size_t(64) << 20) / sizeof(double)) std::vector<double>().swap(buf_);
    }
    Gathered(const Gathered&) = delete;
    Gathered& operator=(const Gathered&) = delete;
    Map<const MatrixXd> mat() const { return Map<const MatrixXd>(data_, rows_, cols_); }

private:
    std::vector<double>& buf_;
    const double* data_;
    Index rows_, cols_;
};

void gram(const MatView& A, const Index* a, Index s, const Index* b, Index t, double* G) {
    thread_local std::vector<double> buf_a, buf_b;
    const Gathered As(A, a, s, buf_a);
    Map<MatrixXd> Gm(G, s, t);
    if (a == b && s == t) {
        Gm.setZero();
        Gm.selfadjointView<Eigen::Lower>().rankUpdate(As.mat().transpose());
        Gm.triangularView<Eigen::StrictlyUpper>() = Gm.transpose();
    } else {
        const Gathered Bs(A, b, t, buf_b);
        Gm.noalias() = As.mat().transpose() * Bs.mat();
    }
}

}  // namespace

#define FASTLS_STR2(x) #x
#define FASTLS_STR(x) FASTLS_STR2(x)
extern const Kernels FASTLS_ISA_TABLE;
const Kernels FASTLS_ISA_TABLE = {FASTLS_STR(FASTLS_ISA), &dense_unit, &fwht_rows, &srht_load,
                                    &srht_accumulate, &gemv_n, &gemv_t, &sweep_block, &sjlt_hash,
                                    &sjlt_panel, &dot, &axpy, &gram,
                                    &FASTLS_ISA_NS::qr_r, &FASTLS_ISA_NS::svd,
                                    &FASTLS_ISA_NS::tri_solve};

}  // namespace fastls::isa
