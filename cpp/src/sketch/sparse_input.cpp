// S A for compressed sparse A (SciPy CSR/CSC mapped in place), never densified.
// Every kind is a sum over stored entries a = A(j, c): SA(:, c) += a S(:, j).
// sjlt/countsketch: S(:, j) has s nonzeros, O(nnz s) in all.
// gaussian/rademacher/srht: S(:, j) is generated from its counters (m entries;
// SRHT entries are sign(j) (-1)^popcount(row_t & j) / sqrt(m)), O(nnz m).
// The column of S is cached by j: CSR generates it once per row, CSC once per
// stored entry (sjlt CSC: a table of all n columns' hashes when it is small).
#include <cmath>
#include <vector>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/sketch/random.hpp"
#include "kinds.hpp"

namespace fastls::sketch {

using Eigen::Index;
using Eigen::MatrixXd;

namespace {

constexpr std::uint64_t kHashTableMax = std::uint64_t{1} << 26;  // entries (4 bytes each)

template <class Sp, class F>
void for_each_entry(const Sp& A, F&& f) {
    for (Index k = 0; k < A.outerSize(); ++k) {
        for (typename Sp::InnerIterator it(A, k); it; ++it) f(Index(it.row()), Index(it.col()), it.value());
        if ((k & 1023) == 1023) check_interrupt();
    }
}

template <class Sp>
void sjlt_sparse(const Spec& spec, const Sp& A, MatrixXd& SA) {
    const Index m = spec.rows, n = A.rows();
    const auto s = static_cast<std::uint32_t>(spec.nnz_per_column);
    const double scale = 1.0 / std::sqrt(static_cast<double>(s));
    auto hash = [&](Index j, std::uint32_t t, double& sign) {
        const auto row = sjlt_entry(spec.seed, spec.row_offset + static_cast<std::uint64_t>(j), t,
                                    static_cast<std::uint64_t>(m), s, sign);
        sign *= scale;
        return static_cast<Index>(row);
    };
    const bool table = !Sp::IsRowMajor && static_cast<std::uint64_t>(n) * s <= kHashTableMax &&
                       m < (Index{1} << 30);
    if (table) {  // CSC meets each data row many times: hash every row once
        std::vector<std::int32_t> code(static_cast<std::size_t>(n) * s);  // row, or ~row if negative
        for (Index j = 0; j < n; ++j)
            for (std::uint32_t t = 0; t < s; ++t) {
                double sg;
                const auto row = static_cast<std::int32_t>(hash(j, t, sg));
                code[static_cast<std::size_t>(j) * s + t] = sg < 0 ? ~row : row;
            }
        for_each_entry(A, [&](Index j, Index c, double a) {
            const std::int32_t* cj = code.data() + static_cast<std::size_t>(j) * s;
            for (std::uint32_t t = 0; t < s; ++t) {
                if (cj[t] >= 0) SA(cj[t], c) += scale * a;
                else SA(~cj[t], c) -= scale * a;
            }
        });
        return;
    }
    std::vector<Index> rows(s);
    std::vector<double> signs(s);
    Index cached = -1;
    for_each_entry(A, [&](Index j, Index c, double a) {
        if (j != cached) {
            for (std::uint32_t t = 0; t < s; ++t) rows[t] = hash(j, t, signs[t]);
            cached = j;
        }
        for (std::uint32_t t = 0; t < s; ++t) SA(rows[t], c) += signs[t] * a;
    });
}

// Column j of the dense kinds' S, scaled (all m entries).
class DenseColumn {
public:
    DenseColumn(const Spec& spec, Index n) : spec_(spec), scale_(1.0 / std::sqrt(double(spec.rows))) {
        if (spec.kind == Kind::Srht) {
            const auto N = padded_length(static_cast<std::uint64_t>(n));
            require(static_cast<std::uint64_t>(spec.rows) <= N,
                    "sketch_rows must not exceed the padded row count");
            rows_ = srht_rows(N, static_cast<std::uint64_t>(spec.rows), spec.seed);
        }
    }
    void operator()(Index j, double* out) const {
        const Index m = spec_.rows;
        const std::uint64_t jg = spec_.row_offset + static_cast<std::uint64_t>(j);
        switch (spec_.kind) {
            case Kind::Gaussian:
                for (Index p = 0; 2 * p < m; ++p) {
                    double z0, z1;
                    gaussian_pair(spec_.seed, static_cast<std::uint64_t>(p), jg, z0, z1);
                    out[2 * p] = scale_ * z0;
                    if (2 * p + 1 < m) out[2 * p + 1] = scale_ * z1;
                }
                break;
            case Kind::Rademacher:
                for (Index b = 0; 128 * b < m; ++b) {
                    const U32x4 r = draw(spec_.seed, static_cast<std::uint32_t>(b), lo32(jg), hi32(jg),
                                         kRademacher);
                    for (Index i = 128 * b, bit = 0; i < std::min(m, 128 * (b + 1)); ++i, ++bit)
                        out[i] = ((r.v[bit >> 5] >> (bit & 31)) & 1u) ? -scale_ : scale_;
                }
                break;
            default: {  // Srht (no row offset: the transform mixes all rows)
                const auto ju = static_cast<std::uint64_t>(j);
                const double sg = scale_ * srht_sign(spec_.seed, ju);
                for (Index t = 0; t < m; ++t) out[t] = sg * hadamard_entry(rows_[t], ju);
            }
        }
    }

private:
    const Spec& spec_;
    double scale_;
    std::vector<std::uint64_t> rows_;
};

template <class Sp>
void sparse_apply(const Spec& spec, const Sp& A, MatrixXd& SA) {
    check_spec(spec, A.rows());
    SA.setZero(spec.rows, A.cols());
    if (spec.kind == Kind::Sjlt || spec.kind == Kind::CountSketch) {
        sjlt_sparse(spec, A, SA);
        return;
    }
    const DenseColumn column(spec, A.rows());
    Eigen::VectorXd s(spec.rows);
    Index cached = -1;
    for_each_entry(A, [&](Index j, Index c, double a) {
        if (j != cached) {
            column(j, s.data());
            cached = j;
        }
        SA.col(c) += a * s;
    });
}

}  // namespace

#define FASTLS_SPARSE_APPLY(Order, I)                                                   \
    void apply(const Spec& spec, const SparseMap<Order, I>& A, MatrixXd& SA) { sparse_apply(spec, A, SA); }
FASTLS_SPARSE_APPLY(Eigen::RowMajor, std::int32_t)
FASTLS_SPARSE_APPLY(Eigen::RowMajor, std::int64_t)
FASTLS_SPARSE_APPLY(Eigen::ColMajor, std::int32_t)
FASTLS_SPARSE_APPLY(Eigen::ColMajor, std::int64_t)
#undef FASTLS_SPARSE_APPLY

}  // namespace fastls::sketch
