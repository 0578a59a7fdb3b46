#include "lib/mux/multiplexer.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include <asio/error.hpp>
#include <asio/post.hpp>

#include "lib/base/deadline.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {

namespace {

// Few connections carry everything: one deep queue writes bigger batches than several shallow
// ones (go-redis's and rueidis's finding), so a second connection is added only when the first
// is full. Half the pool at most, and four: the rest stays for blocking and session commands,
// which need connections of their own.
int connection_limit(const options& opts) { return std::clamp(opts.pool_size / 2, 1, 4); }

std::error_code aborted() { return asio::error::operation_aborted; }

}  // namespace

std::shared_ptr<multiplexer> multiplexer::create(asio::any_io_executor executor, std::shared_ptr<pool_type> pool,
                                                 std::shared_ptr<const options> opts) {
    return std::make_shared<multiplexer>(std::move(executor), std::move(pool), std::move(opts));
}

multiplexer::multiplexer(asio::any_io_executor executor, std::shared_ptr<pool_type> pool,
                         std::shared_ptr<const options> opts)
    : strand_(asio::make_strand(std::move(executor))),
      pool_(std::move(pool)),
      opts_(std::move(opts)),
      max_connections_(connection_limit(*opts_)),
      wait_timer_(strand_),
      lifetime_timer_(strand_) {}

multiplexer::~multiplexer() {
    if (fetcher_.joinable()) fetcher_.join();  // only without shut_down: the pool's get ends it
    for (async_request* r = submitted_.take_all(); r != nullptr;) std::exchange(r, r->next_submitted)->dispose();
    while (async_request* r = waiting_.pop_front()) r->dispose();
    // Connections delete their own requests when the last handler holding them goes.
}

void multiplexer::submit(async_request* r) noexcept {
    if (submitted_.push(r)) {
        asio::post(strand_, [self = shared_from_this()] {
            self->take_submitted();
            self->place_waiting();
        });
    }
}

void multiplexer::take_submitted() {
    async_request* r = submitted_.take_all();
    if (r == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    while (r != nullptr) {
        async_request* next = r->next_submitted;
        r->next_submitted = nullptr;
        if (shut_down_) {
            r->deliver(aborted());
            r->dispose();
        } else {
            r->queued_at = now;
            waiting_.push_back(r);
        }
        r = next;
    }
}

void multiplexer::place_waiting() {
    // The first connection with room takes requests until it is full: deep queues, big writes.
    std::size_t at = 0;
    while (!waiting_.empty() && at < connections_.size()) {
        mux_connection& conn = *connections_[at];
        if (!conn.has_room()) {
            ++at;
            continue;
        }
        conn.send(waiting_.pop_front());
    }
    for (const auto& conn : connections_) conn->flush();  // one write per connection per turn

    std::uint32_t in_flight = 0;
    for (const auto& conn : connections_) in_flight += static_cast<std::uint32_t>(conn->in_flight());
    in_flight_count_.store(in_flight, std::memory_order_relaxed);
    waiting_count_.store(static_cast<std::uint32_t>(waiting_.size()), std::memory_order_relaxed);

    if (waiting_.empty()) return;
    add_connection_if_needed();
    arm_wait_timer();
}

void multiplexer::arm_lifetime_timer() {
    if (lifetime_timer_armed_ || shut_down_ || connections_.empty()) return;
    lifetime_timer_armed_ = true;
    // On a timer, not at every placing turn: asking the pool takes its lock. Ten looks a second
    // with a lifetime set; one a second otherwise, as one may be set at run time.
    using namespace std::chrono_literals;
    lifetime_timer_.expires_after(opts_->conn_max_lifetime.count() > 0 ? 100ms : 1s);
    lifetime_timer_.async_wait([self = shared_from_this()](std::error_code) {
        self->lifetime_timer_armed_ = false;
        if (self->shut_down_) return;
        self->drain_old_connections();
        self->arm_lifetime_timer();
    });
}

void multiplexer::drain_old_connections() {
    // A multiplexed connection holds its lease for good, so conn_max_lifetime is applied here:
    // past it, a connection takes nothing more and goes back to the pool once it has answered
    // what it carries (the pool then closes it, counted in lifetime_closed). A copy, since a
    // drained idle connection retires at once, leaving connections_.
    std::vector<mux_connection*> old;
    for (const auto& conn : connections_) {
        if (!conn->draining() && pool_->is_past_lifetime(conn->lease())) old.push_back(conn.get());
    }
    for (mux_connection* conn : old) conn->drain();
}

void multiplexer::forget(mux_connection& conn) {
    std::erase_if(connections_, [&](const auto& c) { return c.get() == &conn; });
    connection_count_.store(static_cast<std::uint32_t>(connections_.size()), std::memory_order_relaxed);
}

void multiplexer::on_retired(mux_connection& conn) {
    forget(conn);
    place_waiting();
}

void multiplexer::add_connection_if_needed() {
    if (adding_connection_ || shut_down_ || static_cast<int>(connections_.size()) >= max_connections_) return;
    adding_connection_ = true;
    // A get may wait for a turn and dial (seconds, at worst), so it runs off the event loop.
    std::lock_guard lock(fetcher_mutex_);
    if (closed_) return;
    // The previous fetch has posted its result (on_connection ran): this join is immediate.
    if (fetcher_.joinable()) fetcher_.join();
    try {
        fetcher_ = start_fetcher();
    } catch (const std::system_error& e) {
        // No thread to fetch with: as a failed fetch, so that nothing waits on it for ever.
        adding_connection_ = false;
        if (connections_.empty()) fail_waiting(e.code());
    }
}

// The thread that gets a connection from the pool and posts it to the strand. The lease
// travels back with its pool: the pool must outlive a lease never delivered.
std::thread multiplexer::start_fetcher() {
    struct delivery {
        std::shared_ptr<pool_type> pool;
        connection_lease lease;
    };
    return std::thread([weak = weak_from_this(), pool = pool_, strand = strand_]() mutable {
        auto got = std::make_shared<delivery>();
        got->pool = pool;
        std::error_code ec;
        try {
            got->lease = pool->get();
        } catch (const std::system_error& e) {
            ec = e.code();
        } catch (...) {
            ec = make_error_code(errc::io_error);
        }
        asio::post(strand, [weak, got, ec] {
            if (auto self = weak.lock()) self->on_connection(std::move(got->lease), ec);
        });
    });
}

void multiplexer::on_connection(connection_lease lease, std::error_code ec) {
    adding_connection_ = false;
    if (shut_down_) return;  // the lease goes back to the pool
    if (ec) {
        // With no connection at all, nothing will free room: the waiting requests get the
        // cause (a dial error, pool_timeout, pool_closed). Otherwise they wait for room, at
        // most pool_timeout (the timer stood still while the connection was on its way).
        if (connections_.empty()) fail_waiting(ec);
        else arm_wait_timer();
        return;
    }
    auto conn = std::make_shared<mux_connection>(strand_, std::move(lease), *opts_,
                                                 std::weak_ptr<mux_owner>(shared_from_this()), counters_);
    conn->start();
    connections_.push_back(std::move(conn));
    connection_count_.store(static_cast<std::uint32_t>(connections_.size()), std::memory_order_relaxed);
    arm_lifetime_timer();
    place_waiting();
}

void multiplexer::on_room(mux_connection&) {
    if (!waiting_.empty()) place_waiting();
    else {
        std::uint32_t in_flight = 0;
        for (const auto& conn : connections_) in_flight += static_cast<std::uint32_t>(conn->in_flight());
        in_flight_count_.store(in_flight, std::memory_order_relaxed);
    }
}

void multiplexer::on_failed(mux_connection& failed, request_fifo& unsent, std::error_code ec) {
    forget(failed);
    // Requests that never left go first again, in their order, ahead of those that waited
    // behind them; each may be sent again up to max_retries times (it cannot have run).
    request_fifo again;
    while (async_request* r = unsent.pop_front()) {
        if (shut_down_ || ++r->retries > opts_->max_retries) {
            r->deliver(shut_down_ ? aborted() : ec);
            r->dispose();
            continue;
        }
        resent_.fetch_add(1, std::memory_order_relaxed);
        again.push_back(r);
    }
    waiting_.splice_front(again);
    place_waiting();
}

void multiplexer::fail_waiting(std::error_code ec) {
    while (async_request* r = waiting_.pop_front()) {
        r->deliver(ec);
        r->dispose();
    }
    waiting_count_.store(0, std::memory_order_relaxed);
}

void multiplexer::arm_wait_timer() {
    const auto limit = opts_->pool_timeout;
    if (wait_timer_armed_ || waiting_.empty() || limit == options::duration::max()) return;
    wait_timer_armed_ = true;
    wait_timer_.expires_at(saturating_add(waiting_.front()->queued_at, limit));
    wait_timer_.async_wait([self = shared_from_this()](std::error_code ec) { self->on_wait_timer(ec); });
}

void multiplexer::on_wait_timer(std::error_code) {
    wait_timer_armed_ = false;
    if (shut_down_) return;
    // While a connection is on its way, the pool's get bounds the wait (pool_timeout, then the
    // dial's own timeout), and its failure is what the waiting requests get; its arrival arms
    // the timer again.
    if (adding_connection_) return;
    const auto now = std::chrono::steady_clock::now();
    while (!waiting_.empty() && saturating_add(waiting_.front()->queued_at, opts_->pool_timeout) <= now) {
        async_request* r = waiting_.pop_front();
        r->deliver(make_error_code(errc::pool_timeout));
        r->dispose();
    }
    waiting_count_.store(static_cast<std::uint32_t>(waiting_.size()), std::memory_order_relaxed);
    arm_wait_timer();
}

void multiplexer::cancel(std::uint64_t id, asio::cancellation_type type) {
    asio::post(strand_, [self = shared_from_this(), id, type] {
        self->take_submitted();
        if (async_request* r = self->waiting_.remove(id)) {
            r->deliver(aborted());
            r->dispose();
            return;
        }
        // Already sent: the server may be running it, so only a cancellation that gives up on
        // the result (terminal, partial) completes it early.
        if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) ==
            asio::cancellation_type::none) {
            return;
        }
        for (const auto& conn : self->connections_) {
            if (conn->abandon(id)) return;
        }
    });
}

void multiplexer::shut_down() {
    std::thread fetcher;
    {
        std::lock_guard lock(fetcher_mutex_);
        if (closed_.exchange(true)) return;
        fetcher = std::move(fetcher_);
    }
    asio::post(strand_, [self = shared_from_this()] { self->close_now(); });
    if (fetcher.joinable()) fetcher.join();
}

void multiplexer::close_now() {
    shut_down_ = true;
    take_submitted();
    fail_waiting(aborted());
    wait_timer_.cancel();
    lifetime_timer_.cancel();
    for (const auto& conn : connections_) conn->shut_down(aborted());
    connections_.clear();
    connection_count_.store(0, std::memory_order_relaxed);
    in_flight_count_.store(0, std::memory_order_relaxed);
}

mux_stats multiplexer::stats() const {
    mux_stats s;
    s.connections = connection_count_.load(std::memory_order_relaxed);
    s.in_flight = in_flight_count_.load(std::memory_order_relaxed);
    s.waiting = waiting_count_.load(std::memory_order_relaxed);
    s.writes = counters_.writes.load(std::memory_order_relaxed);
    s.requests_written = counters_.requests_written.load(std::memory_order_relaxed);
    s.abandoned_replies = counters_.abandoned_replies.load(std::memory_order_relaxed);
    s.failed_in_doubt = counters_.failed_in_doubt.load(std::memory_order_relaxed);
    s.resent = resent_.load(std::memory_order_relaxed);
    return s;
}

}  // namespace redpool::detail
