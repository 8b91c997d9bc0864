#include "fastls/common/interrupt.hpp"

#include <atomic>
#include <chrono>

#include "fastls/common/error.hpp"

namespace fastls {
namespace {

std::atomic<InterruptHook> g_hook{nullptr};
constexpr auto kPollInterval = std::chrono::milliseconds(50);

}  // namespace

void set_interrupt_hook(InterruptHook hook) noexcept { g_hook.store(hook); }

bool interrupt_pending() {
    InterruptHook hook = g_hook.load(std::memory_order_relaxed);
    if (!hook) return false;
    thread_local auto last = std::chrono::steady_clock::now();
    const auto now = std::chrono::steady_clock::now();
    if (now - last < kPollInterval) return false;
    last = now;
    return hook();
}

void check_interrupt() {
    if (interrupt_pending()) throw Interrupted();
}

}  // namespace fastls
