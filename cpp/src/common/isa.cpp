#include "fastls/common/isa.hpp"

#include <cstdlib>
#include <cstring>

namespace fastls::isa {

const char* level_name(Level l) {
    switch (l) {
        case Level::Avx2: return "avx2";
        case Level::Avx512: return "avx512";
        default: return "baseline";
    }
}

bool cpu_supports(Level l) {
    if (l == Level::Baseline) return true;
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also checks (through XGETBV) that the OS saves
    // the YMM/ZMM state.
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (l == Level::Avx2) return avx2;
    return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#else
    return false;
#endif
}

int compiled_levels(Level* out, int cap) {
    int n = 0;
    auto add = [&](Level l) {
        if (n < cap) out[n] = l;
        ++n;
    };
    add(Level::Baseline);
#if defined(FASTLS_HAVE_ISA_AVX2)
    add(Level::Avx2);
#endif
#if defined(FASTLS_HAVE_ISA_AVX512)
    add(Level::Avx512);
#endif
    return n;
}

namespace {

const Kernels& table(Level l) {
    switch (l) {
#if defined(FASTLS_HAVE_ISA_AVX512)
        case Level::Avx512: return kernels_avx512;
#endif
#if defined(FASTLS_HAVE_ISA_AVX2)
        case Level::Avx2: return kernels_avx2;
#endif
        default: return kernels_baseline;
    }
}

Level choose() {
    Level cap = Level::Avx512;
    if (const char* env = std::getenv("FASTLS_ISA")) {
        if (std::strcmp(env, "baseline") == 0) cap = Level::Baseline;
        else if (std::strcmp(env, "avx2") == 0) cap = Level::Avx2;
    }
    Level levels[3];
    const int n = compiled_levels(levels, 3);
    Level best = Level::Baseline;
    for (int i = 0; i < n; ++i)
        if (levels[i] <= cap && cpu_supports(levels[i])) best = levels[i];
    return best;
}

}  // namespace

Level level() {
    static const Level chosen = choose();
    return chosen;
}

namespace {

struct Chosen {
    Kernels k;
    Level streaming, gemm;  // levels of the two kernel groups
};

const Chosen& chosen() {
    static const Chosen c = [] {
        const Level best = level();
        const Level streaming = best == Level::Avx512 ? Level::Avx2 : best;
        Kernels k = table(streaming);
        const Kernels& g = table(best);
        k.name = g.name;
        k.dense_unit = g.dense_unit;
        k.sjlt_hash = g.sjlt_hash;
        k.sweep_block = g.sweep_block;
        k.qr_r = g.qr_r;
        k.svd = g.svd;
        k.gram = g.gram;
        return Chosen{k, streaming, best};
    }();
    return c;
}

}  // namespace

const Kernels& kernels() { return chosen().k; }

int kernel_levels(KernelLevel* out, int cap) {
    const Chosen& c = chosen();
    const KernelLevel all[] = {
        {"sketch.dense_unit (gaussian/rademacher generation + GEMM)", level_name(c.gemm)},
        {"sketch.fwht_rows (srht)", level_name(c.streaming)},
        {"sketch.srht_load (srht)", level_name(c.streaming)},
        {"lsqr.gemv (lstsq precondition without refinement)", level_name(c.streaming)},
        {"dense.sweep_block (lstsq precondition, fused A^T A passes)", level_name(c.gemm)},
        {"sketch.sjlt_hash (sjlt/countsketch hash codes)", level_name(c.gemm)},
        {"sketch.sjlt_panel (sjlt/countsketch scatter)", level_name(c.streaming)},
        {"bcd.dot_axpy (lasso coordinate descent)", level_name(c.streaming)},
        {"bcd.gram (lasso Newton step and Gram-space CD)", level_name(c.gemm)},
        {"factor.qr_r (QR of S A; method='qr')", level_name(c.gemm)},
        {"factor.svd (SVD of R)", level_name(c.gemm)},
        {"factor.tri_solve (preconditioner R^{-1})", level_name(c.streaming)},
    };
    const int n = static_cast<int>(sizeof all / sizeof all[0]);
    for (int i = 0; i < n && i < cap; ++i) out[i] = all[i];
    return n;
}

}  // namespace fastls::isa
