// Standalone memory/UB check of the federated kernels (no Python):
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined -fopenmp \
//       -I cpp/include -I <eigen3 include dir> benchmarks/federated_sanitize.cpp \
//       cpp/src/federated/*.cpp cpp/src/common/interrupt.cpp -o /tmp/fed_san && /tmp/fed_san
// Runs every algorithm with noise and partial participation (ragged clients,
// n_k < L and n_k > L), a Monte Carlo batch, and checks run 0 of the batch
// equals a single run, and that a Server stepped from outside with its own
// Clients (as the Dask path does) equals the Simulation.
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "fastls/federated/simulation.hpp"

using namespace fastls::federated;

int main() {
    std::mt19937_64 gen(1);
    std::normal_distribution<double> nd;
    const Index L = 9;
    std::vector<ClientFactor> factors;
    for (Index n : {4, 12, 7, 20, 9}) {
        Eigen::MatrixXd X(n, L);
        Eigen::VectorXd y(n), w(n);
        for (Index i = 0; i < n; ++i) {
            y[i] = nd(gen);
            w[i] = 1.0 + 0.1 * i;
            for (Index j = 0; j < L; ++j) X(i, j) = nd(gen);
        }
        factors.push_back(ClientFactor::from_data(X, y, w));
    }
    const std::vector<LocalOperator> ops = operators(factors, 0.7);
    const Eigen::VectorXd ref = Eigen::VectorXd::Ones(L);
    int failures = 0;
    for (int a = 0; a < 4; ++a) {
        Settings s;
        s.algorithm = Algorithm(a);
        s.clients_per_round = 2;
        s.uplink_std = s.downlink_std = 0.1;
        s.rho = 0.7;
        s.n_rounds = 60;
        s.seed = 42;
        Simulation sim(ops, s, 0, ref);
        run_to_end(sim, nullptr);
        const RunResult res = sim.result();
        const Eigen::MatrixXd mc = monte_carlo(factors, s, 0, 70, ref).nmsd;
        const double diff = (mc.row(0).transpose() - res.nmsd).cwiseAbs().maxCoeff();
        // The same run from outside: a Server and separately held Clients.
        double scale = 0;
        for (const auto& op : ops) scale = std::max(scale, op.w_breve.norm());
        Server server(Index(ops.size()), L, s, 0, scale, Eigen::VectorXd());
        std::vector<Client> clients;
        for (const auto& op : ops) clients.emplace_back(op, s.algorithm);
        while (!server.finished()) {
            const long r = server.rounds_done();
            const std::vector<Index> ks = server.begin_round();
            if (r == 0) {
                for (auto& c : clients) c.start();
                for (Index k : ks) server.receive(k, clients[std::size_t(k)].start());
            } else {
                for (Index k : ks) server.receive(k, clients[std::size_t(k)].update(server.downlink(k), r));
            }
            server.end_round();
        }
        const double stepped = (server.global_model() - res.w).cwiseAbs().maxCoeff();
        std::printf("algorithm %d: nmsd[end] %.3e, |MC run 0 - run| %.1e, |stepped - run| %.1e, "
                    "local finite %d\n", a, res.nmsd[s.n_rounds - 1], diff, stepped,
                    int(res.local_models.allFinite()));
        failures += !(diff == 0.0 && stepped == 0.0 && res.local_models.allFinite() &&
                      server.uplinks() == res.uplinks && server.downlinks() == res.downlinks);
    }
    return failures;
}
