#include "lib/mux/mux_connection.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <new>
#include <utility>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "lib/base/deadline.hpp"
#include "lib/net/tls.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {

namespace {

// Per connection, not per thread as the sync path's: an asynchronous read owns its buffer
// until it completes, and a few multiplexed connections serve every caller.
constexpr std::size_t receive_size = 64 * 1024;

// The protocol of a connected socket, which Asio needs to adopt it: TCP or a unix socket.
asio::generic::stream_protocol protocol_of(int fd) {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    const int family = address.ss_family;
    return {family, family == AF_UNIX ? 0 : IPPROTO_TCP};
}

std::error_code as_redpool_error(std::error_code ec) {
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
        return make_error_code(errc::io_error);
    }
    if (ec.category() == category()) return ec;
    return make_error_code(errc::io_error);
}

}  // namespace

mux_connection::mux_connection(mux_strand strand, connection_lease lease, const options& opts,
                               std::weak_ptr<mux_owner> owner, mux_counters& counters)
    : strand_(std::move(strand)),
      lease_(std::move(lease)),
      socket_(strand_, protocol_of(lease_->native_handle()), lease_->native_handle()),
      watchdog_(strand_),
      tls_(lease_->tls()),
      reader_(reply_limits_of(opts)),
      owner_(std::move(owner)),
      counters_(counters),
      max_in_flight_(static_cast<std::size_t>(opts.max_in_flight)),
      read_timeout_(opts.read_timeout),
      receive_(new char[receive_size]) {}

mux_connection::~mux_connection() {
    // Only reached with requests left when the event loop was destroyed before they finished:
    // their handlers can no longer run, so they go with them.
    while (async_request* r = in_flight_.pop_front()) r->dispose();
    if (!failed_) {
        socket_.release();
        lease_->close();
    }
}

void mux_connection::start() { start_read(); }

void mux_connection::send(async_request* r) {
    const std::span<const char> bytes = r->bytes.bytes();
    queued_.insert(queued_.end(), bytes.begin(), bytes.end());
    bytes_queued_ += bytes.size();
    r->wire_end = bytes_queued_;
    ++queued_requests_;
    if (in_flight_.empty()) last_progress_ = std::chrono::steady_clock::now();  // its wait starts now
    in_flight_.push_back(r);
    watch();
}

void mux_connection::flush() {
    if (failed_ || writing_now_ || queued_.empty()) return;
    writing_.swap(queued_);
    queued_.clear();
    writing_requests_ = std::exchange(queued_requests_, 0);
    bytes_handed_over_ += writing_.size();
    writing_now_ = true;
    if (tls_ != nullptr) {
        tls_written_ = 0;
        return write_tls();
    }
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_written(ec, n); });
}

void mux_connection::on_written(std::error_code ec, std::size_t) {
    writing_now_ = false;
    if (failed_) return;
    if (ec) return fail(as_redpool_error(ec), true);
    counters_.writes.fetch_add(1, std::memory_order_relaxed);
    counters_.requests_written.fetch_add(writing_requests_, std::memory_order_relaxed);
    // A huge request's buffer is not kept for the small ones that follow.
    if (writing_.capacity() > receive_size) std::vector<char>().swap(writing_);
    flush();
}

void mux_connection::write_tls() {
    while (tls_written_ < writing_.size()) {
        const ssize_t n = tls_->send(writing_.data() + tls_written_, writing_.size() - tls_written_, MSG_DONTWAIT);
        if (n > 0) {
            tls_written_ += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            socket_.async_wait(asio::socket_base::wait_write, [self = shared_from_this()](std::error_code ec) {
                if (ec || self->failed_) return self->on_written(ec ? ec : asio::error::operation_aborted, 0);
                self->write_tls();
            });
            return;
        }
        // Reported from the event loop, as an asynchronous write's failure is: flush() runs
        // inside the multiplexer's own calls, which failing here would re-enter.
        const std::error_code ec = errno == EPROTO ? make_error_code(errc::tls_error)
                                                   : std::error_code(errno, std::system_category());
        asio::post(strand_, [self = shared_from_this(), ec] { self->on_written(ec, 0); });
        return;
    }
    on_written({}, tls_written_);
}

void mux_connection::read_tls() {
    if (tls_->has_buffered()) {  // a poll would not see what the session holds
        asio::post(strand_, [self = shared_from_this()] { self->on_tls_readable({}); });
        return;
    }
    socket_.async_wait(asio::socket_base::wait_read,
                       [self = shared_from_this()](std::error_code ec) { self->on_tls_readable(ec); });
}

void mux_connection::on_tls_readable(std::error_code ec) {
    if (failed_) return;
    if (ec) return on_read(ec, 0);
    const ssize_t n = tls_->recv(receive_.get(), receive_size, MSG_DONTWAIT);
    if (n > 0) return on_read({}, static_cast<std::size_t>(n));
    if (n == 0) return on_read(asio::error::eof, 0);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return read_tls();
    on_read(errno == EPROTO ? make_error_code(errc::tls_error) : std::error_code(errno, std::system_category()), 0);
}

void mux_connection::start_read() {
    if (tls_ != nullptr) return read_tls();
    socket_.async_read_some(asio::buffer(receive_.get(), receive_size),
                            [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void mux_connection::on_read(std::error_code ec, std::size_t n) {
    if (failed_) return;
    if (ec) return fail(as_redpool_error(ec), true);
    last_progress_ = std::chrono::steady_clock::now();
    // Replies are parsed first and their callers completed after, so the callers this wakes do
    // not compete with the parsing of the rest.
    async_request* done_head = nullptr;
    async_request** done_tail = &done_head;
    std::error_code failure;
    try {
        reader_.feed(receive_.get(), n);
        while (!in_flight_.empty()) {
            async_request* r = in_flight_.front();
            if (!reader_.next(r->abandoned ? dropped_ : r->result)) break;
            in_flight_.pop_front();
            if (r->abandoned) {
                counters_.abandoned_replies.fetch_add(1, std::memory_order_relaxed);
                r->dispose();
            } else {
                *done_tail = r;
                done_tail = &r->next;
            }
        }
        // Bytes nobody asked for: the stream can no longer be trusted.
        if (in_flight_.empty() && reader_.has_buffered_bytes()) failure = make_error_code(errc::protocol_error);
    } catch (const std::system_error& e) {
        failure = e.code();
    } catch (const std::bad_alloc&) {
        failure = std::make_error_code(std::errc::not_enough_memory);
    }
    const bool freed_room = done_head != nullptr;
    for (async_request* r = done_head; r != nullptr; r = r->next) r->deliver_among(woken_);
    if (!woken_.empty()) woken_.publish();
    while (async_request* r = done_head) {  // only now: the tree's members must be ours until published
        done_head = r->next;
        r->dispose();
    }
    if (failure) return fail(failure, true);
    if (draining_ && in_flight_.empty()) return retire();
    start_read();
    if (freed_room) {
        if (auto owner = owner_.lock()) owner->on_room(*this);
    }
}

void mux_connection::watch() {
    if (watching_ || failed_ || in_flight_.empty() || read_timeout_.count() == 0) return;
    watching_ = true;
    watchdog_.expires_at(saturating_add(last_progress_, read_timeout_));
    watchdog_.async_wait([self = shared_from_this()](std::error_code ec) { self->on_watch(ec); });
}

void mux_connection::on_watch(std::error_code) {
    watching_ = false;
    if (failed_ || in_flight_.empty()) return;
    // Nothing arrived for read_timeout while replies were due: the server or the path to it is
    // stuck. One slow request alone does not get here while others' replies keep arriving.
    if (std::chrono::steady_clock::now() - last_progress_ >= read_timeout_) {
        return fail(make_error_code(errc::read_timeout), true);
    }
    watch();
}

bool mux_connection::abandon(std::uint64_t id) {
    async_request* r = in_flight_.find(id);
    if (r == nullptr) return false;
    if (!r->abandoned) {
        r->abandoned = true;
        r->in_doubt = true;  // in a write, or about to be: the server may run it
        r->deliver(asio::error::operation_aborted);
    }
    return true;
}

void mux_connection::drain() {
    draining_ = true;
    if (!failed_ && in_flight_.empty()) retire();
}

void mux_connection::retire() {
    failed_ = true;
    watchdog_.cancel();
    const int fd = socket_.release();  // cancels the read; the socket stays open
    // Asio made it non-blocking; the pool's connections wait with poll and blocking calls.
    if (const int flags = ::fcntl(fd, F_GETFL); flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    lease_.release();  // clean: nothing pending, nothing buffered
    if (auto owner = owner_.lock()) owner->on_retired(*this);
}

void mux_connection::shut_down(std::error_code ec) {
    if (!failed_) fail(ec, false);
}

void mux_connection::fail(std::error_code ec, bool report) {
    failed_ = true;
    watchdog_.cancel();
    socket_.release();  // cancels the read and the write; the lease closes the socket
    lease_->close();
    lease_.release();  // not clean: the pool counts it unusable and forgets it

    // What went into a write may have reached the server: it fails with the cause. What was
    // only queued never left, and goes back to be sent elsewhere.
    request_fifo unsent;
    while (async_request* r = in_flight_.pop_front()) {
        if (r->wire_end > bytes_handed_over_ && !r->abandoned) {
            unsent.push_back(r);
            continue;
        }
        if (!r->abandoned) {
            if (report) counters_.failed_in_doubt.fetch_add(1, std::memory_order_relaxed);
            r->in_doubt = true;
            r->deliver(ec);
        }
        r->dispose();
    }
    queued_.clear();
    queued_requests_ = 0;
    auto owner = report ? owner_.lock() : nullptr;
    if (owner) return owner->on_failed(*this, unsent, ec);
    while (async_request* r = unsent.pop_front()) {
        r->deliver(ec);
        r->dispose();
    }
}

}  // namespace redpool::detail
