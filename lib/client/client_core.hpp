// detail::client_core — what every client call goes through: borrow a connection from the
// pool, one round trip, and the retry policy that never runs a command twice.
#pragma once

#include <functional>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <system_error>
#include <thread>

#include "lib/client/lease_tracker.hpp"
#include "lib/commands/command_table.hpp"
#include "lib/mux/sync_multiplexer.hpp"
#include "lib/net/connection.hpp"
#include "lib/pool/pool.hpp"
#include "lib/sentinel/sentinel_locator.hpp"
#include "lib/sentinel/switch_watcher.hpp"
#include "redpool/error.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

using connection_pool = basic_pool<connection>;

class client_core {
public:
    /// Validates `opts` and starts the pool (background min-idle dials, reaper).
    explicit client_core(options opts);
    /// Closes the pool (and the multiplexer). Leases still out keep it alive until they come back.
    ~client_core();
    client_core(const client_core&) = delete;
    client_core& operator=(const client_core&) = delete;

    /// One command: a server error reply is returned as data. Throws `redpool::error`.
    /// A call waits for turns at most pool_timeout in all, over all its attempts, and each
    /// attempt dials at most once (within dial_timeout).
    /// Runs a command; `wire_bytes`, when not empty, is `args` already encoded.
    reply run(std::span<const std::string_view> args, std::span<const char> wire_bytes = {}) {
        if (!opts_->hooks.on_command) [[likely]] return run_unobserved(args, wire_bytes);
        return run_observed(args, wire_bytes);
    }

    /// With `options::multiplex`, ordinary commands go through the multiplexer (see
    /// sync_multiplexer); blocking and session commands still borrow a connection each.

    /// Closes the pool; later calls throw pool_closed, calls under way finish.
    void close() noexcept;
    /// The pool's stats, with the multiplexer's.
    redpool::pool_stats stats() const;

    connection_pool& pool() noexcept { return *pool_; }
    const connection_pool& pool() const noexcept { return *pool_; }
    /// The pool itself, for what may outlive this object (pipelines, pinned connections).
    std::shared_ptr<connection_pool> shared_pool() const noexcept { return pool_; }

    /// How every connection of this client is made: to options' address, or to the master the
    /// sentinels name (with its role checked). For what dials outside the pool (subscribers).
    const connection_dialer& dialer() const noexcept { return dialer_; }

    /// Tracks what callers hold for long (pinned connections, subscribers) when
    /// options::lease_warning_after is set: an empty ticket otherwise. `file` and `line` say
    /// where it was taken.
    lease_tracker::ticket track_lease(std::string_view what, const char* file, int line) {
        return leases_ ? leases_->track(what, file, line) : lease_tracker::ticket();
    }

    /// The validated options.
    const options& settings() const noexcept { return *opts_; }
    std::shared_ptr<const options> shared_settings() const noexcept { return opts_; }

private:
    enum class outcome { done, retry };
    reply run_unobserved(std::span<const std::string_view> args, std::span<const char> wire_bytes);
    // run() telling options::hooks::on_command how it went.
    [[gnu::noinline]] reply run_observed(std::span<const std::string_view> args, std::span<const char> wire_bytes);
    outcome attempt(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                    connection_pool::wait_budget& waiting, options::duration timeout, bool last_attempt,
                    const command_info& command, reply& out);

    const std::shared_ptr<const options> opts_;
    const std::shared_ptr<sentinel_locator> locator_;  // with options::sentinel_master
    const connection_dialer dialer_;
    const std::shared_ptr<connection_pool> pool_;
    std::unique_ptr<switch_watcher> watcher_;  // with options::sentinel_master
    std::unique_ptr<sync_multiplexer> mux_;  // with options::multiplex
    std::shared_ptr<lease_tracker> leases_;  // with options::lease_warning_after
};

/// The jittered exponential backoff before retry number `retry` (0-based), as go-redis's:
/// uniform in [min, min + (min << retry)], never above `max`; zero when `max` is zero.
options::duration retry_backoff(int retry, options::duration min, options::duration max);

/// The retry loop every borrowing call shares: calls `attempt(waiting, last_attempt)` until it
/// returns true, up to `max_retries` more times with the jittered backoff between tries, and
/// `waiting` the pool_timeout budget of them all. `attempt` throws to give up.
template <class Attempt>
void with_retries(const options& opts, Attempt&& attempt) {
    connection_pool::wait_budget waiting;
    for (int retry = 0;; ++retry) {
        if (attempt(waiting, retry >= opts.max_retries)) return;
        std::this_thread::sleep_for(retry_backoff(retry, opts.min_retry_backoff, opts.max_retry_backoff));
    }
}

/// The non-throwing form of every executor's `exec`: what `call` returns, or a nil reply with
/// `ec` set to what it threw (its redpool::errc, ENOMEM, or io_error for anything else, such as
/// an exception from on_connect).
template <class Call>
reply exec_noexcept(Call&& call, std::error_code& ec) noexcept {
    ec.clear();
    try {
        return call();
    } catch (const std::system_error& e) {
        ec = e.code();
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        ec = make_error_code(errc::io_error);
    }
    return reply();
}

/// For a typed command's reply: a server error throws `reply_error`.
inline void throw_if_error(reply& r) {
    if (r.is_error()) throw reply_error(r.take_string());
}

/// One attempt's borrow: the lease, or an empty one when the dial failed in a way another
/// attempt may get past (and this is not the last). Throws otherwise.
connection_pool::lease borrow_for_attempt(connection_pool& pool, connection_pool::wait_budget& waiting,
                                          bool last_attempt);

}  // namespace redpool::detail
