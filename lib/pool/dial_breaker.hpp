// detail::dial_breaker — go-redis's guard against dial storms. After `threshold` dials in a row
// have failed (the pool uses pool_size), callers fail fast with the last dial's error instead
// of dialing, while one background probe redials about once a second; the first dial that
// succeeds closes the breaker. Not thread-safe: the pool keeps it under its lock.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {

class dial_breaker {
public:
    /// Whether callers should fail fast rather than dial.
    bool tripped(int threshold) const noexcept { return failures_in_row_ >= threshold; }

    /// A dial failed with `code` and `message` (already built, so this cannot throw).
    void on_failure(std::error_code code, std::string message) noexcept {
        ++failures_in_row_;
        last_code_ = code;
        last_message_ = std::move(message);
    }

    /// A dial succeeded: callers dial again.
    void on_success() noexcept { failures_in_row_ = 0; }

    /// Whether the breaker is tripped and nobody has scheduled its probe yet; if so the caller
    /// takes that duty (and gives it back with `probe_done` when the probe has run, or failed
    /// to be scheduled). So a tripped breaker always has a probe coming.
    bool take_probe_duty(int threshold) noexcept {
        if (!tripped(threshold) || probe_pending_) return false;
        probe_pending_ = true;
        return true;
    }
    void probe_done() noexcept { probe_pending_ = false; }

    /// The error a caller gets while the breaker is tripped: the last dial's.
    error fast_failure() const {
        return error(last_code_, fmt::format("{} (failing fast after {} failed dials; retrying in the "
                                             "background)",
                                             last_message_, failures_in_row_));
    }

private:
    int failures_in_row_ = 0;
    bool probe_pending_ = false;
    std::error_code last_code_ = make_error_code(errc::io_error);
    std::string last_message_;
};

}  // namespace redpool::detail
