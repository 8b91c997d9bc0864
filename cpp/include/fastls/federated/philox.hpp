// Counter-based random numbers for the federated simulator: Philox4x32-10
// (Salmon et al., SC'11, the Random123 reference constants). Every draw is a
// pure function of (seed, run, link, client, round, index), so a run gives
// the same numbers with any thread count, sharding or visiting order.
#pragma once
#include <cmath>
#include <cstdint>

namespace fastls::federated {

// What a stream carries; part of the counter so streams never overlap.
enum class Link : std::uint32_t { Schedule = 0, Downlink = 1, Uplink = 2 };

struct Philox4x32 {
    using Block = std::uint32_t[4];

    static void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
        const std::uint64_t p = std::uint64_t(a) * b;
        hi = std::uint32_t(p >> 32);
        lo = std::uint32_t(p);
    }

    // out = Philox4x32-10(counter c, key k).
    static void generate(const Block c, std::uint64_t key, Block out) {
        std::uint32_t x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3];
        std::uint32_t k0 = std::uint32_t(key), k1 = std::uint32_t(key >> 32);
        for (int r = 0; r < 10; ++r) {
            std::uint32_t hi0, lo0, hi1, lo1;
            mulhilo(0xD2511F53u, x0, hi0, lo0);
            mulhilo(0xCD9E8D57u, x2, hi1, lo1);
            x0 = hi1 ^ x1 ^ k0;
            x1 = lo1;
            x2 = hi0 ^ x3 ^ k1;
            x3 = lo0;
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
    }
};

// One stream: (seed, run, link, client, round). Index j selects the block.
// Counter layout: {j, client, round, run * 4 + link}; runs < 2^30.
struct Stream;

// Sequential 64-bit words of a stream (two per Philox block).
class Words {
public:
    explicit Words(const Stream& s) : s_(s) {}
    inline std::uint64_t next();
    // Uniform in (0, 1), 53 bits.
    double uniform() { return (double(next() >> 11) + 0.5) * 0x1.0p-53; }

private:
    const Stream& s_;
    std::uint32_t block_ = 0;
    int left_ = 0;
    std::uint32_t buf_[4] = {0, 0, 0, 0};
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
inline double ziggurat(Words& words, const ZigguratTables& T);

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

    // x[i] += scale * N(0,1)_i for i < n: Marsaglia-Tsang ziggurat (256
    // layers) on this stream's 64-bit words, read in order from block 0.
    template <class Vec>
    void add_normal(Vec&& x, long n, double scale) const {
        Words words(*this);
        const ZigguratTables& T = ziggurat_tables();
        for (long i = 0; i < n; ++i) x[i] += scale * ziggurat(words, T);
    }

    // Uniform integer in [0, n) from block j (Lemire's multiply-shift on 64
    // bits; bias below n / 2^64).
    std::uint64_t below(std::uint32_t j, std::uint64_t n) const {
        Philox4x32::Block b;
        block(j, b);
        const std::uint64_t x = std::uint64_t(b[0]) << 32 | b[1];
        return std::uint64_t((static_cast<unsigned __int128>(x) * n) >> 64);
    }
};

inline std::uint64_t Words::next() {
    if (left_ == 0) {
        s_.block(block_++, buf_);
        left_ = 2;
    }
    const int o = 2 * (2 - left_--);
    return std::uint64_t(buf_[o]) << 32 | buf_[o + 1];
}

inline double ziggurat(Words& words, const ZigguratTables& T) {
    const std::uint64_t u = words.next();
    const int i = int(u & 0xFF);
    const double x = double(u >> 11) * 0x1.0p-53 * T.x[i];
    if (x < T.x[i + 1]) return (u >> 8) & 1 ? -x : x;
    return ziggurat_slow(words, u);
}

}  // namespace fastls::federated
