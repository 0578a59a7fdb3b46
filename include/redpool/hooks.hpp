// redpool/hooks.hpp — what a client tells about its work as it happens, for metrics and
// tracing: each dial, each command or pipeline, each wait for a pooled connection, and each
// connection closed, with durations and outcomes. Set them in `options::hooks`; a hook left
// unset costs nothing (the call path only tests whether it is set).
//
// Hooks run on the thread that did the work (a caller's, the pool's background thread, an
// event loop), possibly several at once: they must be thread-safe and quick, and what they
// throw is dropped. They never see argument values or passwords: a command is its name.
//
//     redpool::options o;
//     o.hooks.on_command = [&](const redpool::command_event& e) {
//         latency[e.name].observe(e.duration);   // e.g. a Prometheus histogram
//     };
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>
#include <system_error>

namespace redpool {

/// A dial (connect, TLS and handshake), successful or not.
struct dial_event {
    std::string_view address;            ///< `host:port`, `unix:path` or `sentinel:<master>`
    std::chrono::nanoseconds duration;   ///< from the start of the dial to its end
    std::error_code error;               ///< empty on success; a `redpool::errc` otherwise
};

/// A command, or a pipeline or transaction as one, from the call to its result.
struct command_event {
    std::string_view name;               ///< the command's name as given (`GET`), or `pipeline`
    std::size_t commands;                ///< 1, or the number of commands in the pipeline
    std::chrono::nanoseconds duration;   ///< including waits for a connection and retries
    /// Empty on success (a server's error reply to an untyped `exec` is a success: a reply);
    /// the failure's code otherwise, `errc::server_error` for a typed command's error reply.
    std::error_code error;
};

/// How a wait for a pooled connection ended.
enum class pool_wait_outcome {
    got_connection,  ///< a connection became free
    timed_out,       ///< none did within `pool_timeout`
    pool_closed,     ///< the client was closed meanwhile
};

/// A call that found every connection in use and waited for one (no event when one was free).
struct pool_wait_event {
    std::chrono::nanoseconds duration;
    pool_wait_outcome outcome;
};

/// Why the pool closed a connection.
enum class close_cause {
    idle_time,      ///< idle longer than `conn_max_idle_time`
    lifetime,       ///< older than `conn_max_lifetime`
    unusable,       ///< came back in a state that cannot be trusted: a timeout, an error, unread data
    max_idle,       ///< came back while `max_idle_conns` were idle
    server_gone,    ///< the liveness check found it closed by the server, or broken
    pool_shrank,    ///< `pool_size` was lowered below the connections open
    failover,       ///< the master changed (Sentinel): made before, it may lead to the old one
    client_closed,  ///< the client was closed
};

/// A pooled connection closed.
struct conn_closed_event {
    std::string_view address;
    close_cause cause;
};

/// The callbacks of `options::hooks`; any may be left empty.
struct hooks {
    std::function<void(const dial_event&)> on_dial;
    std::function<void(const command_event&)> on_command;
    std::function<void(const pool_wait_event&)> on_pool_wait;
    std::function<void(const conn_closed_event&)> on_conn_closed;
};

}  // namespace redpool
