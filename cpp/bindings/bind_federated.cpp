#include <memory>
#include <optional>
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

// One client for an external server loop (e.g. on a distributed worker):
// factorized once, then start() / update() per round. Heap parts keep the
// addresses the LocalOperator and Client refer to stable.
struct LocalClient {
    std::unique_ptr<fed::ClientFactor> factor;
    std::unique_ptr<fed::LocalOperator> op;
    std::unique_ptr<fed::Client> client;

    LocalClient(const py::array& X, const VectorXd& y, const std::optional<VectorXd>& weights,
                double rho, fed::Algorithm algorithm) {
        const VectorXd w = weights.value_or(VectorXd());
        require(w.size() == 0 || w.size() == y.size(), "weights must match y");
        visit_matrix(X, "X", [&](const auto& m) {
            require(m.rows() == y.size(), "y must have one entry per row of X");
            factor = std::make_unique<fed::ClientFactor>(
                without_gil([&] { return fed::ClientFactor::from_data(m, y, w); }));
        });
        op = std::make_unique<fed::LocalOperator>(*factor, rho);
        client = std::make_unique<fed::Client>(*op, algorithm);
    }
};

}  // namespace

void bind_federated(py::module_& m) {
    py::native_enum<fed::Algorithm>(m, "Algorithm", "enum.Enum",
                                    "Federated algorithm (Python spells rerce_clu 'rerce-clu').")
        .value("admm", fed::Algorithm::Admm)
        .value("rerce", fed::Algorithm::Rerce)
        .value("rerce_clu", fed::Algorithm::RerceClu)
        .value("fedprox", fed::Algorithm::FedProx)
        .finalize();
    py::native_enum<fed::Link>(m, "Link", "enum.Enum", "What a random stream carries.")
        .value("schedule", fed::Link::Schedule)
        .value("downlink", fed::Link::Downlink)
        .value("uplink", fed::Link::Uplink)
        .finalize();

    py::class_<fed::Settings>(m, "Settings", "One run's settings (see fastls/federated/simulation.hpp).")
        .def(py::init<>())
        .def_readwrite("algorithm", &fed::Settings::algorithm)
        .def_readwrite("rho", &fed::Settings::rho, "the clients' penalty")
        .def_readwrite("clients_per_round", &fed::Settings::clients_per_round, "M in [1, K]")
        .def_readwrite("uplink_std", &fed::Settings::uplink_std, "standard deviation of the uplink noise")
        .def_readwrite("downlink_std", &fed::Settings::downlink_std)
        .def_readwrite("n_rounds", &fed::Settings::n_rounds, "round 0 included")
        .def_readwrite("seed", &fed::Settings::seed);

    // Fresh arrays (copies), as the public results hand them on.
    py::class_<fed::RunResult>(m, "RunResult", "What one federated run gives back.")
        .def_property_readonly("w", [](const fed::RunResult& r) { return r.w; }, "global model")
        .def_property_readonly("local_models", [](const fed::RunResult& r) { return r.local_models; }, "K x L")
        .def_property_readonly("nmsd", [](const fed::RunResult& r) { return r.nmsd; },
                               "per-round local NMSD, linear (NaN without a reference, inf once diverged)")
        .def_property_readonly("global_nmsd", [](const fed::RunResult& r) { return r.global_nmsd; })
        .def_readonly("rounds", &fed::RunResult::rounds)
        .def_readonly("diverged", &fed::RunResult::diverged)
        .def_readonly("uplinks", &fed::RunResult::uplinks)
        .def_readonly("downlinks", &fed::RunResult::downlinks);

    py::class_<LocalClient>(m, "LocalClient",
        "One federated client: factorized once; start() at round 0, update() when scheduled.")
        .def(py::init<const py::array&, const VectorXd&, const std::optional<VectorXd>&, double,
                      fed::Algorithm>(),
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
            const auto ops = fed::operators(b.factors, rho);
            MatrixXd out(ops.empty() ? 0 : ops[0].dim(), Eigen::Index(ops.size()));
            for (std::size_t k = 0; k < ops.size(); ++k) out.col(Eigen::Index(k)) = ops[k].w_breve;
            return out;
        }, py::arg("rho"), "w̆_k = 2 (2 G_k + rho I)^{-1} h_k as columns (L x K)");

    py::class_<fed::Server>(m, "Server",
        "The federated server loop for clients held elsewhere. Per round: clients = begin_round(); "
        "each client k uploads (round 0: its start(), later: its update(downlink(k), round)) "
        "through receive(k, upload), in that order; end_round(); with a reference, "
        "record_local(sum_k ||w_k - ref||^2).")
        .def(py::init([](long K, long L, const fed::Settings& s, double initial_scale,
                         const std::optional<VectorXd>& reference, std::uint64_t run) {
                 return fed::Server(K, L, s, run, initial_scale, reference.value_or(VectorXd()));
             }),
             py::arg("n_clients"), py::arg("n_features"), py::arg("settings"),
             py::arg("initial_scale"), py::arg("reference") = py::none(), py::arg("run") = 0,
             "initial_scale: max_k ||w̆_k|| (the divergence test's yardstick)")
        .def("begin_round", [](fed::Server& s) {
            const auto& k = s.begin_round();
            return std::vector<long>(k.begin(), k.end());
        }, "opens the next round; the clients that upload in it, in order")
        .def("downlink", [](fed::Server& s, long k) { return VectorXd(s.downlink(k)); },
             py::arg("k"), "the message client k receives (downlink noise added); rounds >= 1")
        .def("receive", &fed::Server::receive,
             py::arg("k"), py::arg("upload"), "client k's upload (uplink noise added here)")
        .def("end_round", &fed::Server::end_round,
             "aggregates and runs the divergence test")
        .def("record_local", &fed::Server::record_local,
             py::arg("squared_error_sum"), "local NMSD of the round just ended")
        .def("result", &fed::Server::result,
             py::arg("local_models"), "the run so far as a RunResult; local_models K x L")
        .def_property_readonly("finished", &fed::Server::finished)
        .def_property_readonly("diverged", &fed::Server::diverged)
        .def_property_readonly("rounds_done", &fed::Server::rounds_done)
        .def_property_readonly("global_model", [](const fed::Server& s) { return s.global_model(); });

    m.def(
        "run",
        [](const Bank& bank, const fed::Settings& s, const std::optional<VectorXd>& reference,
           const py::object& callback) {
            const auto ops = fed::operators(bank.factors, s.rho);
            fed::Simulation sim(ops, s, 0, reference.value_or(VectorXd()));
            fed::RoundCallback on_round;
            if (!callback.is_none()) {
                on_round = [&callback](long round, const fed::Simulation& sm) {
                    MatrixXd local;
                    sm.local_models(local);
                    py::gil_scoped_acquire gil;
                    const py::object stop = callback(round, VectorXd(sm.server().global_model()),
                                                     MatrixXd(local.transpose()));
                    return py::bool_(stop).cast<bool>();
                };
            }
            without_gil([&] { fed::run_to_end(sim, on_round); });
            return sim.result();
        },
        py::arg("bank"), py::arg("settings"), py::arg("reference") = py::none(),
        py::arg("callback") = py::none(),
        "One federated run (run id 0) with in-process clients; callback(round, w, local K x L) "
        "-> True stops. Returns a RunResult.");

    m.def(
        "monte_carlo",
        [](const Bank& bank, const fed::Settings& s, std::uint64_t first_run, long n_runs,
           const VectorXd& reference) -> py::tuple {
            auto c = without_gil([&] { return fed::monte_carlo(bank.factors, s, first_run, n_runs, reference); });
            return py::make_tuple(std::move(c.nmsd), std::move(c.global_nmsd));  // moved, not copied
        },
        py::arg("bank"), py::arg("settings"), py::arg("first_run"), py::arg("n_runs"),
        py::arg("reference"),
        "Independent runs in parallel threads: per-run (local, global) NMSD, n_runs x n_rounds, linear.");

    // The simulator's random draws, for reference implementations and tests.
    m.def(
        "normals",
        [](std::uint64_t seed, std::uint64_t run, fed::Link link, const std::vector<long>& clients,
           const std::vector<long>& rounds, long L) {
            require(clients.size() == rounds.size(), "clients and rounds must have equal length");
            require(link != fed::Link::Schedule, "link must be downlink or uplink");
            fastls::RowMatrixXd out = fastls::RowMatrixXd::Zero(Eigen::Index(clients.size()), L);
            for (std::size_t i = 0; i < clients.size(); ++i)
                fed::Stream(seed, run, link, std::uint32_t(clients[i]), std::uint32_t(rounds[i]))
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
