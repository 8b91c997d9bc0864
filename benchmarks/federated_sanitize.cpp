// Standalone memory/UB check of the federated kernels (no Python):
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined -fopenmp \
//       -I cpp/include -I <eigen3 include dir> benchmarks/federated_sanitize.cpp \
//       cpp/src/federated/*.cpp cpp/src/common/interrupt.cpp -o /tmp/fed_san && /tmp/fed_san
// Runs every algorithm with noise and partial participation (ragged clients,
// n_k < L and n_k > L), a Monte Carlo batch, and checks run 0 of the batch
// equals a single run.
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
    std::vector<LocalOperator> ops;
    for (const auto& f : factors) ops.emplace_back(f, 0.7);
    const Eigen::VectorXd ref = Eigen::VectorXd::Ones(L);
    int failures = 0;
    for (int a = 0; a < 4; ++a) {
        Settings s;
        s.algorithm = Algorithm(a);
        s.clients_per_round = 2;
        s.uplink_std = s.downlink_std = 0.1;
        s.n_iter = 60;
        s.seed = 42;
        Simulation sim(ops, s, 0, ref);
        run_to_end(sim, nullptr);
        Eigen::MatrixXd local;
        sim.local_models(local);
        const Eigen::MatrixXd mc = monte_carlo(ops, s, 0, 70, ref);
        const double diff = (mc.row(0).transpose() - sim.nmsd()).cwiseAbs().maxCoeff();
        std::printf("algorithm %d: nmsd[end] %.3e, |MC run 0 - run| %.1e, local finite %d\n", a,
                    sim.nmsd()[s.n_iter - 1], diff, int(local.allFinite()));
        failures += !(diff == 0.0 && local.allFinite());
    }
    return failures;
}
