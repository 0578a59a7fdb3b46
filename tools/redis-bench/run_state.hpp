// redis_bench::run_state — what the workers of one test share: how many requests are claimed
// and done, when to stop, and the first failure.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace redis_bench {

class run_state {
public:
    using clock = std::chrono::steady_clock;

    /// Stops after `requests`, or at `deadline` when set.
    run_state(long requests, std::optional<clock::time_point> deadline)
        : requests_(requests), deadline_(deadline) {}

    /// Claims up to `wanted` more requests; 0 means the test is over.
    long claim(long wanted) {
        if (failed_.load(std::memory_order_relaxed)) return 0;
        if (deadline_) return clock::now() < *deadline_ ? wanted : 0;
        const long first = issued_.fetch_add(wanted, std::memory_order_relaxed);
        return first >= requests_ ? 0 : std::min(wanted, requests_ - first);
    }

    void done(long n, long errors) {
        finished_.fetch_add(n, std::memory_order_relaxed);
        if (errors != 0) errors_.fetch_add(errors, std::memory_order_relaxed);
    }

    /// Records why a worker stopped; the first reason wins and ends the test.
    void fail(std::string why) {
        std::lock_guard lock(mutex_);
        if (!failure_) failure_ = std::move(why);
        failed_.store(true, std::memory_order_relaxed);
    }

    long finished() const { return finished_.load(std::memory_order_relaxed); }
    long errors() const { return errors_.load(std::memory_order_relaxed); }
    std::optional<std::string> failure() const {
        std::lock_guard lock(mutex_);
        return failure_;
    }

private:
    const long requests_;
    const std::optional<clock::time_point> deadline_;
    std::atomic<long> issued_{0};
    std::atomic<long> finished_{0};
    std::atomic<long> errors_{0};
    std::atomic<bool> failed_{false};
    mutable std::mutex mutex_;
    std::optional<std::string> failure_;  // guarded by mutex_
};

}  // namespace redis_bench
