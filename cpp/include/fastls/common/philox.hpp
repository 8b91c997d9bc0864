// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11): a counter-based
// generator shared by every family. Output is a pure function of (counter,
// key), so any random number can be made by any thread, in any order, on CPU
// or GPU, and results never depend on the thread count.
#pragma once
#include <cstdint>

#include "fastls/common/hostdevice.hpp"

namespace fastls {

struct U32x4 {
    std::uint32_t v[4];
};

constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

FASTLS_HD U32x4 philox4x32_10(U32x4 ctr, std::uint32_t k0, std::uint32_t k1) {
#if defined(__CUDACC__)
#pragma unroll
#else
#pragma GCC unroll 10
#endif
    for (int round = 0; round < 10; ++round) {
        const std::uint64_t p0 = static_cast<std::uint64_t>(kPhiloxM0) * ctr.v[0];
        const std::uint64_t p1 = static_cast<std::uint64_t>(kPhiloxM1) * ctr.v[2];
        ctr = U32x4{{static_cast<std::uint32_t>(p1 >> 32) ^ ctr.v[1] ^ k0, static_cast<std::uint32_t>(p1),
                     static_cast<std::uint32_t>(p0 >> 32) ^ ctr.v[3] ^ k1, static_cast<std::uint32_t>(p0)}};
        k0 += kPhiloxW0;
        k1 += kPhiloxW1;
    }
    return ctr;
}

// N counters at once in structure-of-arrays form (x[word][lane]), so the
// 32x32->64 multiplies vectorise; key = k0 | k1 << 32. Same output as above.
// Always inlined: the per-ISA kernel copies (cpp/src/isa/) must not share an
// out-of-line instantiation with baseline code.
template <int N>
inline __attribute__((always_inline)) void philox4x32_10_lanes(std::uint32_t (&x)[4][N], std::uint64_t key) {
    std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
    for (int r = 0; r < 10; ++r) {
#pragma omp simd
        for (int l = 0; l < N; ++l) {
            const std::uint64_t p0 = static_cast<std::uint64_t>(kPhiloxM0) * x[0][l];
            const std::uint64_t p1 = static_cast<std::uint64_t>(kPhiloxM1) * x[2][l];
            const std::uint32_t y0 = static_cast<std::uint32_t>(p1 >> 32) ^ x[1][l] ^ k0;
            const std::uint32_t y2 = static_cast<std::uint32_t>(p0 >> 32) ^ x[3][l] ^ k1;
            x[0][l] = y0;
            x[1][l] = static_cast<std::uint32_t>(p1);
            x[2][l] = y2;
            x[3][l] = static_cast<std::uint32_t>(p0);
        }
        k0 += kPhiloxW0;
        k1 += kPhiloxW1;
    }
}

// Uniform integer in [0, bound) from 64 random bits a:b (Lemire's
// multiply-shift; bias below bound / 2^64).
FASTLS_HD std::uint64_t below(std::uint32_t a, std::uint32_t b, std::uint64_t bound) {
    const std::uint64_t x = (static_cast<std::uint64_t>(a) << 32) | b;
#if defined(__CUDA_ARCH__)
    return __umul64hi(x, bound);
#else
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * bound) >> 64);
#endif
}

}  // namespace fastls
