#include <pybind11/complex.h>

#include "common.hpp"
#include "families.hpp"
#include "fastls/dense/qr_lstsq.hpp"

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

}  // namespace

void bind_dense(py::module_& m) {
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
