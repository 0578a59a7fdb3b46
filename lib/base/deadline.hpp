// detail deadlines — durations turned into time points without overflow.
//
// Users write "wait forever" as `std::chrono::milliseconds::max()`, and Redis accepts
// `BLPOP k 1e10` (about 317 years). Converted to the steady clock's nanoseconds either one
// overflows: undefined behaviour that shows up as an instant timeout. Every deadline in redpool
// is computed here, and one past the clock's range means "no deadline".
#pragma once

#include <chrono>
#include <ratio>

namespace redpool::detail {

/// `d` in the unit of `To`, or `To::max()` when it does not fit (durations are non-negative).
template <typename To, typename Rep, typename Period>
constexpr To saturating_cast(std::chrono::duration<Rep, Period> d) noexcept {
    using from = std::chrono::duration<Rep, Period>;
    if constexpr (std::ratio_less_v<typename To::period, Period>) {
        // To is the finer unit: its largest value, in `from`'s coarser unit, always fits.
        if (d > std::chrono::duration_cast<from>(To::max())) return To::max();
    }
    return std::chrono::duration_cast<To>(d);
}

/// `a + b` for non-negative durations, or `max()` when the sum does not fit.
template <typename Rep, typename Period>
constexpr std::chrono::duration<Rep, Period> saturating_sum(std::chrono::duration<Rep, Period> a,
                                                            std::chrono::duration<Rep, Period> b) noexcept {
    using duration = std::chrono::duration<Rep, Period>;
    return a > duration::max() - b ? duration::max() : a + b;
}

/// `start + d`, or `time_point::max()` ("no deadline") when that is past the clock's range.
template <typename Clock, typename Duration, typename Rep, typename Period>
constexpr std::chrono::time_point<Clock, Duration> saturating_add(
    std::chrono::time_point<Clock, Duration> start, std::chrono::duration<Rep, Period> d) noexcept {
    using time_point = std::chrono::time_point<Clock, Duration>;
    const Duration step = saturating_cast<Duration>(d);
    // Before the epoch (an early time point) the sum cannot overflow, but max() - start would.
    if (start.time_since_epoch().count() > 0 && step > time_point::max() - start) return time_point::max();
    return start + step;
}

/// The deadline `timeout` after `start`, where a zero timeout means none: `time_point::max()`.
template <typename Clock, typename Duration, typename Rep, typename Period>
constexpr std::chrono::time_point<Clock, Duration> deadline_after(
    std::chrono::time_point<Clock, Duration> start, std::chrono::duration<Rep, Period> timeout) noexcept {
    if (timeout.count() <= 0) return std::chrono::time_point<Clock, Duration>::max();
    return saturating_add(start, timeout);
}

}  // namespace redpool::detail
