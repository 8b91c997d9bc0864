#include "solve.hpp"

#include <vector>

#include "fastls/common/error.hpp"

namespace fastls::cuda {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

struct DeviceVector {
    double* data;
    std::int64_t size;
};

// A P for LSQR: range vectors stay on the device.
struct DeviceOp {
    using Range = DeviceVector;
    const DeviceMatrix& A;
    const sketch::SketchedFactor& P;
    mutable DeviceBuffer x_dev, z_dev, work;  // d, d, and chunks * d doubles
    mutable VectorXd buf;

    Index cols() const { return P.cols(); }
    double norm(const DeviceVector& u) const {
        double r;
        check(fastls_cuda_nrm2(u.data, u.size, work.get(), &r), "nrm2");
        return r;
    }
    void scale(DeviceVector& u, double a) const { check(fastls_cuda_scale(u.data, u.size, a), "scale"); }
    void apply_update(const VectorXd& v, double alpha, DeviceVector& u) const {
        P.precondition(v, buf);
        x_dev.upload(buf.data(), static_cast<std::size_t>(buf.size()));
        check(fastls_cuda_gemv(A.data, A.rows, A.cols, A.row_major, x_dev.get(), 1.0, -alpha, u.data),
              "gemv");
    }
    void apply_t(const DeviceVector& u, VectorXd& out) const {
        check(fastls_cuda_gemv_t(A.data, A.rows, A.cols, A.row_major, u.data, work.get(), z_dev.get()),
              "gemv_t");
        buf.resize(A.cols);
        z_dev.download(buf.data(), static_cast<std::size_t>(A.cols));
        P.precondition_t(buf, out);
    }
};

}  // namespace

int kind_code(sketch::Kind kind) {
    require(sketch::has_cuda_kernel(kind), "kind: this sketch kind has no CUDA kernel");
    switch (kind) {
        case sketch::Kind::Gaussian: return FASTLS_CUDA_GAUSSIAN;
        case sketch::Kind::Rademacher: return FASTLS_CUDA_RADEMACHER;
        default: return FASTLS_CUDA_SRHT;
    }
}

void sketch(const sketch::Spec& spec, const DeviceMatrix& A, double* SA) {
    std::vector<std::uint64_t> rows;
    if (spec.kind == sketch::Kind::Srht)
        rows = sketch::srht_rows(sketch::padded_length(static_cast<std::uint64_t>(A.rows)),
                                 static_cast<std::uint64_t>(spec.rows), spec.seed);
    check(fastls_cuda_sketch(kind_code(spec.kind), spec.rows, spec.seed, rows.data(), A.data, A.rows,
                             A.cols, A.row_major, SA),
          "sketch");
}

sketch::SolveResult solve(const sketch::SolveOptions& opt, const DeviceMatrix& A, const ColRef& B) {
    const Index n = A.rows, d = A.cols, k = B.cols(), m = opt.spec.rows;
    require(m >= d, "sketch_rows must be at least the number of columns of A");
    require(B.rows() == n, "b must have as many rows as A");

    DeviceBuffer B_dev(static_cast<std::size_t>(n * k)), SA_dev(static_cast<std::size_t>(m * d)),
        SB_dev(static_cast<std::size_t>(m * k));
    B_dev.upload(B.data(), static_cast<std::size_t>(n * k));
    sketch(opt.spec, A, SA_dev.get());
    sketch(opt.spec, DeviceMatrix{B_dev.get(), n, k, false}, SB_dev.get());
    MatrixXd SA(m, d), SB(m, k);
    SA_dev.download(SA.data(), static_cast<std::size_t>(m * d));
    SB_dev.download(SB.data(), static_cast<std::size_t>(m * k));

    const sketch::SketchedFactor factor(SA, SB, n, opt.rcond, !opt.precondition);  // (checks S A)
    sketch::SolveResult out;
    factor.fill(out);
    out.residual_norms.resize(k);

    const auto chunks = static_cast<std::size_t>(fastls_cuda_reduction_chunks(n));
    DeviceOp op{A, factor, DeviceBuffer(static_cast<std::size_t>(d)),
                DeviceBuffer(static_cast<std::size_t>(d)),
                DeviceBuffer(chunks * static_cast<std::size_t>(std::max<Index>(d, 1))), {}};
    DeviceBuffer u(static_cast<std::size_t>(n)), x_dev(static_cast<std::size_t>(d));
    auto residual = [&](Index j) {  // u = b_j - A x_j on the device
        u.upload(B.col(j).data(), static_cast<std::size_t>(n));
        x_dev.upload(out.x.col(j).data(), static_cast<std::size_t>(d));
        check(fastls_cuda_gemv(A.data, n, d, A.row_major, x_dev.get(), -1.0, 1.0, u.get()), "gemv");
    };
    for (Index j = 0; j < k; ++j) {
        if (opt.precondition) {
            residual(j);
            DeviceVector r0{u.get(), n};
            factor.refine(op, r0, opt, out, j);
        }
        residual(j);
        out.residual_norms(j) = op.norm(DeviceVector{u.get(), n});
    }
    return out;
}

}  // namespace fastls::cuda
