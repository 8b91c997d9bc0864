#include <array>
#include <cmath>

#include "fastls/federated/philox.hpp"

namespace fastls::federated {
namespace {

// Ziggurat tables for the standard normal (Marsaglia & Tsang 2000, 256
// layers): x[0] is the base strip's pseudo-width v / f(r), x[1] = r,
// x[256] = 0; f[i] = exp(-x[i]^2 / 2).
constexpr double kR = 3.6541528853610088;
constexpr double kV = 4.92867323399e-3;

struct Tables {
    std::array<double, 257> x{}, f{};
    Tables() {
        const auto pdf = [](double t) { return std::exp(-0.5 * t * t); };
        x[0] = kV / pdf(kR);
        x[1] = kR;
        for (int i = 1; i < 255; ++i) x[i + 1] = std::sqrt(-2.0 * std::log(kV / x[i] + pdf(x[i])));
        x[256] = 0.0;
        for (int i = 0; i < 257; ++i) f[i] = pdf(x[i]);
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

}  // namespace

double ziggurat(Words& words) {
    const Tables& T = tables();
    for (;;) {
        const std::uint64_t u = words.next();
        const int i = int(u & 0xFF);
        const bool negative = (u >> 8) & 1;
        const double x = double(u >> 11) * 0x1.0p-53 * T.x[i];
        if (x < T.x[i + 1]) return negative ? -x : x;  // inside the layer's core (~99%)
        if (i == 0) {  // tail beyond r (Marsaglia 1964)
            double a, b;
            do {
                a = -std::log(words.uniform()) / kR;
                b = -std::log(words.uniform());
            } while (2.0 * b < a * a);
            return negative ? -(kR + a) : kR + a;
        }
        // wedge between layers i and i+1
        const double y = T.f[i] + words.uniform() * (T.f[i + 1] - T.f[i]);
        if (y < std::exp(-0.5 * x * x)) return negative ? -x : x;
    }
}

}  // namespace fastls::federated
