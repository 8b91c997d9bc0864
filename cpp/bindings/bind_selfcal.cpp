#include <optional>

#include "common.hpp"
#include "families.hpp"
#include "fastls/selfcal/selfcal.hpp"

namespace fastls::glue {

namespace {

using selfcal::cd;
using CArray = py::array_t<cd, py::array::c_style>;

// Views of the (already validated, C-contiguous complex128) arrays.
selfcal::Problem make_problem(int model, const CArray& y, const CArray& A,
                              const std::optional<CArray>& basis) {
    require(model >= 1 && model <= 3, "model must be 1, 2 or 3");
    require(y.ndim() == 2, "y must be 2-D (p, m)");
    selfcal::Problem pb;
    pb.model = static_cast<selfcal::Model>(model);
    pb.p = y.shape(0);
    pb.m = y.shape(1);
    pb.y = y.data();
    if (pb.model == selfcal::Model::SharedMatrix) {
        require(A.ndim() == 2 && A.shape(0) == pb.m, "A must have shape (m, n)");
        pb.n = A.shape(1);
    } else {
        require(A.ndim() == 3 && A.shape(0) == pb.p && A.shape(1) == pb.m, "A must have shape (p, m, n)");
        pb.n = A.shape(2);
    }
    pb.A = A.data();
    if (basis) {
        require(basis->ndim() == 2 && basis->shape(0) == pb.m, "subspace must have shape (m, k)");
        pb.basis = basis->data();
        pb.k = basis->shape(1);
    }
    return pb;
}

}  // namespace

void bind_selfcal(py::module_& m) {
    m.def(
        "lstsq",
        [](int model, const CArray& y, const CArray& A, const std::optional<CArray>& basis,
           const Eigen::Ref<const selfcal::CVector>& w, cd c, int refine) -> py::tuple {
            const auto pb = make_problem(model, y, A, basis);
            const selfcal::CVector wv = w;
            auto res = without_gil([&] { return selfcal::lstsq(pb, wv, c, refine); });
            return py::make_tuple(std::move(res.z), res.residual, res.constraint_residual);
        },
        py::arg("model"), py::arg("y").noconvert(), py::arg("A").noconvert(), py::arg("basis").noconvert(),
        py::arg("w").noconvert(), py::arg("c"), py::arg("refine"),
        "Normalized least squares [A_0; w^*] z = (0; c) by Schur complements. "
        "Returns (z, ||A_0 z||, |w^* z - c|).");
    m.def(
        "spectral",
        [](int model, const CArray& y, const CArray& A, const std::optional<CArray>& basis, double tol,
           int maxiter) -> py::tuple {
            const auto pb = make_problem(model, y, A, basis);
            auto res = without_gil([&] { return selfcal::spectral(pb, tol, maxiter); });
            return py::make_tuple(std::move(res.z), res.sigma_min, res.sigma_second, res.nit,
                                  res.converged, res.shift);
        },
        py::arg("model"), py::arg("y").noconvert(), py::arg("A").noconvert(), py::arg("basis").noconvert(),
        py::arg("tol"), py::arg("maxiter"),
        "Smallest right singular vector of A_0 by shift-and-invert block Krylov on the Schur "
        "complement. Returns (z, sigma_min, sigma_second, nit, converged, shift).");
    m.def(
        "apply",
        [](int model, const CArray& y, const CArray& A, const std::optional<CArray>& basis,
           const Eigen::Ref<const selfcal::CVector>& z, bool adjoint) -> selfcal::CVector {
            const auto pb = make_problem(model, y, A, basis);
            const selfcal::CVector zv = z;
            return without_gil([&] {
                return adjoint ? selfcal::apply_adjoint(pb, zv) : selfcal::apply(pb, zv);
            });
        },
        py::arg("model"), py::arg("y").noconvert(), py::arg("A").noconvert(), py::arg("basis").noconvert(),
        py::arg("z").noconvert(), py::arg("adjoint") = false,
        "A_0 z (length p*m), or A_0^* z with adjoint=True.");
}

}  // namespace fastls::glue
