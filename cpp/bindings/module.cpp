// fastls._core: error mapping, the Ctrl-C hook, build facts and the family
// submodules.
#include <array>
#include <chrono>
#include <string>

#include <Eigen/Core>

#include "common.hpp"
#include "families.hpp"
#include "fastls/common/interrupt.hpp"
#include "fastls/common/isa.hpp"
#include "fastls/common/philox.hpp"
#include "fastls/common/threading.hpp"

namespace py = pybind11;

#ifndef FASTLS_VERSION
#define FASTLS_VERSION "unknown"
#endif

namespace {

// Runs on the kernel's thread with the GIL released: take it briefly and let
// Python run its signal handlers. A raised exception stays set on this thread
// and is reported when Interrupted reaches the binding.
bool python_interrupt_pending() {
    py::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
}

py::dict build_info() {
    py::dict d;
    d["version"] = FASTLS_VERSION;
    d["eigen"] = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                 "." + std::to_string(EIGEN_MINOR_VERSION);
    d["pybind11"] = std::to_string(PYBIND11_VERSION_MAJOR) + "." +
                    std::to_string(PYBIND11_VERSION_MINOR) + "." +
                    std::to_string(PYBIND11_VERSION_PATCH);
    // Compile-time target of the baseline code (everything but the dispatched kernels).
    py::list isa;
#ifdef __SSE2__
    isa.append("SSE2");
#endif
#ifdef __SSE4_2__
    isa.append("SSE4.2");
#endif
#ifdef __AVX2__
    isa.append("AVX2");
#endif
#ifdef __FMA__
    isa.append("FMA");
#endif
#ifdef __AVX512F__
    isa.append("AVX512F");
#endif
#ifdef __ARM_NEON
    isa.append("NEON");
#endif
    d["isa"] = isa;
    // Run-time dispatch: the levels compiled in, which the CPU supports, and the
    // level each dispatched kernel uses (one table today, named per kernel).
    fastls::isa::Level levels[8];
    const int n_levels = fastls::isa::compiled_levels(levels, 8);
    py::list compiled;
    py::dict supported;
    for (int i = 0; i < n_levels && i < 8; ++i) {
        compiled.append(fastls::isa::level_name(levels[i]));
        supported[fastls::isa::level_name(levels[i])] = fastls::isa::cpu_supports(levels[i]);
    }
    d["isa_levels"] = compiled;
    d["isa_cpu_supports"] = supported;
    fastls::isa::KernelLevel kl[16];
    const int n_kernels = fastls::isa::kernel_levels(kl, 16);
    py::dict dispatch;
    for (int i = 0; i < n_kernels && i < 16; ++i) dispatch[kl[i].kernel] = kl[i].level;
    d["dispatch"] = dispatch;
#ifdef _OPENMP
    d["openmp"] = _OPENMP;
#else
    d["openmp"] = py::none();
#endif
#if defined(__clang__)
    std::string clang_version = __clang_version__;
    while (!clang_version.empty() && clang_version.back() == ' ') clang_version.pop_back();
    d["compiler"] = "Clang " + clang_version;
#elif defined(__GNUC__)
    d["compiler"] = std::string("GCC ") + __VERSION__;
#else
    d["compiler"] = __VERSION__;
#endif
    return d;
}

void bind_testing(py::module_& m) {
    m.def("raise_error", [](const std::string& kind) {
        if (kind == "invalid") throw fastls::InvalidArgument("x: invalid argument from C++");
        if (kind == "linalg") throw fastls::LinAlgError("matrix is singular (from C++)");
        throw std::runtime_error("unknown error kind: " + kind);
    });
    // Random123's known-answer vectors check both Philox implementations.
    m.def(
        "philox4x32_10",
        [](std::array<std::uint32_t, 4> ctr, std::uint64_t key, bool lanes) {
            std::array<std::uint32_t, 4> out;
            if (lanes) {
                std::uint32_t x[4][1] = {{ctr[0]}, {ctr[1]}, {ctr[2]}, {ctr[3]}};
                fastls::philox4x32_10_lanes<1>(x, key);
                for (int i = 0; i < 4; ++i) out[i] = x[i][0];
            } else {
                const auto r = fastls::philox4x32_10(fastls::U32x4{{ctr[0], ctr[1], ctr[2], ctr[3]}},
                                                     static_cast<std::uint32_t>(key),
                                                     static_cast<std::uint32_t>(key >> 32));
                for (int i = 0; i < 4; ++i) out[i] = r.v[i];
            }
            return out;
        },
        py::arg("counter"), py::arg("key"), py::arg("lanes"));
    // Busy loop that only stops through check_interrupt (or after `seconds`).
    m.def("spin", [](double seconds) {
        fastls::glue::without_gil([&] {
            const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
            while (std::chrono::steady_clock::now() < end) fastls::check_interrupt();
        });
    });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "fastls native kernels (internal; use the fastls package)";

    auto linalg_base = py::module_::import("numpy.linalg").attr("LinAlgError");
    static py::exception<fastls::LinAlgError> linalg_error(m, "LinAlgError", linalg_base);
    linalg_error.attr("__module__") = "fastls";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const fastls::Interrupted&) {
            if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
        } catch (const fastls::LinAlgError& e) {
            PyErr_SetString(linalg_error.ptr(), e.what());
        }
    });
    // InvalidArgument derives from std::invalid_argument -> ValueError by default.
    fastls::set_interrupt_hook(&python_interrupt_pending);

    m.def("build_info", &build_info);
    m.def("max_threads", &fastls::max_threads);

    py::module_ testing = m.def_submodule("_testing", "hooks for the test suite");
    bind_testing(testing);
    using Binder = void (*)(py::module_&);
    const std::pair<const char*, Binder> families[] = {
        {"dense", fastls::glue::bind_dense},         {"sketch", fastls::glue::bind_sketch},
        {"krylov", fastls::glue::bind_krylov},
        {"federated", fastls::glue::bind_federated}, {"bcd", fastls::glue::bind_bcd},
        {"sbl", fastls::glue::bind_sbl},             {"selfcal", fastls::glue::bind_selfcal},
    };
    for (const auto& [name, bind] : families) {
        py::module_ sub = m.def_submodule(name);
        bind(sub);
    }
}
