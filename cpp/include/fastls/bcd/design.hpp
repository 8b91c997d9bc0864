// Column access to a design matrix A (m x n), dense column-major or CSC, both
// viewed without copying. Coordinate methods touch one column at a time, so
// column-major storage is the natural layout for every BCD kernel.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <Eigen/SparseCore>
#include <cstdint>
#include <vector>

#include "fastls/common/isa.hpp"

namespace fastls::bcd {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Block = std::vector<Index>;
template <class I>
using CscMapOf = Eigen::Map<const Eigen::SparseMatrix<double, Eigen::ColMajor, I>>;
using CscMap = CscMapOf<std::int64_t>;

struct DenseCols {
    Eigen::Map<const MatrixXd> A;
    // dot, axpy and matvec_t (the coordinate-descent hot loop) run in the ISA-dispatched kernels.
    const isa::Kernels* kern = &isa::kernels();

    Index rows() const { return A.rows(); }
    Index cols() const { return A.cols(); }
    double dot(Index j, const Eigen::Ref<const VectorXd>& v) const {
        return kern->dot(A.col(j).data(), v.data(), A.rows());
    }
    void axpy(Index j, double a, Eigen::Ref<VectorXd> v) const { kern->axpy(a, A.col(j).data(), v.data(), A.rows()); }
    double sqnorm(Index j) const { return A.col(j).squaredNorm(); }
    // ||a_j - mu u||^2, summed entry by entry (no cancellation for nearly constant columns)
    double centered_sqnorm(Index j, double mu, const VectorXd& u, double) const {
        return (A.col(j) - mu * u).squaredNorm();
    }
    Index nnz(Index) const { return A.rows(); }
    void matvec_t(const VectorXd& v, VectorXd& out) const {
        out.resize(A.cols());
        kern->gemv_t(isa::view(A), v.data(), out.data());
    }
    void matmat_t(const MatrixXd& V, MatrixXd& out) const { out.noalias() = A.transpose() * V; }
    // out (m x |cols|) = A[:, cols]
    void gather(const Block& cols, MatrixXd& out) const {
        out.resize(rows(), Index(cols.size()));
        for (size_t k = 0; k < cols.size(); ++k) out.col(Index(k)) = A.col(cols[k]);
    }
    // G = A[:, a]^T A[:, b] (SYRK on the gathered columns where a and b are one list)
    void gram(const Block& a, const Block& b, MatrixXd& G) const {
        G.resize(Index(a.size()), Index(b.size()));
        kern->gram(isa::view(A), a.data(), Index(a.size()), b.data(), Index(b.size()), G.data());
    }
    void gram(const Block& cols, MatrixXd& G) const { gram(cols, cols, G); }
};

// Templated on the index type so that scipy's int32 CSC arrays are read as they
// are (no int64 copy, and 12 rather than 16 bytes per non-zero in the CD sweeps).
template <class I>
struct SparseColsOf {
    using Map = CscMapOf<I>;
    Map A;

    Index rows() const { return A.rows(); }
    Index cols() const { return A.cols(); }
    double dot(Index j, const Eigen::Ref<const VectorXd>& v) const {
        const auto* p = A.outerIndexPtr();
        const auto* idx = A.innerIndexPtr();
        const double* val = A.valuePtr();
        // four partial sums: one chain of dependent adds ran at one add latency per non-zero
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        auto k = p[j];
        for (const auto end = p[j + 1] - 3; k < end; k += 4) {
            s0 += val[k] * v[idx[k]];
            s1 += val[k + 1] * v[idx[k + 1]];
            s2 += val[k + 2] * v[idx[k + 2]];
            s3 += val[k + 3] * v[idx[k + 3]];
        }
        for (; k < p[j + 1]; ++k) s0 += val[k] * v[idx[k]];
        return (s0 + s1) + (s2 + s3);
    }
    void axpy(Index j, double a, Eigen::Ref<VectorXd> v) const {
        const auto* p = A.outerIndexPtr();
        const auto* idx = A.innerIndexPtr();
        const double* val = A.valuePtr();
        for (auto k = p[j]; k < p[j + 1]; ++k) v[idx[k]] += a * val[k];
    }
    double sqnorm(Index j) const {
        const auto* p = A.outerIndexPtr();
        const double* val = A.valuePtr();
        double s = 0.0;
        for (auto k = p[j]; k < p[j + 1]; ++k) s += val[k] * val[k];
        return s;
    }
    // ||a_j - mu u||^2 = sum over non-zeros of (a_ij - mu u_i)^2 + mu^2 (||u||^2 - sum over non-zeros of u_i^2)
    double centered_sqnorm(Index j, double mu, const VectorXd& u, double uu) const {
        const auto* p = A.outerIndexPtr();
        const auto* idx = A.innerIndexPtr();
        const double* val = A.valuePtr();
        double s = 0.0, unz = 0.0;
        for (auto k = p[j]; k < p[j + 1]; ++k) {
            const double d = val[k] - mu * u[idx[k]];
            s += d * d;
            unz += u[idx[k]] * u[idx[k]];
        }
        return s + mu * mu * std::max(uu - unz, 0.0);
    }
    Index nnz(Index j) const { return Index(A.outerIndexPtr()[j + 1] - A.outerIndexPtr()[j]); }
    void matvec_t(const VectorXd& v, VectorXd& out) const {
        out.resize(cols());
        for (Index j = 0; j < cols(); ++j) out[j] = dot(j, v);
    }
    void matmat_t(const MatrixXd& V, MatrixXd& out) const { out.noalias() = A.transpose() * V; }
    // G = A[:, a]^T A[:, b]
    void gram(const Block& a, const Block& b, MatrixXd& G) const {
        const Eigen::SparseMatrix<double> Sa = pick(a);
        G = MatrixXd(Eigen::SparseMatrix<double>(Sa.transpose() * (&a == &b ? Sa : pick(b))));
    }
    void gram(const Block& cols, MatrixXd& G) const { gram(cols, cols, G); }
    // A[:, cols] as a sparse matrix of its own
    Eigen::SparseMatrix<double> pick(const Block& cols) const {
        Eigen::SparseMatrix<double> S(rows(), Index(cols.size()));
        std::vector<Eigen::Triplet<double>> t;
        for (size_t k = 0; k < cols.size(); ++k)
            for (typename Map::InnerIterator it(A, cols[k]); it; ++it) t.emplace_back(it.row(), Index(k), it.value());
        S.setFromTriplets(t.begin(), t.end());
        return S;
    }
    void gather(const Block& cols, MatrixXd& out) const {
        out.setZero(rows(), Index(cols.size()));
        for (size_t k = 0; k < cols.size(); ++k) {
            VectorXd col = VectorXd::Zero(rows());
            axpy(cols[k], 1.0, col);
            out.col(Index(k)) = col;
        }
    }
};
using SparseCols = SparseColsOf<std::int64_t>;
using SparseCols32 = SparseColsOf<std::int32_t>;

// Type-erased design so that one BCD engine serves both storages; the
// per-call virtual dispatch is negligible next to the O(m) column work.
struct Design {
    virtual ~Design() = default;
    virtual Index rows() const = 0;
    virtual Index cols() const = 0;
    virtual double dot(Index j, const Eigen::Ref<const VectorXd>& v) const = 0;
    virtual void axpy(Index j, double a, Eigen::Ref<VectorXd> v) const = 0;
    virtual double sqnorm(Index j) const = 0;
    virtual void matvec_t(const VectorXd& v, VectorXd& out) const = 0;
    virtual void matmat_t(const MatrixXd& V, MatrixXd& out) const = 0;
    virtual void gather(const Block& cols, MatrixXd& out) const = 0;
    // Gershgorin vector of A^T A: G_i = sum_j |a_i^T a_j| (O(m n^2) dense, chunked).
    virtual VectorXd gram_abs_rowsums() const = 0;
};

template <class D>
struct DesignOf final : Design {
    D d;
    explicit DesignOf(D dd) : d(std::move(dd)) {}
    Index rows() const override { return d.rows(); }
    Index cols() const override { return d.cols(); }
    double dot(Index j, const Eigen::Ref<const VectorXd>& v) const override { return d.dot(j, v); }
    void axpy(Index j, double a, Eigen::Ref<VectorXd> v) const override { d.axpy(j, a, v); }
    double sqnorm(Index j) const override { return d.sqnorm(j); }
    void matvec_t(const VectorXd& v, VectorXd& out) const override { d.matvec_t(v, out); }
    void matmat_t(const MatrixXd& V, MatrixXd& out) const override { d.matmat_t(V, out); }
    void gather(const Block& cols, MatrixXd& out) const override { d.gather(cols, out); }
    VectorXd gram_abs_rowsums() const override {
        const Index n = d.cols(), chunk = 256;
        VectorXd G = VectorXd::Zero(n);
        MatrixXd C, P;
        for (Index s = 0; s < n; s += chunk) {
            Block cols;
            for (Index j = s; j < std::min(n, s + chunk); ++j) cols.push_back(j);
            d.gather(cols, C);
            d.matmat_t(C, P);  // n x chunk block of A^T A
            G.noalias() += P.cwiseAbs().rowwise().sum();
        }
        return G;
    }
};

}  // namespace fastls::bcd
