// Counter-based random streams for the federated simulator, on the shared
// Philox4x32-10 of common/philox.hpp. Every draw is a
// pure function of (seed, run, link, client, round, index), so a run gives
// the same numbers with any thread count, sharding or visiting order.
#pragma once
#include <cstdint>

#include "fastls/common/philox.hpp"

namespace fastls::federated {

// What a stream carries; part of the counter so streams never overlap.
enum class Link : std::uint32_t { Schedule = 0, Downlink = 1, Uplink = 2 };

struct Philox4x32 {
    using Block = std::uint32_t[4];

    template <int N>
    static void rounds(std::uint32_t (&x)[4][N], std::uint64_t key) {
        philox4x32_10_lanes<N>(x, key);
    }

    // out = Philox4x32-10(counter c, key).
    static void generate(const Block c, std::uint64_t key, Block out) {
        const U32x4 r = philox4x32_10(U32x4{{c[0], c[1], c[2], c[3]}}, std::uint32_t(key),
                                      std::uint32_t(key >> 32));
        for (int i = 0; i < 4; ++i) out[i] = r.v[i];
    }
};

// One stream: (seed, run, link, client, round); counter {j, client, round,
// run * 4 + link} with block index j (runs < 2^30).
struct Stream {
    std::uint64_t seed;
    std::uint32_t client, round, tag;

    Stream(std::uint64_t seed_, std::uint64_t run, Link link, std::uint32_t client_,
           std::uint32_t round_)
        : seed(seed_), client(client_), round(round_),
          tag(std::uint32_t(run) * 4u + std::uint32_t(link)) {}

    void block(std::uint32_t j, Philox4x32::Block out) const {
        const Philox4x32::Block c = {j, client, round, tag};
        Philox4x32::generate(c, seed, out);
    }

    // x[i] += scale * N(0,1)_i for i < n: ziggurat on this stream's words.
    template <class Vec>
    void add_normal(Vec&& x, long n, double scale) const;

    // Uniform integer in [0, n) from block j (Lemire's multiply-shift on 64
    // bits; bias below n / 2^64).
    std::uint64_t below(std::uint32_t j, std::uint64_t n) const {
        Philox4x32::Block b;
        block(j, b);
        return fastls::below(b[0], b[1], n);
    }
};

// Sequential 64-bit words of a stream: block j gives (c0 c1) then (c2 c3) of
// its output; blocks are generated kLanes at a time.
class Words {
public:
    explicit Words(const Stream& s) : s_(s) {}

    std::uint64_t next() {
        if (pos_ == 2 * kLanes) refill();
        return buf_[pos_++];
    }
    // Uniform in (0, 1), 53 bits.
    double uniform() { return (double(next() >> 11) + 0.5) * 0x1.0p-53; }

private:
    static constexpr int kLanes = 8;

    void refill() {
        std::uint32_t x[4][kLanes];
        for (int l = 0; l < kLanes; ++l) {
            x[0][l] = block_ + std::uint32_t(l);
            x[1][l] = s_.client;
            x[2][l] = s_.round;
            x[3][l] = s_.tag;
        }
        Philox4x32::rounds<kLanes>(x, s_.seed);
        for (int l = 0; l < kLanes; ++l) {
            buf_[2 * l] = std::uint64_t(x[0][l]) << 32 | x[1][l];
            buf_[2 * l + 1] = std::uint64_t(x[2][l]) << 32 | x[3][l];
        }
        block_ += kLanes;
        pos_ = 0;
    }

    const Stream& s_;
    std::uint32_t block_ = 0;
    int pos_ = 2 * kLanes;
    std::uint64_t buf_[2 * kLanes];
};

// Ziggurat tables for the standard normal (Marsaglia & Tsang 2000, 256
// layers): x[0] is the base strip's pseudo-width v / f(r), x[1] = r,
// x[256] = 0; f[i] = exp(-x[i]^2 / 2).
struct ZigguratTables {
    double x[257], f[257];
};
const ZigguratTables& ziggurat_tables();

// The rare rejection path (tail and wedges) of a draw that started with word u.
double ziggurat_slow(Words& words, std::uint64_t u);

// One standard normal: layer from the low 8 bits, sign from bit 8, position
// from the top 53 bits; accepted at once inside the layer's core (~99 %).
inline double ziggurat(Words& words, const ZigguratTables& T) {
    const std::uint64_t u = words.next();
    const int i = int(u & 0xFF);
    const double x = double(u >> 11) * 0x1.0p-53 * T.x[i];
    if (x < T.x[i + 1]) return (u >> 8) & 1 ? -x : x;
    return ziggurat_slow(words, u);
}

template <class Vec>
void Stream::add_normal(Vec&& x, long n, double scale) const {
    Words words(*this);
    const ZigguratTables& T = ziggurat_tables();
    for (long i = 0; i < n; ++i) x[i] += scale * ziggurat(words, T);
}

}  // namespace fastls::federated
