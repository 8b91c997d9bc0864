// Cooperative cancellation for long native loops.
//
// Kernels call check_interrupt() once per outer iteration, from the thread
// that entered the kernel and outside OpenMP parallel regions. The call is
// cheap: it reads a steady clock and only every ~50 ms asks the installed hook
// (the Python bindings install one that briefly takes the GIL and runs
// PyErr_CheckSignals). A pure C++ user installs nothing and never pays.
#pragma once

namespace fastls {

using InterruptHook = bool (*)();  // returns true when the run must stop

void set_interrupt_hook(InterruptHook hook) noexcept;

// Throws Interrupted when the hook reports a pending interrupt.
void check_interrupt();

}  // namespace fastls
