#include <pybind11/complex.h>

#include "common.hpp"
#include "families.hpp"
#include "fastls/dense/qr_lstsq.hpp"
#include "fastls/dense/sweep.hpp"

namespace fastls::glue {
namespace {

template <class Scalar>
void bind_result(py::module_& m, const char* name) {
    using R = dense::QrLstsq<Scalar>;
    py::class_<R>(m, name, "What qr_lstsq returns.")
        .def_property_readonly("x", copy_of(&R::x), "n x k minimum-norm solution")
        .def_property_readonly("residual_norms", copy_of(&R::residual_norms), "||b_j - A x_j||")
        .def_readonly("rank", &R::rank)
        .def_property_readonly("singular_values", copy_of(&R::singular_values), "of A, descending");
}

struct Residual {
    Eigen::MatrixXd at_residual;   // A^T (B - A X), d x k
    Eigen::VectorXd norms;         // ||B - A X|| per column
};

}  // namespace

void bind_dense(py::module_& m) {
    py::class_<Residual>(m, "Residual", "What residual_product returns.")
        .def_property_readonly("at_residual", copy_of(&Residual::at_residual), "A^T (B - A X), d x k")
        .def_property_readonly("norms", copy_of(&Residual::norms), "||B_j - A X_j||");
    m.def(
        "residual_product",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& X,
           const Eigen::Ref<const Eigen::MatrixXd>& B) {
            return visit_matrix(A, "A", [&](const auto& Am) {
                require(X.rows() == Am.cols() && B.rows() == Am.rows() && X.cols() == B.cols(),
                        "residual_product: A, X and B do not match");
                return without_gil([&] {
                    const isa::MatView view = isa::view(Am);
                    Residual out{Eigen::MatrixXd(Am.cols(), B.cols()), Eigen::VectorXd(B.cols())};
                    Eigen::VectorXd x, g;
                    for (Eigen::Index j = 0; j < B.cols(); ++j) {
                        x = X.col(j);
                        out.norms(j) = dense::residual_product(view, x, B.col(j).data(), g).residual;
                        out.at_residual.col(j) = g;
                    }
                    return out;
                });
            });
        },
        py::arg("A"), py::arg("X").noconvert(), py::arg("B").noconvert(),
        "B - A X and A^T (B - A X) of a dense real A in one pass over A (threads, bitwise "
        "the same for any thread count). Returns a Residual.");
    bind_result<double>(m, "QrLstsq");
    bind_result<std::complex<double>>(m, "QrLstsqComplex");
    m.def(
        "qr_lstsq",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B, double rcond) {
            return visit_matrix(A, "A", [&](const auto& Am) {
                return without_gil([&] { return dense::qr_lstsq(Am, B, rcond); });
            });
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("rcond"),
        "Minimum-norm least squares by Householder QR + SVD of R. Returns a QrLstsq.");
    m.def(
        "qr_lstsq_complex",
        [](const dense::ComplexRef& A, const dense::ComplexRef& B, double rcond) {
            return without_gil([&] { return dense::qr_lstsq(A, B, rcond); });
        },
        py::arg("A").noconvert(), py::arg("B").noconvert(), py::arg("rcond"),
        "qr_lstsq for complex128 A and B (both F-ordered). Returns a QrLstsqComplex.");
}

}  // namespace fastls::glue
