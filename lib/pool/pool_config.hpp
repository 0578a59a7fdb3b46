// detail::pool_config — the pool's settings, and the invariants every one of them keeps, at
// construction and at run time alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace redpool::detail {

/// Why the pool closed a connection.
enum class close_reason : std::uint8_t {
    idle_too_long,   ///< idle longer than conn_max_idle_time
    too_old,         ///< older than conn_max_lifetime (with its jitter)
    dead,            ///< failed the liveness check while idle
    unusable,        ///< came back in an uncertain state: a timeout, an error, unread data
    idle_list_full,  ///< came back while max_idle_conns were idle
    surplus,         ///< the pool shrank below the connections it owns
    superseded,      ///< dialed before close_all_conns(): it may lead to the wrong server
    pool_closed,
};

/// How a wait for a turn ended.
enum class wait_outcome : std::uint8_t { granted, timed_out, closed };

/// What the pool reports as it happens (options::hooks, translated by the client). Called
/// outside the pool's lock, on the thread that did the work; must not throw.
struct pool_observer {
    std::function<void(close_reason)> on_closed;
    std::function<void(std::chrono::nanoseconds waited, wait_outcome)> on_waited;
};

struct pool_config {
    using duration = std::chrono::milliseconds;

    int pool_size = 10;                    ///< turns: connections in use or being dialed
    /// Idle connections kept ready. May exceed pool_size (after the pool shrinks) or a non-zero
    /// max_idle_conns (after that is lowered): it then counts as the smaller of the two, and
    /// applies again in full once they grow back.
    int min_idle_conns = 0;
    int max_idle_conns = 0;                ///< 0: no limit
    duration pool_timeout{4000};           ///< 0: fail at once when no turn is free
    duration conn_max_idle_time{0};        ///< 0: no limit
    duration conn_max_lifetime{0};         ///< 0: no limit
    duration conn_max_lifetime_jitter{0};  ///< lifetimes spread over lifetime +- this
    /// Idle connections returned less than this long ago are handed out without the liveness
    /// check (see options::liveness_check_after for the measured reason for 10 ms).
    duration liveness_check_after{10};
    bool pool_fifo = false;
    duration reaper_interval{0};           ///< 0: no background reaper
    std::string address;                   ///< for messages
    /// Told of what fails in the background (a min-idle dial, the breaker's probe); no call
    /// returns those. Called outside the pool's lock; must not throw.
    std::function<void(std::string_view)> report_background_failure;
    /// Told of connections closed and waits for a turn; null: nothing is reported, at no cost.
    std::shared_ptr<const pool_observer> observer;

    /// Throws `redpool::error` (`errc::invalid_argument`) naming the first field out of range:
    /// pool_size < 1, a negative count or duration, or a lifetime shorter than its jitter
    /// (connections would be born expired).
    void validate() const;

    /// min_idle_conns as it applies now: never more than pool_size, nor than a non-zero
    /// max_idle_conns (whatever min idle dialed, max idle would close, and min idle redial).
    int effective_min_idle() const noexcept {
        int n = min_idle_conns < pool_size ? min_idle_conns : pool_size;
        if (max_idle_conns > 0 && max_idle_conns < n) n = max_idle_conns;
        return n;
    }
};

}  // namespace redpool::detail
