// The federated server loop: random scheduling, noisy links, aggregation and
// the NMSD metric, for one run (Simulation) or many in parallel (monte_carlo).
//
// Randomness comes from counter-based Philox streams keyed by (seed, run, link,
// client, round), so a run's draws do not depend on thread count or on which
// other runs share a batch.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "fastls/federated/client.hpp"

namespace fastls::federated {

struct Settings {
    Algorithm algorithm = Algorithm::RerceClu;
    Index clients_per_round = 0;  // M in [1, K]
    double uplink_std = 0.0;      // standard deviations of the link noise
    double downlink_std = 0.0;
    long n_iter = 500;            // rounds, round 0 (initialisation) included
    std::uint64_t seed = 0;
};

// Scheduling of round `round`: M distinct clients of K, uniformly without
// replacement (partial Fisher-Yates on the schedule stream); all K when M == K.
void schedule(std::uint64_t seed, std::uint64_t run, long round, Index K, Index M,
              std::vector<Index>& out);

// One run. The clients' LocalOperators must outlive it.
class Simulation {
public:
    // reference: the model the NMSD is measured against (size L), or empty.
    Simulation(const std::vector<LocalOperator>& ops, const Settings& s, std::uint64_t run,
               const VectorXd& reference);

    // Runs the next round (round 0 first); a no-op once finished().
    void step();
    // n_iter rounds done, or the run diverged (the global model left every
    // sane range: non-finite or 1e100 times the initial estimates).
    bool finished() const { return diverged_ || round_ >= s_.n_iter; }

    long rounds_done() const { return round_; }
    bool diverged() const { return diverged_; }
    const VectorXd& global_model() const { return global_; }
    void local_models(MatrixXd& out) const;  // L x K
    // Per-round local / global NMSD (linear; NaN where not run, +inf after divergence).
    const VectorXd& nmsd() const { return nmsd_; }
    const VectorXd& global_nmsd() const { return gnmsd_; }
    long uplinks() const { return uplinks_; }
    long downlinks() const { return downlinks_; }

private:
    bool stale_store() const;
    void upload(Index k, const VectorXd& up, long round);
    void aggregate();
    void record();

    const std::vector<LocalOperator>& ops_;
    Settings s_;
    std::uint64_t run_;
    Index K_, L_;
    std::vector<Client> clients_;
    std::vector<Index> sched_;
    MatrixXd store_;          // L x K, latest uplinks (ADMM, CLU)
    VectorXd sum_, global_, previous_, message_, received_, up_;
    long round_ = 0;
    bool diverged_ = false;
    double blowup_;
    long uplinks_ = 0, downlinks_ = 0;
    // metric
    VectorXd ref_;
    double ref_sq_ = 0.0;
    std::vector<double> err_;            // ||w_k - ref||^2 (ADMM, RERCE, FedProx)
    std::vector<VectorXd> clu_a_, clu_q_;  // CLU: V^T (g - ref) and t^m .* c
    std::vector<double> clu_perp_;       // CLU: ||(I - V V^T)(g - ref)||^2
    VectorXd nmsd_, gnmsd_;
};

// A whole run; `on_round(round, sim)` (optional) runs after every round and
// returns true to stop early. Checks for Ctrl-C every round.
using RoundCallback = std::function<bool(long, const Simulation&)>;
void run_to_end(Simulation& sim, const RoundCallback& on_round);

// n_runs independent runs (run ids first_run, first_run + 1, ...) in parallel
// OpenMP threads. Returns the per-run local NMSD (n_runs x n_iter, linear);
// each row depends only on its run id, never on the thread count.
MatrixXd monte_carlo(const std::vector<LocalOperator>& ops, const Settings& s,
                     std::uint64_t first_run, long n_runs, const VectorXd& reference,
                     MatrixXd* global_nmsd = nullptr);

}  // namespace fastls::federated
