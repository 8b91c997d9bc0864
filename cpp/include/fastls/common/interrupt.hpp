// Cooperative cancellation for long native loops.
//
// Kernels call check_interrupt() once per outer iteration, from the thread
// that entered the kernel. Inside an OpenMP region, thread 0 polls
// interrupt_pending() instead, sets a shared flag, and the kernel throws after
// the region. Both are cheap: they read a steady clock and only every ~50 ms
// ask the installed hook (the Python bindings install one that briefly takes
// the GIL and runs PyErr_CheckSignals). A pure C++ user installs nothing.
#pragma once

namespace fastls {

using InterruptHook = bool (*)();  // returns true when the run must stop

void set_interrupt_hook(InterruptHook hook) noexcept;

// True when the hook reports a pending interrupt (rate limited, never throws).
bool interrupt_pending();

// Throws Interrupted when interrupt_pending().
void check_interrupt();

}  // namespace fastls
