// The round trip and the retry policy. A request is retried only when it cannot have run:
// its dial failed, the socket refused it before a byte went out, or the server answered that
// it did not execute it. Anything after the request may have reached the server (a timeout
// included) goes to the caller as is, so a write is never applied twice.
#include "lib/client/client_core.hpp"

#include "redpool/command.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/client/observe.hpp"
#include "lib/net/tls.hpp"
#include "lib/protocol/refusals.hpp"
#include "redpool/command.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

pool_config pool_config_of(const options& o) {
    pool_config c;
    c.pool_size = o.pool_size;
    c.min_idle_conns = o.min_idle_conns;
    c.max_idle_conns = o.max_idle_conns;
    c.pool_timeout = o.pool_timeout;
    c.conn_max_idle_time = o.conn_max_idle_time;
    c.conn_max_lifetime = o.conn_max_lifetime;
    c.conn_max_lifetime_jitter = o.conn_max_lifetime_jitter;
    c.pool_fifo = o.pool_fifo;
    c.liveness_check_after = o.liveness_check_after;
    c.reaper_interval = o.reaper_interval;
    c.address = o.address();
    c.observer = pool_observer_for(o);
    if (o.logger) {
        c.report_background_failure = [logger = o.logger](std::string_view message) {
            logger(log_level::warning, message);
        };
    }
    return c;
}

std::shared_ptr<const options> validated(options o) {
    o.validate();
    // A CA, certificate or key file that cannot be used fails here, not at the first dial.
    if (o.tls) tls_session::check_files(o);
    return std::make_shared<const options>(std::move(o));
}

[[noreturn]] void throw_needs_own_connection(std::string_view name, const command_info& command) {
    const char* why = command.replies == reply_count::several
                          ? "can answer with more than one reply, and a late one would reach the next caller"
                          : "would take over the connection";
    throw error(errc::invalid_argument,
                fmt::format("{} {}: it needs a connection of its own, not a pooled one", name, why));
}

// Dial failures that a later attempt may get past; not auth_failed (a wrong password stays
// wrong, and retrying it would storm the server) and not pool errors.
bool is_retryable_dial_error(const error& e) noexcept {
    return e.code() == errc::io_error || e.code() == errc::connect_timeout;
}

connection_dialer dialer_for(std::shared_ptr<const options> opts, std::shared_ptr<sentinel_locator> locator) {
    if (locator) return observed_dialer(*opts, [locator](std::stop_token stop) { return locator->dial(stop); });
    return observed_dialer(*opts, [opts](std::stop_token stop) { return connection::open(*opts, stop); });
}

}  // namespace

options::duration retry_backoff(int retry, options::duration min, options::duration max) {
    if (max.count() <= 0) return options::duration::zero();
    // min << retry, as go-redis's RetryBackoff, saturating: the cap comes long before.
    const int shift = std::clamp(retry, 0, 30);
    const long long limit = options::duration::max().count() >> shift;
    const long long span = min.count() > limit ? options::duration::max().count() : min.count() << shift;
    // random_device may throw (no entropy source), and callers such as the subscriber's
    // noexcept backoff must not: then the time mixed with the thread's id seeds it instead.
    thread_local std::minstd_rand engine([]() noexcept -> std::minstd_rand::result_type {
        try {
            return std::random_device{}();
        } catch (...) {
            const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
            const std::uint64_t thread = std::hash<std::thread::id>{}(std::this_thread::get_id());
            const std::uint64_t mixed = now ^ (thread + 0x9e3779b97f4a7c15ULL + (now << 6) + (now >> 2));
            return static_cast<std::minstd_rand::result_type>(mixed ^ (mixed >> 32));
        }
    }());
    const long long jitter = span > 0 ? std::uniform_int_distribution<long long>(0, span)(engine) : 0;
    return std::min(max, saturating_sum(min, options::duration(jitter)));
}

client_core::client_core(options opts)
    : opts_(validated(std::move(opts))),
      locator_(opts_->sentinel_master.empty() ? nullptr : std::make_shared<sentinel_locator>(*opts_)),
      dialer_(dialer_for(opts_, locator_)),
      pool_(connection_pool::create(pool_config_of(*opts_), dialer_, make_thread_scheduler())) {
    if (opts_->multiplex) mux_ = std::make_unique<sync_multiplexer>(pool_, opts_);
    leases_ = lease_tracker::for_options(*opts_);
    if (!locator_) return;
    // A failover: nothing dialed before may carry another command, as the old master may
    // still take writes for seconds (a multiplexed connection is given back within a second).
    locator_->set_on_switch([pool = std::weak_ptr<connection_pool>(pool_)] {
        if (auto p = pool.lock()) p->close_all_conns();
    });
    watcher_ = std::make_unique<switch_watcher>(locator_);
}

client_core::~client_core() {
    pool_->close();
    mux_.reset();  // after the pool's close: a connection it is fetching comes back at once
    watcher_.reset();
    if (leases_) leases_->stop();
}

void client_core::close() noexcept {
    pool_->close();
    if (mux_) mux_->close();
    if (watcher_) watcher_->stop();
}

redpool::pool_stats client_core::stats() const {
    redpool::pool_stats s = pool_->stats();
    if (mux_) add_mux_stats(s, mux_->stats());
    return s;
}

reply client_core::run_observed(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string_view name = args.empty() ? std::string_view() : args[0];
    try {
        reply out = run_unobserved(args, wire_bytes);
        report_command(opts_->hooks, name, 1, t0, out.is_error() ? make_error_code(errc::server_error) : std::error_code());
        return out;
    } catch (...) {
        report_command(opts_->hooks, name, 1, t0, error_code_of(std::current_exception()));
        throw;
    }
}

reply client_core::run_unobserved(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    const command_info& command = command_info_of(args);
    if (needs_own_connection(command)) throw_needs_own_connection(args[0], command);
    if (mux_ && command.effect == session_effect::none && command.timeout == block_timeout::not_blocking) {
        if (!wire_bytes.empty()) return mux_->run(wire_bytes, args[0]);
        const argument_block encoded(args);
        return mux_->run(encoded.encoded(), args[0]);
    }
    const auto timeout = read_timeout_for(command, args, opts_->read_timeout);
    reply out;
    with_retries(*opts_, [&](connection_pool::wait_budget& waiting, bool last) {
        return attempt(args, wire_bytes, waiting, timeout, last, command, out) == outcome::done;
    });
    return out;
}

connection_pool::lease borrow_for_attempt(connection_pool& pool, connection_pool::wait_budget& waiting,
                                          bool last_attempt) {
    try {
        return pool.get(waiting);
    } catch (const error& e) {
        if (last_attempt || !is_retryable_dial_error(e)) throw;
        return {};
    }
}

// The lease is returned before run() sleeps for the backoff.
client_core::outcome client_core::attempt(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                                          connection_pool::wait_budget& waiting, options::duration timeout,
                                          bool last_attempt, const command_info& command, reply& out) {
    connection_pool::lease conn = borrow_for_attempt(*pool_, waiting, last_attempt);
    if (!conn) return outcome::retry;
    try {
        conn->append(args, wire_bytes);
        conn->flush();
        conn->read_reply(out, timeout);
    } catch (const error& e) {
        // A connection refused the write before any byte went out: the command never ran.
        if (last_attempt || e.outcome_unknown() || e.code() != errc::io_error) throw;
        return outcome::retry;
    }
    // A session change (SELECT, MULTI, ...) must not reach the next caller: close instead.
    if (command.effect == session_effect::changed) conn->close();
    if (!out.is_error() || !command.error_may_mean_not_executed || !is_not_executed_reply(out.as_string())) {
        return outcome::done;
    }
    // The server closes a connection right after refusing it for max clients.
    if (is_max_clients_reply(out.as_string())) conn->close();
    return last_attempt ? outcome::done : outcome::retry;
}

}  // namespace redpool::detail
