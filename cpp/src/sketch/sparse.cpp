// SJLT and CountSketch of a dense A: every data row is added, with a sign, to
// s rows of SA (random.hpp's sjlt_entry).
//
// Rows are taken in blocks whose hash codes are computed once (lane-parallel)
// and reused for every panel of kPanel columns; each panel accumulates into its
// own row-major m x kPanel slice, so a scatter-add is one short vector update
// and the panels run on the OpenMP threads without sharing. A is read once; the
// sum for each entry of SA runs over the data rows in order, whatever the
// thread count.
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
    constexpr Index P = isa::kSrhtPanel, kRows = Index(1) << 18;  // rows per hash block: 8 MiB of codes at s = 8
    const Index m = spec.rows, n = A.rows(), d = A.cols();
    const int s = spec.nnz_per_column;
    require(m < std::numeric_limits<std::int32_t>::max(), "sketch_rows must be below 2^31 for sjlt");
    const double weight = 1.0 / std::sqrt(static_cast<double>(s));
    const Index panels = (d + P - 1) / P;
    std::vector<double> acc(static_cast<std::size_t>(panels * m * P), 0.0);
    std::vector<std::int32_t> code(static_cast<std::size_t>(kRows * s));
    const isa::Kernels& kern = isa::kernels();
    const isa::MatView Av = isa::view(A);
    constexpr Index kHashChunk = 1024;
    std::atomic<bool> stop{false};
#pragma omp parallel
    for (Index r0 = 0; r0 < n; r0 += kRows) {
        const Index len = std::min(kRows, n - r0);
#pragma omp for schedule(static)
        for (Index h = 0; h < len; h += kHashChunk)
            kern.sjlt_hash(spec.seed, spec.row_offset + static_cast<std::uint64_t>(r0 + h),
                           std::min(kHashChunk, len - h), m, s, code.data() + h * s);
#pragma omp for schedule(static)
        for (Index p = 0; p < panels; ++p) {
            if (stop.load(std::memory_order_relaxed)) continue;
            kern.sjlt_panel(Av, r0, len, p * P, std::min(P, d - p * P), code.data(), s, weight,
                            acc.data() + p * m * P);
        }
        if (thread_id() == 0 && interrupt_pending()) stop = true;
#pragma omp barrier
        if (stop.load(std::memory_order_relaxed)) break;
    }
    if (stop) throw Interrupted();
    SA.resize(m, d);
    for (Index c = 0; c < d; ++c) {
        const double* src = acc.data() + (c / P) * m * P + c % P;
        for (Index i = 0; i < m; ++i) SA(i, c) = src[i * P];
    }
}

template void sjlt_apply(const Spec&, const ColRef&, Eigen::MatrixXd&);
template void sjlt_apply(const Spec&, const RowRef&, Eigen::MatrixXd&);

}  // namespace fastls::sketch::detail
