#include "fastls/dense/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/threading.hpp"

namespace fastls::dense {

using Eigen::Index;
using Eigen::VectorXd;

namespace {

constexpr Index kBlockBytes = Index(1) << 19;  // half of a 1 MiB L2
// Column-major A: a block is d column segments A.outer apart, and segments
// shorter than ~4 KB stream from memory at about half the rate of long ones,
// so its blocks keep at least this many rows (more than half of L2 where
// d > 128: the second product then reads part of the block back from L3).
constexpr Index kMinColumnRows = 512;
constexpr Index kBlocksPerTask = 8;

// v = x (and b given): g = A^T (b - A x), returns (||b - A x||^2, ||A x||^2).
std::pair<double, double> sweep(const isa::MatView& A, const VectorXd& v, const double* b, VectorXd& g) {
    const Index n = A.rows, d = A.cols;
    const Index rows = std::clamp<Index>(kBlockBytes / (8 * std::max<Index>(d, 1)) / 8 * 8,
                                         A.row_major ? 8 : kMinColumnRows, 16384);
    const Index task_rows = rows * kBlocksPerTask;
    const Index tasks = (n + task_rows - 1) / task_rows;
    Eigen::MatrixXd partial(d, tasks);
    Eigen::Matrix2Xd sums = Eigen::Matrix2Xd::Zero(2, tasks);
    const isa::Kernels& kern = isa::kernels();
    std::atomic<bool> stop{false};
#pragma omp parallel if (tasks > 1)
    {
        VectorXd w(rows);
#pragma omp for schedule(dynamic, 1)
        for (Index t = 0; t < tasks; ++t) {
            if (stop.load(std::memory_order_relaxed)) continue;
            partial.col(t).setZero();
            const Index end = std::min(n, (t + 1) * task_rows);
            for (Index r0 = t * task_rows; r0 < end; r0 += rows)
                kern.sweep_block(A, r0, std::min(rows, end - r0), v.data(), b, w.data(),
                                 partial.col(t).data(), sums.col(t).data());
            if (thread_id() == 0 && interrupt_pending()) stop = true;
        }
    }
    if (stop) throw Interrupted();
    g = partial.rowwise().sum();  // Eigen's reduction order is fixed: same for any thread count
    return {sums.row(0).sum(), sums.row(1).sum()};
}

}  // namespace

void normal_product(const isa::MatView& A, const VectorXd& v, VectorXd& g) { sweep(A, v, nullptr, g); }

SweepNorms residual_product(const isa::MatView& A, const VectorXd& x, const double* b, VectorXd& g) {
    const auto [rr, ax] = sweep(A, x, b, g);
    return {std::sqrt(rr), std::sqrt(ax)};
}

}  // namespace fastls::dense
