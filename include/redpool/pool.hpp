// redpool/pool.hpp — what the connection pool reports about itself.
//
// Every `redpool::client` owns a go-redis-style pool: `pool_size` turns bound the connections
// in use, waiters are served first come first served for up to `pool_timeout` (a running thread
// may take a free turn ahead of them until the oldest has waited 1 ms), idle connections
// are reused (LIFO, or FIFO with `pool_fifo`) with a liveness check when they have been idle
// for longer than `liveness_check_after`, `min_idle_conns` are kept ready by background dials,
// and a reaper closes stale idle connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace redpool {

/// A snapshot of the pool's counters. Counters (`hits` ... `dial_errors`) only grow; gauges
/// (`total_conns`, `idle_conns`, `in_use`, `waiters`, `pool_size`) are the state at the moment
/// of the call. The "closed" counters are those of Go's database/sql (`MaxIdleClosed`,
/// `MaxIdleTimeClosed` = `idle_closed`, `MaxLifetimeClosed` = `lifetime_closed`) and go-redis
/// (`Unusable`).
struct pool_stats {
    std::uint64_t hits = 0;          ///< gets served by an idle connection
    std::uint64_t misses = 0;        ///< gets that had to dial a new connection
    std::uint64_t timeouts = 0;      ///< gets that gave up after `pool_timeout`
    std::uint32_t total_conns = 0;   ///< connections the pool owns, idle and in use
    std::uint32_t idle_conns = 0;    ///< connections waiting in the idle list
    std::uint64_t stale_conns = 0;   ///< idle connections closed as stale: too old, idle too
                                     ///< long, or found dead by the liveness check
    std::uint64_t wait_count = 0;    ///< gets that had to wait for a free connection
    std::chrono::nanoseconds wait_duration{0};  ///< total time spent waiting by those gets
    std::uint64_t max_idle_closed = 0;  ///< closed on return: `max_idle_conns` were idle
    std::uint64_t idle_closed = 0;      ///< closed for exceeding `conn_max_idle_time`
    std::uint64_t lifetime_closed = 0;  ///< closed for exceeding `conn_max_lifetime`
    std::uint64_t unusable_closed = 0;  ///< closed on return, never reused: their state was
                                        ///< uncertain (a timeout, an error, unread data) or a
                                        ///< command changed their session (SELECT, MULTI ...)
    std::uint64_t dial_errors = 0;      ///< failed dials, foreground and background
    std::uint32_t in_use = 0;        ///< turns taken: connections leased, dialed or checked
    std::uint32_t waiters = 0;       ///< gets waiting for a turn right now
    std::uint32_t pool_size = 0;     ///< the current `pool_size`

    // Automatic pipelining (`async_client`, and `client` with `options::multiplex`); zero
    // otherwise. Multiplexed connections hold their turns while open, so they also count in
    // `total_conns` and `in_use`.
    std::uint32_t mux_conns = 0;     ///< multiplexed connections open
    std::uint32_t in_flight = 0;     ///< requests sent on them and awaiting their replies
    std::uint32_t mux_waiting = 0;   ///< requests waiting for room (every connection at max_in_flight)
    std::uint64_t mux_writes = 0;    ///< writes on them, each carrying one or more requests
    std::uint64_t mux_requests = 0;  ///< requests those writes carried (divided by mux_writes:
                                     ///< the average batch)
    std::uint64_t abandoned_replies = 0;  ///< replies of cancelled requests, read and dropped
    std::uint64_t resent = 0;        ///< requests sent again: their connection failed before
                                     ///< sending them, so they cannot have run

    /// One JSON object with every field; `wait_duration` as `wait_duration_ns`.
    std::string to_json() const;
};

}  // namespace redpool
