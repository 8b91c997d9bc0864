#include "common.hpp"
#include "families.hpp"
#include "fastls/dense/qr_lstsq.hpp"

namespace fastls::glue {

void bind_dense(py::module_& m) {
    m.def(
        "qr_lstsq",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B, double rcond) -> py::tuple {
            auto res = visit_matrix(A, "A", [&](const auto& Am) {
                return without_gil([&] { return dense::qr_lstsq(Am, B, rcond); });
            });
            return py::make_tuple(std::move(res.x), std::move(res.residual_norms), res.rank,
                                  std::move(res.singular_values));
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("rcond"),
        "Minimum-norm least squares by Householder QR + SVD of R. Returns (x, residual_norms, rank, s).");
}

}  // namespace fastls::glue
