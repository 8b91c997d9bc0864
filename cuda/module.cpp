// fastls._cuda: pybind11 glue over the CUDA kernels (compiled by the host
// compiler; nvcc never sees pybind11). Host NumPy arrays are copied to the
// device and back; CuPy arrays are passed as device pointers. Spec, SolveOptions
// and SolveResult are the types fastls._core.sketch binds (imported first, so
// pybind11 shares their registrations).
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "fastls/common/error.hpp"
#include "fastls/sketch/sketch.hpp"
#include "common.hpp"
#include "solve.hpp"

namespace py = pybind11;
using fastls::cuda::check;
using fastls::cuda::DeviceBuffer;
using fastls::cuda::DeviceMatrix;

namespace {

py::list devices() {
    int count = 0;
    check(fastls_cuda_device_count(&count), "cudaGetDeviceCount");
    py::list out;
    for (int dev = 0; dev < count; ++dev) {
        char name[256];
        size_t memory = 0;
        int major = 0, minor = 0;
        check(fastls_cuda_device_props(dev, name, sizeof name, &memory, &major, &minor),
              "cudaGetDeviceProperties");
        py::dict d;
        d["name"] = std::string(name);
        d["total_memory"] = memory;
        d["compute_capability"] = std::to_string(major) + "." + std::to_string(minor);
        out.append(d);
    }
    return out;
}

// Uploads a C- or F-contiguous float64 host array; returns its device view.
DeviceMatrix upload(const py::array& A, DeviceBuffer& buf) {
    fastls::require(A.ndim() == 2 && fastls::glue::is_float64(A), "A must be 2-D float64");
    const bool row_major = (A.flags() & py::array::c_style) != 0;
    fastls::require(row_major || (A.flags() & py::array::f_style), "A must be contiguous");
    const auto n = A.shape(0), d = A.shape(1);
    buf = DeviceBuffer(static_cast<std::size_t>(n * d));
    buf.upload(static_cast<const double*>(A.data()), static_cast<std::size_t>(n * d));
    return DeviceMatrix{buf.get(), n, d, row_major};
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
    m.doc() = "fastls CUDA kernels (internal; use fastls.sketch / fastls.lstsq with device='cuda')";
    py::module_::import("fastls._core");  // registers Kind, Spec, SolveOptions, SolveResult
    m.def("devices", &devices, "One dict per visible CUDA device; [] when there is none.");
    m.def(
        "_allocate", [](std::size_t count) { DeviceBuffer buf(count); },
        "Allocate and free count doubles (tests the mapping of CUDA errors).");

    m.def(
        "explicit_matrix",
        [](std::int64_t n, const fastls::sketch::Spec& spec) {
            const std::int64_t rows = spec.rows;
            Eigen::MatrixXd S(rows, n);
            py::gil_scoped_release release;
            std::vector<std::uint64_t> idx;
            if (spec.kind == fastls::sketch::Kind::Srht)
                idx = fastls::sketch::srht_rows(fastls::sketch::padded_length(std::uint64_t(n)),
                                                std::uint64_t(rows), spec.seed);
            DeviceBuffer S_dev(static_cast<std::size_t>(rows * n));
            check(fastls_cuda_explicit_matrix(fastls::cuda::kind_code(spec.kind), rows, n, spec.seed,
                                              idx.data(), S_dev.get()),
                  "explicit_matrix");
            S_dev.download(S.data(), static_cast<std::size_t>(rows * n));
            return S;
        },
        py::arg("n"), py::arg("spec"));

    m.def(
        "sketch",
        [](const py::array& A, const fastls::sketch::Spec& spec) {
            DeviceBuffer A_dev;
            const DeviceMatrix view = upload(A, A_dev);
            Eigen::MatrixXd SA(spec.rows, view.cols);
            py::gil_scoped_release release;
            DeviceBuffer SA_dev(static_cast<std::size_t>(spec.rows * view.cols));
            fastls::cuda::sketch(spec, view, SA_dev.get());
            SA_dev.download(SA.data(), static_cast<std::size_t>(SA.size()));
            return SA;
        },
        py::arg("A"), py::arg("spec"));

    m.def(
        "sketch_pointer",
        [](std::uintptr_t A, std::int64_t n, std::int64_t d, bool row_major, std::uintptr_t SA,
           const fastls::sketch::Spec& spec) {
            py::gil_scoped_release release;
            fastls::cuda::sketch(spec, DeviceMatrix{reinterpret_cast<const double*>(A), n, d, row_major},
                                 reinterpret_cast<double*>(SA));
        },
        py::arg("A"), py::arg("n"), py::arg("d"), py::arg("row_major"), py::arg("SA"), py::arg("spec"),
        "S A for device arrays given by pointer (CuPy); SA is m x d column-major.");

    m.def(
        "solve",
        [](const py::array& A, const Eigen::Ref<const Eigen::MatrixXd>& B,
           const fastls::sketch::SolveOptions& options) {
            DeviceBuffer A_dev;
            const DeviceMatrix view = upload(A, A_dev);
            py::gil_scoped_release release;
            return fastls::cuda::solve(options, view, B);
        },
        py::arg("A"), py::arg("B").noconvert(), py::arg("options"), "Returns a fastls._core.sketch.SolveResult.");
    m.def(
        "solve_pointer",
        [](std::uintptr_t A, std::int64_t n, std::int64_t d, bool row_major,
           const Eigen::Ref<const Eigen::MatrixXd>& B, const fastls::sketch::SolveOptions& options) {
            const DeviceMatrix view{reinterpret_cast<const double*>(A), n, d, row_major};
            py::gil_scoped_release release;
            return fastls::cuda::solve(options, view, B);
        },
        py::arg("A"), py::arg("n"), py::arg("d"), py::arg("row_major"), py::arg("B").noconvert(),
        py::arg("options"));
}
