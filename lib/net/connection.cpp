// The connection's request path: one send() and one recv() per command when the reply fits in
// one read, with deadlines kept by the socket's own timeouts on that fast path and by poll()
// on the rare slow one (partial replies, blocking commands).
#include "lib/net/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/net/dial.hpp"
#include "lib/net/tls.hpp"
#include "lib/protocol/refusals.hpp"
#include "redpool/conn.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using clock = connection::clock;

// A request buffer that grew past this (a huge value) is released after it is sent, so idle
// connections stay small.
constexpr std::size_t write_buffer_keep = 64 * 1024;

bool is_auth_refusal(std::string_view message) {
    return message.starts_with("WRONGPASS") || message.starts_with("NOAUTH") ||
           message.starts_with("NOPERM") || message.starts_with("ERR AUTH") ||
           message.starts_with("ERR invalid password");
}

}  // namespace

reply_limits reply_limits_of(const options& opts) noexcept {
    return {opts.max_bulk_length, opts.max_array_elements, opts.max_reply_depth};
}

char* connection::receive_buffer() {
    thread_local std::unique_ptr<char[]> buffer;
    if (!buffer) buffer.reset(new char[receive_buffer_size]);
    return buffer.get();
}

std::unique_ptr<connection> connection::open(const options& opts, std::stop_token stop,
                                             std::string_view expected_role) {
    const auto deadline = deadline_after(clock::now(), opts.dial_timeout);
    const int fd = dial_socket(opts, deadline, stop);
    std::unique_ptr<connection> conn;
    try {
        conn = std::make_unique<connection>(fd, opts);
    } catch (...) {
        ::close(fd);  // out of memory before the connection owned the socket
        throw;
    }
    if (!stop.stop_possible()) {
        conn->establish(opts, deadline, expected_role);
        return conn;
    }
    // A stop request shuts the socket down, which wakes a blocked send, recv or poll at once.
    // It shuts down a duplicate descriptor that lives until the callback is gone: the
    // connection may close its own descriptor on a failure meanwhile, and that number could be
    // reused by another thread's socket, which must never be shut down by mistake.
    const int twin = ::fcntl(conn->fd_, F_DUPFD_CLOEXEC, 0);
    if (twin < 0) conn->fail(errc::io_error, fmt::format("dup failed: {}", std::strerror(errno)), false);
    struct twin_closer {
        int fd;
        ~twin_closer() { ::close(fd); }
    } close_twin{twin};
    try {
        std::stop_callback cancel(stop, [twin] { ::shutdown(twin, SHUT_RDWR); });
        conn->establish(opts, deadline, expected_role);
    } catch (const error&) {
        // Whatever the shut-down socket made of it (a TLS failure, an EOF), it was the stop.
        if (stop.stop_requested()) conn->fail(errc::io_error, "canceled during the handshake", false);
        throw;
    }
    if (stop.stop_requested()) conn->fail(errc::io_error, "canceled during the handshake", false);
    return conn;
}

void connection::establish(const options& opts, clock::time_point deadline, std::string_view expected_role) {
    if (tls_) {
        try {
            tls_->handshake(deadline, address_, opts.dial_timeout);
        } catch (...) {
            close();
            throw;
        }
    }
    handshake(opts, deadline, expected_role);
}

connection::connection(int fd, const options& opts)
    : fd_(fd),
      tls_(opts.tls ? std::make_unique<tls_session>(fd, opts) : nullptr),
      reader_(reply_limits_of(opts)),
      read_timeout_(opts.read_timeout),
      write_timeout_(opts.write_timeout),
      used_at_(clock::now()),
      address_(opts.address()) {}

connection::~connection() { close(); }

void connection::close() noexcept {
    tls_.reset();  // before the socket: a session is never left pointing at a closed descriptor
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

ssize_t connection::tls_send(const char* data, std::size_t size, int flags) { return tls_->send(data, size, flags); }

ssize_t connection::tls_recv(char* data, std::size_t size, int flags) { return tls_->recv(data, size, flags); }

bool connection::tls_has_unread() const noexcept { return tls_->has_unread(); }

void connection::fail_io(std::string_view doing, bool sent) {
    int e = errno;
    if (tls_ && (e == ECONNRESET || e == EPIPE)) {
        // A TLS server may say why before it hangs up (an alert, such as "certificate
        // required"); the reset then only hides the reason, which is still in the socket.
        char scratch[512];
        if (tls_->recv(scratch, sizeof scratch, MSG_DONTWAIT) < 0 && errno == EPROTO) e = EPROTO;
    }
    if (e == EPROTO && tls_) fail(errc::tls_error, fmt::format("{} failed: TLS: {}", doing, tls_->last_error()), sent);
    fail(errc::io_error, fmt::format("{} failed: {}", doing, std::strerror(e)), sent);
}

// AUTH, SELECT and CLIENT SETNAME go out in one write and come back in one read.
void connection::handshake(const options& opts, clock::time_point deadline, std::string_view expected_role) {
    const std::string db = std::to_string(opts.db);
    std::vector<std::string_view> steps;  // command names, in order, for messages
    // Rotated credentials come from the provider, asked afresh for each connection.
    const credentials provided = opts.credentials_provider ? opts.credentials_provider() : credentials{};
    const std::string& username = opts.credentials_provider ? provided.username : opts.username;
    const std::string& password = opts.credentials_provider ? provided.password : opts.password;
    if (!password.empty() || !username.empty()) {
        if (username.empty()) {
            append(std::initializer_list<std::string_view>{"AUTH", password});
        } else {
            append(std::initializer_list<std::string_view>{"AUTH", username, password});
        }
        steps.push_back("AUTH");
    }
    if (opts.db != 0) {
        append(std::initializer_list<std::string_view>{"SELECT", db});
        steps.push_back("SELECT");
    }
    if (!opts.client_name.empty()) {
        append(std::initializer_list<std::string_view>{"CLIENT", "SETNAME", opts.client_name});
        steps.push_back("CLIENT SETNAME");
    }
    if (!expected_role.empty()) {
        append(std::initializer_list<std::string_view>{"ROLE"});
        steps.push_back("ROLE");
    }
    // With nothing else to say, PING: a server that accepts the socket but refuses the client
    // (max clients) or never answers (frozen) then fails the dial, where a retry is safe,
    // instead of the first command, where it is not.
    if (steps.empty()) {
        append(std::initializer_list<std::string_view>{"PING"});
        steps.push_back("PING");
    }
    try {
        {
            auto left = std::chrono::ceil<duration>(deadline - clock::now());
            if (deadline != clock::time_point::max() && left.count() <= 0) {
                fail(errc::read_timeout, "no time left for the handshake", false);
            }
            // Without a dial deadline the handshake still must not wait forever.
            if (deadline == clock::time_point::max()) left = opts.read_timeout;
            flush();
            for (auto step : steps) {
                reply r;
                read_reply(r, left);
                if (!r.is_error()) {
                    if (step == std::string_view("ROLE")) check_role(r, expected_role);
                    continue;
                }
                auto message = r.as_string();
                const bool refused = is_auth_refusal(message) || is_max_clients_reply(message);
                // The PING only proves the server talks to us: LOADING or MASTERDOWN (a stale
                // replica refuses PING too) is an answer, and the command that follows gets its
                // own, which the retry policy understands.
                if (step == std::string_view("PING") && !refused) continue;
                close();
                errc code = is_auth_refusal(message)        ? errc::auth_failed
                            : is_max_clients_reply(message) ? errc::io_error
                                                            : errc::invalid_argument;
                throw error(code, fmt::format("{} on {} failed: {}", step, address_, message));
            }
        }
    } catch (const error& e) {
        // A TLS port closes a connection whose first bytes are not a TLS greeting.
        if (e.code() == errc::io_error && !opts.tls) {
            throw error(errc::io_error, fmt::format("{} (if the port expects TLS, set options::tls or use rediss://)",
                                                    e.what()));
        }
        if (e.code() != errc::read_timeout && e.code() != errc::write_timeout) throw;
        throw error(errc::connect_timeout,
                    fmt::format("dial {}: handshake did not finish within {}ms", address_,
                                opts.dial_timeout.count()));
    }
    if (opts.on_connect) {
        conn handle(*this);
        opts.on_connect(handle);
    }
}

// ROLE answers ["master", ...], ["slave", ...] or ["sentinel", ...].
void connection::check_role(const reply& role, std::string_view expected) {
    const bool named = role.is_array() && role.size() > 0 && role[0].is_string();
    const std::string_view actual = named ? role[0].as_string() : std::string_view("?");
    if (actual == expected) return;
    close();
    throw error(errc::io_error, fmt::format("dial {}: the server is a {}, not a {} (a failover moved "
                                            "the role elsewhere)", address_, actual, expected));
}

void connection::remember_command(std::string_view name) noexcept {
    std::size_t n = std::min(name.size(), sizeof command_ - 1);
    std::memcpy(command_, name.data(), n);
    command_[n] = '\0';
}

void connection::append(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    if (fd_ < 0) throw_broken();
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    if (pending_ == 0) remember_command(args[0]);
    if (wire_bytes.empty()) encode_command(wbuf_, args);
    else wbuf_.append(wire_bytes.data(), wire_bytes.size());
    ++pending_;
}

void connection::flush() {
    if (fd_ < 0) throw_broken();
    used_at_ = clock::now();
    const auto deadline = deadline_after(used_at_, write_timeout_);
    const char* data = wbuf_.data();
    std::size_t left = wbuf_.size();
    bool may_block = true;  // the first send is bounded by SO_SNDTIMEO itself
    while (left > 0) {
        ssize_t n = send_some(data, left, may_block ? 0 : MSG_DONTWAIT);
        if (n > 0) {
            data += n;
            left -= static_cast<std::size_t>(n);
            may_block = false;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            may_block = false;  // another blocking send would restart SO_SNDTIMEO's full wait
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            fail_io(fmt::format("sending {}", command_), data != wbuf_.data());
        }
        if (may_block || !wait_ready(POLLOUT, deadline)) {
            fail(errc::write_timeout,
                 fmt::format("could not send {} within {}ms", command_, write_timeout_.count()),
                 data != wbuf_.data());
        }
    }
    wbuf_.clear(write_buffer_keep);
    fresh_write_ = true;
}

void connection::read_reply(reply& out, duration timeout) {
    if (fd_ < 0) throw_broken();
    if (!wbuf_.empty()) flush();
    const auto deadline = deadline_after(used_at_, timeout);
    // Right after a flush the socket's own SO_RCVTIMEO is the deadline; later reads of the same
    // batch must not wait a whole timeout again, so they poll for what is left.
    bool may_block = fresh_write_ && timeout == read_timeout_;
    try {
        while (!reader_.next(out)) receive(timeout, deadline, may_block);
    } catch (const error& e) {
        if (e.code() != errc::protocol_error && e.code() != errc::reply_too_large) throw;
        fail(static_cast<errc>(e.code().value()),
             fmt::format("{} (reading the reply to {})", e.what(), command_), true);
    } catch (...) {
        close();  // out of memory mid-reply: the rest of it is still on the wire
        throw;
    }
    if (pending_ > 0) --pending_;
}

void connection::receive(duration timeout, clock::time_point deadline, bool& may_block) {
    char* buffer = receive_buffer();
    for (;;) {
        ssize_t n = recv_some(buffer, receive_buffer_size, may_block ? 0 : MSG_DONTWAIT);
        if (n > 0) {
            fresh_write_ = false;
            may_block = false;
            reader_.feed(buffer, static_cast<std::size_t>(n));
            return;
        }
        if (n == 0) {
            fail(errc::io_error,
                 fmt::format("connection closed by server (waiting for the reply to {})", command_),
                 true);
        }
        if (errno == EINTR) {
            may_block = false;  // a blocking recv would restart SO_RCVTIMEO's full wait
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) fail_io(fmt::format("reading the reply to {}", command_), true);
        if (may_block || !wait_ready(POLLIN, deadline)) {
            fail(errc::read_timeout,
                 fmt::format("no reply to {} within {}ms", command_, timeout.count()), true);
        }
    }
}

// Waits until the socket is ready or the deadline passes; errors and hang-ups count as ready,
// so the next send/recv reports them.
bool connection::wait_ready(short events, clock::time_point deadline) {
    // What TLS has taken off the socket already, poll cannot see.
    if ((events & POLLIN) != 0 && tls_ && tls_->has_buffered()) return true;
    for (;;) {
        int wait_ms = -1;
        if (deadline != clock::time_point::max()) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) return false;
            wait_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
        }
        pollfd p{fd_, events, 0};
        int rc = ::poll(&p, 1, wait_ms);
        if (rc > 0) return true;
        if (rc < 0 && errno != EINTR) return true;
    }
}

reply connection::exec(std::span<const std::string_view> args) {
    append(args);
    flush();
    reply r;
    read_reply(r);
    return r;
}

bool connection::is_usable() noexcept {
    if (!is_clean()) return false;
    if (tls_) {
        const char* why = tls_->check_idle();
        if (why == nullptr) return true;
        close();
        try {
            broken_reason_ = why;
        } catch (...) {
            // Out of memory: the message loses its reason, nothing else.
        }
        return false;
    }
    char byte;
    for (;;) {
        ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        // EOF (server closed it), an error, or bytes nobody asked for: never reuse it.
        const char* why = n == 0 ? "closed by server" : n > 0 ? "unexpected data" : std::strerror(errno);
        close();
        try {
            broken_reason_ = why;
        } catch (...) {
            // Out of memory: the message loses its reason, nothing else.
        }
        return false;
    }
}

void connection::fail(errc code, std::string_view what, bool sent) {
    close();
    broken_reason_ = std::string(what);
    throw error(code, fmt::format("{} on {}: {}", make_error_code(code).message(), address_, what),
                sent);
}

void connection::throw_broken() const {
    throw error(errc::connection_broken,
                fmt::format("{}: connection is closed{}{}", address_,
                            broken_reason_.empty() ? "" : " after: ", broken_reason_));
}

}  // namespace redpool::detail

namespace redpool {

reply conn::exec(std::initializer_list<std::string_view> args) {
    return impl_->exec(std::span<const std::string_view>(args.begin(), args.size()));
}

reply conn::exec(std::span<const std::string_view> args) { return impl_->exec(args); }

std::string_view conn::address() const noexcept { return impl_->address(); }

}  // namespace redpool
