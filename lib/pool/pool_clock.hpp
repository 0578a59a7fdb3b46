// detail::coarse_clock — the pool's default clock. Idle times and lifetimes are seconds to
// minutes, so the kernel's coarse monotonic clock (a few ms resolution, ~5 ns to read, no
// rdtsc) is precise enough and keeps the borrow path cheap.
#pragma once

#include <time.h>

#include <chrono>

namespace redpool::detail {

struct coarse_clock {
    using time_point = std::chrono::steady_clock::time_point;

    time_point now() const noexcept {
        timespec ts;
        ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
};

}  // namespace redpool::detail
