#include "common.hpp"
#include "families.hpp"

namespace fastls::glue {

void bind_selfcal(py::module_& /*m*/) {}

}  // namespace fastls::glue
