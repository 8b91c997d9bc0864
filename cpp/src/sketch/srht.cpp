// SRHT: S = m^{-1/2} P H_N D with Rademacher signs D, zero padding to N = 2^k
// rows and m rows sampled without replacement.
//
// A is processed in panels of kPanel columns. With N = chunks x kChunk,
// Sylvester's H_N = H_chunks (x) H_kChunk, so sampled row x = q kChunk + p of
// H_N D a is sum over chunks c of (-1)^popcount(q & c) (H_kChunk (D a)_c)[p].
// Each chunk of a panel is loaded (signs fused into the copy), transformed in
// L2, and its share added into the m sampled rows at once: A is read once, no
// N-row workspace exists, and the zero padding is never transformed.
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
constexpr Index kChunk = 4096;  // rows per chunk: 4096 x 8 doubles = 256 KiB

}  // namespace

template <class Mat>
void srht_apply(const Spec& spec, const Mat& A, Eigen::MatrixXd& SA) {
    const Index n = A.rows(), d = A.cols(), m = spec.rows;
    const Index N = static_cast<Index>(padded_length(static_cast<std::uint64_t>(n)));
    require(m <= N, "sketch_rows must not exceed the padded row count");
    const double scale = 1.0 / std::sqrt(static_cast<double>(m));
    SA.resize(m, d);

    const Index chunk = std::min(N, kChunk);
    const Index data_chunks = (n + chunk - 1) / chunk;  // the others are zero padding
    const std::vector<std::uint64_t> rows = srht_rows(N, m, spec.seed);
    std::vector<Index> pos(static_cast<std::size_t>(m));
    std::vector<std::uint64_t> quot(static_cast<std::size_t>(m));
    for (Index t = 0; t < m; ++t) {
        pos[t] = static_cast<Index>(rows[t] % chunk);
        quot[t] = rows[t] / chunk;
    }

    const Index panels = (d + kPanel - 1) / kPanel;
    const isa::Kernels& kern = isa::kernels();  // load, transform and accumulate run ISA-dispatched
    const isa::MatView Av = isa::view(A);
    std::atomic<bool> stop{false};
#pragma omp parallel
    {
        std::vector<double> work(static_cast<std::size_t>(chunk * kPanel));
        std::vector<double> acc(static_cast<std::size_t>(m * kPanel));
#pragma omp for schedule(dynamic, 1)
        for (Index p = 0; p < panels; ++p) {
            if (stop.load(std::memory_order_relaxed)) continue;
            const Index c0 = p * kPanel, nc = std::min(kPanel, d - c0);
            std::fill(acc.begin(), acc.end(), 0.0);
            for (Index q = 0; q < data_chunks; ++q) {
                kern.srht_load(Av, spec.seed, q * chunk, chunk, c0, nc, work.data());
                fwht_rows(work.data(), chunk, kPanel, kPanel);
                kern.srht_accumulate(work.data(), pos.data(), quot.data(), m,
                                     static_cast<std::uint64_t>(q), acc.data());
            }
            for (Index t = 0; t < nc; ++t)
                for (Index i = 0; i < m; ++i) SA(i, c0 + t) = scale * acc[i * kPanel + t];
            if (thread_id() == 0 && interrupt_pending()) stop = true;
        }
    }
    if (stop) throw Interrupted();
}

template void srht_apply(const Spec&, const ColRef&, Eigen::MatrixXd&);
template void srht_apply(const Spec&, const RowRef&, Eigen::MatrixXd&);

}  // namespace detail
}  // namespace fastls::sketch
