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

const Kernels& kernels() {
    static const Kernels& k = table(level());
    return k;
}

}  // namespace fastls::isa
