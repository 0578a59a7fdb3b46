// detail::multiplexer — the multiplexed connections of one pool, and the requests waiting for
// room on them (automatic pipelining, docs/design/auto_pipelining.md).
//
// Callers on any thread `submit`; one wake per empty-to-busy change of the submit queue brings
// the strand to take every request at once and hand them to connections, so the requests of
// one turn leave in one write per connection. Connections come from the pool (one at a time,
// on a thread of their own, since a get may wait and dial), and a connection carries at most
// `max_in_flight` requests: when all are that full and no more may be added, requests wait
// here, in order, at most `pool_timeout`. Nothing queues without bound: every waiting request
// is an operation its caller is waiting for.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <system_error>
#include <vector>

#include <asio/cancellation_type.hpp>
#include <asio/steady_timer.hpp>

#include "lib/mux/mux_connection.hpp"
#include "lib/mux/submit_queue.hpp"

namespace redpool::detail {

/// What the multiplexer reports about itself.
struct mux_stats {
    std::uint32_t connections = 0;    ///< multiplexed connections open
    std::uint32_t in_flight = 0;      ///< requests sent and awaiting replies
    std::uint32_t waiting = 0;        ///< requests waiting for room
    std::uint64_t writes = 0;         ///< writes, each carrying one or more requests
    std::uint64_t requests_written = 0;
    std::uint64_t abandoned_replies = 0;  ///< replies of cancelled requests, read and dropped
    std::uint64_t failed_in_doubt = 0;    ///< requests failed after they may have run
    std::uint64_t resent = 0;             ///< requests sent again after their connection failed before sending them
};

class multiplexer final : public mux_owner, public std::enable_shared_from_this<multiplexer> {
public:
    using pool_type = basic_pool<connection>;

    static std::shared_ptr<multiplexer> create(asio::any_io_executor executor, std::shared_ptr<pool_type> pool,
                                               std::shared_ptr<const options> opts);
    /// Deletes what is left without delivering it: reached only once the strand is gone.
    ~multiplexer();

    /// Takes `r` (route shared) to be sent; from any thread. Its caller's handler is called
    /// exactly once, through `deliver`.
    void submit(async_request* r) noexcept;
    /// Cancels request `id` if it is still here; from any thread. Not yet sent: it is removed
    /// and completes with `operation_aborted`. Sent: with a terminal or partial cancellation it
    /// completes with `operation_aborted` at once and its reply is dropped when it comes; a
    /// total one cannot undo what the server may be doing, and is ignored.
    void cancel(std::uint64_t id, asio::cancellation_type type);
    /// Completes every request here and every later one with `operation_aborted`, and closes
    /// the connections; from any thread. Idempotent. Waits for a connection being fetched from
    /// the pool: close the pool first, so that this is prompt. Nothing of the multiplexer runs
    /// on another thread afterwards, so the event loop may go once the strand has run.
    void shut_down();

    mux_stats stats() const;

    /// Private: use create().
    multiplexer(asio::any_io_executor executor, std::shared_ptr<pool_type> pool, std::shared_ptr<const options> opts);

private:
    void on_room(mux_connection& conn) override;
    void on_failed(mux_connection& conn, request_fifo& unsent, std::error_code ec) override;
    void on_retired(mux_connection& conn) override;

    // On the strand, all of them.
    void take_submitted();
    void place_waiting();
    void drain_old_connections();
    void arm_lifetime_timer();
    void forget(mux_connection& conn);
    void add_connection_if_needed();
    std::thread start_fetcher();
    void on_connection(connection_lease lease, std::error_code ec);
    void fail_waiting(std::error_code ec);
    void arm_wait_timer();
    void on_wait_timer(std::error_code ec);
    void close_now();

    mux_strand strand_;
    const std::shared_ptr<pool_type> pool_;
    const std::shared_ptr<const options> opts_;
    const int max_connections_;

    submit_queue<async_request> submitted_;
    std::atomic<bool> closed_{false};
    // The thread fetching a connection from the pool (one at a time); joined by shut_down, as
    // it posts to the strand, which must not outlive the event loop.
    std::mutex fetcher_mutex_;
    std::thread fetcher_;  // guarded by fetcher_mutex_

    // The strand's.
    std::vector<std::shared_ptr<mux_connection>> connections_;
    request_fifo waiting_;
    asio::steady_timer wait_timer_;
    bool wait_timer_armed_ = false;
    asio::steady_timer lifetime_timer_;  // looks for connections past conn_max_lifetime
    bool lifetime_timer_armed_ = false;
    bool adding_connection_ = false;
    bool shut_down_ = false;

    mux_counters counters_;
    std::atomic<std::uint32_t> connection_count_{0};
    std::atomic<std::uint32_t> in_flight_count_{0};
    std::atomic<std::uint32_t> waiting_count_{0};
    std::atomic<std::uint64_t> resent_{0};
};

}  // namespace redpool::detail
