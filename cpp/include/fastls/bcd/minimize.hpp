// The greedy block coordinate descent loop (note sections 3-5): select a block
// by a rule's score, update it, repeat. Selection and update are independent
// choices; F(x) = f(x) + alpha ||x||_1 (alpha = 0: smooth). Random choices
// draw from Philox4x32-10 keyed by the seed: the same run on every platform.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "fastls/bcd/problems.hpp"

namespace fastls::bcd {

enum class Rule { Cyclic, Random, Lipschitz, GS, GSL, GSD, GSQ, GSq, GSLq, GSr, GSLr };
enum class Update { Gradient, Matrix, Newton, ProxGradient, ProxNewton, MessagePassing };

struct Options {
    Rule rule = Rule::GSL;
    Update update = Update::Matrix;
    std::vector<Block> blocks;   // fixed partition; empty: variable blocks
    Index block_size = 5;        // variable blocks only
    bool forest_blocks = false;  // variable forest blocks grown by the rule's order (message passing)
    double alpha = 0.0;
    Index maxiter = 500;
    double tol = 1e-8;
    std::optional<double> f_opt;  // stop when F - f_opt <= tol; else max_i optimality_i / sqrt(L_i) <= tol * initial
    std::uint64_t seed = 0;
    bool record_blocks = false;
    // Called after every iteration (k, x, F); returning true stops the run.
    std::function<bool(Index, const VectorXd&, double)> callback;
};

struct Outcome {
    VectorXd x;
    std::vector<double> history;  // F(x^k), k = 0..nit
    Index nit = 0;
    bool converged = false;
    bool stopped = false;  // by the callback
    double optimality = 0.0;  // max min-norm subgradient at the last check
    double residual_norm = 0.0;  // ||A x - b|| for least squares, else the optimality
    std::vector<Block> blocks;
};

Outcome minimize(Smooth& f, const Options& opt);

}  // namespace fastls::bcd
