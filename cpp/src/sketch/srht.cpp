// SRHT: S = m^{-1/2} P H_N D with Rademacher signs D, zero padding to N = 2^k
// rows and m rows sampled without replacement.
//
// A is processed in panels of kPanel columns, each copied once (signs and
// padding fused into the copy) into a row-major N x kPanel workspace:
//   phase 1: every kChunk-row chunk is loaded and transformed over its first
//            log2(kChunk) stages while it sits in L2;
//   phase 2: the remaining stages act on "super-rows" (kGroup consecutive rows
//            taken from every chunk), again in cache, and the sampled rows of
//            each finished group are gathered straight into SA.
// So A is read once and the workspace is written once and read once.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/isa.hpp"
#include "fastls/common/threading.hpp"
#include "fastls/sketch/fwht.hpp"
#include "fastls/sketch/random.hpp"
#include "kinds.hpp"

namespace fastls::sketch {

using Eigen::Index;

// The transform runs in the ISA-dispatched kernel (cpp/src/isa/kernels.cpp).
void fwht_rows(double* data, Index len, Index width, Index stride) {
    isa::kernels().fwht_rows(data, len, width, stride);
}

namespace detail {
namespace {

constexpr Index kPanel = isa::kSrhtPanel;  // columns per panel (8)
constexpr Index kChunk = 4096;  // rows per phase-1 chunk: 4096 x 8 doubles = 256 KiB
constexpr Index kGroup = 8;     // rows per super-row in phase 2

struct Sample {
    Index row;  // index in [0, N)
    Index out;  // row of SA it goes to
};

}  // namespace

template <class Mat>
void srht_apply(const Spec& spec, const Mat& A, Eigen::MatrixXd& SA) {
    const Index n = A.rows(), d = A.cols(), m = spec.rows;
    const Index N = static_cast<Index>(padded_length(static_cast<std::uint64_t>(n)));
    require(m <= N, "sketch_rows must not exceed the padded row count");
    const double scale = 1.0 / std::sqrt(static_cast<double>(m));
    SA.resize(m, d);

    const Index chunk = std::min(N, kChunk);
    const Index chunks = N / chunk;
    const Index group = std::min(kGroup, chunk);
    // Sampled rows ordered by (position in chunk, chunk) so phase 2 meets them in order.
    const std::vector<std::uint64_t> rows = srht_rows(N, m, spec.seed);
    std::vector<Sample> samples(m);
    for (Index t = 0; t < m; ++t) samples[t] = {static_cast<Index>(rows[t]), t};
    std::sort(samples.begin(), samples.end(), [chunk](const Sample& a, const Sample& b) {
        const Index ra = a.row % chunk, rb = b.row % chunk;
        return ra != rb ? ra < rb : a.row < b.row;
    });

    const Index panels = (d + kPanel - 1) / kPanel;
    const isa::Kernels& kern = isa::kernels();  // load and transform run ISA-dispatched
    const isa::MatView Av = isa::view(A);
    std::atomic<bool> stop{false};
#pragma omp parallel
    {
        std::vector<double> work(static_cast<std::size_t>(N * kPanel));
        double* W = work.data();
#pragma omp for schedule(dynamic, 1)
        for (Index p = 0; p < panels; ++p) {
            if (stop.load(std::memory_order_relaxed)) continue;
            const Index c0 = p * kPanel, nc = std::min(kPanel, d - c0);
            for (Index q = 0; q < chunks; ++q) {  // phase 1
                double* Wq = W + q * chunk * kPanel;
                kern.srht_load(Av, spec.seed, q * chunk, chunk, c0, nc, Wq);
                fwht_rows(Wq, chunk, kPanel, kPanel);
            }
            std::size_t next = 0;  // phase 2 and gather
            for (Index g0 = 0; g0 < chunk; g0 += group) {
                if (chunks > 1)
                    fwht_rows(W + g0 * kPanel, chunks, group * kPanel, chunk * kPanel);
                for (; next < samples.size() && samples[next].row % chunk < g0 + group; ++next) {
                    const double* w = W + samples[next].row * kPanel;
                    for (Index t = 0; t < nc; ++t) SA(samples[next].out, c0 + t) = scale * w[t];
                }
            }
            if (thread_id() == 0 && interrupt_pending()) stop = true;
        }
    }
    if (stop) throw Interrupted();
}

template void srht_apply(const Spec&, const ColRef&, Eigen::MatrixXd&);
template void srht_apply(const Spec&, const RowRef&, Eigen::MatrixXd&);

}  // namespace detail
}  // namespace fastls::sketch
