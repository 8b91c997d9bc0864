#include "fastls/sbl/kron.hpp"

#include "fastls/common/error.hpp"

namespace fastls::sbl {

template <class S>
Vec<S> kron_matvec(const std::vector<Mat<S>>& A, const Eigen::Ref<const Vec<S>>& x, bool adjoint) {
    require(!A.empty(), "factors must not be empty");
    Eigen::Index rest = 1;
    for (const auto& a : A) rest *= adjoint ? a.rows() : a.cols();
    require(x.size() == rest, "x has the wrong length for the Kronecker product");
    Vec<S> cur = x, next;
    Eigen::Index done = 1;  // product of the output sizes of the modes already applied
    for (const auto& a0 : A) {
        const Mat<S> a = adjoint ? Mat<S>(a0.adjoint()) : a0;
        const Eigen::Index out = a.rows(), in = a.cols();
        rest /= in;
        next.resize(done * out * rest);
        if (rest == 1) {  // last mode: one GEMM on the (done x in) row-major view
            Eigen::Map<const Mat<S>> X(cur.data(), in, done);
            Eigen::Map<Mat<S>>(next.data(), out, done).noalias() = a * X;
        } else {  // tensor (done, in, rest): one GEMM per leading index
            for (Eigen::Index p = 0; p < done; ++p) {
                Eigen::Map<const Mat<S>> X(cur.data() + p * in * rest, rest, in);
                Eigen::Map<Mat<S>>(next.data() + p * out * rest, rest, out).noalias() =
                    X * a.transpose();
            }
        }
        cur.swap(next);
        done *= out;
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
