// detail::scheduler — where the pool's background work runs: min-idle dials, the reaper, the
// dial-storm probe. The default runs an Asio io_context on one thread; tests use a manual one
// that runs work only when told to, so no test needs to sleep.
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
    /// Runs `work` soon, on the background thread. Never runs it inline.
    virtual void post(task work) = 0;
    /// Runs `work` after `delay`.
    virtual void post_after(duration delay, task work) = 0;
    /// Drops pending work and waits for running work to finish; later posts are ignored.
    virtual void stop() = 0;
};

/// An Asio io_context with one thread of its own.
std::unique_ptr<scheduler> make_thread_scheduler();

}  // namespace redpool::detail
