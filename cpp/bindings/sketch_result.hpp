// SolveResult -> dict, shared by fastls._core.sketch and fastls._cuda.
#pragma once
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "fastls/sketch/solve.hpp"

namespace fastls::glue {

inline pybind11::dict to_dict(sketch::SolveResult&& res) {
    pybind11::dict out;
    out["x"] = std::move(res.x);
    out["residual_norms"] = std::move(res.residual_norms);
    out["sketched_residual_norms"] = std::move(res.sketched_residual_norms);
    out["covariance_diag"] = std::move(res.covariance_diag);
    out["singular_values"] = std::move(res.singular_values);
    out["null_basis"] = std::move(res.null_basis);
    out["rank"] = res.rank;
    out["istop"] = res.istop;
    out["nit"] = res.nit;
    return out;
}

}  // namespace fastls::glue
