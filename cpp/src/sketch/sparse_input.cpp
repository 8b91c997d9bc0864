// S A for compressed sparse A (SciPy CSR/CSC mapped in place), never densified.
// Every kind is a sum over stored entries a = A(j, c): SA(:, c) += a S(:, j).
// sjlt/countsketch: S(:, j) has s nonzeros, O(nnz s) in all.
// gaussian/rademacher/srht: S(:, j) is generated from its counters (m entries;
// SRHT entries are sign(j) (-1)^popcount(row_t & j) / sqrt(m)), O(nnz m).
// The column of S is cached by j: CSR generates it once per row, CSC once per
// stored entry (sjlt: hash codes from the lane-parallel kernel, for CSC a table
// of all n rows' codes when it is small).
#include <cmath>
#include <vector>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/isa.hpp"
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

// Hash codes of data rows [r0, r0 + len) (isa's sjlt_hash; random.hpp's sjlt_code).
void sjlt_codes(const Spec& spec, Index r0, Index len, std::vector<std::int32_t>& code) {
    const int s = spec.nnz_per_column;
    code.resize(static_cast<std::size_t>(len) * s);
    isa::kernels().sjlt_hash(spec.seed, spec.row_offset + static_cast<std::uint64_t>(r0), len, spec.rows, s,
                             code.data());
}

template <class Sp>
void sjlt_sparse(const Spec& spec, const Sp& A, MatrixXd& SA) {
    constexpr Index kRows = 4096;  // CSR: rows hashed per block
    const Index m = spec.rows, n = A.rows();
    const int s = spec.nnz_per_column;
    const double scale = 1.0 / std::sqrt(static_cast<double>(s));
    require(m < (Index{1} << 31) - 1, "sketch_rows must be below 2^31 for sjlt");
    // SA(row, c) += +-scale a for nonzero t of data row j, the sign without a
    // branch (the signs are random).
    const auto add = [&](const std::int32_t* cj, Index c, double a) {
        for (int t = 0; t < s; ++t) {
            SA(sjlt_code_row(cj[t]), c) += sjlt_code_signed(cj[t], scale * a);
        }
    };
    std::vector<std::int32_t> code;
    if (Sp::IsRowMajor) {  // CSR: rows in order, hashed a block at a time
        for (Index r0 = 0; r0 < n; r0 += kRows) {
            const Index len = std::min(kRows, n - r0);
            sjlt_codes(spec, r0, len, code);
            for (Index j = r0; j < r0 + len; ++j)
                for (typename Sp::InnerIterator it(A, j); it; ++it)
                    add(code.data() + (j - r0) * s, Index(it.col()), it.value());
            check_interrupt();
        }
        return;
    }
    if (static_cast<std::uint64_t>(n) * s <= kHashTableMax) {  // CSC meets each row many times
        sjlt_codes(spec, 0, n, code);
        for_each_entry(A, [&](Index j, Index c, double a) { add(code.data() + j * s, c, a); });
        return;
    }
    std::vector<std::int32_t> one(static_cast<std::size_t>(s));
    for_each_entry(A, [&](Index j, Index c, double a) {  // too many rows for a table: hash per entry
        for (int t = 0; t < s; ++t) {
            double sign;
            const auto row = sjlt_entry(spec.seed, spec.row_offset + static_cast<std::uint64_t>(j),
                                        static_cast<std::uint32_t>(t), static_cast<std::uint64_t>(m),
                                        static_cast<std::uint32_t>(s), sign);
            one[static_cast<std::size_t>(t)] = sjlt_code(row, sign < 0);
        }
        add(one.data(), c, a);
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
