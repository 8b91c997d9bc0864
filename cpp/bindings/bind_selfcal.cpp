// fastls._core.selfcal: the Schur-complement least-squares and spectral
// solvers of bilinear self-calibration on no-copy views of the caller's
// (validated, C-contiguous complex128) arrays.

#include <optional>

#include "common.hpp"
#include "families.hpp"
#include "fastls/selfcal/selfcal.hpp"

namespace fastls::glue {

namespace {

using selfcal::cd;
using CArray = py::array_t<cd, py::array::c_style>;

// Views of the (already validated, C-contiguous complex128) arrays.
selfcal::Problem make_problem(selfcal::Model model, const CArray& y, const CArray& A,
                              const std::optional<CArray>& basis) {
    require(y.ndim() == 2, "y must be 2-D (p, m)");
    selfcal::Problem pb;
    pb.model = model;
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
    using selfcal::Model;
    // Python's model names are these with '-' for '_'.
    py::native_enum<Model>(m, "Model", "enum.Enum", "Which unknowns the snapshots share.")
        .value("shared_signal", Model::SharedSignal)
        .value("multi_signal", Model::MultiSignal)
        .value("shared_matrix", Model::SharedMatrix)
        .finalize();
    using selfcal::LstsqSolution;
    using selfcal::SpectralSolution;
    py::class_<LstsqSolution>(m, "LstsqSolution", "What selfcal.lstsq returns.")
        .def_readonly("z", &LstsqSolution::z)
        .def_readonly("residual", &LstsqSolution::residual, "||A_0 z||")
        .def_readonly("constraint_residual", &LstsqSolution::constraint_residual, "|w^* z - c|");
    py::class_<SpectralSolution>(m, "SpectralSolution", "What selfcal.spectral returns.")
        .def_readonly("z", &SpectralSolution::z, "unit right singular vector for sigma_min")
        .def_readonly("sigma_min", &SpectralSolution::sigma_min, "||A_0 z||")
        .def_readonly("sigma_second", &SpectralSolution::sigma_second, "second smallest singular value")
        .def_readonly("shift", &SpectralSolution::shift, "tau in (N + tau I)^{-1}")
        .def_readonly("nit", &SpectralSolution::nit, "block Krylov steps")
        .def_readonly("converged", &SpectralSolution::converged);

    m.def(
        "lstsq",
        [](Model model, const CArray& y, const CArray& A, const std::optional<CArray>& basis,
           const Eigen::Ref<const selfcal::CVector>& w, cd c, int refine) {
            const auto pb = make_problem(model, y, A, basis);
            const selfcal::CVector wv = w;
            return without_gil([&] { return selfcal::lstsq(pb, wv, c, refine); });
        },
        py::arg("model"), py::arg("y").noconvert(), py::arg("A").noconvert(), py::arg("basis").noconvert(),
        py::arg("w").noconvert(), py::arg("c"), py::kw_only(), py::arg("refine") = 1,
        "Normalized least squares [A_0; w^*] z = (0; c) by Schur complements. Returns an LstsqSolution.");
    m.def(
        "spectral",
        [](Model model, const CArray& y, const CArray& A, const std::optional<CArray>& basis, double tol,
           int maxiter) {
            const auto pb = make_problem(model, y, A, basis);
            return without_gil([&] { return selfcal::spectral(pb, tol, maxiter); });
        },
        py::arg("model"), py::arg("y").noconvert(), py::arg("A").noconvert(), py::arg("basis").noconvert(),
        py::kw_only(), py::arg("tol"), py::arg("maxiter"),
        "Smallest right singular vector of A_0 by shift-and-invert block Krylov on the Schur "
        "complement. Returns a SpectralSolution.");
    m.def(
        "apply",
        [](Model model, const CArray& y, const CArray& A, const std::optional<CArray>& basis,
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
