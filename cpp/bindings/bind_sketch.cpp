#include "common.hpp"
#include "families.hpp"
#include "fastls/sketch/fwht.hpp"
#include "fastls/sketch/random.hpp"
#include "fastls/sketch/sketch.hpp"
#include "fastls/sketch/solve.hpp"

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace fastls::glue {
namespace {

// Calls f with a SparseMap of SciPy's (indptr, indices, data) in place:
// A canonical SciPy CSR or CSC matrix (float64 data; int32 or int64 indices, the
// same for indptr and indices: Python makes them so), viewed in place; with
// transpose, A^T (CSR of A is CSC of A^T, no copy).
template <class F>
decltype(auto) visit_sparse(const py::object& A, bool transpose, F&& f) {
    const auto indptr = A.attr("indptr").cast<py::array>();
    const auto indices = A.attr("indices").cast<py::array>();
    const auto data = A.attr("data").cast<py::array>();
    const auto shape = A.attr("shape").cast<std::pair<Eigen::Index, Eigen::Index>>();
    bool row_major = A.attr("format").cast<std::string>() == "csr";
    require(row_major || A.attr("format").cast<std::string>() == "csc", "A must be CSR or CSC");
    Eigen::Index rows = shape.first, cols = shape.second;
    if (transpose) {
        std::swap(rows, cols);
        row_major = !row_major;
    }
    require(is_float64(data) && (data.flags() & py::array::c_style), "data must be contiguous float64");
    require(indptr.dtype().is(indices.dtype()), "indptr and indices must have one dtype");
    const Eigen::Index outer = row_major ? rows : cols;
    require(indptr.ndim() == 1 && indptr.shape(0) == outer + 1, "indptr does not match the shape");
    const auto* values = static_cast<const double*>(data.data());
    auto go = [&](auto tag) -> decltype(auto) {
        using I = decltype(tag);
        require((indptr.flags() & py::array::c_style) && (indices.flags() & py::array::c_style),
                "indices must be contiguous");
        const auto* ptr = static_cast<const I*>(indptr.data());
        const auto* idx = static_cast<const I*>(indices.data());
        const Eigen::Index nnz = static_cast<Eigen::Index>(ptr[outer]);
        require(nnz <= indices.shape(0) && nnz <= data.shape(0), "indptr points past the stored entries");
        if (row_major)
            return f(sketch::SparseMap<Eigen::RowMajor, I>(rows, cols, nnz, ptr, idx, values));
        return f(sketch::SparseMap<Eigen::ColMajor, I>(rows, cols, nnz, ptr, idx, values));
    };
    if (indptr.dtype().is(py::dtype::of<std::int32_t>())) return go(std::int32_t{});
    require(indptr.dtype().is(py::dtype::of<std::int64_t>()), "indices must be int32 or int64");
    return go(std::int64_t{});
}

// A LinearOperator whose products are Python callables (float64 vectors in
// and out), called with the GIL re-acquired.
class PythonOperator final : public sketch::LinearOperator {
public:
    // op: anything with matvec, rmatvec and shape (fastls.linalg's real system).
    explicit PythonOperator(const py::object& op)
        : matvec_(op.attr("matvec")), rmatvec_(op.attr("rmatvec")) {
        std::tie(rows_, cols_) = op.attr("shape").cast<std::pair<Eigen::Index, Eigen::Index>>();
    }
    Eigen::Index rows() const override { return rows_; }
    Eigen::Index cols() const override { return cols_; }
    void matvec(const Eigen::VectorXd& x, Eigen::VectorXd& y) const override { call(matvec_, x, y, rows_); }
    void rmatvec(const Eigen::VectorXd& y, Eigen::VectorXd& x) const override { call(rmatvec_, y, x, cols_); }

private:
    static void call(const py::object& f, const Eigen::VectorXd& in, Eigen::VectorXd& out, Eigen::Index len) {
        py::gil_scoped_acquire gil;
        auto r = py::array_t<double, py::array::forcecast | py::array::c_style>::ensure(f(in));
        require(r && r.ndim() == 1 && r.shape(0) == len, "an operator product returned the wrong shape");
        out = Eigen::Map<const Eigen::VectorXd>(r.data(), len);
    }
    py::object matvec_, rmatvec_;
    Eigen::Index rows_, cols_;
};

sketch::SolveResult solve_operator(const sketch::LinearOperator& A, const Eigen::MatrixXd& SA,
                                   const Eigen::MatrixXd& SB, const Eigen::Ref<const Eigen::MatrixXd>& B,
                                   const sketch::SolveOptions& options) {
    return without_gil([&] {
        return options.wide ? sketch::solve_wide(options, A, SA, B) : sketch::solve(options, A, SA, SB, B);
    });
}

}  // namespace

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
        .def_readwrite("rcond", &sketch::SolveOptions::rcond, "< 0: eps * max(n, d)")
        .def_readwrite("refine", &sketch::SolveOptions::refine,
                       "dense precondition: two CG refinement steps (backward stable); false: LSQR from x0")
        .def_readwrite("wide", &sketch::SolveOptions::wide,
                       "sparse/operator A: SA is S A^T, minimum-norm solution");
    using R = sketch::SolveResult;
    py::class_<R>(m, "SolveResult", "What sketch.solve (and fastls._cuda.solve) return.")
        .def_property_readonly("x", copy_of(&R::x), "d x k")
        .def_property_readonly("residual_norms", copy_of(&R::residual_norms), "||b - A x|| per column, on A (empty after refine: check x with dense.residual_product)")
        .def_property_readonly("sketched_residual_norms", copy_of(&R::sketched_residual_norms),
                               "||S(b - A x0)|| per column")
        .def_property_readonly("covariance_diag", copy_of(&R::covariance_diag),
                               "diag(P P^T) (sketch-and-solve; empty with precondition)")
        .def_property_readonly("singular_values", copy_of(&R::singular_values), "of S A")
        .def_property_readonly("right_singular_vectors", copy_of(&R::right_singular_vectors),
                               "V of S A = U diag(singular_values) V^T (d x d)")
        .def_property_readonly("null_basis", copy_of(&R::null_basis), "right null vectors of S A")
        .def_readonly("rank", &R::rank)
        .def_readonly("istop", &R::istop, "LstsqStatus per column (precondition only)")
        .def_readonly("nit", &R::nit, "LSQR iterations per column");

    m.def(
        "kw_backward_error", &sketch::kw_backward_error, py::arg("s"), py::arg("V"), py::arg("ATR"),
        py::arg("rnorms"), py::arg("xnorms"),
        "Karlson-Walden backward-error estimate per column from the sketch's SVD (s, V) and A^T R.");

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
        "apply_sparse",
        [](const py::object& A, const sketch::Spec& spec, bool transpose) {
            Eigen::MatrixXd SA;
            visit_sparse(A, transpose, [&](const auto& Am) {
                without_gil([&] { sketch::apply(spec, Am, SA); });
            });
            return SA;
        },
        py::arg("A"), py::arg("spec"), py::arg("transpose") = false,
        "S A (or S A^T) for a canonical SciPy CSR or CSC A (float64), read in place.");

    m.def(
        "explicit_rows",
        [](Eigen::Index n, Eigen::Index first, Eigen::Index count, const sketch::Spec& spec) {
            return without_gil([&] { return sketch::explicit_rows(spec, n, first, count); });
        },
        py::arg("n"), py::arg("first"), py::arg("count"), py::arg("spec"),
        "Rows [first, first + count) of S.");

    m.def(
        "solve_sparse",
        [](const py::object& A, const Eigen::MatrixXd& SA, const Eigen::MatrixXd& SB,
           const Eigen::Ref<const Eigen::MatrixXd>& B, const sketch::SolveOptions& options) {
            return visit_sparse(A, false, [&](const auto& Am) {
                const sketch::SparseOperator<std::decay_t<decltype(Am)>> op(Am);
                return solve_operator(op, SA, SB, B, options);
            });
        },
        py::arg("A"), py::arg("SA"), py::arg("SB"), py::arg("B").noconvert(), py::arg("options"),
        "sketch.solve for a canonical SciPy CSR/CSC A from its sketch SA = S A, SB = S B; "
        "options.wide: SA = S A^T, minimum norm.");

    m.def(
        "solve_operator",
        [](const py::object& A, const Eigen::MatrixXd& SA, const Eigen::MatrixXd& SB,
           const Eigen::Ref<const Eigen::MatrixXd>& B, const sketch::SolveOptions& options) {
            const PythonOperator op(A);
            return solve_operator(op, SA, SB, B, options);
        },
        py::arg("A"), py::arg("SA"), py::arg("SB"), py::arg("B").noconvert(), py::arg("options"),
        "As solve_sparse for A given by matvec(x) -> A x, rmatvec(y) -> A^T y and shape (float64).");

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
