#include "common.hpp"
#include "families.hpp"
#include "fastls/sketch/fwht.hpp"
#include "fastls/sketch/random.hpp"
#include "fastls/sketch/sketch.hpp"
#include "fastls/sketch/solve.hpp"

namespace fastls::glue {

void bind_sketch(py::module_& m) {
    using sketch::Kind;
    // The names are the public ones (fastls.sketching.KINDS is read off this enum).
    py::native_enum<Kind>(m, "Kind", "enum.Enum", "Sketch kind (countsketch: sjlt with one nonzero per column).")
        .value("gaussian", Kind::Gaussian)
        .value("rademacher", Kind::Rademacher)
        .value("srht", Kind::Srht)
        .value("countsketch", Kind::CountSketch)
        .value("sjlt", Kind::Sjlt)
        .finalize();
    py::list cuda_kinds;
    for (Kind k : {Kind::Gaussian, Kind::Rademacher, Kind::Srht, Kind::CountSketch, Kind::Sjlt})
        if (sketch::has_cuda_kernel(k)) cuda_kinds.append(py::cast(k));
    m.attr("CUDA_KINDS") = py::tuple(cuda_kinds);

    py::class_<sketch::Spec>(m, "Spec", "One sketch S (see fastls/sketch/sketch.hpp).")
        .def(py::init<>())
        .def_readwrite("kind", &sketch::Spec::kind)
        .def_readwrite("rows", &sketch::Spec::rows, "m")
        .def_readwrite("seed", &sketch::Spec::seed, "Philox key")
        .def_readwrite("nnz_per_column", &sketch::Spec::nnz_per_column, "sjlt only (countsketch: 1)")
        .def_readwrite("row_offset", &sketch::Spec::row_offset,
                       "global index of A's first row (not for srht): row chunks sketch to parts of one S A");
    py::class_<sketch::SolveOptions>(m, "SolveOptions", "Options of sketch.solve.")
        .def(py::init<>())
        .def_readwrite("spec", &sketch::SolveOptions::spec)
        .def_readwrite("precondition", &sketch::SolveOptions::precondition, "refine by LSQR on A R^-1")
        .def_readwrite("tol", &sketch::SolveOptions::tol, "LSQR's atol = btol")
        .def_readwrite("maxiter", &sketch::SolveOptions::maxiter)
        .def_readwrite("rcond", &sketch::SolveOptions::rcond, "< 0: eps * max(n, d)");
    using R = sketch::SolveResult;
    py::class_<R>(m, "SolveResult", "What sketch.solve (and fastls._cuda.solve) return.")
        .def_property_readonly("x", copy_of(&R::x), "d x k")
        .def_property_readonly("residual_norms", copy_of(&R::residual_norms), "||b - A x|| per column, on A")
        .def_property_readonly("sketched_residual_norms", copy_of(&R::sketched_residual_norms),
                               "||S(b - A x0)|| per column")
        .def_property_readonly("covariance_diag", copy_of(&R::covariance_diag), "diag(P P^T)")
        .def_property_readonly("singular_values", copy_of(&R::singular_values), "of S A")
        .def_property_readonly("null_basis", copy_of(&R::null_basis), "right null vectors of S A")
        .def_readonly("rank", &R::rank)
        .def_readonly("istop", &R::istop, "LstsqStatus per column (precondition only)")
        .def_readonly("nit", &R::nit, "LSQR iterations per column");

    m.def(
        "apply",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B,
           const sketch::Spec& spec) -> py::tuple {
            Eigen::MatrixXd SA, SB;
            visit_matrix(A, "A", [&](const auto& Am) {
                without_gil([&] { sketch::apply(spec, Am, B, SA, SB); });
            });
            return py::make_tuple(std::move(SA), std::move(SB));
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("spec"),
        "(S A, S B) for one sketch S; B is F-ordered and may have no columns.");

    m.def(
        "explicit_matrix",
        [](Eigen::Index n, const sketch::Spec& spec) {
            return without_gil([&] { return sketch::explicit_matrix(spec, n); });
        },
        py::arg("n"), py::arg("spec"));

    m.def("srht_rows", &sketch::srht_rows, py::arg("N"), py::arg("m"), py::arg("seed"));

    m.def(
        "fwht",
        [](Eigen::Ref<RowMatrixXd, 0, Eigen::Stride<Eigen::Dynamic, 1>> X) {
            require(X.rows() > 0 && (X.rows() & (X.rows() - 1)) == 0,
                    "X must have a power-of-two number of rows");
            without_gil([&] { sketch::fwht_rows(X.data(), X.rows(), X.cols(), X.outerStride()); });
        },
        py::arg("X").noconvert(), "In-place unnormalised FWHT along the rows of a C-ordered X.");

    // The device-portable transcendentals behind the Gaussian sketch, for accuracy tests.
    m.def("portable_log", py::vectorize([](double x) { return sketch::portable_log(x); }));
    m.def("portable_cos_turn", py::vectorize([](double u) {
              double c, s;
              sketch::portable_sincos_turn(u, c, s);
              return c;
          }));
    m.def("portable_sin_turn", py::vectorize([](double u) {
              double c, s;
              sketch::portable_sincos_turn(u, c, s);
              return s;
          }));

    m.def(
        "solve",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B,
           const sketch::SolveOptions& options) {
            return visit_matrix(A, "A", [&](const auto& Am) {
                return without_gil([&] { return sketch::solve(options, Am, B); });
            });
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("options"),
        "Sketch-and-solve or sketch-and-precondition; returns a SolveResult.");
}

}  // namespace fastls::glue
