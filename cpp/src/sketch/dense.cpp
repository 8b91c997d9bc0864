#include <atomic>
#include <cmath>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/isa.hpp"
#include "fastls/common/threading.hpp"
#include "kinds.hpp"

namespace fastls::sketch::detail {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;

// Data rows per generated block of S (isa::kDenseBlock: m x 128 stays in L2
// for moderate m) and blocks per unit of the ordered reduction. Both are fixed
// so that every partial product has the same shape whatever the thread count:
// the sum is then bitwise reproducible. The unit itself (generation + GEMM)
// runs in the ISA-dispatched kernel.
constexpr Index kBlock = isa::kDenseBlock;
constexpr Index kBlocksPerUnit = 32;

template <class Mat>
constexpr bool kRowMajor = Mat::IsRowMajor;

}  // namespace

template <class Mat>
void dense_apply(const Spec& spec, const Mat& A, const ColRef& B, MatrixXd& SA, MatrixXd& SB) {
    const Index m = spec.rows, n = A.rows(), d = A.cols(), k = B.cols();
    SA.setZero(m, d);
    SB.setZero(m, k);
    const Index unit_rows = kBlock * kBlocksPerUnit;
    const Index units = (n + unit_rows - 1) / unit_rows;
    const isa::Kernels& kern = isa::kernels();
    std::atomic<bool> stop{false};

#pragma omp parallel
    {
        MatrixXd Sblk(m, kBlock), PA(m, d), PB(m, k);
        isa::DenseUnit unit;
        unit.rademacher = spec.kind == Kind::Rademacher;
        unit.seed = spec.seed;
        unit.row_offset = spec.row_offset;
        unit.m = m;
        unit.A = A.data();
        unit.d = d;
        unit.a_outer = A.outerStride();
        unit.a_row_major = kRowMajor<Mat>;
        unit.B = B.data();
        unit.k = k;
        unit.b_outer = B.outerStride();
        unit.Sblk = Sblk.data();
        unit.PA = PA.data();
        unit.PB = PB.data();
#pragma omp for ordered schedule(dynamic, 1)
        for (Index u = 0; u < units; ++u) {
            if (!stop.load(std::memory_order_relaxed)) {
                unit.j0 = u * unit_rows;
                unit.end = std::min(n, (u + 1) * unit_rows);
                kern.dense_unit(unit);
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
