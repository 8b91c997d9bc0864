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

Simulation::Simulation(const std::vector<LocalOperator>& ops, const Settings& s,
                       std::uint64_t run, const VectorXd& reference)
    : ops_(ops), s_(s), run_(run), K_(Index(ops.size())), L_(ops.empty() ? 0 : ops[0].dim()),
      ref_(reference) {
    require(K_ > 0, "at least one client is required");
    require(s.clients_per_round >= 1 && s.clients_per_round <= K_,
            "clients_per_round must be in [1, number of clients]");
    require(s.n_iter >= 1, "n_iter must be >= 1");
    require(s.uplink_std >= 0 && s.downlink_std >= 0, "noise variances must be >= 0");
    require(ref_.size() == 0 || ref_.size() == L_, "w_true must have one entry per feature");
    clients_.reserve(std::size_t(K_));
    double scale = 1.0;
    for (const auto& op : ops) {
        require(op.dim() == L_, "all clients must have the same number of features");
        clients_.emplace_back(op, s.algorithm);
        scale = std::max(scale, 1.0 + op.w_breve.norm());
    }
    blowup_ = 1e100 * scale;
    if (stale_store()) store_.setZero(L_, K_);
    sum_.setZero(L_);
    global_.setZero(L_);
    previous_.setZero(L_);
    nmsd_.setConstant(s.n_iter, std::numeric_limits<double>::quiet_NaN());
    gnmsd_ = nmsd_;
    if (ref_.size()) {
        ref_sq_ = ref_.squaredNorm();
        err_.assign(std::size_t(K_), 0.0);
    }
}

bool Simulation::stale_store() const {
    return s_.algorithm == Algorithm::Admm || s_.algorithm == Algorithm::RerceClu;
}

// Uplink of client k: the server receives up + zeta and keeps it in its
// store (stale-store algorithms) or in this round's sum.
void Simulation::upload(Index k, const VectorXd& up, long round) {
    up_ = up;
    if (s_.uplink_std > 0)
        Stream(s_.seed, run_, Link::Uplink, std::uint32_t(k), std::uint32_t(round))
            .add_normal(up_, L_, s_.uplink_std);
    if (stale_store()) store_.col(k) = up_;
    else sum_ += up_;
    ++uplinks_;
}

void Simulation::aggregate() {
    if (stale_store()) {
        global_ = store_.rowwise().sum() / double(K_);
    } else {
        previous_ = global_;
        global_ = sum_ / double(s_.clients_per_round);
    }
}

void Simulation::step() {
    if (finished()) return;
    const long r = round_;
    const Index M = s_.clients_per_round;
    const bool all_upload = stale_store();  // the server store starts full
    if (r == 0) {
        schedule(s_.seed, run_, 0, K_, all_upload ? K_ : M, sched_);
        sum_.setZero();
        std::vector<char> picked(std::size_t(K_), 0);
        for (Index k : sched_) picked[std::size_t(k)] = 1;
        for (Index k = 0; k < K_; ++k) {
            const VectorXd& up = clients_[std::size_t(k)].start();
            if (picked[std::size_t(k)]) upload(k, up, 0);
        }
        aggregate();
        previous_.setZero();  // w^(-1) = 0
    } else {
        // Downlink message: RERCE extrapolates at the server, the others send
        // the aggregate itself.
        if (s_.algorithm == Algorithm::Rerce) message_ = 2.0 * global_ - previous_;
        else message_ = global_;
        schedule(s_.seed, run_, r, K_, M, sched_);
        sum_.setZero();
        for (Index k : sched_) {
            received_ = message_;
            if (s_.downlink_std > 0)
                Stream(s_.seed, run_, Link::Downlink, std::uint32_t(k), std::uint32_t(r))
                    .add_normal(received_, L_, s_.downlink_std);
            ++downlinks_;
            upload(k, clients_[std::size_t(k)].update(received_, r), r);
        }
        aggregate();
    }
    round_ = r + 1;
    if (!global_.allFinite() || global_.norm() > blowup_) {
        diverged_ = true;
        for (long i = r; i < s_.n_iter; ++i)
            nmsd_[i] = gnmsd_[i] = std::numeric_limits<double>::infinity();
        return;
    }
    if (ref_.size()) record();
}

// NMSD of round round_-1. Non-CLU clients change only when scheduled; an idle
// CLU client's error ||(g - ref) + V q||^2, q = t^m .* c, is advanced in O(r)
// eigen-coordinates without materialising the client's model.
void Simulation::record() {
    const long r = round_ - 1;
    VectorXd w(L_);
    if (s_.algorithm != Algorithm::RerceClu) {
        if (r == 0) {
            for (Index k = 0; k < K_; ++k) {
                clients_[std::size_t(k)].local_model(r, w);
                err_[std::size_t(k)] = (w - ref_).squaredNorm();
            }
        } else {
            for (Index k : sched_) {
                clients_[std::size_t(k)].local_model(r, w);
                err_[std::size_t(k)] = (w - ref_).squaredNorm();
            }
        }
    } else {
        if (r == 0) {
            clu_a_.resize(std::size_t(K_));
            clu_q_.resize(std::size_t(K_));
            clu_perp_.resize(std::size_t(K_));
            for (Index k = 0; k < K_; ++k) {
                const Client& c = clients_[std::size_t(k)];
                clu_a_[std::size_t(k)].noalias() = -(c.op().factor->V.transpose() * ref_);
                clu_perp_[std::size_t(k)] = std::max(0.0, ref_sq_ - clu_a_[std::size_t(k)].squaredNorm());
                clu_q_[std::size_t(k)] = c.c();
            }
        } else {
            for (Index k = 0; k < K_; ++k) clu_q_[std::size_t(k)].array() *= ops_[std::size_t(k)].t.array();
            for (Index k : sched_) {
                const Client& c = clients_[std::size_t(k)];
                VectorXd& a = clu_a_[std::size_t(k)];
                a -= c.g_shift();  // V^T (g_new - ref) = V^T (g_old - ref) - V^T (g_old - g_new)
                clu_perp_[std::size_t(k)] = std::max(0.0, (c.g() - ref_).squaredNorm() - a.squaredNorm());
                clu_q_[std::size_t(k)] = c.c();
            }
        }
        for (Index k = 0; k < K_; ++k)
            err_[std::size_t(k)] = clu_perp_[std::size_t(k)] +
                                   (clu_a_[std::size_t(k)] + clu_q_[std::size_t(k)]).squaredNorm();
    }
    const double total = std::accumulate(err_.begin(), err_.end(), 0.0);
    nmsd_[r] = total / (double(K_) * ref_sq_);
    gnmsd_[r] = (global_ - ref_).squaredNorm() / ref_sq_;
}

void Simulation::local_models(MatrixXd& out) const {
    out.resize(L_, K_);
    VectorXd w(L_);
    const long r = std::max(0L, round_ - 1);
    for (Index k = 0; k < K_; ++k) {
        clients_[std::size_t(k)].local_model(r, w);
        out.col(k) = w;
    }
}

void run_to_end(Simulation& sim, const RoundCallback& on_round) {
    while (!sim.finished()) {
        sim.step();
        if (on_round && on_round(sim.rounds_done() - 1, sim)) break;
        check_interrupt();
    }
}

MatrixXd monte_carlo(const std::vector<LocalOperator>& ops, const Settings& s,
                     std::uint64_t first_run, long n_runs, const VectorXd& reference,
                     MatrixXd* global_nmsd) {
    require(n_runs >= 1, "n_runs must be >= 1");
    require(reference.size() > 0, "monte_carlo needs a reference model");
    MatrixXd out(n_runs, s.n_iter);
    if (global_nmsd) global_nmsd->resize(n_runs, s.n_iter);
    // Batches bound the memory; rounds advance in chunks so that Ctrl-C is
    // checked from this thread between parallel regions.
    const long batch = 64, chunk = 8;
    for (long b0 = 0; b0 < n_runs; b0 += batch) {
        const long nb = std::min(batch, n_runs - b0);
        std::vector<std::unique_ptr<Simulation>> sims;
        for (long i = 0; i < nb; ++i)
            sims.push_back(std::make_unique<Simulation>(ops, s, first_run + std::uint64_t(b0 + i), reference));
        for (long r0 = 0; r0 < s.n_iter; r0 += chunk) {
#pragma omp parallel for schedule(dynamic, 1)
            for (long i = 0; i < nb; ++i)
                for (long j = 0; j < chunk; ++j) sims[std::size_t(i)]->step();
            check_interrupt();
        }
        for (long i = 0; i < nb; ++i) {
            out.row(b0 + i) = sims[std::size_t(i)]->nmsd().transpose();
            if (global_nmsd) global_nmsd->row(b0 + i) = sims[std::size_t(i)]->global_nmsd().transpose();
        }
    }
    return out;
}

}  // namespace fastls::federated
