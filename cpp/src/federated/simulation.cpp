#include "fastls/federated/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "fastls/common/error.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/federated/philox.hpp"

namespace fastls::federated {

void schedule(std::uint64_t seed, std::uint64_t run, long round, Index K, Index M,
              std::vector<Index>& out) {
    out.resize(std::size_t(K));
    std::iota(out.begin(), out.end(), Index(0));
    if (M < K) {
        const Stream st(seed, run, Link::Schedule, 0, std::uint32_t(round));
        for (Index i = 0; i < M; ++i) {
            const auto j = i + Index(st.below(std::uint32_t(i), std::uint64_t(K - i)));
            std::swap(out[std::size_t(i)], out[std::size_t(j)]);
        }
    }
    out.resize(std::size_t(M));
}

// ------------------------------------------------------------------ Server

namespace {
// require() for the per-message calls: no std::string built unless it fails.
inline void check(bool ok, const char* what) {
    if (!ok) throw InvalidArgument(what);
}
}  // namespace

Server::Server(Index K, Index L, const Settings& s, std::uint64_t run, double initial_scale,
               const VectorXd& reference)
    : s_(s), run_(run), K_(K), L_(L), ref_(reference) {
    require(K_ > 0, "at least one client is required");
    require(s.clients_per_round >= 1 && s.clients_per_round <= K_,
            "clients_per_round must be in [1, number of clients]");
    require(s.n_rounds >= 1, "n_rounds must be >= 1");
    require(s.uplink_std >= 0 && s.downlink_std >= 0, "noise variances must be >= 0");
    require(ref_.size() == 0 || ref_.size() == L_, "w_true must have one entry per feature");
    blowup_ = 1e100 * (1.0 + std::max(0.0, initial_scale));
    if (stale_store()) store_.setZero(L_, K_);
    sum_.setZero(L_);
    global_.setZero(L_);    // w^(0) before round 0
    previous_.setZero(L_);  // w^(-1) = 0
    nmsd_.setConstant(s.n_rounds, std::numeric_limits<double>::quiet_NaN());
    gnmsd_ = nmsd_;
    if (ref_.size()) ref_sq_ = ref_.squaredNorm();
}

bool Server::stale_store() const {
    return s_.algorithm == Algorithm::Admm || s_.algorithm == Algorithm::RerceClu;
}

const std::vector<Index>& Server::begin_round() {
    check(!finished(), "the run is finished");
    check(!open_, "end_round() must close the open round first");
    const long r = round_;
    if (r == 0) {
        schedule(s_.seed, run_, 0, K_, stale_store() ? K_ : s_.clients_per_round, sched_);
        std::sort(sched_.begin(), sched_.end());  // the server store starts full
    } else {
        // Downlink message: RERCE extrapolates at the server, the others send
        // the aggregate itself.
        if (s_.algorithm == Algorithm::Rerce) message_ = 2.0 * global_ - previous_;
        else message_ = global_;
        schedule(s_.seed, run_, r, K_, s_.clients_per_round, sched_);
    }
    sum_.setZero();
    received_count_ = 0;
    open_ = true;
    return sched_;
}

const VectorXd& Server::downlink(Index k) {
    check(open_ && round_ > 0, "downlink messages exist in rounds >= 1 only");
    received_ = message_;
    if (s_.downlink_std > 0)
        Stream(s_.seed, run_, Link::Downlink, std::uint32_t(k), std::uint32_t(round_))
            .add_normal(received_, L_, s_.downlink_std);
    ++downlinks_;
    return received_;
}

// The server receives up + zeta and keeps it in its store (stale-store
// algorithms) or in this round's sum, in schedule order (the sum's rounding).
void Server::receive(Index k, const VectorXd& up) {
    check(open_ && received_count_ < sched_.size() && sched_[received_count_] == k,
            "uploads must come from the round's clients, in begin_round() order");
    check(up.size() == L_, "an upload must have one entry per feature");
    up_ = up;
    if (s_.uplink_std > 0)
        Stream(s_.seed, run_, Link::Uplink, std::uint32_t(k), std::uint32_t(round_))
            .add_normal(up_, L_, s_.uplink_std);
    if (stale_store()) store_.col(k) = up_;
    else sum_ += up_;
    ++received_count_;
    ++uplinks_;
}

void Server::end_round() {
    check(open_ && received_count_ == sched_.size(), "every scheduled client must upload first");
    open_ = false;
    if (stale_store()) {
        global_ = store_.rowwise().sum() / double(K_);
    } else {
        previous_ = global_;
        global_ = sum_ / double(s_.clients_per_round);
    }
    const long r = round_++;
    if (!global_.allFinite() || global_.norm() > blowup_) {
        diverged_ = true;
        nmsd_.tail(s_.n_rounds - r).setConstant(std::numeric_limits<double>::infinity());
        gnmsd_.tail(s_.n_rounds - r).setConstant(std::numeric_limits<double>::infinity());
        return;
    }
    if (ref_.size()) gnmsd_[r] = (global_ - ref_).squaredNorm() / ref_sq_;
}

void Server::record_local(double squared_error_sum) {
    check(ref_.size() && round_ > 0 && !open_, "record_local needs a reference and a finished round");
    if (!diverged_) nmsd_[round_ - 1] = squared_error_sum / (double(K_) * ref_sq_);
}

RunResult Server::result(MatrixXd local_models) const {
    require(local_models.rows() == K_ && local_models.cols() == L_, "local models must be K x L");
    RunResult out;
    out.w = global_;
    out.local_models = std::move(local_models);
    out.nmsd = nmsd_.head(round_);
    out.global_nmsd = gnmsd_.head(round_);
    out.rounds = round_;
    out.diverged = diverged_;
    out.uplinks = uplinks_;
    out.downlinks = downlinks_;
    return out;
}

// -------------------------------------------------------------- Simulation

std::vector<LocalOperator> operators(const std::vector<ClientFactor>& factors, double rho) {
    std::vector<LocalOperator> ops;
    ops.reserve(factors.size());
    for (const auto& f : factors) ops.emplace_back(f, rho);
    return ops;
}

namespace {
double initial_scale(const std::vector<LocalOperator>& ops) {
    double scale = 0.0;
    for (const auto& op : ops) scale = std::max(scale, op.w_breve.norm());
    return scale;
}
}  // namespace

Simulation::Simulation(const std::vector<LocalOperator>& ops, const Settings& s,
                       std::uint64_t run, const VectorXd& reference)
    : ops_(ops),
      server_(Index(ops.size()), ops.empty() ? 0 : ops[0].dim(), s, run, initial_scale(ops),
              reference) {
    clients_.reserve(ops.size());
    for (const auto& op : ops) {
        require(op.dim() == ops[0].dim(), "all clients must have the same number of features");
        clients_.emplace_back(op, s.algorithm);
    }
    if (reference.size()) err_.assign(ops.size(), 0.0);
}

void Simulation::step() {
    if (finished()) return;
    const long r = server_.rounds_done();
    const auto& sched = server_.begin_round();
    if (r == 0) {
        // Every client starts; the scheduled ones (ascending) upload.
        std::size_t i = 0;
        for (Index k = 0; k < Index(clients_.size()); ++k) {
            const VectorXd& up = clients_[std::size_t(k)].start();
            if (i < sched.size() && sched[i] == k) server_.receive(sched[i++], up);
        }
    } else {
        for (Index k : sched)
            server_.receive(k, clients_[std::size_t(k)].update(server_.downlink(k), r));
    }
    server_.end_round();
    if (!server_.diverged() && server_.reference().size()) record();
}

// NMSD of the round just run. Non-CLU clients change only when scheduled; an
// idle CLU client's error ||(g - ref) + V q||^2, q = t^m .* c, is advanced in
// O(r) eigen-coordinates without materialising the client's model.
void Simulation::record() {
    const long r = server_.rounds_done() - 1;
    const auto& sched = server_.scheduled();
    const VectorXd& ref = server_.reference();
    const Index K = Index(clients_.size());
    VectorXd w(ref.size());
    if (server_.settings().algorithm != Algorithm::RerceClu) {
        if (r == 0) {
            for (Index k = 0; k < K; ++k) {
                clients_[std::size_t(k)].local_model(r, w);
                err_[std::size_t(k)] = (w - ref).squaredNorm();
            }
        } else {
            for (Index k : sched) {
                clients_[std::size_t(k)].local_model(r, w);
                err_[std::size_t(k)] = (w - ref).squaredNorm();
            }
        }
    } else {
        if (r == 0) {
            const double ref_sq = ref.squaredNorm();
            clu_a_.resize(std::size_t(K));
            clu_q_.resize(std::size_t(K));
            clu_perp_.resize(std::size_t(K));
            for (Index k = 0; k < K; ++k) {
                const Client& c = clients_[std::size_t(k)];
                clu_a_[std::size_t(k)].noalias() = -(c.op().factor->V.transpose() * ref);
                clu_perp_[std::size_t(k)] = std::max(0.0, ref_sq - clu_a_[std::size_t(k)].squaredNorm());
                clu_q_[std::size_t(k)] = c.c();
            }
        } else {
            for (Index k = 0; k < K; ++k) clu_q_[std::size_t(k)].array() *= ops_[std::size_t(k)].t.array();
            for (Index k : sched) {
                const Client& c = clients_[std::size_t(k)];
                VectorXd& a = clu_a_[std::size_t(k)];
                a -= c.g_shift();  // V^T (g_new - ref) = V^T (g_old - ref) - V^T (g_old - g_new)
                clu_perp_[std::size_t(k)] = std::max(0.0, (c.g() - ref).squaredNorm() - a.squaredNorm());
                clu_q_[std::size_t(k)] = c.c();
            }
        }
        for (Index k = 0; k < K; ++k)
            err_[std::size_t(k)] = clu_perp_[std::size_t(k)] +
                                   (clu_a_[std::size_t(k)] + clu_q_[std::size_t(k)]).squaredNorm();
    }
    server_.record_local(std::accumulate(err_.begin(), err_.end(), 0.0));
}

void Simulation::local_models(MatrixXd& out) const {
    const Index K = Index(clients_.size());
    out.resize(K ? ops_[0].dim() : 0, K);
    VectorXd w;
    const long r = std::max(0L, server_.rounds_done() - 1);
    for (Index k = 0; k < K; ++k) {
        clients_[std::size_t(k)].local_model(r, w);
        out.col(k) = w;
    }
}

RunResult Simulation::result() const {
    MatrixXd local;
    local_models(local);
    return server_.result(local.transpose());
}

void run_to_end(Simulation& sim, const RoundCallback& on_round) {
    while (!sim.finished()) {
        sim.step();
        if (on_round && on_round(sim.server().rounds_done() - 1, sim)) break;
        check_interrupt();
    }
}

Curves monte_carlo(const std::vector<ClientFactor>& factors, const Settings& s,
                   std::uint64_t first_run, long n_runs, const VectorXd& reference) {
    require(n_runs >= 1, "n_runs must be >= 1");
    require(reference.size() > 0, "monte_carlo needs a reference model");
    const auto ops = operators(factors, s.rho);
    Curves out{MatrixXd(n_runs, s.n_rounds), MatrixXd(n_runs, s.n_rounds)};
    // Batches bound the memory; rounds advance in chunks so that Ctrl-C is
    // checked from this thread between parallel regions.
    const long batch = 64, chunk = 8;
    for (long b0 = 0; b0 < n_runs; b0 += batch) {
        const long nb = std::min(batch, n_runs - b0);
        std::vector<std::unique_ptr<Simulation>> sims;
        for (long i = 0; i < nb; ++i)
            sims.push_back(std::make_unique<Simulation>(ops, s, first_run + std::uint64_t(b0 + i), reference));
        for (long r0 = 0; r0 < s.n_rounds; r0 += chunk) {
#pragma omp parallel for schedule(dynamic, 1)
            for (long i = 0; i < nb; ++i)
                for (long j = 0; j < chunk; ++j) sims[std::size_t(i)]->step();
            check_interrupt();
        }
        for (long i = 0; i < nb; ++i) {
            out.nmsd.row(b0 + i) = sims[std::size_t(i)]->server().nmsd().transpose();
            out.global_nmsd.row(b0 + i) = sims[std::size_t(i)]->server().global_nmsd().transpose();
        }
    }
    return out;
}

}  // namespace fastls::federated
