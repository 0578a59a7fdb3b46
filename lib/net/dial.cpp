// Dialing with Asio: resolve and connect under a timer, then hand the bare descriptor over to
// detail::connection, whose request path uses plain system calls (one send, one recv).
#include "lib/net/dial.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <asio.hpp>
#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using clock = std::chrono::steady_clock;

// Runs `start(on_done)` on a private io_context until it completes, the deadline passes, or a
// stop is requested. `cancel` must make the pending operation complete (with operation_aborted).
template <typename Start, typename Cancel>
asio::error_code run_with_deadline(asio::io_context& io, clock::time_point deadline, std::stop_token stop,
                                   Start start, Cancel cancel, bool& timed_out) {
    asio::error_code result = asio::error::would_block;
    io.restart();  // a dial runs one operation per address in turn
    asio::steady_timer timer(io);
    if (deadline != clock::time_point::max()) {
        timer.expires_at(deadline);
        timer.async_wait([&](const asio::error_code& ec) {
            if (!ec && result == asio::error::would_block) {
                timed_out = true;
                cancel();
            }
        });
    }
    start([&](const asio::error_code& ec) {
        result = ec;
        timer.cancel();
    });
    {
        // From another thread: io_context::stop is thread-safe, and run() then returns with the
        // operation still pending; the socket's destructor cancels it.
        std::stop_callback on_stop(stop, [&io] { io.stop(); });
        io.run();
    }
    if (result == asio::error::would_block) result = asio::error::operation_aborted;  // stopped
    return result;
}

void set_int_option(int fd, int level, int name, int value) {
    // Best effort: an option the kernel lacks must not stop the dial.
    (void)::setsockopt(fd, level, name, &value, sizeof value);
}

void set_timeout_option(int fd, int name, options::duration timeout) {
    timeval tv{};
    if (timeout.count() > 0) {
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    }
    (void)::setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv);
}

// Keep-alive times in whole seconds, 1 to the kernel's limit (MAX_TCP_KEEPIDLE, 32767 s).
int keepalive_seconds(options::duration d) {
    return static_cast<int>(std::clamp<long long>(std::chrono::ceil<std::chrono::seconds>(d).count(), 1, 32767));
}

void configure_tcp(int fd, const options& opts) {
    set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (opts.tcp_keepalive.count() > 0) {
        set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
        set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, keepalive_seconds(opts.tcp_keepalive));
        set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, keepalive_seconds(opts.tcp_keepalive));
        set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, opts.tcp_keepalive_count);
    }
    if (opts.tcp_user_timeout.count() > 0) {
        set_int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
                       static_cast<int>(std::min<long long>(opts.tcp_user_timeout.count(), INT_MAX)));
    }
}

// The request path relies on blocking calls bounded by SO_RCVTIMEO/SO_SNDTIMEO; Asio leaves
// the descriptor non-blocking after its asynchronous connect.
void configure_blocking_io(int fd, const options& opts) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    set_timeout_option(fd, SO_RCVTIMEO, opts.read_timeout);
    set_timeout_option(fd, SO_SNDTIMEO, opts.write_timeout);
}

// Opens `socket` with SOCK_CLOEXEC, so no child process the application starts inherits a
// pooled connection (Asio's own open() leaves the flag off, and setting it later races a fork).
template <typename Socket, typename Protocol>
asio::error_code open_cloexec(Socket& socket, const Protocol& protocol) {
    const int fd = ::socket(protocol.family(), protocol.type() | SOCK_CLOEXEC, protocol.protocol());
    if (fd < 0) return {errno, asio::error::get_system_category()};
    asio::error_code ec;
    socket.assign(protocol, fd, ec);
    if (ec) ::close(fd);
    return ec;
}

[[noreturn]] void throw_dial_error(const options& opts, const asio::error_code& ec, bool timed_out,
                                   std::string_view stage, const std::stop_token& stop) {
    if (stop.stop_requested()) {
        throw error(errc::io_error, fmt::format("dial {}: canceled during {}", opts.address(), stage));
    }
    if (timed_out) {
        throw error(errc::connect_timeout,
                    fmt::format("dial {}: {} did not finish within {}ms", opts.address(), stage,
                                opts.dial_timeout.count()));
    }
    throw error(errc::io_error, fmt::format("dial {}: {} failed: {}", opts.address(), stage,
                                            ec.message()));
}

int dial_unix(const options& opts, clock::time_point deadline, const std::stop_token& stop) {
    asio::io_context io(1);
    asio::local::stream_protocol::socket socket(io);
    bool timed_out = false;
    auto ec = open_cloexec(socket, asio::local::stream_protocol());
    if (ec) throw_dial_error(opts, ec, false, "socket", stop);
    ec = run_with_deadline(
        io, deadline, stop,
        [&](auto done) { socket.async_connect({opts.path}, done); },
        [&] { socket.close(); }, timed_out);
    if (ec) throw_dial_error(opts, ec, timed_out, "connect", stop);
    int fd = socket.release();
    configure_blocking_io(fd, opts);
    return fd;
}

int dial_tcp(const options& opts, clock::time_point deadline, const std::stop_token& stop,
             const host_lookup& lookup) {
    std::vector<asio::ip::tcp::endpoint> endpoints;
    asio::error_code parse_error;
    auto address = asio::ip::make_address(opts.host, parse_error);
    if (!parse_error) {
        // A literal address needs no lookup (whose thread would cost more than the dial).
        endpoints.emplace_back(address, static_cast<unsigned short>(opts.port));
    } else {
        endpoints = resolve_within(opts.host, opts.port, deadline, stop, lookup, opts.dial_timeout.count());
    }
    asio::io_context io(1);
    asio::ip::tcp::socket socket(io);
    bool timed_out = false;
    // Each address in turn, as asio::async_connect would, on sockets opened with SOCK_CLOEXEC.
    asio::error_code ec = asio::error::host_not_found;
    for (const auto& endpoint : endpoints) {
        asio::error_code ignored;
        socket.close(ignored);
        ec = open_cloexec(socket, endpoint.protocol());
        if (ec) continue;
        ec = run_with_deadline(
            io, deadline, stop, [&](auto done) { socket.async_connect(endpoint, done); },
            [&] { socket.close(); }, timed_out);
        if (!ec || timed_out || stop.stop_requested()) break;
    }
    if (ec) throw_dial_error(opts, ec, timed_out, "connect", stop);
    int fd = socket.release();
    configure_tcp(fd, opts);
    configure_blocking_io(fd, opts);
    return fd;
}

}  // namespace

int dial_socket(const options& opts, clock::time_point deadline, std::stop_token stop,
                const host_lookup& lookup) {
    return opts.path.empty() ? dial_tcp(opts, deadline, stop, lookup) : dial_unix(opts, deadline, stop);
}

}  // namespace redpool::detail
