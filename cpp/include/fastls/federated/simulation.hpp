// The federated server loop: random scheduling, noisy links, aggregation,
// divergence test and the NMSD metric. Server is the loop itself, stepped by
// whoever holds the clients (Simulation: in-process Clients; the Dask path:
// actors on workers); monte_carlo runs many Simulations in parallel.
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
    double rho = 1.0;             // the clients' penalty (builds their LocalOperators)
    Index clients_per_round = 0;  // M in [1, K]
    double uplink_std = 0.0;      // standard deviations of the link noise
    double downlink_std = 0.0;
    long n_rounds = 500;          // round 0 (initialisation) included
    std::uint64_t seed = 0;
};

// What one run gives back.
struct RunResult {
    VectorXd w;                  // the global model after the last round
    MatrixXd local_models;       // K x L
    VectorXd nmsd, global_nmsd;  // per round run, linear (NaN without a reference, +inf once diverged)
    long rounds = 0;
    bool diverged = false;
    long uplinks = 0, downlinks = 0;
};

// Scheduling of round `round`: M distinct clients of K, uniformly without
// replacement (partial Fisher-Yates on the schedule stream); all K when M == K.
void schedule(std::uint64_t seed, std::uint64_t run, long round, Index K, Index M,
              std::vector<Index>& out);

// The server of one run, driven round by round:
//   ks = begin_round();
//   for k in ks: receive(k, client k's upload)   (round 0: its start();
//                later: its update(downlink(k), round))
//   end_round();  then, with a reference, record_local(sum_k ||w_k - ref||^2).
class Server {
public:
    // initial_scale: max_k ||w̆_k||, the yardstick of the divergence test;
    // reference: the model the NMSD is measured against (size L), or empty.
    Server(Index K, Index L, const Settings& s, std::uint64_t run, double initial_scale,
           const VectorXd& reference);

    // Opens round rounds_done(); returns the clients that upload in it, in the
    // order receive() takes them. Round 0: every client starts (computes w̆)
    // and these upload (all K under a stale store, else the M scheduled, in
    // ascending order); later: the M scheduled, in draw order.
    const std::vector<Index>& begin_round();
    // Round >= 1: the message client k receives (downlink noise added).
    const VectorXd& downlink(Index k);
    // Client k's upload (uplink noise is added here).
    void receive(Index k, const VectorXd& up);
    // Aggregates the round's uploads and runs the divergence test.
    void end_round();
    // The local NMSD of the round just ended, from the clients' summed
    // squared errors (the clients hold the local models).
    void record_local(double squared_error_sum);

    // n_rounds rounds done, or the run diverged (the global model left every
    // sane range: non-finite or 1e100 times the initial estimates).
    bool finished() const { return diverged_ || round_ >= s_.n_rounds; }
    long rounds_done() const { return round_; }
    bool diverged() const { return diverged_; }
    const Settings& settings() const { return s_; }
    const VectorXd& global_model() const { return global_; }
    const VectorXd& reference() const { return ref_; }
    // The clients of the current (or last) round, as begin_round() gave them.
    const std::vector<Index>& scheduled() const { return sched_; }
    const VectorXd& nmsd() const { return nmsd_; }
    const VectorXd& global_nmsd() const { return gnmsd_; }
    long uplinks() const { return uplinks_; }
    long downlinks() const { return downlinks_; }
    // The run so far, with the clients' local models (K x L).
    RunResult result(MatrixXd local_models) const;

private:
    bool stale_store() const;

    Settings s_;
    std::uint64_t run_;
    Index K_, L_;
    std::vector<Index> sched_;
    std::size_t received_count_ = 0;
    bool open_ = false;
    MatrixXd store_;  // L x K, latest uplinks (ADMM, CLU)
    VectorXd sum_, global_, previous_, message_, received_, up_;
    long round_ = 0;
    bool diverged_ = false;
    double blowup_;
    long uplinks_ = 0, downlinks_ = 0;
    VectorXd ref_;
    double ref_sq_ = 0.0;
    VectorXd nmsd_, gnmsd_;
};

// The clients' rho-dependent operators (they refer to `factors`).
std::vector<LocalOperator> operators(const std::vector<ClientFactor>& factors, double rho);

// One run with in-process clients. The LocalOperators must outlive it.
class Simulation {
public:
    Simulation(const std::vector<LocalOperator>& ops, const Settings& s, std::uint64_t run,
               const VectorXd& reference);

    // Runs the next round (round 0 first); a no-op once finished().
    void step();
    bool finished() const { return server_.finished(); }
    const Server& server() const { return server_; }
    void local_models(MatrixXd& out) const;  // L x K
    RunResult result() const;

private:
    void record();

    const std::vector<LocalOperator>& ops_;
    Server server_;
    std::vector<Client> clients_;
    // metric
    std::vector<double> err_;              // ||w_k - ref||^2 (ADMM, RERCE, FedProx)
    std::vector<VectorXd> clu_a_, clu_q_;  // CLU: V^T (g - ref) and t^m .* c
    std::vector<double> clu_perp_;         // CLU: ||(I - V V^T)(g - ref)||^2
};

// A whole run; `on_round(round, sim)` (optional) runs after every round and
// returns true to stop early. Checks for Ctrl-C every round.
using RoundCallback = std::function<bool(long, const Simulation&)>;
void run_to_end(Simulation& sim, const RoundCallback& on_round);

// Per-run NMSD curves of a Monte Carlo study (n_runs x n_rounds, linear).
struct Curves {
    MatrixXd nmsd, global_nmsd;
};

// n_runs independent runs (run ids first_run, first_run + 1, ...) in parallel
// OpenMP threads; each row depends only on its run id, never on the thread count.
Curves monte_carlo(const std::vector<ClientFactor>& factors, const Settings& s,
                   std::uint64_t first_run, long n_runs, const VectorXd& reference);

}  // namespace fastls::federated
