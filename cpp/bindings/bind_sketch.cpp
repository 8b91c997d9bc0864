#include "common.hpp"
#include "families.hpp"

namespace fastls::glue {

void bind_sketch(py::module_& /*m*/) {}

}  // namespace fastls::glue
