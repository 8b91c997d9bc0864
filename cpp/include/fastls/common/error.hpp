// Error types shared by every kernel. The bindings map them onto Python:
// InvalidArgument -> ValueError, LinAlgError -> fastls.LinAlgError,
// Interrupted -> KeyboardInterrupt (or whatever the signal handler raised).
#pragma once
#include <stdexcept>
#include <string>

namespace fastls {

// A caller passed something the kernel cannot work with. Python validation
// catches almost everything first; this is the last line of defence.
struct InvalidArgument : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Numerical breakdown: singular systems, loss of positive definiteness, ...
struct LinAlgError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A long loop was asked to stop (Ctrl-C). Never thrown inside OpenMP regions.
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};

// Throws InvalidArgument with `what` unless `ok`.
inline void require(bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument(what);
}

}  // namespace fastls
