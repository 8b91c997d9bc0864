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

#include "fastls/common/isa.hpp"
#include "fastls/sketch/random.hpp"

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

void fwht_rows(double* data, Index len, Index width, Index stride) {
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

}  // namespace

#define FASTLS_STR2(x) #x
#define FASTLS_STR(x) FASTLS_STR2(x)
extern const Kernels FASTLS_ISA_TABLE;
const Kernels FASTLS_ISA_TABLE = {FASTLS_STR(FASTLS_ISA), &dense_unit, &fwht_rows};

}  // namespace fastls::isa
