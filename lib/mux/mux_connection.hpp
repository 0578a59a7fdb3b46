// detail::mux_connection — one pooled connection carrying many callers' requests at once
// (automatic pipelining, docs/design/auto_pipelining.md): requests are appended to one write
// buffer and sent with one write per turn of the event loop, replies are matched to requests in
// the order they were sent, and a request cancelled after it was sent keeps its place so that
// its reply is read and dropped, never handed to the next caller.
//
// Everything runs on the multiplexer's strand. The connection holds its pool lease for its
// whole life, so the pool's turns, stats and close() still count it; when it fails, the lease
// goes back closed (the pool counts it unusable) and every request that may have run fails with
// the cause, while those that never left are handed back to be sent elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "lib/mux/request_fifo.hpp"
#include "lib/mux/sync_request.hpp"
#include "lib/net/connection.hpp"
#include "lib/pool/pool.hpp"
#include "lib/protocol/protocol.hpp"
#include "redpool/detail/async_request.hpp"
#include "redpool/options.hpp"

namespace redpool::detail {

using mux_strand = asio::strand<asio::any_io_executor>;
using connection_lease = basic_pool<connection>::lease;

class mux_connection;

/// What a connection tells its multiplexer (on the strand).
class mux_owner {
public:
    /// Replies freed room for more requests.
    virtual void on_room(mux_connection& conn) = 0;
    /// The connection failed with `ec`; `unsent` never left it and may be sent on another
    /// connection (take them). The connection is finished.
    virtual void on_failed(mux_connection& conn, request_fifo& unsent, std::error_code ec) = 0;
    /// A draining connection answered its last request and went back to the pool.
    virtual void on_retired(mux_connection& conn) = 0;

protected:
    ~mux_owner() = default;
};

/// Counters every connection adds to, read by stats from any thread.
struct mux_counters {
    std::atomic<std::uint64_t> writes{0};             // write calls that completed
    std::atomic<std::uint64_t> requests_written{0};   // requests they carried
    std::atomic<std::uint64_t> abandoned_replies{0};  // replies read for cancelled requests and dropped
    std::atomic<std::uint64_t> failed_in_doubt{0};    // requests failed after they may have reached the server
};

class mux_connection : public std::enable_shared_from_this<mux_connection> {
public:
    mux_connection(mux_strand strand, connection_lease lease, const options& opts, std::weak_ptr<mux_owner> owner,
                   mux_counters& counters);
    /// Deletes the requests still held without delivering them (the event loop is gone).
    ~mux_connection();
    mux_connection(const mux_connection&) = delete;
    mux_connection& operator=(const mux_connection&) = delete;

    /// Starts reading; replies and failures are reported from then on.
    void start();
    /// Whether it takes another request: not failed or draining, fewer than max_in_flight in
    /// flight.
    bool has_room() const noexcept { return !failed_ && !draining_ && in_flight_.size() < max_in_flight_; }
    /// Requests sent or about to be, whose replies are still due (cancelled ones included).
    std::size_t in_flight() const noexcept { return in_flight_.size(); }
    /// Queues `r` to be sent with the next write. Requires has_room().
    void send(async_request* r);
    /// Starts writing what `send` queued, unless a write is under way (its end starts the next).
    void flush();
    /// Finds the request `id`; if it is here, hands its caller `operation_aborted` now and keeps
    /// it in place, so its reply is read and dropped. Returns whether it was here.
    bool abandon(std::uint64_t id);
    /// Fails every request held with `ec` and closes the connection (the client is closing).
    void shut_down(std::error_code ec);
    /// Takes no more requests; once those in flight are answered, gives the connection back to
    /// the pool (which closes it if it is past conn_max_lifetime) and tells the owner.
    void drain();
    bool draining() const noexcept { return draining_; }
    /// The lease it holds, for the pool's questions about it.
    const connection_lease& lease() const noexcept { return lease_; }

private:
    void start_read();
    void on_read(std::error_code ec, std::size_t n);
    // Over TLS the session reads and writes the socket, and Asio only says when it is ready.
    void read_tls();
    void on_tls_readable(std::error_code ec);
    void write_tls();
    void on_written(std::error_code ec, std::size_t n);
    void watch();
    void on_watch(std::error_code ec);
    // Closes the connection and settles every request held (see the class comment).
    void fail(std::error_code ec, bool report);
    // A drained connection goes back to the pool as it is: clean, in blocking mode again.
    void retire();

    mux_strand strand_;
    connection_lease lease_;
    // A socket, not a descriptor: writes then pass MSG_NOSIGNAL, so a peer that closed raises
    // an error here rather than SIGPIPE in the whole program.
    asio::generic::stream_protocol::socket socket_;
    asio::steady_timer watchdog_;
    tls_session* const tls_;  // the lease's, or nullptr; valid until the lease is closed
    std::size_t tls_written_ = 0;  // of writing_, what the session took
    reply_reader reader_;
    std::weak_ptr<mux_owner> owner_;
    mux_counters& counters_;
    const std::size_t max_in_flight_;
    const std::chrono::milliseconds read_timeout_;

    std::vector<char> queued_;    // appended since the last write began
    std::vector<char> writing_;   // the write under way
    std::size_t writing_requests_ = 0;
    std::size_t queued_requests_ = 0;
    std::uint64_t bytes_queued_ = 0;        // every byte ever appended
    std::uint64_t bytes_handed_over_ = 0;   // of those, the ones given to a write (they may have gone out)
    bool writing_now_ = false;

    request_fifo in_flight_;  // oldest first
    wake_tree woken_;         // the sync callers of the replies of one read (see on_read)

    std::unique_ptr<char[]> receive_;
    reply dropped_;  // where a cancelled request's reply is read
    std::chrono::steady_clock::time_point last_progress_{};
    bool watching_ = false;
    bool failed_ = false;    // or retired: nothing of it runs any more
    bool draining_ = false;
};

}  // namespace redpool::detail
