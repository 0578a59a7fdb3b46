#include "lib/mux/sync_multiplexer.hpp"

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/mux/sync_request.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {

namespace {

// What the error says about whether the request may have run, when the connection did not say.
bool in_doubt(const sync_request& r) noexcept { return r.in_doubt; }

}  // namespace

sync_multiplexer::sync_multiplexer(std::shared_ptr<basic_pool<connection>> pool, std::shared_ptr<const options> opts)
    : opts_(opts),
      work_(io_.get_executor()),
      mux_(multiplexer::create(io_.get_executor(), std::move(pool), std::move(opts))),
      thread_([this] { io_.run(); }) {}

sync_multiplexer::~sync_multiplexer() {
    mux_->shut_down();
    work_.reset();  // the loop ends once the connections are closed
    thread_.join();
}

reply sync_multiplexer::run(std::span<const char> wire, std::string_view command_name) {
    if (closed_.load(std::memory_order_relaxed)) {
        throw error(errc::pool_closed, fmt::format("{}: the client is closed", command_name));
    }
    auto* r = new sync_request(wire);
    r->id = next_id_.fetch_add(1, std::memory_order_relaxed) + 1;
    mux_->submit(r);
    // The multiplexer bounds the wait itself (pool_timeout for room, read_timeout of silence on
    // the connection); this deadline is the caller's own: its reply within read_timeout of the
    // request, whatever the others' replies do.
    const auto timeout = opts_->read_timeout.count() == 0
                             ? options::duration::max()
                             : saturating_sum(opts_->pool_timeout, opts_->read_timeout);
    const auto deadline = saturating_add(std::chrono::steady_clock::now(), timeout);
    if (!r->wait(deadline)) {
        // Its late reply is read and dropped; the connection stays for the others.
        mux_->cancel(r->id, asio::cancellation_type::terminal);
        r->dispose();
        throw error(errc::read_timeout,
                    fmt::format("{} on {}: no reply within {} ms (multiplexed)", command_name, opts_->address(),
                                timeout.count()),
                    true);
    }
    const std::error_code ec = r->error();
    reply out = std::move(r->result);
    const bool may_have_run = in_doubt(*r);
    r->dispose();
    if (ec) {
        throw error(ec == asio::error::operation_aborted ? make_error_code(errc::pool_closed) : ec,
                    fmt::format("{} on {} (multiplexed): {}", command_name, opts_->address(), ec.message()),
                    may_have_run);
    }
    return out;
}

void add_mux_stats(redpool::pool_stats& s, const mux_stats& m) noexcept {
    s.mux_conns = m.connections;
    s.in_flight = m.in_flight;
    s.mux_waiting = m.waiting;
    s.mux_writes = m.writes;
    s.mux_requests = m.requests_written;
    s.abandoned_replies = m.abandoned_replies;
    s.resent = m.resent;
}

}  // namespace redpool::detail
