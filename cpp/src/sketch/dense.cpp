#include <atomic>
#include <cmath>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/threading.hpp"
#include "fastls/sketch/random.hpp"
#include "kinds.hpp"

namespace fastls::sketch::detail {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;

// Data rows per generated block of S (m x kBlock stays in L2 for moderate m)
// and blocks per unit of the ordered reduction. Both are fixed so that every
// partial product has the same shape whatever the thread count: the sum is
// then bitwise reproducible.
constexpr Index kBlock = 128;
constexpr Index kBlocksPerUnit = 32;

// Columns j0 .. j0+nb-1 (global data rows) of the unscaled S into Sblk (m x nb, column-major).
void fill_block(Kind kind, std::uint64_t seed, std::uint64_t j0, Index nb, MatrixXd& Sblk) {
    const Index m = Sblk.rows();
    for (Index jj = 0; jj < nb; ++jj) {
        const std::uint64_t j = j0 + static_cast<std::uint64_t>(jj);
        double* col = Sblk.col(jj).data();
        if (kind == Kind::Gaussian) {
            const Index pairs = m / 2;
#pragma omp simd
            for (Index p = 0; p < pairs; ++p)
                gaussian_pair(seed, static_cast<std::uint64_t>(p), j, col[2 * p], col[2 * p + 1]);
            if (m % 2) col[m - 1] = gaussian_entry(seed, static_cast<std::uint64_t>(m - 1), j);
        } else {
            for (Index i0 = 0; i0 < m; i0 += 128) {
                const U32x4 r = draw(seed, static_cast<std::uint32_t>(i0 >> 7), lo32(j), hi32(j),
                                     kRademacher);
                const Index iend = std::min<Index>(m, i0 + 128);
                for (Index i = i0; i < iend; ++i) {
                    const unsigned bit = static_cast<unsigned>(i - i0);
                    col[i] = ((r.v[bit >> 5] >> (bit & 31)) & 1u) ? -1.0 : 1.0;
                }
            }
        }
    }
}

}  // namespace

template <class Mat>
void dense_apply(const Spec& spec, const Mat& A, const ColRef& B, MatrixXd& SA, MatrixXd& SB) {
    const Index m = spec.rows, n = A.rows(), d = A.cols(), k = B.cols();
    SA.setZero(m, d);
    SB.setZero(m, k);
    const Index unit_rows = kBlock * kBlocksPerUnit;
    const Index units = (n + unit_rows - 1) / unit_rows;
    std::atomic<bool> stop{false};

#pragma omp parallel
    {
        MatrixXd Sblk(m, kBlock), PA(m, d), PB(m, k);
#pragma omp for ordered schedule(dynamic, 1)
        for (Index u = 0; u < units; ++u) {
            if (!stop.load(std::memory_order_relaxed)) {
                PA.setZero();
                PB.setZero();
                const Index end = std::min(n, (u + 1) * unit_rows);
                for (Index j0 = u * unit_rows; j0 < end; j0 += kBlock) {
                    const Index nb = std::min(kBlock, end - j0);
                    fill_block(spec.kind, spec.seed, spec.row_offset + static_cast<std::uint64_t>(j0), nb, Sblk);
                    PA.noalias() += Sblk.leftCols(nb) * A.middleRows(j0, nb);
                    if (k > 0) PB.noalias() += Sblk.leftCols(nb) * B.middleRows(j0, nb);
                }
                if (thread_id() == 0 && interrupt_pending()) stop = true;
            }
#pragma omp ordered
            {
                if (!stop.load(std::memory_order_relaxed)) {
                    SA += PA;
                    SB += PB;
                }
            }
        }
    }
    if (stop) throw Interrupted();
    const double scale = 1.0 / std::sqrt(static_cast<double>(m));
    SA *= scale;
    SB *= scale;
}

template void dense_apply(const Spec&, const ColRef&, const ColRef&, MatrixXd&, MatrixXd&);
template void dense_apply(const Spec&, const RowRef&, const ColRef&, MatrixXd&, MatrixXd&);

}  // namespace fastls::sketch::detail
