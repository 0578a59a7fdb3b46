// detail::scheduler — where the pool's background work runs: the reaper and the dial probe on
// a timer, and background dials (min idle, the probe's dial) on threads of their own. The
// default runs an Asio io_context on one thread; tests use a manual one that runs work only
// when told to, so no test needs to sleep.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace redpool::detail {

class scheduler {
public:
    using duration = std::chrono::milliseconds;
    using task = std::function<void()>;

    virtual ~scheduler() = default;
    /// Runs `work` after `delay`, on the timer thread. Timed work must not block: everything
    /// timed waits behind it.
    virtual void post_after(duration delay, task work) = 0;
    /// Runs `work` now on a thread of its own, for work that blocks (a dial may take its whole
    /// dial_timeout): it delays neither timed work nor other spawned work.
    virtual void spawn(task work) = 0;
    /// Drops timed work not yet started, waits for work that is running, and ignores later
    /// posts and spawns. Blocking work must be cancelled first (the pool cancels its dials), so
    /// this returns promptly. Idempotent.
    virtual void stop() = 0;
};

/// An Asio io_context with a timer thread of its own, plus a thread per spawned task.
std::unique_ptr<scheduler> make_thread_scheduler();

}  // namespace redpool::detail
