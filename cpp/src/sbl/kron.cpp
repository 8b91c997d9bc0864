#include "fastls/sbl/kron.hpp"

#include <algorithm>
#include <limits>

#include "fastls/common/error.hpp"

namespace fastls::sbl {

namespace {

// Modes commute, so apply them in the order with the fewest flops: a mode that
// shrinks the tensor is best applied early. Applying mode k to a tensor of
// size T costs T * out_k multiply-adds and leaves T * out_k / in_k entries.
// Exhaustive search for I <= 6 (at most 720 orders), natural order beyond.
std::vector<size_t> cheapest_order(const std::vector<Eigen::Index>& in, const std::vector<Eigen::Index>& out,
                                   Eigen::Index size) {
    std::vector<size_t> order(in.size()), best;
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (order.size() > 6) return order;
    double best_cost = std::numeric_limits<double>::infinity();
    do {
        double T = static_cast<double>(size), cost = 0.0;
        for (size_t k : order) {
            cost += T * static_cast<double>(out[k]);
            T = T * static_cast<double>(out[k]) / static_cast<double>(in[k]);
        }
        if (cost < best_cost) best_cost = cost, best = order;
    } while (std::next_permutation(order.begin(), order.end()));
    return best;
}

}  // namespace

template <class S>
Vec<S> kron_matvec(const std::vector<Mat<S>>& A, const Eigen::Ref<const Vec<S>>& x, bool adjoint) {
    require(!A.empty(), "factors must not be empty");
    const size_t I = A.size();
    std::vector<Eigen::Index> in(I), out(I);
    Eigen::Index size = 1;
    for (size_t k = 0; k < I; ++k) {
        in[k] = adjoint ? A[k].rows() : A[k].cols();
        out[k] = adjoint ? A[k].cols() : A[k].rows();
        size *= in[k];
    }
    require(x.size() == size, "x has the wrong length for the Kronecker product");
    std::vector<Eigen::Index> dims = in;  // current tensor shape (C order)
    Vec<S> cur = x, next;
    for (size_t k : cheapest_order(in, out, size)) {
        const Mat<S> a = adjoint ? Mat<S>(A[k].adjoint()) : A[k];
        Eigen::Index lead = 1, rest = 1;
        for (size_t l = 0; l < k; ++l) lead *= dims[l];
        for (size_t l = k + 1; l < I; ++l) rest *= dims[l];
        next.resize(lead * out[k] * rest);
        if (rest == 1) {  // last axis: one GEMM on the (lead x in) row-major view
            Eigen::Map<const Mat<S>> X(cur.data(), in[k], lead);
            Eigen::Map<Mat<S>>(next.data(), out[k], lead).noalias() = a * X;
        } else {  // tensor (lead, in, rest): one GEMM per leading index
            for (Eigen::Index p = 0; p < lead; ++p) {
                Eigen::Map<const Mat<S>> X(cur.data() + p * in[k] * rest, rest, in[k]);
                Eigen::Map<Mat<S>>(next.data() + p * out[k] * rest, rest, out[k]).noalias() =
                    X * a.transpose();
            }
        }
        cur.swap(next);
        dims[k] = out[k];
    }
    return cur;
}

Eigen::VectorXd kron_vector(const std::vector<Eigen::VectorXd>& v) {
    Eigen::VectorXd out = Eigen::VectorXd::Ones(1), next;
    for (const auto& vi : v) {
        const Eigen::Index n = vi.size();
        next.resize(out.size() * n);
        for (Eigen::Index a = 0; a < out.size(); ++a) next.segment(a * n, n) = out[a] * vi;
        out.swap(next);
    }
    return out;
}

template Vec<double> kron_matvec(const std::vector<Mat<double>>&,
                                 const Eigen::Ref<const Vec<double>>&, bool);
template Vec<cdouble> kron_matvec(const std::vector<Mat<cdouble>>&,
                                  const Eigen::Ref<const Vec<cdouble>>&, bool);

}  // namespace fastls::sbl
