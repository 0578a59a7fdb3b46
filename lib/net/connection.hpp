// detail::connection — one socket to the server: dial and handshake, requests encoded into a
// write buffer, replies read with real deadlines. After any timeout, I/O error or protocol error
// the socket is closed at once and the connection refuses further use: a reply can never reach
// the wrong caller.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

#include "lib/protocol/protocol.hpp"
#include "lib/protocol/write_buffer.hpp"
#include "redpool/error.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

/// The limits `opts` sets on what one reply may claim.
reply_limits reply_limits_of(const options& opts) noexcept;

class connection;
class tls_session;
/// Makes a new connection to a client's server; a stop request cancels it.
using connection_dialer = std::function<std::unique_ptr<connection>(std::stop_token)>;

class connection {
public:
    using clock = std::chrono::steady_clock;
    using duration = options::duration;

    /// Dials and runs the handshake (AUTH, SELECT, CLIENT SETNAME — or PING when none is
    /// needed — in one round trip, then `on_connect`), all within `dial_timeout`, host-name
    /// lookup included. A stop request on `stop`, from any thread, cancels it at once. Throws
    /// `redpool::error`: `connect_timeout`, `io_error` (also for a server at max clients, and
    /// when cancelled), `auth_failed`, `invalid_argument` (SELECT or SETNAME refused), or
    /// whatever `on_connect` throws.
    /// With `expected_role` ("master" or "slave"), ROLE joins that round trip, before
    /// `on_connect`, and a server in another role fails the dial with `io_error` (a Sentinel
    /// client reached a server that a failover has moved on from).
    static std::unique_ptr<connection> open(const options& opts, std::stop_token stop = {},
                                            std::string_view expected_role = {});

    /// Takes ownership of a connected socket (see dial_socket); no handshake.
    connection(int fd, const options& opts);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Encodes a command into the write buffer; nothing is sent until `flush`. `wire_bytes`,
    /// when not empty, is `args` already encoded (a `command`'s request), copied as it is.
    void append(std::span<const std::string_view> args, std::span<const char> wire_bytes = {});
    /// Writes everything appended, within `write_timeout`. Starts the read deadline.
    void flush();
    /// Reads the next reply of those appended; the deadline is `timeout` after the last flush
    /// (zero: no limit), so a whole batch shares one deadline. Flushes first if needed.
    void read_reply(reply& out, duration timeout);
    /// Same, with `read_timeout`.
    void read_reply(reply& out) { read_reply(out, read_timeout_); }
    /// One round trip: append, flush, read.
    reply exec(std::span<const std::string_view> args);

    /// Receives the replies of a streamed batch, in order.
    class reply_sink {
    public:
        /// Where the next replies are read into, in order: default (nil) replies, so they are
        /// built in place; at least one, and as many as can be read without a look in between.
        virtual std::span<reply> next_slots() = 0;
        /// The first `n` replies of the last `next_slots()` are complete.
        virtual void on_replies(std::size_t n) = 0;
        /// The exchange is about to wait for the server, as it always does before the first
        /// reply: a moment for work that would otherwise keep the server idle (before the
        /// requests go out, or after the last reply). May throw, as `next_slots()` may.
        virtual void while_waiting() {}

    protected:
        ~reply_sink() = default;
    };
    /// A batch in one go: writes `requests` (encoded commands, the segments in order) while
    /// reading `replies` replies into `sink`, so neither side's socket buffer can fill up and
    /// stall the other. Fails (closing the connection, `outcome_unknown` once a byte went out)
    /// after `timeout` without progress — no byte written or read — zero meaning no limit.
    /// Requires nothing else pending. Defined in connection_exchange.cpp.
    void exchange(std::span<const std::span<const char>> requests, std::size_t replies, reply_sink& sink,
                  duration timeout);

    /// For a connection that receives replies nobody asked for (pub/sub): the next one if it
    /// is complete or becomes complete before `until`, else false, keeping any part of one
    /// that arrived. Throws as `read_reply` does when the connection fails (closing it).
    /// Defined in connection_push.cpp.
    bool read_pushed(reply& out, clock::time_point until);
    /// Sends a command without expecting its reply to be read with `read_reply` (pub/sub:
    /// its confirmation comes through `read_pushed`).
    void send_unpaired(std::span<const std::string_view> args);

    /// Undoes a session's changes for the next caller: RESET, then the handshake again (AUTH,
    /// SELECT, CLIENT SETNAME, `on_connect`) within `dial_timeout`. Throws as `open` does,
    /// closing the connection. Defined in connection_reset.cpp.
    void reset_session(const options& opts);

    /// Cheap liveness check for a connection about to be reused: not broken, nothing pending,
    /// and a non-blocking peek sees neither EOF nor unexpected bytes. Breaks it otherwise.
    bool is_usable() noexcept;
    /// Whether a failure has closed the connection.
    bool is_broken() const noexcept { return fd_ < 0; }
    /// Whether it is safe to hand to another caller: not broken, no reply left unread, nothing
    /// left unsent, no unasked bytes received. A connection that is not clean must be closed, never pooled.
    bool is_clean() const noexcept {
        return fd_ >= 0 && pending_ == 0 && wbuf_.empty() && !reader_.has_buffered_bytes() &&
               (tls_ == nullptr || !tls_has_unread());
    }
    /// Closes the socket; further use throws `errc::connection_broken`.
    void close() noexcept;
    /// Hands the socket over to the caller (e.g. an event loop), who then owns it; the
    /// connection is left closed. Only for a clean connection: nothing pending, nothing buffered.
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

    /// `host:port` or `unix:path`, for messages.
    const std::string& address() const noexcept { return address_; }
    /// The socket descriptor, for inspection (tests read its options); -1 once closed.
    int native_handle() const noexcept { return fd_; }
    /// Replies appended but not yet read.
    std::size_t pending_replies() const noexcept { return pending_; }
    /// The TLS session over the socket, or nullptr for plain TCP and unix sockets. Whoever
    /// takes the socket over (the multiplexer) reads and writes through it.
    tls_session* tls() const noexcept { return tls_.get(); }

private:
    // One receive buffer per thread, shared by every connection and every read path: idle
    // connections then cost no buffer memory, and bytes go into the reader at once anyway.
    static constexpr std::size_t receive_buffer_size = 64 * 1024;
    static char* receive_buffer();

    void handshake(const options& opts, clock::time_point deadline, std::string_view expected_role = {});
    // TLS first when asked for, then the Redis handshake.
    void establish(const options& opts, clock::time_point deadline, std::string_view expected_role);
    // The socket calls of the request path, through TLS when the connection has it: same
    // results and errno as ::send (with MSG_NOSIGNAL) and ::recv.
    ssize_t send_some(const char* data, std::size_t size, int flags) {
        if (tls_ != nullptr) [[unlikely]] return tls_send(data, size, flags);
        return ::send(fd_, data, size, MSG_NOSIGNAL | flags);
    }
    ssize_t recv_some(char* data, std::size_t size, int flags) {
        if (tls_ != nullptr) [[unlikely]] return tls_recv(data, size, flags);
        return ::recv(fd_, data, size, flags);
    }
    ssize_t tls_send(const char* data, std::size_t size, int flags);
    ssize_t tls_recv(char* data, std::size_t size, int flags);
    bool tls_has_unread() const noexcept;
    // Closes the connection and throws for a failed send/recv (errno): io_error, or
    // tls_error when TLS failed. `doing` is what failed, e.g. "sending GET".
    [[noreturn]] void fail_io(std::string_view doing, bool sent);
    void check_role(const reply& role, std::string_view expected);
    void receive(duration timeout, clock::time_point deadline, bool& may_block);
    bool wait_ready(short events, clock::time_point deadline);
    // Closes the socket and throws. `sent`: the request may have reached the server.
    [[noreturn]] void fail(errc code, std::string_view what, bool sent);
    [[noreturn]] void throw_broken() const;
    void remember_command(std::string_view name) noexcept;

    int fd_;
    std::unique_ptr<tls_session> tls_;
    reply_reader reader_;
    write_buffer wbuf_;
    std::size_t pending_ = 0;          // replies appended and not yet read
    bool fresh_write_ = false;         // no recv since the last flush
    duration read_timeout_;            // also the socket's SO_RCVTIMEO
    duration write_timeout_;           // also the socket's SO_SNDTIMEO
    clock::time_point used_at_;        // when the last flush began; deadlines count from it
    std::string address_;
    char command_[24] = {};            // name of the oldest pending command, for messages
    std::string broken_reason_;
};

}  // namespace redpool::detail
