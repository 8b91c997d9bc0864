// One binding translation unit per family; module.cpp calls each into its own
// submodule of fastls._core.
#pragma once
#include <pybind11/pybind11.h>

namespace fastls::glue {
void bind_dense(pybind11::module_& m);
void bind_sketch(pybind11::module_& m);
void bind_krylov(pybind11::module_& m);
void bind_federated(pybind11::module_& m);
void bind_bcd(pybind11::module_& m);
void bind_sbl(pybind11::module_& m);
void bind_selfcal(pybind11::module_& m);
}  // namespace fastls::glue
