#include <string>

#include "common.hpp"
#include "families.hpp"
#include "fastls/sketch/fwht.hpp"
#include "fastls/sketch/random.hpp"
#include "fastls/sketch/sketch.hpp"
#include "fastls/sketch/solve.hpp"
#include "sketch_result.hpp"

namespace fastls::glue {
namespace {

sketch::Spec make_spec(const std::string& kind, Eigen::Index rows, std::uint64_t seed, int nnz) {
    sketch::Spec spec;
    if (kind == "gaussian") spec.kind = sketch::Kind::Gaussian;
    else if (kind == "rademacher") spec.kind = sketch::Kind::Rademacher;
    else if (kind == "srht") spec.kind = sketch::Kind::Srht;
    else if (kind == "sjlt" || kind == "countsketch") spec.kind = sketch::Kind::Sjlt;
    else throw InvalidArgument("kind: unknown sketch kind '" + kind + "'");
    spec.rows = rows;
    spec.seed = seed;
    spec.nnz_per_column = kind == "countsketch" ? 1 : nnz;
    return spec;
}

}  // namespace

void bind_sketch(py::module_& m) {
    m.def(
        "apply",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B, const std::string& kind,
           Eigen::Index rows, std::uint64_t seed, int nnz, std::uint64_t row_offset) -> py::tuple {
            auto spec = make_spec(kind, rows, seed, nnz);
            spec.row_offset = row_offset;
            Eigen::MatrixXd SA, SB;
            visit_matrix(A, "A", [&](const auto& Am) {
                without_gil([&] { sketch::apply(spec, Am, B, SA, SB); });
            });
            return py::make_tuple(std::move(SA), std::move(SB));
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("kind"), py::arg("rows"), py::arg("seed"),
        py::arg("nnz"), py::arg("row_offset") = 0,
        "(S A, S B) for one sketch S; B is F-ordered and may have no columns. row_offset: global "
        "index of A's first row (not for srht), so row chunks sketch to parts of one S A.");

    m.def(
        "explicit_matrix",
        [](Eigen::Index n, const std::string& kind, Eigen::Index rows, std::uint64_t seed, int nnz) {
            const auto spec = make_spec(kind, rows, seed, nnz);
            return without_gil([&] { return sketch::explicit_matrix(spec, n); });
        },
        py::arg("n"), py::arg("kind"), py::arg("rows"), py::arg("seed"), py::arg("nnz"));

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
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B, const std::string& kind,
           Eigen::Index rows, std::uint64_t seed, int nnz, bool precondition, double tol,
           Eigen::Index maxiter, double rcond) -> py::dict {
            sketch::SolveOptions opt;
            opt.spec = make_spec(kind, rows, seed, nnz);
            opt.precondition = precondition;
            opt.tol = tol;
            opt.maxiter = maxiter;
            opt.rcond = rcond;
            return to_dict(visit_matrix(A, "A", [&](const auto& Am) {
                return without_gil([&] { return sketch::solve(opt, Am, B); });
            }));
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("kind"), py::arg("rows"), py::arg("seed"),
        py::arg("nnz"), py::arg("precondition"), py::arg("tol"), py::arg("maxiter"),
        py::arg("rcond"));
}

}  // namespace fastls::glue
