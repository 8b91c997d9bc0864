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

template <class S>
void bind_scalar(py::module_& m) {
    using Mats = std::vector<sbl::Mat<S>>;
    using VecRef = Eigen::Ref<const sbl::Vec<S>>;

    m.def(
        "kron_matvec",
        [](const Mats& A, const VecRef& x, bool adjoint) {
            return without_gil([&] { return sbl::kron_matvec<S>(A, x, adjoint); });
        },
        py::arg("factors"), py::arg("x").noconvert(), py::arg("adjoint"),
        "(A_1 ⊗ ... ⊗ A_I) x (or the adjoint) without forming the product.");

    m.def(
        "estep",
        [](const Mats& H, const std::vector<VectorXd>& g, const VecRef& y, double noise_var) -> py::tuple {
            auto e = without_gil([&] { return sbl::estep<S>(H, g, y, noise_var); });
            return py::make_tuple(std::move(e.mu), std::move(e.diag), e.cost, e.trace);
        },
        py::arg("factors"), py::arg("gamma_factors"), py::arg("y").noconvert(), py::arg("noise_var"),
        "Structured E-step. Returns (mu, diag_sigma, cost, trace).");

    m.def(
        "kron_sbl",
        [](const Mats& H, const VecRef& y, const std::string& method, int max_iter, double tol,
           std::vector<double> prune_rel, double prune_abs, bool learn_noise, double noise_var,
           double noise_floor, double inner_tol, int inner_max_sweeps, std::vector<bool> block,
           double beta, double eps, double prune_snr, const std::string& noise_update,
           const std::string& gamma_update) -> py::tuple {
            sbl::Options opt;
            require(method == "svd" || method == "am" || method == "pc", "unknown method " + method);
            opt.method = method == "svd" ? sbl::Method::svd : method == "am" ? sbl::Method::am : sbl::Method::pc;
            opt.max_iter = max_iter;
            opt.tol = tol;
            opt.prune_rel = std::move(prune_rel);
            opt.prune_abs = prune_abs;
            opt.learn_noise = learn_noise;
            opt.noise_var = noise_var;
            opt.noise_floor = noise_floor;
            opt.inner_tol = inner_tol;
            opt.inner_max_sweeps = inner_max_sweeps;
            opt.block = std::move(block);
            opt.beta = beta;
            opt.eps = eps;
            opt.prune_snr = prune_snr;
            auto rule = [](const std::string& name, const char* what) {
                require(name == "em" || name == "mackay", std::string("unknown ") + what + " " + name);
                return name == "em" ? sbl::Update::em : sbl::Update::mackay;
            };
            opt.noise_update = rule(noise_update, "noise_update");
            opt.gamma_update = rule(gamma_update, "gamma_update");
            auto fit = without_gil([&] { return sbl::kron_sbl<S>(H, y, opt); });
            py::list gamma;
            for (auto& gi : fit.gamma) gamma.append(py::cast(std::move(gi)));
            VectorXd cost = Eigen::Map<const VectorXd>(fit.cost.data(), static_cast<Eigen::Index>(fit.cost.size()));
            return py::make_tuple(std::move(fit.x), gamma, fit.noise_var, fit.nit, fit.converged,
                                  std::move(cost), fit.dof);
        },
        py::arg("factors"), py::arg("y").noconvert(), py::arg("method"), py::arg("max_iter"),
        py::arg("tol"), py::arg("prune_rel"), py::arg("prune_abs"), py::arg("learn_noise"),
        py::arg("noise_var"), py::arg("noise_floor"), py::arg("inner_tol"),
        py::arg("inner_max_sweeps"), py::arg("block"), py::arg("beta"), py::arg("eps"),
        py::arg("prune_snr") = 0.0, py::arg("noise_update") = "em", py::arg("gamma_update") = "em",
        "EM loop of Kronecker SBL. Returns (x, gamma_factors, noise_var, nit, converged, cost, noise_dof).");
}

}  // namespace

void bind_sbl(py::module_& m) {
    bind_scalar<double>(m);
    bind_scalar<sbl::cdouble>(m);
    m.def(
        "svd_project",
        [](const VectorXd& d, const std::vector<Eigen::Index>& shape) {
            return sbl::svd_project(d, shape);
        },
        py::arg("d"), py::arg("shape"), "Sequential rank-one (SVD-KroSBL) projection of d.");
    m.def(
        "am_project",
        [](const VectorXd& d, std::vector<VectorXd> g, double inner_tol, int inner_max_sweeps) {
            sbl::Options opt;
            opt.method = sbl::Method::am;
            opt.inner_tol = inner_tol;
            opt.inner_max_sweeps = inner_max_sweeps;
            sbl::am_project(d, g, {}, opt);
            return g;
        },
        py::arg("d"), py::arg("gamma_factors"), py::arg("inner_tol"), py::arg("inner_max_sweeps"),
        "AM-KroSBL M-step sweeps on the factors, starting from gamma_factors.");
    m.def(
        "nnls", [](const Eigen::MatrixXd& C, const VectorXd& t) { return sbl::nnls(C, t); },
        py::arg("C"), py::arg("t"), "min ||C x - t|| subject to x >= 0 (Lawson-Hanson).");
}

}  // namespace fastls::glue
