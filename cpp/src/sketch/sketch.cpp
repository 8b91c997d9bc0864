#include "fastls/sketch/sketch.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "fastls/common/error.hpp"
#include "fastls/sketch/random.hpp"
#include "kinds.hpp"

namespace fastls::sketch {

using Eigen::Index;
using Eigen::MatrixXd;

std::uint64_t padded_length(std::uint64_t n) {
    std::uint64_t N = 1;
    while (N < n) N <<= 1;
    return N;
}

std::vector<std::uint64_t> srht_rows(std::uint64_t N, std::uint64_t m, std::uint64_t seed) {
    require(m <= N, "cannot sample more rows than there are");
    std::unordered_set<std::uint64_t> chosen;
    chosen.reserve(static_cast<std::size_t>(2 * m));
    std::vector<std::uint64_t> rows;
    rows.reserve(static_cast<std::size_t>(m));
    for (std::uint64_t t = N - m; t < N; ++t) {  // Floyd: uniform m-subset of [0, N)
        const U32x4 r = draw(seed, lo32(t), hi32(t), 0, kSample);
        const std::uint64_t pick = below(r.v[0], r.v[1], t + 1);
        const std::uint64_t row = chosen.count(pick) ? t : pick;
        chosen.insert(row);
        rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
}

void check_spec(const Spec& spec, Index n) {
    require(spec.rows >= 1, "sketch_rows must be at least 1");
    require(n >= 1, "the sketched matrix must have at least one row");
    if (spec.kind == Kind::Sjlt)
        require(spec.nnz_per_column >= 1 && spec.nnz_per_column <= spec.rows,
                "nnz_per_column must be between 1 and sketch_rows");
    if (spec.kind == Kind::CountSketch)
        require(spec.nnz_per_column == 1, "nnz_per_column must be 1 for countsketch");
    require(spec.row_offset == 0 || spec.kind != Kind::Srht,
            "row_offset: the SRHT mixes all rows and takes no row offset");
}

namespace {

template <class Mat>
void apply_any(const Spec& spec, const Mat& A, const ColRef& B, MatrixXd& SA, MatrixXd& SB) {
    check_spec(spec, A.rows());
    require(B.rows() == A.rows() || B.cols() == 0, "B must have as many rows as A");
    switch (spec.kind) {
        case Kind::Gaussian:
        case Kind::Rademacher:
            detail::dense_apply(spec, A, B, SA, SB);
            return;
        case Kind::Srht:
            detail::srht_apply(spec, A, SA);
            if (B.cols() > 0) detail::srht_apply(spec, B, SB);
            else SB.resize(spec.rows, 0);
            return;
        case Kind::CountSketch:
        case Kind::Sjlt:
            detail::sjlt_apply(spec, A, SA);
            if (B.cols() > 0) detail::sjlt_apply(spec, B, SB);
            else SB.resize(spec.rows, 0);
            return;
    }
}

}  // namespace

void apply(const Spec& spec, const ColRef& A, const ColRef& B, MatrixXd& SA, MatrixXd& SB) {
    apply_any(spec, A, B, SA, SB);
}
void apply(const Spec& spec, const RowRef& A, const ColRef& B, MatrixXd& SA, MatrixXd& SB) {
    apply_any(spec, A, B, SA, SB);
}

MatrixXd explicit_rows(const Spec& spec, Index n, Index first, Index count) {
    check_spec(spec, n);
    const Index m = spec.rows;
    require(first >= 0 && count >= 0 && first + count <= m, "rows out of range of S");
    const double scale = 1.0 / std::sqrt(static_cast<double>(m));
    MatrixXd S = MatrixXd::Zero(count, n);
    const std::uint64_t off = spec.row_offset;
    switch (spec.kind) {
        case Kind::Gaussian:
            for (Index j = 0; j < n; ++j)
                for (Index i = 0; i < count; ++i)
                    S(i, j) = scale * gaussian_entry(spec.seed, first + i, off + j);
            break;
        case Kind::Rademacher:
            for (Index j = 0; j < n; ++j)
                for (Index i = 0; i < count; ++i)
                    S(i, j) = scale * rademacher_entry(spec.seed, first + i, off + j);
            break;
        case Kind::Srht: {
            const auto N = padded_length(static_cast<std::uint64_t>(n));
            require(static_cast<std::uint64_t>(m) <= N, "sketch_rows must not exceed the padded row count");
            const auto rows = srht_rows(N, static_cast<std::uint64_t>(m), spec.seed);
            for (Index j = 0; j < n; ++j) {
                const double sg = srht_sign(spec.seed, static_cast<std::uint64_t>(j));
                for (Index t = 0; t < count; ++t)
                    S(t, j) = scale * (sg * hadamard_entry(rows[first + t], static_cast<std::uint64_t>(j)));
            }
            break;
        }
        case Kind::CountSketch:
        case Kind::Sjlt: {
            const auto s = static_cast<std::uint32_t>(spec.nnz_per_column);
            const double v = 1.0 / std::sqrt(static_cast<double>(s));
            for (Index j = 0; j < n; ++j)
                for (std::uint32_t t = 0; t < s; ++t) {
                    double sg;
                    const auto row = static_cast<Index>(sjlt_entry(
                        spec.seed, off + j, t, static_cast<std::uint64_t>(m), s, sg));
                    if (row >= first && row < first + count) S(row - first, j) += sg * v;
                }
            break;
        }
    }
    return S;
}

MatrixXd explicit_matrix(const Spec& spec, Index n) { return explicit_rows(spec, n, 0, spec.rows); }

}  // namespace fastls::sketch
