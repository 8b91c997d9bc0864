// The counter layout of every random object in fastls's sketches, shared by
// the CPU kernels and the CUDA kernels (which include this header), so the
// same seed gives bitwise the same S everywhere.
//
//   key     = (seed & 0xffffffff, seed >> 32)
//   counter = (c0, c1, c2, stream)
//   SRHT signs       stream 0, counter (lo, hi of j / 128, 0): bit j % 128 for data row j
//   SRHT row sample  stream 1, counter (t, 0, 0): Floyd step t
//   Gaussian S(i,j)  stream 2, counter (i / 2, j_lo, j_hi): normal i % 2 of a Box-Muller pair
//   Rademacher S(i,j) stream 3, counter (i / 128, j_lo, j_hi): bit i % 128
//   SJLT column j    stream 4, counter (j_lo, j_hi, t): row and sign of nonzero t
//
// Transcendentals are written out as polynomials with explicit fma() so that
// host and device round identically (libm and CUDA's libdevice do not).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "fastls/common/hostdevice.hpp"
#include "fastls/common/philox.hpp"

namespace fastls::sketch {

enum Stream : std::uint32_t { kSigns = 0, kSample = 1, kGaussian = 2, kRademacher = 3, kHash = 4 };

FASTLS_HD U32x4 draw(std::uint64_t seed, std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                     Stream stream) {
    return philox4x32_10(U32x4{{c0, c1, c2, static_cast<std::uint32_t>(stream)}},
                         static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

FASTLS_HD std::uint32_t lo32(std::uint64_t x) { return static_cast<std::uint32_t>(x); }
FASTLS_HD std::uint32_t hi32(std::uint64_t x) { return static_cast<std::uint32_t>(x >> 32); }

// 53-bit uniform in [0, 1) from two words. Built from two exact int32 -> double
// conversions (which vectorise on AVX2, unlike uint64 -> double).
FASTLS_HD double unit53(std::uint32_t a, std::uint32_t b) {
    const double hi = static_cast<double>(static_cast<std::int32_t>(a >> 5));  // 27 bits
    const double lo = static_cast<double>(static_cast<std::int32_t>(b >> 6));  // 26 bits
    return (hi * 67108864.0 + lo) * 0x1.0p-53;
}

// ln(x) for x in [2^-53, 1], to about 1 ulp. x = 2^e * mant, mant in [sqrt(1/2), sqrt(2)),
// ln(mant) = 2 atanh(s), s = (mant - 1) / (mant + 1), |s| < 0.1716.
FASTLS_HD std::uint64_t double_bits(double x) {
#if defined(__CUDA_ARCH__)
    return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
#endif
}

FASTLS_HD double bits_double(std::uint64_t bits) {
#if defined(__CUDA_ARCH__)
    return __longlong_as_double(static_cast<long long>(bits));
#else
    double x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
#endif
}

FASTLS_HD double portable_log(double x) {
    std::uint64_t bits = double_bits(x);
    int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
    double mant = bits_double((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    // Arithmetic instead of a branch, so that loops over entries vectorise.
    const int high = static_cast<int>(mant > 1.4142135623730951);
    mant *= 1.0 - 0.5 * static_cast<double>(high);
    e += high;
    const double s = (mant - 1.0) / (mant + 1.0);
    const double z = s * s;
    double p = 1.0 / 23.0;
    p = fma(p, z, 1.0 / 21.0);
    p = fma(p, z, 1.0 / 19.0);
    p = fma(p, z, 1.0 / 17.0);
    p = fma(p, z, 1.0 / 15.0);
    p = fma(p, z, 1.0 / 13.0);
    p = fma(p, z, 1.0 / 11.0);
    p = fma(p, z, 1.0 / 9.0);
    p = fma(p, z, 1.0 / 7.0);
    p = fma(p, z, 1.0 / 5.0);
    p = fma(p, z, 1.0 / 3.0);
    p = fma(p, z, 1.0);
    const double log_mant = 2.0 * s * p;
    return fma(static_cast<double>(e), 0.6931471805599453, log_mant);
}

// cos and sin of 2*pi*u for u in [0, 1): the nearest quarter turn q and a
// remainder phi in [-pi/4, pi/4], where Taylor series to degree 18 are exact
// to ~1 ulp.
FASTLS_HD void portable_sincos_turn(double u, double& c, double& s) {
    const double t = 4.0 * u;
    const int q = static_cast<int>(t + 0.5);  // nearest quarter turn, 0..4
    const double phi = (t - static_cast<double>(q)) * 1.5707963267948966;
    const double z = phi * phi;
    double sp = 1.0 / 355687428096000.0;  // sin: sum (-1)^k z^k / (2k+1)!, k = 8 .. 0
    sp = fma(sp, z, -1.0 / 1307674368000.0);
    sp = fma(sp, z, 1.0 / 6227020800.0);
    sp = fma(sp, z, -1.0 / 39916800.0);
    sp = fma(sp, z, 1.0 / 362880.0);
    sp = fma(sp, z, -1.0 / 5040.0);
    sp = fma(sp, z, 1.0 / 120.0);
    sp = fma(sp, z, -1.0 / 6.0);
    sp = fma(sp, z, 1.0);
    double cp = -1.0 / 6402373705728000.0;  // cos: sum (-1)^k z^k / (2k)!, k = 9 .. 0
    cp = fma(cp, z, 1.0 / 20922789888000.0);
    cp = fma(cp, z, -1.0 / 87178291200.0);
    cp = fma(cp, z, 1.0 / 479001600.0);
    cp = fma(cp, z, -1.0 / 3628800.0);
    cp = fma(cp, z, 1.0 / 40320.0);
    cp = fma(cp, z, -1.0 / 720.0);
    cp = fma(cp, z, 1.0 / 24.0);
    cp = fma(cp, z, -0.5);
    cp = fma(cp, z, 1.0);
    const double sn = phi * sp, cs = cp;
    // Rotate (cs, sn) by q quarter turns, branch-free so loops vectorise.
    const int quarter = q & 3;
    const double c0 = (quarter & 1) ? sn : cs;
    const double s0 = (quarter & 1) ? cs : sn;
    c = ((quarter + 1) & 2) ? -c0 : c0;
    s = (quarter & 2) ? -s0 : s0;
}

// Entries (2p, j) and (2p + 1, j) of the unscaled Gaussian sketch: one
// Philox draw, one Box-Muller pair of independent N(0, 1).
FASTLS_HD void gaussian_pair(std::uint64_t seed, std::uint64_t p, std::uint64_t j, double& z0,
                             double& z1) {
    const U32x4 r = draw(seed, static_cast<std::uint32_t>(p), lo32(j), hi32(j), kGaussian);
    const double u1 = unit53(r.v[0], r.v[1]) + 0x1.0p-53;  // (0, 1]: log is finite
    const double u2 = unit53(r.v[2], r.v[3]);
    const double radius = sqrt(-2.0 * portable_log(u1));
    double c, s;
    portable_sincos_turn(u2, c, s);
    z0 = radius * c;
    z1 = radius * s;
}

// Entry (i, j) of the unscaled Gaussian sketch: N(0, 1).
FASTLS_HD double gaussian_entry(std::uint64_t seed, std::uint64_t i, std::uint64_t j) {
    double z0, z1;
    gaussian_pair(seed, i >> 1, j, z0, z1);
    return (i & 1) ? z1 : z0;
}

// Entry (i, j) of the unscaled Rademacher sketch: +1 or -1.
FASTLS_HD double rademacher_entry(std::uint64_t seed, std::uint64_t i, std::uint64_t j) {
    const U32x4 r = draw(seed, static_cast<std::uint32_t>(i >> 7), lo32(j), hi32(j), kRademacher);
    const unsigned bit = static_cast<unsigned>(i & 127);
    return ((r.v[bit >> 5] >> (bit & 31)) & 1u) ? -1.0 : 1.0;
}

// SRHT sign of data row j: +1 or -1.
FASTLS_HD double srht_sign(std::uint64_t seed, std::uint64_t j) {
    const U32x4 r = draw(seed, static_cast<std::uint32_t>(j >> 7), hi32(j >> 7), 0, kSigns);
    const unsigned bit = static_cast<unsigned>(j & 127);
    return ((r.v[bit >> 5] >> (bit & 31)) & 1u) ? -1.0 : 1.0;
}

// Entry (t, j) of the unscaled, unsigned Hadamard matrix: (-1)^popcount(t & j).
FASTLS_HD double hadamard_entry(std::uint64_t t, std::uint64_t j) {
#if defined(__CUDA_ARCH__)
    const int odd = __popcll(t & j) & 1;
#else
    const int odd = __builtin_popcountll(t & j) & 1;
#endif
    return odd ? -1.0 : 1.0;
}

// Nonzero t of column j of an SJLT with s nonzeros per column and m rows: the
// rows are split into s contiguous blocks and nonzero t lies in block t, so
// the s rows are distinct. Returns the row; sign is +1 or -1.
FASTLS_HD std::uint64_t sjlt_entry(std::uint64_t seed, std::uint64_t j, std::uint32_t t,
                                   std::uint64_t m, std::uint32_t s, double& sign) {
    const std::uint64_t lo = m * t / s, hi = m * (t + 1) / s;
    const U32x4 r = draw(seed, lo32(j), hi32(j), t, kHash);
    sign = (r.v[2] & 1u) ? -1.0 : 1.0;
    return lo + below(r.v[0], r.v[1], hi - lo);
}

// SJLT hash code, as the CPU kernels store nonzero t of a column: its row, with
// bit 31 set when its sign is -1 (m < 2^31).
FASTLS_HD std::int32_t sjlt_code(std::uint64_t row, bool negative) {
    return static_cast<std::int32_t>(row | (static_cast<std::uint64_t>(negative) << 31));
}
FASTLS_HD std::int64_t sjlt_code_row(std::int32_t code) {
    return static_cast<std::uint32_t>(code) & 0x7fffffffu;
}
// The sign bit, in place: x with its sign flipped where the code's sign is -1 (no branch).
FASTLS_HD double sjlt_code_signed(std::int32_t code, double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits_double(bits ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(code) >> 31) << 63));
}

}  // namespace fastls::sketch
