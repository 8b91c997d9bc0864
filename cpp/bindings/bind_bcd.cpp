// fastls._core.bcd: greedy block coordinate descent, its graph blocks and the
// working-set Lasso. Python validates everything first; arrays arrive as
// float64 (F-contiguous dense) or as CSC triplets with int64 indices.
#include <map>
#include <string>

#include "common.hpp"
#include "families.hpp"
#include "fastls/bcd/graph.hpp"
#include "fastls/bcd/lasso.hpp"
#include "fastls/bcd/minimize.hpp"

namespace fastls::glue {
namespace {

using namespace fastls::bcd;
using IntArray = py::array_t<std::int64_t, py::array::c_style>;
using Vec = Eigen::Ref<const Eigen::VectorXd>;

// (data, indices, indptr, rows, cols) -> a no-copy CSC view; the caller keeps the arrays alive.
CscMap csc_view(const py::tuple& t) {
    require(t.size() == 5, "CSC matrix must be (data, indices, indptr, rows, cols)");
    auto data = t[0].cast<py::array_t<double, py::array::c_style>>();
    auto indices = t[1].cast<IntArray>();
    auto indptr = t[2].cast<IntArray>();
    const auto rows = t[3].cast<Index>(), cols = t[4].cast<Index>();
    require(indptr.size() == cols + 1 && indices.size() == data.size(), "malformed CSC matrix");
    return CscMap(rows, cols, data.size(), indptr.data(), indices.data(), data.data());
}

std::shared_ptr<const Design> design(const py::object& A) {
    if (py::isinstance<py::tuple>(A)) return std::make_shared<DesignOf<SparseCols>>(SparseCols{csc_view(A)});
    auto arr = A.cast<py::array>();
    require(arr.ndim() == 2 && is_float64(arr) && (arr.flags() & py::array::f_style),
            "A must be a 2-D F-contiguous float64 array");
    return std::make_shared<DesignOf<DenseCols>>(
        DenseCols{Eigen::Map<const MatrixXd>(static_cast<const double*>(arr.data()), arr.shape(0), arr.shape(1))});
}

std::vector<Block> blocks_from(const IntArray& indptr, const IntArray& indices) {
    std::vector<Block> out;
    const auto* p = indptr.data();
    for (py::ssize_t k = 0; k + 1 < indptr.size(); ++k) out.emplace_back(indices.data() + p[k], indices.data() + p[k + 1]);
    return out;
}

py::tuple blocks_to(const std::vector<Block>& blocks) {
    std::vector<std::int64_t> indptr{0}, indices;
    for (const Block& b : blocks) {
        indices.insert(indices.end(), b.begin(), b.end());
        indptr.push_back(std::int64_t(indices.size()));
    }
    return py::make_tuple(py::array(py::cast(indptr)), py::array(py::cast(indices)));
}

const std::map<std::string, Rule> kRules = {
    {"cyclic", Rule::Cyclic}, {"random", Rule::Random}, {"lipschitz", Rule::Lipschitz},
    {"gs", Rule::GS}, {"gsl", Rule::GSL}, {"gsd", Rule::GSD}, {"gsq", Rule::GSQ},
    {"gs-q", Rule::GSq}, {"gsl-q", Rule::GSLq}, {"gs-r", Rule::GSr}, {"gsl-r", Rule::GSLr}};
const std::map<std::string, Update> kUpdates = {
    {"gradient", Update::Gradient}, {"matrix", Update::Matrix}, {"newton", Update::Newton},
    {"prox-gradient", Update::ProxGradient}, {"prox-newton", Update::ProxNewton},
    {"message-passing", Update::MessagePassing}};

template <class M>
auto lookup(const M& table, const std::string& key, const char* what) {
    auto it = table.find(key);
    require(it != table.end(), std::string("unknown ") + what + ": " + key);
    return it->second;
}

}  // namespace

void bind_bcd(py::module_& m) {
    m.def(
        "minimize",
        [](const std::string& kind, const py::object& A, const Eigen::VectorXd& target,
           const Eigen::VectorXi& labels, int n_classes, double l2, double scale, const std::string& rule,
           const std::string& update, const IntArray& block_ptr, const IntArray& block_idx,
           Index block_size, bool forest, double alpha, Index maxiter, double tol, py::object f_opt,
           std::uint64_t seed, bool record_blocks, py::object callback) -> py::tuple {
            Options o;
            o.rule = lookup(kRules, rule, "rule");
            o.update = lookup(kUpdates, update, "update");
            o.blocks = blocks_from(block_ptr, block_idx);
            o.block_size = block_size;
            o.forest_blocks = forest;
            o.alpha = alpha;
            o.maxiter = maxiter;
            o.tol = tol;
            if (!f_opt.is_none()) o.f_opt = f_opt.cast<double>();
            o.seed = seed;
            o.record_blocks = record_blocks;
            if (!callback.is_none())
                o.callback = [callback](Index k, const Eigen::VectorXd& x, double F) {
                    py::gil_scoped_acquire gil;
                    return bool(py::bool_(callback(k, Eigen::VectorXd(x), F)));
                };
            std::unique_ptr<Smooth> f;
            std::optional<CscMap> graph;
            if (kind == "quadratic") {
                graph = csc_view(A.cast<py::tuple>());
                o.graph = &*graph;
                f = make_quadratic(*graph, target);
            } else {
                auto D = design(A);
                if (kind == "least_squares") f = make_least_squares(D, target, scale);
                else if (kind == "logistic") f = make_logistic(D, target, l2);
                else if (kind == "softmax") f = make_softmax(D, labels, n_classes, l2);
                else throw InvalidArgument("unknown problem kind: " + kind);
            }
            Outcome out = without_gil([&] { return fastls::bcd::minimize(*f, o); });
            return py::make_tuple(std::move(out.x), py::array(py::cast(out.history)), out.nit, out.converged,
                                  out.stopped, out.optimality, blocks_to(out.blocks));
        },
        py::arg("kind"), py::arg("A"), py::arg("target"), py::arg("labels"), py::arg("n_classes"),
        py::arg("l2"), py::arg("scale"), py::arg("rule"), py::arg("update"), py::arg("block_ptr"),
        py::arg("block_idx"), py::arg("block_size"), py::arg("forest"), py::arg("alpha"),
        py::arg("maxiter"), py::arg("tol"), py::arg("f_opt"), py::arg("seed"), py::arg("record_blocks"),
        py::arg("callback"),
        "Greedy BCD loop. Returns (x, history, nit, converged, stopped, optimality, (block_ptr, block_idx)).");

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
        .def_readonly("n_outer", &LassoOutcome::n_outer)
        .def_readonly("n_epochs", &LassoOutcome::n_epochs)
        .def_readonly("converged", &LassoOutcome::converged)
        .def_property_readonly("gaps", [](const LassoOutcome& o) { return py::array(py::cast(o.gaps)); });

    m.def(
        "lasso",
        [](const py::object& A, const Eigen::VectorXd& b, Eigen::VectorXd x0, const LassoOptions& o) {
            if (py::isinstance<py::tuple>(A)) {
                SparseCols S{csc_view(A.cast<py::tuple>())};
                return without_gil([&] { return fastls::bcd::lasso(S, b, std::move(x0), o); });
            }
            auto arr = A.cast<py::array>();
            require(arr.ndim() == 2 && is_float64(arr) && (arr.flags() & py::array::f_style),
                    "A must be a 2-D F-contiguous float64 array");
            DenseCols D{Eigen::Map<const MatrixXd>(static_cast<const double*>(arr.data()), arr.shape(0), arr.shape(1))};
            return without_gil([&] { return fastls::bcd::lasso(D, b, std::move(x0), o); });
        },
        py::arg("A"), py::arg("b"), py::arg("x0"), py::arg("options"),
        "Working-set Lasso (A dense F-ordered float64 or a CSC tuple). Returns a LassoOutcome.");

    m.def("forest_solve",
          [](const py::tuple& M, const IntArray& block, const Eigen::VectorXd& rhs) {
              CscMap G = csc_view(M);
              Block b(block.data(), block.data() + block.size());
              require(Index(b.size()) == rhs.size(), "rhs must have one entry per block index");
              for (Index v : b) require(v >= 0 && v < G.cols(), "block index out of range");
              return without_gil([&] { return forest_solve(G, b, rhs); });
          },
          py::arg("M"), py::arg("block"), py::arg("rhs"), "Solve M[b, b] d = rhs on a forest block.");
    m.def("forest_partition",
          [](const py::tuple& M, const IntArray& order) -> py::tuple {
              CscMap G = csc_view(M);
              return blocks_to(forest_partition(G, Block(order.data(), order.data() + order.size())));
          },
          py::arg("M"), py::arg("order"));
    m.def("greedy_coloring",
          [](const py::tuple& M, const IntArray& order) -> py::tuple {
              CscMap G = csc_view(M);
              return blocks_to(greedy_coloring(G, Block(order.data(), order.data() + order.size())));
          },
          py::arg("M"), py::arg("order"));
    m.def("grow_forest",
          [](const py::tuple& M, const IntArray& order) {
              CscMap G = csc_view(M);
              Block b = grow_forest(G, Block(order.data(), order.data() + order.size()));
              return py::array(py::cast(std::vector<std::int64_t>(b.begin(), b.end())));
          },
          py::arg("M"), py::arg("order"));
}

}  // namespace fastls::glue
