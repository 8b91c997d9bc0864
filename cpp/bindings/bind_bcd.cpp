// fastls._core.bcd: greedy block coordinate descent, its graph blocks and the
// working-set Lasso. Python validates everything first; arrays arrive as
// float64 (F-contiguous dense) or as CSC triplets with int64 indices (int32 too for
// the Lasso).
#include <pybind11/functional.h>

#include <algorithm>

#include "common.hpp"
#include "families.hpp"
#include "fastls/bcd/graph.hpp"
#include "fastls/bcd/lasso.hpp"
#include "fastls/bcd/minimize.hpp"

namespace fastls::glue {
namespace {

using namespace fastls::bcd;
using IntArray = py::array_t<std::int64_t, py::array::c_style>;

// (data, indices, indptr, rows, cols) -> a no-copy CSC view with indices of type I
// (converted when they are not: a no-copy view needs I); the caller keeps the arrays alive.
template <class I>
CscMapOf<I> csc_view_of(const py::tuple& t) {
    using Ints = py::array_t<I, py::array::c_style>;
    require(t.size() == 5, "CSC matrix must be (data, indices, indptr, rows, cols)");
    auto data = t[0].cast<py::array_t<double, py::array::c_style>>();
    auto indices = t[1].cast<Ints>();
    auto indptr = t[2].cast<Ints>();
    const auto rows = t[3].cast<Index>(), cols = t[4].cast<Index>();
    require(indptr.size() == cols + 1 && indices.size() == data.size(), "malformed CSC matrix");
    return CscMapOf<I>(rows, cols, data.size(), indptr.data(), indices.data(), data.data());
}
CscMap csc_view(const py::tuple& t) { return csc_view_of<std::int64_t>(t); }

// True when both index arrays of a CSC tuple are int32 C-contiguous (scipy's default).
bool int32_indices(const py::tuple& t) {
    auto is32 = [](const py::handle& h) {
        if (!py::isinstance<py::array>(h)) return false;
        auto a = py::reinterpret_borrow<py::array>(h);
        return a.dtype().is(py::dtype::of<std::int32_t>()) && (a.flags() & py::array::c_style);
    };
    return t.size() == 5 && is32(t[1]) && is32(t[2]);
}

DenseCols dense_view(const py::object& A) {
    auto arr = A.cast<py::array>();
    require(arr.ndim() == 2 && is_float64(arr) && (arr.flags() & py::array::f_style),
            "A must be a 2-D F-contiguous float64 array");
    return DenseCols{Eigen::Map<const MatrixXd>(static_cast<const double*>(arr.data()), arr.shape(0), arr.shape(1))};
}

std::shared_ptr<const Design> design(const py::object& A) {
    if (py::isinstance<py::tuple>(A)) return std::make_shared<DesignOf<SparseCols>>(SparseCols{csc_view(A)});
    return std::make_shared<DesignOf<DenseCols>>(dense_view(A));
}

Block to_block(const IntArray& a) { return Block(a.data(), a.data() + a.size()); }

py::array_t<std::int64_t> to_array(const Block& b) {
    py::array_t<std::int64_t> out(py::ssize_t(b.size()));
    std::copy(b.begin(), b.end(), out.mutable_data());
    return out;
}

py::list to_arrays(const std::vector<Block>& blocks) {
    py::list out;
    for (const Block& b : blocks) out.append(to_array(b));
    return out;
}

Outcome run(std::unique_ptr<Smooth> f, const Options& o) {
    return without_gil([&] { return fastls::bcd::minimize(*f, o); });
}

}  // namespace

void bind_bcd(py::module_& m) {
    // Python derives its option strings from these names ('_' <-> '-').
    py::native_enum<Rule>(m, "Rule", "enum.Enum", "Block selection rule (note sections 3-4).")
        .value("cyclic", Rule::Cyclic)
        .value("random", Rule::Random)
        .value("lipschitz", Rule::Lipschitz)
        .value("gs", Rule::GS)
        .value("gsl", Rule::GSL)
        .value("gsd", Rule::GSD)
        .value("gsq", Rule::GSQ)
        .value("gs_q", Rule::GSq)
        .value("gsl_q", Rule::GSLq)
        .value("gs_r", Rule::GSr)
        .value("gsl_r", Rule::GSLr)
        .finalize();
    py::native_enum<Update>(m, "Update", "enum.Enum", "Block update (note section 5).")
        .value("gradient", Update::Gradient)
        .value("matrix", Update::Matrix)
        .value("newton", Update::Newton)
        .value("prox_gradient", Update::ProxGradient)
        .value("prox_newton", Update::ProxNewton)
        .value("message_passing", Update::MessagePassing)
        .finalize();

    py::class_<Options>(m, "Options", "Options of the greedy BCD loop (see fastls/bcd/minimize.hpp).")
        .def(py::init<>())
        .def_readwrite("rule", &Options::rule)
        .def_readwrite("update", &Options::update)
        .def_property(
            "blocks", [](const Options& o) { return to_arrays(o.blocks); },
            [](Options& o, const std::vector<IntArray>& blocks) {
                o.blocks.clear();
                for (const IntArray& b : blocks) o.blocks.push_back(to_block(b));
            },
            "fixed partition as a list of int64 index arrays; empty: variable blocks")
        .def_readwrite("block_size", &Options::block_size, "variable blocks: variables per iteration")
        .def_readwrite("forest_blocks", &Options::forest_blocks, "variable forest blocks (message passing)")
        .def_readwrite("alpha", &Options::alpha, "weight of the L1 term")
        .def_readwrite("maxiter", &Options::maxiter)
        .def_readwrite("tol", &Options::tol)
        .def_readwrite("f_opt", &Options::f_opt, "None: stop on optimality <= tol * initial; else on F - f_opt <= tol")
        .def_readwrite("seed", &Options::seed, "Philox key of the random rules")
        .def_readwrite("record_blocks", &Options::record_blocks)
        .def_property(
            "callback", [](const Options& o) { return o.callback; },
            [](Options& o, py::object cb) {  // truthiness of any return value, None included
                if (cb.is_none()) o.callback = nullptr;
                else o.callback = [cb](Index k, const Eigen::VectorXd& x, double F) {
                    py::gil_scoped_acquire gil;
                    return bool(py::bool_(cb(k, Eigen::VectorXd(x), F)));
                };
            },
            "callable(k, x, F) run with the GIL after every iteration; a true value stops the run");
    py::class_<Outcome>(m, "Outcome", "What the greedy BCD loop returns.")
        .def_property_readonly("x", [](const Outcome& o) -> Eigen::VectorXd { return o.x; }, "a copy the caller owns")
        .def_property_readonly("history", [](const Outcome& o) { return py::array(py::cast(o.history)); },
                               "F(x^k), k = 0..nit")
        .def_readonly("nit", &Outcome::nit)
        .def_readonly("converged", &Outcome::converged)
        .def_readonly("stopped", &Outcome::stopped, "by the callback")
        .def_readonly("optimality", &Outcome::optimality)
        .def_readonly("residual_norm", &Outcome::residual_norm, "||A x - b|| for least squares, else the optimality")
        .def_property_readonly("blocks", [](const Outcome& o) { return to_arrays(o.blocks); },
                               "the selected blocks (with record_blocks)");

    m.def(
        "least_squares",
        [](const py::object& A, const Eigen::VectorXd& b, double scale, const Options& o) {
            return run(make_least_squares(design(A), b, scale), o);
        },
        py::arg("A"), py::arg("b"), py::arg("scale"), py::arg("options"), "BCD on (scale/2) ||A x - b||^2 + alpha ||x||_1.");
    m.def(
        "logistic",
        [](const py::object& A, const Eigen::VectorXd& y, double l2, const Options& o) {
            return run(make_logistic(design(A), y, l2), o);
        },
        py::arg("A"), py::arg("y"), py::arg("l2"), py::arg("options"), "BCD on logistic loss (y in {-1, 1}) + l2/2 ||x||^2.");
    m.def(
        "softmax",
        [](const py::object& A, const Eigen::VectorXi& labels, int n_classes, double l2, const Options& o) {
            return run(make_softmax(design(A), labels, n_classes, l2), o);
        },
        py::arg("A"), py::arg("labels"), py::arg("n_classes"), py::arg("l2"), py::arg("options"),
        "BCD on multinomial logistic loss + l2/2 ||X||^2; x = X (p x n_classes) row by row.");
    m.def(
        "quadratic",
        [](const py::tuple& M, const Eigen::VectorXd& c, const Options& o) {
            return run(make_quadratic(csc_view(M), c), o);
        },
        py::arg("M"), py::arg("c"), py::arg("options"), "BCD on 1/2 x^T M x - c^T x, M a CSC tuple (label propagation).");

    py::class_<LassoOptions>(m, "LassoOptions", "Options of the working-set Lasso kernel (see fastls/bcd/lasso.hpp).")
        .def(py::init<>())
        .def_readwrite("alpha", &LassoOptions::alpha)
        .def_readwrite("tol", &LassoOptions::tol, "stop when gap <= tol * P(0)")
        .def_readwrite("max_outer", &LassoOptions::max_outer)
        .def_readwrite("max_epochs", &LassoOptions::max_epochs, "inner CD epochs + Newton steps, in total")
        .def_readwrite("ws_start", &LassoOptions::ws_start)
        .def_readwrite("anderson", &LassoOptions::anderson)
        .def_readwrite("intercept", &LassoOptions::intercept)
        .def_readwrite("positive", &LassoOptions::positive)
        .def_readwrite("intercept_col", &LassoOptions::intercept_col, "u (empty: all ones)");
    py::class_<LassoOutcome>(m, "LassoOutcome", "What the working-set Lasso kernel returns.")
        .def_readonly("x", &LassoOutcome::x)
        .def_readonly("intercept", &LassoOutcome::intercept)
        .def_readonly("gap", &LassoOutcome::gap, "duality gap in the objective's units")
        .def_readonly("rel_gap", &LassoOutcome::rel_gap, "gap / P(0) (0 when P(0) = 0)")
        .def_readonly("p0", &LassoOutcome::p0)
        .def_readonly("objective", &LassoOutcome::objective)
        .def_readonly("residual_norm", &LassoOutcome::residual_norm, "||b - A x - c u||")
        .def_readonly("n_outer", &LassoOutcome::n_outer)
        .def_readonly("n_epochs", &LassoOutcome::n_epochs)
        .def_readonly("converged", &LassoOutcome::converged)
        .def_property_readonly("gaps", [](const LassoOutcome& o) { return py::array(py::cast(o.gaps)); });

    m.def(
        "lasso",
        [](const py::object& A, const Eigen::Ref<const Eigen::VectorXd>& b, const py::object& x0,
           const LassoOptions& o) {
            // None: start at 0 (zeros written once here rather than copied from an array)
            auto start = [&](Index n) {
                return x0.is_none() ? Eigen::VectorXd::Zero(n).eval() : x0.cast<Eigen::VectorXd>();
            };
            if (py::isinstance<py::tuple>(A)) {
                const auto t = A.cast<py::tuple>();
                if (int32_indices(t)) {
                    SparseCols32 S{csc_view_of<std::int32_t>(t)};
                    auto x = start(S.cols());
                    return without_gil([&] { return fastls::bcd::lasso(S, b, std::move(x), o); });
                }
                SparseCols S{csc_view(t)};
                auto x = start(S.cols());
                return without_gil([&] { return fastls::bcd::lasso(S, b, std::move(x), o); });
            }
            DenseCols D = dense_view(A);
            auto x = start(D.cols());
            return without_gil([&] { return fastls::bcd::lasso(D, b, std::move(x), o); });
        },
        py::arg("A"), py::arg("b"), py::arg("x0").none(true), py::arg("options"),
        "Working-set Lasso (A dense F-ordered float64 or a CSC tuple, int32 or int64 indices; "
        "x0 None: start at 0). Returns a LassoOutcome.");

    m.def("forest_solve",
          [](const py::tuple& M, const IntArray& block, const Eigen::VectorXd& rhs) {
              CscMap G = csc_view(M);
              Block b = to_block(block);
              require(Index(b.size()) == rhs.size(), "rhs must have one entry per block index");
              for (Index v : b) require(v >= 0 && v < G.cols(), "block index out of range");
              return without_gil([&] { return forest_solve(G, b, rhs); });
          },
          py::arg("M"), py::arg("block"), py::arg("rhs"), "Solve M[b, b] d = rhs on a forest block.");
    m.def("forest_partition",
          [](const py::tuple& M, const IntArray& order) {
              return to_arrays(forest_partition(csc_view(M), to_block(order)));
          },
          py::arg("M"), py::arg("order"));
    m.def("greedy_coloring",
          [](const py::tuple& M, const IntArray& order) {
              return to_arrays(greedy_coloring(csc_view(M), to_block(order)));
          },
          py::arg("M"), py::arg("order"));
    m.def("grow_forest",
          [](const py::tuple& M, const IntArray& order) { return to_array(grow_forest(csc_view(M), to_block(order))); },
          py::arg("M"), py::arg("order"));
}

}  // namespace fastls::glue
