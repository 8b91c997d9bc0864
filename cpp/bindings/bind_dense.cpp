#include <pybind11/complex.h>

#include "common.hpp"
#include "families.hpp"
#include "fastls/dense/qr_lstsq.hpp"

namespace fastls::glue {
namespace {

template <class Scalar>
py::tuple to_tuple(dense::QrLstsq<Scalar>&& res) {
    return py::make_tuple(std::move(res.x), std::move(res.residual_norms), res.rank,
                          std::move(res.singular_values));
}

}  // namespace

void bind_dense(py::module_& m) {
    m.def(
        "qr_lstsq",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B, double rcond) -> py::tuple {
            return to_tuple(visit_matrix(A, "A", [&](const auto& Am) {
                return without_gil([&] { return dense::qr_lstsq(Am, B, rcond); });
            }));
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("rcond"),
        "Minimum-norm least squares by Householder QR + SVD of R. Returns (x, residual_norms, rank, s).");
    m.def(
        "qr_lstsq_complex",
        [](const dense::ComplexRef& A, const dense::ComplexRef& B, double rcond) -> py::tuple {
            return to_tuple(without_gil([&] { return dense::qr_lstsq(A, B, rcond); }));
        },
        py::arg("A").noconvert(), py::arg("B").noconvert(), py::arg("rcond"),
        "qr_lstsq for complex128 A and B (both F-ordered).");
}

}  // namespace fastls::glue
