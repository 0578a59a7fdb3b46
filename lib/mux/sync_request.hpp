// detail::sync_request — a request of a thread that waits for its reply (`client` with
// `options::multiplex`): the event loop's `deliver` publishes the result and wakes the thread
// with a futex only if it went to sleep; a caller still running pays no system call.
//
// Two owners: the library (until it disposes of the request) and the caller (until it has read
// the result, or gave up waiting). The last one to let go deletes it, so a caller that times out
// may leave at once while the library still reads and drops the late reply.
//
// detail::wake_tree — the callers of the replies read in one go, woken as a tree. Waking a
// sleeping thread is a system call of several microseconds here (most of it the inter-processor
// interrupt), and the event loop's thread, waking 64 callers one by one, spent half its time
// on it and was the bottleneck. Now it wakes two, and each caller, once awake, wakes two more
// before it returns: log2(n) rounds, the work spread over the cores.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

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
    void deliver_among(wake_tree& tree) noexcept override;

    void dispose() noexcept override {
        if (owners_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    /// Waits for `deliver` until `deadline` (time_point::max(): no limit); whether it came.
    /// Once it has, wakes the callers this one is to wake (see wake_tree) before returning.
    bool wait(std::chrono::steady_clock::time_point deadline) noexcept {
        // No spinning first: measured with 64 threads on 2 cores (client-bench --multiplex,
        // GET), 200 rounds of pause cost 5 us of CPU per op and 20 rounds 4 us, for 155-185k
        // ops/s; sleeping at once, 1.4 us and 226-272k ops/s. A thread that spins takes the
        // core the event loop needs to produce the reply.
        for (;;) {
            int expected = pending;
            if (!state_.compare_exchange_strong(expected, sleeping, std::memory_order_acq_rel) && expected == done) {
                return came();
            }
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) return give_up();
            const auto left = deadline == std::chrono::steady_clock::time_point::max()
                                  ? std::chrono::nanoseconds(-1)
                                  : std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
            futex_wait(&state_, sleeping, left);
            if (state_.load(std::memory_order_acquire) == done) return came();
        }
    }

    /// After `wait` returned true: the failure, if any (the reply is in `result`).
    std::error_code error() const noexcept { return error_; }

private:
    friend class wake_tree;

    static constexpr int pending = 0;   // the caller has not slept yet
    static constexpr int sleeping = 1;  // the caller sleeps (or is about to) on state_
    static constexpr int done = 2;      // delivered
    static constexpr int gave_up = 3;   // the caller stopped waiting first

    bool came() noexcept {
        // Written before `done` was published, read after it was seen.
        for (std::atomic<int>* word : to_wake_) {
            // Its caller may have seen `done` by itself and gone, and the memory be reused: a
            // wake-up there is a spurious one, which every futex wait allows for.
            if (word != nullptr) futex_wake(word, 1);
        }
        return true;
    }

    // Stops waiting unless `done` came meanwhile. Once it is gave_up, whoever publishes `done`
    // wakes those this caller would have woken.
    bool give_up() noexcept {
        int seen = state_.load(std::memory_order_acquire);
        while (seen != done) {
            if (state_.compare_exchange_weak(seen, gave_up, std::memory_order_acq_rel)) return false;
        }
        return came();
    }

    std::atomic<int> state_{pending};
    std::atomic<int> owners_{2};
    std::error_code error_;
    std::atomic<int>* to_wake_[2] = {nullptr, nullptr};  // set by wake_tree before `done`
};

/// The sync requests whose replies were read in one go, published together once all are
/// parsed. A binary tree over them in order: the event loop wakes the first two, and request i
/// wakes 2i+2 and 2i+3 when its caller has seen `done`. A caller that had not slept yet sees
/// `done` without a wake-up and wakes its two all the same; for one that gave up, the event
/// loop wakes its two itself. `done` is published from the last to the first, so whoever sees
/// it on a request finds it on every request below: no wake-up comes before its `done` (a
/// caller woken early would go back to sleep, and nobody would wake it again). Not
/// thread-safe: one per connection, used by its event loop.
class wake_tree {
public:
    void add(sync_request* r) { members_.push_back(r); }
    bool empty() const noexcept { return members_.empty(); }

    /// Publishes every member as delivered, and starts the wake-ups. The members must still be
    /// the library's (not disposed of yet): their callers may leave as soon as they are done.
    void publish() noexcept {
        const std::size_t n = members_.size();
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t k = 0; k < 2; ++k) {
                const std::size_t child = 2 * i + 2 + k;
                members_[i]->to_wake_[k] = child < n ? &members_[child]->state_ : nullptr;
            }
        }
        for (std::size_t i = n; i-- > 0;) {
            sync_request& r = *members_[i];
            const int was = r.state_.exchange(sync_request::done, std::memory_order_acq_rel);
            if (i < 2 && was == sync_request::sleeping) futex_wake(&r.state_, 1);  // the roots
            if (was == sync_request::gave_up) {
                // Nobody waits on it to pass the wake-ups on.
                for (std::atomic<int>* word : r.to_wake_) {
                    if (word != nullptr) futex_wake(word, 1);
                }
            }
        }
        members_.clear();  // keeps its capacity: no allocation per turn once warm
    }

private:
    std::vector<sync_request*> members_;
};

inline void sync_request::deliver_among(wake_tree& tree) noexcept {
    error_ = {};
    try {
        tree.add(this);
    } catch (...) {  // no memory to grow the tree: delivered alone
        deliver({});
    }
}

}  // namespace redpool::detail
