// fastls._core.sbl: Kronecker matvec, the structured E-step and the native
// EM loop of (Kronecker) sparse Bayesian learning, for float64 and complex128.
// Factor lists are copied into Eigen matrices (small: Σ m_i n_i entries); the
// long vectors (x, y) are viewed without copies.

#include "common.hpp"
#include "families.hpp"
#include "fastls/sbl/kron_sbl.hpp"

namespace fastls::glue {
namespace {

using Eigen::VectorXd;

// The result structs hold Vec<S>, so each scalar gets its own class names
// (suffix "" for float64, "Complex" for complex128).
template <class S>
void bind_scalar(py::module_& m, const std::string& suffix) {
    using Mats = std::vector<sbl::Mat<S>>;
    using VecRef = Eigen::Ref<const sbl::Vec<S>>;
    using EStep = sbl::EStep<S>;
    using Fit = sbl::Fit<S>;

    py::class_<EStep>(m, ("EStep" + suffix).c_str(), "What the structured E-step returns.")
        .def_readonly("mu", &EStep::mu, "posterior mean (kept entries, C order)")
        .def_readonly("diag", &EStep::diag, "diag Σ")
        .def_readonly("cost", &EStep::cost, "log det Σ_y + y^H Σ_y^{-1} y")
        .def_readonly("trace", &EStep::trace, "Σ_j (1 − Σ_jj / γ_j)")
        .def_readonly("dof", &EStep::dof, "M − trace, the noise's degrees of freedom");
    py::class_<Fit>(m, ("Fit" + suffix).c_str(), "What the EM loop returns (see fastls/sbl/kron_sbl.hpp).")
        .def_readonly("x", &Fit::x, "length N, zero off the support")
        .def_property_readonly(
            "gamma_factors", [](const Fit& f) { return f.gamma; },
            "per factor, full length n_i, zeros where pruned (fresh arrays)")
        .def_readonly("noise_var", &Fit::noise_var)
        .def_readonly("dof", &Fit::dof, "M − Σ_j w_j at the final E-step")
        .def_readonly("residual_norm", &Fit::residual_norm, "||y − H x|| for the returned x")
        .def_readonly("nit", &Fit::nit)
        .def_readonly("converged", &Fit::converged)
        .def_property_readonly(
            "cost", [](const Fit& f) { return py::array(py::cast(f.cost)); },
            "type-II cost at each iteration's E-step");

    m.def(
        "kron_matvec",
        [](const Mats& A, const VecRef& x, bool adjoint) {
            return without_gil([&] { return sbl::kron_matvec<S>(A, x, adjoint); });
        },
        py::arg("factors"), py::arg("x").noconvert(), py::arg("adjoint"),
        "(A_1 ⊗ ... ⊗ A_I) x (or the adjoint) without forming the product.");
    m.def(
        "estep",
        [](const Mats& H, const std::vector<VectorXd>& g, const VecRef& y, double noise_var) {
            return without_gil([&] { return sbl::estep<S>(H, g, y, noise_var); });
        },
        py::arg("factors"), py::arg("gamma_factors"), py::arg("y").noconvert(), py::arg("noise_var"),
        "Structured E-step. Returns an EStep.");
    m.def(
        "kron_sbl",
        [](const Mats& H, const VecRef& y, const sbl::Options& opt) {
            return without_gil([&] { return sbl::kron_sbl<S>(H, y, opt); });
        },
        py::arg("factors"), py::arg("y").noconvert(), py::arg("options"),
        "EM loop of Kronecker SBL. Returns a Fit.");
}

}  // namespace

void bind_sbl(py::module_& m) {
    py::native_enum<sbl::Method>(m, "Method", "enum.Enum", "M-step of the EM loop.")
        .value("svd", sbl::Method::svd)
        .value("am", sbl::Method::am)
        .value("pc", sbl::Method::pc)
        .finalize();
    // Bound in the order the public error messages list them.
    py::native_enum<sbl::Update>(m, "Update", "enum.Enum", "Fixed-point form of the γ and σ² updates.")
        .value("mackay", sbl::Update::mackay)
        .value("em", sbl::Update::em)
        .finalize();
    using sbl::Options;
    py::class_<Options>(m, "Options", "Options of the EM loop (see fastls/sbl/kron_sbl.hpp).")
        .def(py::init<>())
        .def_readwrite("method", &Options::method)
        .def_readwrite("max_iter", &Options::max_iter)
        .def_readwrite("tol", &Options::tol, "stop: ||Δγ|| < tol ||γ|| (and σ² settled when learned)")
        .def_readwrite("prune_rel", &Options::prune_rel, "per factor (empty: none)")
        .def_readwrite("prune_abs", &Options::prune_abs)
        .def_readwrite("learn_noise", &Options::learn_noise)
        .def_readwrite("noise_update", &Options::noise_update)
        .def_readwrite("gamma_update", &Options::gamma_update)
        .def_readwrite("noise_var", &Options::noise_var, "known σ², or the initial one when learning")
        .def_readwrite("noise_floor", &Options::noise_floor)
        .def_readwrite("inner_tol", &Options::inner_tol, "am/pc sweeps: ||Δγ|| <= inner_tol ||γ||")
        .def_readwrite("inner_max_sweeps", &Options::inner_max_sweeps)
        .def_readwrite("block", &Options::block, "pc: factors with pattern coupling")
        .def_readwrite("beta", &Options::beta, "pc: coupling strength")
        .def_readwrite("eps", &Options::eps, "pc: offset of the effective factors")
        .def_readwrite("prune_snr", &Options::prune_snr, "one factor: evidence-based pruning (0: off)");

    bind_scalar<double>(m, "");
    bind_scalar<sbl::cdouble>(m, "Complex");
    m.def(
        "svd_project",
        [](const VectorXd& d, const std::vector<Eigen::Index>& shape) {
            return sbl::svd_project(d, shape);
        },
        py::arg("d"), py::arg("shape"), "Sequential rank-one (SVD-KroSBL) projection of d.");
    m.def(
        "am_project",
        [](const VectorXd& d, std::vector<VectorXd> g, const Options& opt) {
            require(opt.method != sbl::Method::pc, "am_project runs plain AM sweeps: method must not be pc");
            sbl::am_project(d, g, {}, opt);
            return g;
        },
        py::arg("d"), py::arg("gamma_factors"), py::arg("options"),
        "AM-KroSBL M-step sweeps on the factors, starting from gamma_factors "
        "(options.inner_tol and options.inner_max_sweeps).");
    m.def(
        "nnls", [](const Eigen::MatrixXd& C, const VectorXd& t) { return sbl::nnls(C, t); },
        py::arg("C"), py::arg("t"), "min ||C x - t|| subject to x >= 0 (Lawson-Hanson).");
}

}  // namespace fastls::glue
