// fastls._core.krylov: the one LSQR (fastls/krylov/lsqr.hpp), driven from Python
// where the long vectors live outside this process (fastls.distributed: Dask
// chunks). The range object's methods are called with the GIL re-acquired; the
// d x d preconditioner R^{-1} is applied here.
#include <Eigen/Core>

#include "common.hpp"
#include "families.hpp"
#include "fastls/krylov/lsqr.hpp"

namespace fastls::glue {
namespace {

using Eigen::VectorXd;

// A R^{-1} for krylov::lsqr: u is a Python object with norm(), scale(a),
// apply_update(xhat, alpha) (u = A xhat - alpha u) and apply_t() (-> A^T u).
struct PythonRangeOp {
    using Range = py::object;
    const Eigen::Ref<const Eigen::MatrixXd>& R;

    Eigen::Index cols() const { return R.cols(); }
    double norm(const py::object& u) const {
        py::gil_scoped_acquire gil;
        return u.attr("norm")().cast<double>();
    }
    void scale(py::object& u, double a) const {
        py::gil_scoped_acquire gil;
        u.attr("scale")(a);
    }
    void apply_update(const VectorXd& v, double alpha, py::object& u) const {
        VectorXd xhat = R.triangularView<Eigen::Upper>().solve(v);
        py::gil_scoped_acquire gil;
        u.attr("apply_update")(std::move(xhat), alpha);
    }
    void apply_t(const py::object& u, VectorXd& out) const {
        VectorXd w;
        {
            py::gil_scoped_acquire gil;
            w = u.attr("apply_t")().cast<VectorXd>();
        }
        out = R.transpose().triangularView<Eigen::Lower>().solve(w);
    }
};

}  // namespace

void bind_krylov(py::module_& m) {
    using krylov::Stop;
    // The public fastls.LstsqStatus: defined once, here, with SciPy's lsqr istop
    // values, so every path (dense, sketched, Dask) reports the same codes.
    py::native_enum<Stop>(m, "LstsqStatus", "enum.IntEnum",
                          "Why lstsq stopped. Iterative codes follow scipy.sparse.linalg.lsqr's istop.")
        .value("SOLVED", Stop::Solved, "direct factorization, or x = 0 is exact")
        .value("CONSISTENT", Stop::Consistent, "A x = b to within tol")
        .value("CONVERGED", Stop::Converged, "normal equations satisfied to within tol")
        .value("ILL_CONDITIONED", Stop::IllConditioned,
               "condition estimate of the preconditioned system too large")
        .value("MAX_ITER", Stop::MaxIter, "iteration limit reached before tol")
        .finalize();
    py::class_<krylov::LsqrOptions>(m, "LsqrOptions", "SciPy's lsqr stopping parameters.")
        .def(py::init<>())
        .def_readwrite("atol", &krylov::LsqrOptions::atol)
        .def_readwrite("btol", &krylov::LsqrOptions::btol)
        .def_readwrite("conlim", &krylov::LsqrOptions::conlim)
        .def_readwrite("maxiter", &krylov::LsqrOptions::maxiter);
    using R = krylov::LsqrResult;
    py::class_<R>(m, "LsqrResult", "What lsqr returns (estimates of the preconditioned system).")
        .def_property_readonly("x", copy_of(&R::x), "y of min ||A R^-1 y - u0||")
        .def_readonly("istop", &R::istop)
        .def_readonly("nit", &R::nit)
        .def_readonly("rnorm", &R::rnorm)
        .def_readonly("arnorm", &R::arnorm)
        .def_readonly("anorm", &R::anorm)
        .def_readonly("acond", &R::acond);

    m.def(
        "lsqr",
        [](py::object u, const Eigen::Ref<const Eigen::MatrixXd>& R, const krylov::LsqrOptions& options) {
            require(R.rows() == R.cols(), "R must be square");
            const PythonRangeOp op{R};
            return without_gil([&] { return krylov::lsqr(op, u, options); });
        },
        py::arg("u"), py::arg("R"), py::arg("options"),
        "LSQR on min ||A R^-1 y - u|| (R upper triangular); u is the range object described in "
        "bind_krylov.cpp, holding the right-hand side on entry.");
}

}  // namespace fastls::glue
