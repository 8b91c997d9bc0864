// Shared pybind11 glue: array-to-Eigen views without hidden copies and the
// GIL-release helper every kernel call goes through.
#pragma once
#include <pybind11/eigen.h>
#include <pybind11/native_enum.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <Eigen/Core>
#include <utility>

#include "fastls/common/error.hpp"
#include "fastls/common/types.hpp"

namespace fastls::glue {

namespace py = pybind11;

// A float64 array as pybind11 hands it over: no cast, no copy.
using DoubleArray = py::array_t<double, py::array::forcecast>;

// Runs `f` with the GIL released; kernels call check_interrupt() inside.
template <class F>
decltype(auto) without_gil(F&& f) {
    py::gil_scoped_release release;
    return std::forward<F>(f)();
}

// A native-endian float64 array. Compares the type number, not the descriptor
// object: arrays that travelled by pickle (Dask workers, multiprocessing)
// carry an equal but distinct descriptor.
inline bool is_float64(const py::array& a) {
    return a.dtype().num() == py::dtype::of<double>().num() && a.dtype().byteorder() != '>';
}

// Calls f with an Eigen::Ref of a 2-D float64 array in its own storage order
// (RowRef for C order, ColRef for F order). Python validation makes
// arrays contiguous first, so anything else is a programming error.
template <class F>
decltype(auto) visit_matrix(const py::array& a, const char* name, F&& f) {
    require(a.ndim() == 2, std::string(name) + " must be 2-D");
    require(is_float64(a), std::string(name) + " must be float64");
    const auto rows = a.shape(0), cols = a.shape(1);
    const auto* data = static_cast<const double*>(a.data());
    if (a.flags() & py::array::c_style)
        return f(RowRef(Eigen::Map<const RowMatrixXd>(data, rows, cols)));
    require(a.flags() & py::array::f_style, std::string(name) + " must be C- or F-contiguous");
    return f(ColRef(Eigen::Map<const Eigen::MatrixXd>(data, rows, cols)));
}

// Getter for a result field that hands Python its own writeable copy (def_readonly
// would give a read-only view that keeps the whole result alive).
template <class C, class M>
auto copy_of(M C::*member) {
    return [member](const C& c) { return M(c.*member); };
}

}  // namespace fastls::glue
