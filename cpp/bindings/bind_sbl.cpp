#include "common.hpp"
#include "families.hpp"

namespace fastls::glue {

void bind_sbl(py::module_& /*m*/) {}

}  // namespace fastls::glue
