// SJLT and CountSketch of a dense A: every data row is added, with a sign, to
// s rows of SA (random.hpp's sjlt_entry).
//
// Rows are taken in blocks whose hash codes are computed once (lane-parallel)
// and reused for every group of columns; each group accumulates into its
// own row-major slice of the accumulator, so a scatter-add is one short vector
// update and the groups run on the OpenMP threads without sharing. A is read
// once per group; the sum for each entry of SA runs over the data rows in
// order, whatever the thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/isa.hpp"
#include "fastls/common/threading.hpp"
#include "kinds.hpp"

namespace fastls::sketch::detail {

using Eigen::Index;

template <class Mat>
void sjlt_apply(const Spec& spec, const Mat& A, Eigen::MatrixXd& SA) {
    constexpr Index kRows = Index(1) << 18;  // rows per hash block: 8 MiB of codes at s = 8
    constexpr Index kHashChunk = 1024;
    const Index m = spec.rows, n = A.rows(), d = A.cols();
    const int s = spec.nnz_per_column;
    require(m < std::numeric_limits<std::int32_t>::max(), "sketch_rows must be below 2^31 for sjlt");
    const double weight = 1.0 / std::sqrt(static_cast<double>(s));
    // Column groups, each with its own row-major m x width slice of acc: panels
    // of 8 for a column-major A (transposed through a buffer), a share of the
    // columns per thread for a row-major one (its rows are read in place).
    // Every entry's sum runs over the data rows in order: no grouping changes it.
    const Index width = Mat::IsRowMajor ? std::max<Index>(1, (d + max_threads() - 1) / max_threads())
                                        : isa::kSrhtPanel;
    const Index groups = (d + width - 1) / width;
    std::vector<double> acc(static_cast<std::size_t>(groups * m * width), 0.0);
    std::vector<std::int32_t> code(static_cast<std::size_t>(std::min(kRows, n) * s));
    const isa::Kernels& kern = isa::kernels();
    const isa::MatView Av = isa::view(A);
    std::atomic<bool> stop{false};
#pragma omp parallel
    for (Index r0 = 0; r0 < n; r0 += kRows) {
        const Index len = std::min(kRows, n - r0);
#pragma omp for schedule(static)
        for (Index h = 0; h < len; h += kHashChunk)
            kern.sjlt_hash(spec.seed, spec.row_offset + static_cast<std::uint64_t>(r0 + h),
                           std::min(kHashChunk, len - h), m, s, code.data() + h * s);
#pragma omp for schedule(static)
        for (Index p = 0; p < groups; ++p) {
            if (stop.load(std::memory_order_relaxed)) continue;
            kern.sjlt_panel(Av, r0, len, p * width, std::min(width, d - p * width), code.data(), s, weight,
                            acc.data() + p * m * width, width);
        }
        if (thread_id() == 0 && interrupt_pending()) stop = true;
#pragma omp barrier
        if (stop.load(std::memory_order_relaxed)) break;
    }
    if (stop) throw Interrupted();
    SA.resize(m, d);
    for (Index c = 0; c < d; ++c) {
        const double* src = acc.data() + (c / width) * m * width + c % width;
        for (Index i = 0; i < m; ++i) SA(i, c) = src[i * width];
    }
}

template void sjlt_apply(const Spec&, const ColRef&, Eigen::MatrixXd&);
template void sjlt_apply(const Spec&, const RowRef&, Eigen::MatrixXd&);

}  // namespace fastls::sketch::detail
