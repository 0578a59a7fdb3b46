// detail::sync_request — a request of a thread that waits for its reply (`client` with
// `options::multiplex`): the event loop's `deliver` publishes the result and wakes the thread
// with a futex only if it went to sleep; a caller still spinning pays no system call.
//
// Two owners: the library (until it disposes of the request) and the caller (until it has read
// the result, or gave up waiting). The last one to let go deletes it, so a caller that times out
// may leave at once while the library still reads and drops the late reply.
#pragma once

#include <atomic>
#include <chrono>
#include <span>

#include "lib/pool/futex.hpp"
#include "redpool/detail/async_request.hpp"

namespace redpool::detail {

class sync_request final : public async_request {
public:
    explicit sync_request(std::span<const char> wire) : async_request(request_bytes(wire), request_route::shared) {}

    void deliver(std::error_code ec) noexcept override {
        error_ = ec;
        // Release: the waiter that sees `done` sees the result and error_ too.
        if (state_.exchange(done, std::memory_order_acq_rel) == sleeping) futex_wake(&state_, 1);
    }

    void dispose() noexcept override {
        if (owners_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    /// Waits for `deliver` until `deadline` (time_point::max(): no limit); whether it came.
    bool wait(std::chrono::steady_clock::time_point deadline) noexcept {
        // No spinning first: measured with 64 threads on 2 cores (client-bench --multiplex,
        // GET), 200 rounds of pause cost 5 us of CPU per op and 20 rounds 4 us, for 155-185k
        // ops/s; sleeping at once, 1.4 us and 226-272k ops/s. A thread that spins takes the
        // core the event loop needs to produce the reply.
        for (;;) {
            int expected = pending;
            if (!state_.compare_exchange_strong(expected, sleeping, std::memory_order_acq_rel) && expected == done) {
                return true;
            }
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) return state_.load(std::memory_order_acquire) == done;
            const auto left = deadline == std::chrono::steady_clock::time_point::max()
                                  ? std::chrono::nanoseconds(-1)
                                  : std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
            futex_wait(&state_, sleeping, left);
            if (state_.load(std::memory_order_acquire) == done) return true;
        }
    }

    /// After `wait` returned true: the failure, if any (the reply is in `result`).
    std::error_code error() const noexcept { return error_; }

private:
    static constexpr int pending = 0;
    static constexpr int sleeping = 1;
    static constexpr int done = 2;

    std::atomic<int> state_{pending};
    std::atomic<int> owners_{2};
    std::error_code error_;
};

}  // namespace redpool::detail
