#include <cmath>
#include <vector>

#include "fastls/common/interrupt.hpp"
#include "fastls/sketch/random.hpp"
#include "kinds.hpp"

namespace fastls::sketch::detail {

using Eigen::Index;

template <class Mat>
void sjlt_apply(const Spec& spec, const Mat& A, Eigen::MatrixXd& SA) {
    const Index m = spec.rows, n = A.rows(), d = A.cols();
    const auto s = static_cast<std::uint32_t>(spec.nnz_per_column);
    const double scale = 1.0 / std::sqrt(static_cast<double>(s));
    // Row-major accumulator: each scatter adds one contiguous row.
    RowMatrixXd acc = RowMatrixXd::Zero(m, d);
    constexpr Index kRows = 4096;  // hashes computed per block, then reused for every column
    std::vector<Index> row(kRows * s);
    std::vector<double> sign(kRows * s);
    for (Index j0 = 0; j0 < n; j0 += kRows) {
        const Index nb = std::min(kRows, n - j0);
        for (Index jj = 0; jj < nb; ++jj)
            for (std::uint32_t t = 0; t < s; ++t) {
                double sg;
                row[jj * s + t] = static_cast<Index>(
                    sjlt_entry(spec.seed, spec.row_offset + static_cast<std::uint64_t>(j0 + jj), t, m, s, sg));
                sign[jj * s + t] = sg * scale;
            }
        if constexpr (Mat::IsRowMajor) {
            for (Index jj = 0; jj < nb; ++jj)
                for (std::uint32_t t = 0; t < s; ++t)
                    acc.row(row[jj * s + t]) += sign[jj * s + t] * A.row(j0 + jj);
        } else {
            for (Index c = 0; c < d; ++c) {
                const double* a = A.col(c).data() + j0;
                for (Index jj = 0; jj < nb; ++jj)
                    for (std::uint32_t t = 0; t < s; ++t)
                        acc(row[jj * s + t], c) += sign[jj * s + t] * a[jj];
            }
        }
        check_interrupt();
    }
    SA = acc;
}

template void sjlt_apply(const Spec&, const ColRef&, Eigen::MatrixXd&);
template void sjlt_apply(const Spec&, const RowRef&, Eigen::MatrixXd&);

}  // namespace fastls::sketch::detail
