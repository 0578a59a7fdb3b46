// detail::sync_multiplexer — the multiplexer for threads that wait (`client` with
// `options::multiplex`): its own event loop on one thread, to which callers hand their requests
// and on which they wait, so that many threads share a few connections, their requests
// coalesced into one write per turn, instead of queueing for a connection each.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string_view>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "lib/mux/multiplexer.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

class sync_multiplexer {
public:
    sync_multiplexer(std::shared_ptr<basic_pool<connection>> pool, std::shared_ptr<const options> opts);
    /// Completes what is outstanding with operation_aborted and stops the event loop. Close the
    /// pool first (a connection being fetched from it is waited for).
    ~sync_multiplexer();
    sync_multiplexer(const sync_multiplexer&) = delete;
    sync_multiplexer& operator=(const sync_multiplexer&) = delete;

    /// One command (its request encoded in `wire`), pipelined with other threads' commands: a
    /// server error is returned as data. Throws `redpool::error`: pool_closed after `close()`,
    /// pool_timeout when every multiplexed connection stayed full, read_timeout when the reply
    /// did not come within read_timeout (the connection stays: the late reply is dropped),
    /// io_error and the like when the connection failed (`outcome_unknown` once it was sent).
    reply run(std::span<const char> wire, std::string_view command_name);

    /// Later calls throw pool_closed; calls under way finish.
    void close() noexcept { closed_.store(true, std::memory_order_relaxed); }

    mux_stats stats() const { return mux_->stats(); }

private:
    const std::shared_ptr<const options> opts_;
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    const std::shared_ptr<multiplexer> mux_;
    std::atomic<std::uint64_t> next_id_{0};
    std::atomic<bool> closed_{false};
    std::thread thread_;
};

/// Adds the multiplexer's figures to the pool's.
void add_mux_stats(redpool::pool_stats& s, const mux_stats& m) noexcept;

}  // namespace redpool::detail
