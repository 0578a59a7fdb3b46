// Dialing with Asio: resolve and connect under a timer, then hand the bare descriptor over to
// detail::connection, whose request path uses plain system calls (one send, one recv).
#include "lib/net/dial.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio.hpp>
#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using clock = std::chrono::steady_clock;

// Runs `start(on_done)` on a private io_context until it completes or the deadline passes.
// `cancel` must make the pending operation complete (with operation_aborted).
template <typename Start, typename Cancel>
asio::error_code run_with_deadline(asio::io_context& io, clock::time_point deadline,
                                   Start start, Cancel cancel, bool& timed_out) {
    asio::error_code result = asio::error::would_block;
    asio::steady_timer timer(io, deadline);
    timer.async_wait([&](const asio::error_code& ec) {
        if (!ec && result == asio::error::would_block) {
            timed_out = true;
            cancel();
        }
    });
    start([&](const asio::error_code& ec) {
        result = ec;
        timer.cancel();
    });
    io.run();
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

int seconds_at_least_one(options::duration d) {
    return static_cast<int>(std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(d).count()));
}

void configure_tcp(int fd, const options& opts) {
    set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (opts.tcp_keepalive.count() > 0) {
        set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
        set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds_at_least_one(opts.tcp_keepalive));
        set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, seconds_at_least_one(opts.tcp_keepalive));
        set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, opts.tcp_keepalive_count);
    }
    if (opts.tcp_user_timeout.count() > 0) {
        set_int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
                       static_cast<int>(opts.tcp_user_timeout.count()));
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

[[noreturn]] void throw_dial_error(const options& opts, const asio::error_code& ec, bool timed_out,
                                   std::string_view stage) {
    if (timed_out) {
        throw error(errc::connect_timeout,
                    fmt::format("dial {}: {} did not finish within {}ms", opts.address(), stage,
                                opts.dial_timeout.count()));
    }
    throw error(errc::io_error, fmt::format("dial {}: {} failed: {}", opts.address(), stage,
                                            ec.message()));
}

int dial_unix(const options& opts, clock::time_point deadline) {
    asio::io_context io(1);
    asio::local::stream_protocol::socket socket(io);
    bool timed_out = false;
    auto ec = run_with_deadline(
        io, deadline,
        [&](auto done) { socket.async_connect({opts.path}, done); },
        [&] { socket.close(); }, timed_out);
    if (ec) throw_dial_error(opts, ec, timed_out, "connect");
    int fd = socket.release();
    configure_blocking_io(fd, opts);
    return fd;
}

asio::ip::tcp::resolver::results_type resolve(asio::io_context& io, const options& opts,
                                              clock::time_point deadline) {
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::resolver::results_type results;
    bool timed_out = false;
    auto ec = run_with_deadline(
        io, deadline,
        [&](auto done) {
            resolver.async_resolve(opts.host, std::to_string(opts.port),
                                   [&results, done](const asio::error_code& e, auto r) {
                                       results = std::move(r);
                                       done(e);
                                   });
        },
        [&] { resolver.cancel(); }, timed_out);
    if (ec) throw_dial_error(opts, ec, timed_out, "resolve");
    io.restart();
    return results;
}

int dial_tcp(const options& opts, clock::time_point deadline) {
    asio::io_context io(1);
    std::vector<asio::ip::tcp::endpoint> endpoints;
    asio::error_code parse_error;
    auto address = asio::ip::make_address(opts.host, parse_error);
    if (!parse_error) {
        // A literal address needs no resolver (whose thread would cost more than the dial).
        endpoints.emplace_back(address, static_cast<unsigned short>(opts.port));
    } else {
        for (const auto& entry : resolve(io, opts, deadline)) endpoints.push_back(entry.endpoint());
    }
    asio::ip::tcp::socket socket(io);
    bool timed_out = false;
    auto ec = run_with_deadline(
        io, deadline,
        [&](auto done) {
            asio::async_connect(socket, endpoints,
                                [done](const asio::error_code& e, const auto&) { done(e); });
        },
        [&] { socket.close(); }, timed_out);
    if (ec) throw_dial_error(opts, ec, timed_out, "connect");
    int fd = socket.release();
    configure_tcp(fd, opts);
    configure_blocking_io(fd, opts);
    return fd;
}

}  // namespace

int dial_socket(const options& opts, clock::time_point deadline) {
    return opts.path.empty() ? dial_tcp(opts, deadline) : dial_unix(opts, deadline);
}

}  // namespace redpool::detail
