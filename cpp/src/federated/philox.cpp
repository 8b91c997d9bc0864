#include <cmath>

#include "fastls/federated/philox.hpp"

namespace fastls::federated {
namespace {

constexpr double kR = 3.6541528853610088;  // start of the tail
constexpr double kV = 4.92867323399e-3;    // area of each layer

double pdf(double t) { return std::exp(-0.5 * t * t); }

ZigguratTables build() {
    ZigguratTables T;
    T.x[0] = kV / pdf(kR);
    T.x[1] = kR;
    for (int i = 1; i < 255; ++i) T.x[i + 1] = std::sqrt(-2.0 * std::log(kV / T.x[i] + pdf(T.x[i])));
    T.x[256] = 0.0;
    for (int i = 0; i < 257; ++i) T.f[i] = pdf(T.x[i]);
    return T;
}

}  // namespace

const ZigguratTables& ziggurat_tables() {
    static const ZigguratTables tables = build();
    return tables;
}

double ziggurat_slow(Words& words, std::uint64_t u) {
    const ZigguratTables& T = ziggurat_tables();
    for (;;) {
        const int i = int(u & 0xFF);
        const bool negative = (u >> 8) & 1;
        const double x = double(u >> 11) * 0x1.0p-53 * T.x[i];
        if (x < T.x[i + 1]) return negative ? -x : x;
        if (i == 0) {  // tail beyond r (Marsaglia 1964)
            double a, b;
            do {
                a = -std::log(words.uniform()) / kR;
                b = -std::log(words.uniform());
            } while (2.0 * b < a * a);
            return negative ? -(kR + a) : kR + a;
        }
        // wedge between layers i and i + 1
        const double y = T.f[i] + words.uniform() * (T.f[i + 1] - T.f[i]);
        if (y < pdf(x)) return negative ? -x : x;
        u = words.next();
    }
}

}  // namespace fastls::federated
