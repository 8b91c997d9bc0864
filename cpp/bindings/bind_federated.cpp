#include <memory>
#include <vector>

#include "common.hpp"
#include "families.hpp"
#include "fastls/federated/client.hpp"
#include "fastls/federated/philox.hpp"
#include "fastls/federated/simulation.hpp"

namespace fastls::glue {

namespace fed = fastls::federated;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// The factorized clients of one problem (rho-free), shared by every solve.
struct Bank {
    std::vector<fed::ClientFactor> factors;

    std::vector<fed::LocalOperator> operators(double rho) const {
        std::vector<fed::LocalOperator> ops;
        ops.reserve(factors.size());
        for (const auto& f : factors) ops.emplace_back(f, rho);
        return ops;
    }
};

std::shared_ptr<Bank> make_bank(const py::list& X, const py::list& y, const py::list& weights) {
    const auto K = X.size();
    require(K > 0 && y.size() == K && weights.size() == K, "X, y, weights: one entry per client");
    // Views and small vector copies under the GIL; the SVDs without it, one
    // client per thread (each factorization is independent, so the result
    // does not depend on the thread count).
    struct View {
        const double* data;
        Eigen::Index rows, cols;
        bool c_order;
        VectorXd y, w;
    };
    std::vector<View> views(K);
    for (std::size_t k = 0; k < K; ++k) {
        const py::array Xk = X[k];
        View& v = views[k];
        visit_matrix(Xk, "X", [&](const auto& m) {  // checks 2-D float64 contiguous
            v.data = m.data();
            v.rows = m.rows();
            v.cols = m.cols();
            v.c_order = bool(Xk.flags() & py::array::c_style);
        });
        v.y = y[k].cast<VectorXd>();
        if (!weights[k].is_none()) v.w = weights[k].cast<VectorXd>();
    }
    auto bank = std::make_shared<Bank>();
    bank->factors.resize(K);
    without_gil([&] {
        bool failed = false;
#pragma omp parallel for schedule(dynamic, 1)
        for (long k = 0; k < long(K); ++k) {
            const View& v = views[std::size_t(k)];
            try {
                bank->factors[std::size_t(k)] =
                    v.c_order ? fed::ClientFactor::from_data(
                                    Eigen::Map<const fastls::RowMatrixXd>(v.data, v.rows, v.cols), v.y, v.w)
                              : fed::ClientFactor::from_data(
                                    Eigen::Map<const MatrixXd>(v.data, v.rows, v.cols), v.y, v.w);
            } catch (...) {
#pragma omp atomic write
                failed = true;
            }
        }
        if (failed) throw LinAlgError("factorization of a client's design failed");
    });
    return bank;
}

fed::Settings settings(int algorithm, long M, double up_std, double down_std, long n_iter,
                       std::uint64_t seed) {
    require(algorithm >= 0 && algorithm <= 3, "unknown algorithm");
    fed::Settings s;
    s.algorithm = fed::Algorithm(algorithm);
    s.clients_per_round = M;
    s.uplink_std = up_std;
    s.downlink_std = down_std;
    s.n_iter = n_iter;
    s.seed = seed;
    return s;
}

VectorXd reference_or_empty(const py::object& ref) {
    return ref.is_none() ? VectorXd() : ref.cast<VectorXd>();
}

// One client for an external server loop (e.g. on a distributed worker):
// factorized once, then start() / update() per round. Heap parts keep the
// addresses the LocalOperator and Client refer to stable.
struct LocalClient {
    std::unique_ptr<fed::ClientFactor> factor;
    std::unique_ptr<fed::LocalOperator> op;
    std::unique_ptr<fed::Client> client;

    LocalClient(const py::array& X, const VectorXd& y, const py::object& weights, double rho,
                int algorithm) {
        require(algorithm >= 0 && algorithm <= 3, "unknown algorithm");
        const VectorXd w = weights.is_none() ? VectorXd() : weights.cast<VectorXd>();
        require(w.size() == 0 || w.size() == y.size(), "weights must match y");
        visit_matrix(X, "X", [&](const auto& m) {
            require(m.rows() == y.size(), "y must have one entry per row of X");
            factor = std::make_unique<fed::ClientFactor>(
                without_gil([&] { return fed::ClientFactor::from_data(m, y, w); }));
        });
        op = std::make_unique<fed::LocalOperator>(*factor, rho);
        client = std::make_unique<fed::Client>(*op, fed::Algorithm(algorithm));
    }
};

}  // namespace

void bind_federated(py::module_& m) {
    py::class_<LocalClient>(m, "LocalClient",
        "One federated client: factorized once; start() at round 0, update() when scheduled.")
        .def(py::init<const py::array&, const VectorXd&, const py::object&, double, int>(),
             py::arg("X"), py::arg("y"), py::arg("weights"), py::arg("rho"), py::arg("algorithm"))
        .def("start", [](LocalClient& c) { return VectorXd(c.client->start()); })
        .def("update", [](LocalClient& c, const VectorXd& received, long round) {
            require(received.size() == c.op->dim(), "message must have one entry per feature");
            require(round >= 1 && round > c.client->last(), "round must increase, starting at 1");
            return VectorXd(c.client->update(received, round));
        }, py::arg("received"), py::arg("round"))
        .def("local_model", [](const LocalClient& c, long round) {
            require(round >= c.client->last(), "round must not precede the last update");
            VectorXd out;
            c.client->local_model(round, out);
            return out;
        }, py::arg("round"))
        .def_property_readonly("initial_estimate", [](const LocalClient& c) { return c.op->w_breve; });

    py::class_<Bank, std::shared_ptr<Bank>>(m, "Bank",
        "Factorized clients (thin SVD of each whitened design), reused for every rho.")
        .def(py::init(&make_bank), py::arg("X"), py::arg("y"), py::arg("weights"))
        .def_property_readonly("n_clients", [](const Bank& b) { return b.factors.size(); })
        .def("eigenvalues", [](const Bank& b, std::size_t k) { return b.factors.at(k).d; },
             "eigenvalues of G_k on range(V_k) (the squared singular values)")
        .def("initial_estimates", [](const Bank& b, double rho) {
            const auto ops = b.operators(rho);
            MatrixXd out(ops.empty() ? 0 : ops[0].dim(), Eigen::Index(ops.size()));
            for (std::size_t k = 0; k < ops.size(); ++k) out.col(Eigen::Index(k)) = ops[k].w_breve;
            return out;
        }, py::arg("rho"), "w̆_k = 2 (2 G_k + rho I)^{-1} h_k as columns (L x K)");

    m.def(
        "run",
        [](const Bank& bank, int algorithm, double rho, long M, double up_std, double down_std,
           long n_iter, std::uint64_t seed, const py::object& reference,
           const py::object& callback) -> py::tuple {
            const auto s = settings(algorithm, M, up_std, down_std, n_iter, seed);
            const VectorXd ref = reference_or_empty(reference);
            const auto ops = bank.operators(rho);
            fed::Simulation sim(ops, s, 0, ref);
            fed::RoundCallback on_round;
            if (!callback.is_none()) {
                on_round = [&callback](long round, const fed::Simulation& sm) {
                    MatrixXd local;
                    sm.local_models(local);
                    py::gil_scoped_acquire gil;
                    const py::object stop = callback(round, VectorXd(sm.global_model()),
                                                     MatrixXd(local.transpose()));
                    return py::bool_(stop).cast<bool>();
                };
            }
            without_gil([&] { fed::run_to_end(sim, on_round); });
            MatrixXd local;
            sim.local_models(local);
            return py::make_tuple(VectorXd(sim.global_model()), MatrixXd(local.transpose()),
                                  VectorXd(sim.nmsd()), VectorXd(sim.global_nmsd()),
                                  sim.rounds_done(), sim.diverged(), sim.uplinks(), sim.downlinks());
        },
        py::arg("bank"), py::arg("algorithm"), py::arg("rho"), py::arg("clients_per_round"),
        py::arg("uplink_std"), py::arg("downlink_std"), py::arg("n_iter"), py::arg("seed"),
        py::arg("reference"), py::arg("callback"),
        "One federated run. Returns (w, local K x L, nmsd, global_nmsd, rounds, diverged, "
        "uplinks, downlinks); NMSD linear, NaN without a reference.");

    m.def(
        "monte_carlo",
        [](const Bank& bank, int algorithm, double rho, long M, double up_std, double down_std,
           long n_iter, std::uint64_t seed, std::uint64_t first_run, long n_runs,
           const VectorXd& reference) -> py::tuple {
            const auto s = settings(algorithm, M, up_std, down_std, n_iter, seed);
            const auto ops = bank.operators(rho);
            MatrixXd local, global;
            without_gil([&] { local = fed::monte_carlo(ops, s, first_run, n_runs, reference, &global); });
            return py::make_tuple(std::move(local), std::move(global));
        },
        py::arg("bank"), py::arg("algorithm"), py::arg("rho"), py::arg("clients_per_round"),
        py::arg("uplink_std"), py::arg("downlink_std"), py::arg("n_iter"), py::arg("seed"),
        py::arg("first_run"), py::arg("n_runs"), py::arg("reference"),
        "Independent runs in parallel threads: per-run (local, global) NMSD, n_runs x n_iter.");

    // The simulator's random draws, for reference implementations and tests.
    m.def(
        "normals",
        [](std::uint64_t seed, std::uint64_t run, int link, const std::vector<long>& clients,
           const std::vector<long>& rounds, long L) {
            require(clients.size() == rounds.size(), "clients and rounds must have equal length");
            require(link == 1 || link == 2, "link must be 1 (downlink) or 2 (uplink)");
            fastls::RowMatrixXd out = fastls::RowMatrixXd::Zero(Eigen::Index(clients.size()), L);
            for (std::size_t i = 0; i < clients.size(); ++i)
                fed::Stream(seed, run, fed::Link(link), std::uint32_t(clients[i]), std::uint32_t(rounds[i]))
                    .add_normal(out.row(Eigen::Index(i)), L, 1.0);
            return out;
        },
        py::arg("seed"), py::arg("run"), py::arg("link"), py::arg("clients"), py::arg("rounds"),
        py::arg("L"), "standard normal link noise of (client, round) pairs, one row each");
    m.def(
        "schedule",
        [](std::uint64_t seed, std::uint64_t run, long round, long K, long M) {
            require(M >= 1 && M <= K, "M must be in [1, K]");
            std::vector<Eigen::Index> out;
            fed::schedule(seed, run, round, K, M, out);
            return std::vector<long>(out.begin(), out.end());
        },
        py::arg("seed"), py::arg("run"), py::arg("round"), py::arg("K"), py::arg("M"),
        "the clients scheduled in a round, in draw order");
}

}  // namespace fastls::glue
