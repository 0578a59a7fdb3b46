// detail::connection against a real redis-server (and, for replies no real server sends, the
// scripted fake server): handshake, deadlines, failures, liveness, large values and batches.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>

#include "lib/net/connection.hpp"
#include "lib/net/dial.hpp"
#include "redpool/conn.hpp"
#include "redpool/error.hpp"
#include "redpool/options.hpp"
#include "tests/support/fake_server.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::options;
using redpool::reply;
using redpool::detail::connection;
using redpool::test::fake_server;
using redpool::test::redis_server;
using redpool::test::shared_server;
using redpool::test::check_pool_invariants;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::seconds_since;
using clock_type = std::chrono::steady_clock;

namespace {

reply run(connection& c, std::initializer_list<std::string_view> args) {
    return c.exec(std::span<const std::string_view>(args.begin(), args.size()));
}

// A socket listening on a free loopback port with `backlog`; the port in `addr`.
int loopback_listener(int backlog, sockaddr_in& addr) {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, backlog) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    return listener;
}

int getsockopt_int(int fd, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    ::getsockopt(fd, level, name, &value, &len);
    return value;
}

}  // namespace

TEST_CASE("connection: PING over TCP returns PONG", "[connection]") {
    auto c = connection::open(options_for(shared_server()));
    CHECK(run(*c, {"PING"}) == reply::make_status("PONG"));
    CHECK(c->is_clean());
    CHECK(c->is_usable());
}

TEST_CASE("connection: a unix socket works like TCP", "[connection]") {
    auto& server = shared_server();
    options o;
    o.path = server.unix_path();
    auto c = connection::open(o);
    CHECK(run(*c, {"SET", "u", "1"}) == reply::make_status("OK"));
    CHECK(server.command({"GET", "u"}) == "1");
    CHECK(c->address() == "unix:" + server.unix_path());
}

TEST_CASE("connection: binary values with NUL and CR LF round-trip", "[connection]") {
    auto c = connection::open(options_for(shared_server()));
    std::string value("a\0b\r\nc\r\n$1\r\n", 12);
    CHECK(run(*c, {"SET", "bin", value}).is_status());
    CHECK(run(*c, {"GET", "bin"}).as_string() == value);
    CHECK(run(*c, {"STRLEN", "bin"}).as_integer() == 12);
}

TEST_CASE("connection: 1 MiB values are written and read whole", "[connection]") {
    auto c = connection::open(options_for(shared_server()));
    std::string value(1 << 20, 'x');
    for (std::size_t i = 0; i < value.size(); i += 4096) value[i] = static_cast<char>('a' + i % 26);
    CHECK(run(*c, {"SET", "big", value}).is_status());
    CHECK(run(*c, {"GET", "big"}).as_string() == value);
    CHECK(c->is_clean());
}

TEST_CASE("connection: a batch of 1,000 commands goes out in one write, replies in order", "[connection]") {
    auto c = connection::open(options_for(shared_server()));
    std::vector<std::string_view> incr{"INCR", "counter"};
    for (int i = 0; i < 1000; ++i) c->append(incr);
    CHECK(c->pending_replies() == 1000);
    c->flush();
    for (long long i = 1; i <= 1000; ++i) {
        reply r;
        c->read_reply(r);
        REQUIRE(r.as_integer() == i);
    }
    CHECK(c->pending_replies() == 0);
    CHECK(c->is_clean());
}

TEST_CASE("connection: a server error reply is data, and the connection stays usable", "[connection]") {
    auto c = connection::open(options_for(shared_server()));
    run(*c, {"SET", "s", "text"});
    auto r = run(*c, {"INCR", "s"});
    CHECK(r.is_error());
    CHECK(r.as_string().starts_with("ERR"));
    CHECK(c->is_usable());
    CHECK(run(*c, {"GET", "s"}).as_string() == "text");
}

TEST_CASE("connection: handshake authenticates, selects the db and names the client", "[connection]") {
    redis_server server({.password = "hunter2-pw"});
    auto o = options_for(server);
    o.password = "hunter2-pw";
    o.db = 3;
    o.client_name = "redpool-test";
    auto c = connection::open(o);
    CHECK(run(*c, {"CLIENT", "GETNAME"}).as_string() == "redpool-test");
    run(*c, {"SET", "in3", "yes"});
    auto admin = server.admin();
    admin.command({"SELECT", "3"});
    CHECK(admin.command({"GET", "in3"}) == "yes");
    CHECK(server.command({"CLIENT", "LIST"}).find("name=redpool-test") != std::string::npos);
    CHECK(server.command({"CLIENT", "LIST"}).find("db=3") != std::string::npos);
}

TEST_CASE("connection: an ACL user logs in with its own name", "[connection]") {
    redis_server server({.extra_config = {"user alice on >alice-pw ~* &* +@all"}});
    auto o = options_for(server);
    o.username = "alice";
    o.password = "alice-pw";
    auto c = connection::open(o);
    CHECK(run(*c, {"ACL", "WHOAMI"}).as_string() == "alice");
}

TEST_CASE("connection: a wrong password is auth_failed and the message hides it", "[connection]") {
    redis_server server({.password = "right-pw"});
    auto o = options_for(server);
    o.password = "Wr0ng-Secret-42";
    auto e = expect_error([&] { connection::open(o); });
    CHECK(e.code() == errc::auth_failed);
    std::string message = e.what();
    CHECK(message.find("Wr0ng-Secret-42") == std::string::npos);
    CHECK(message.find("AUTH") != std::string::npos);
    CHECK(message.find(o.address()) != std::string::npos);

    o.username = "nobody";
    auto e2 = expect_error([&] { connection::open(o); });
    CHECK(e2.code() == errc::auth_failed);
    CHECK(std::string(e2.what()).find("Wr0ng-Secret-42") == std::string::npos);
}

TEST_CASE("connection: selecting a db without the required password is auth_failed", "[connection]") {
    redis_server server({.password = "needed-pw"});
    auto o = options_for(server);
    o.db = 1;
    CHECK(expect_error([&] { connection::open(o); }).code() == errc::auth_failed);
}

TEST_CASE("connection: a db out of range is invalid_argument", "[connection]") {
    auto o = options_for(shared_server());
    o.db = 9999;
    auto e = expect_error([&] { connection::open(o); });
    CHECK(e.code() == errc::invalid_argument);
    CHECK(std::string(e.what()).find("SELECT") != std::string::npos);
}

TEST_CASE("connection: on_connect runs set-up commands, and its exception fails the dial", "[connection]") {
    auto& server = shared_server();
    auto o = options_for(server);
    int calls = 0;
    o.on_connect = [&](redpool::conn& c) {
        ++calls;
        CHECK(c.exec({"SET", "hooked", "1"}).is_status());
    };
    auto c = connection::open(o);
    CHECK(calls == 1);
    CHECK(server.command({"GET", "hooked"}) == "1");

    o.on_connect = [](redpool::conn&) { throw std::runtime_error("hook says no"); };
    CHECK_THROWS_WITH(connection::open(o), "hook says no");
}

TEST_CASE("connection: refused connections fail fast with io_error", "[connection]") {
    options o;
    o.host = "127.0.0.1";
    o.port = redpool::test::unused_port();
    o.dial_timeout = 1h;  // refused at once, not timed out
    auto e = expect_error([&] { connection::open(o); });
    CHECK(e.code() == errc::io_error);
    CHECK_FALSE(e.outcome_unknown());
    CHECK(std::string(e.what()).find(o.address()) != std::string::npos);
}

TEST_CASE("connection: a listener that never completes the connect gives connect_timeout", "[connection]") {
    // A full accept queue makes the kernel drop SYNs, so connect() hangs.
    sockaddr_in addr{};
    const int listener = loopback_listener(0, addr);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        fillers.push_back(fd);
    }
    options o;
    o.port = ntohs(addr.sin_port);
    o.dial_timeout = 300ms;
    auto t0 = clock_type::now();
    auto e = expect_error([&] { connection::open(o); });
    CHECK(e.code() == errc::connect_timeout);
    CHECK(seconds_since(t0) >= 0.25);  // not before its time
    for (int fd : fillers) ::close(fd);
    ::close(listener);
}

TEST_CASE("connection: a frozen server gives connect_timeout during the handshake", "[connection][row13]") {
    redis_server server({.password = "pw"});
    auto o = options_for(server);
    o.password = "pw";
    o.dial_timeout = 300ms;
    server.freeze();
    auto t0 = clock_type::now();
    auto e = expect_error([&] { connection::open(o); });
    double took = seconds_since(t0);
    server.thaw();
    CHECK(e.code() == errc::connect_timeout);
    CHECK(took >= 0.25);
}

TEST_CASE("connection: a hung peer gives read_timeout and the late reply is never read", "[connection][row13]") {
    redis_server server;
    auto o = options_for(server);
    o.read_timeout = 300ms;
    auto c = connection::open(o);
    run(*c, {"SET", "a", "value-a"});
    server.freeze();
    auto t0 = clock_type::now();
    auto e = expect_error([&] { run(*c, {"GET", "a"}); });
    double took = seconds_since(t0);
    server.thaw();
    CHECK(e.code() == errc::read_timeout);
    CHECK(took >= 0.25);
    CHECK(std::string(e.what()).find("GET") != std::string::npos);
    CHECK(c->is_broken());
    CHECK_FALSE(c->is_usable());
    CHECK(expect_error([&] { run(*c, {"GET", "b"}); }).code() == errc::connection_broken);
}

TEST_CASE("connection: TCP sockets have NODELAY, keep-alive and TCP_USER_TIMEOUT set", "[connection][row13]") {
    auto o = options_for(shared_server());
    auto c = connection::open(o);
    int fd = c->native_handle();
    CHECK(getsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY) != 0);
    CHECK(getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
    CHECK(getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 13);
    CHECK(getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL) == 13);
    CHECK(getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT) == 3);
    CHECK(getsockopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 52000);
}

TEST_CASE("connection: a reply later than read_timeout never reaches the next command", "[connection][row11]") {
    auto& server = shared_server();
    server.command({"SET", "a", "value-a"});
    server.command({"SET", "b", "value-b"});
    auto o = options_for(server);
    o.read_timeout = 300ms;
    auto c = connection::open(o);
    // Acknowledged: once this answers, the server answers nobody for 2 s.
    REQUIRE(server.command({"CLIENT", "PAUSE", "2000", "ALL"}) == "OK");
    auto e = expect_error([&] { run(*c, {"GET", "a"}); });
    CHECK(e.code() == errc::read_timeout);
    // The misalignment bug would hand "value-a" to this GET b on the same socket.
    CHECK(expect_error([&] { run(*c, {"GET", "b"}); }).code() == errc::connection_broken);
    auto fresh = connection::open(o);  // its handshake waits out the pause
    CHECK(run(*fresh, {"GET", "b"}).as_string() == "value-b");
}

TEST_CASE("connection: a blocking command gets its own longer deadline", "[connection]") {
    auto o = options_for(shared_server());
    o.read_timeout = 200ms;
    auto c = connection::open(o);
    std::vector<std::string_view> blpop{"BLPOP", "nothing", "0.5"};
    c->append(blpop);
    c->flush();
    reply r;
    auto t0 = clock_type::now();
    c->read_reply(r, 500ms + o.read_timeout);
    CHECK(r.is_nil());
    CHECK(seconds_since(t0) >= 0.45);
    CHECK(c->is_usable());
}

TEST_CASE("connection: CLIENT KILL gives io_error on the next command", "[connection][row10]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.client_name = "victim";
    auto c = connection::open(o);
    CHECK(server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}) != "0");
    auto e = expect_error([&] { run(*c, {"PING"}); });
    CHECK(e.code() == errc::io_error);
    CHECK(c->is_broken());
}

TEST_CASE("connection: is_usable turns false once the server closes the socket", "[connection]") {
    auto& server = shared_server();
    auto c = connection::open(options_for(server));
    CHECK(c->is_usable());
    server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    bool usable = true;
    for (int i = 0; i < 100 && usable; ++i) {
        usable = c->is_usable();
        if (usable) std::this_thread::sleep_for(10ms);
    }
    CHECK_FALSE(usable);
    CHECK(c->is_broken());
}

TEST_CASE("connection: the server's idle timeout is detected by is_usable, not on use", "[connection][row14]") {
    redis_server server;
    server.command({"CONFIG", "SET", "timeout", "1"});
    auto c = connection::open(options_for(server));
    CHECK(c->is_usable());
    auto t0 = clock_type::now();
    bool usable = true;
    while (usable && seconds_since(t0) < 5.0) {
        std::this_thread::sleep_for(50ms);
        usable = c->is_usable();
    }
    CHECK_FALSE(usable);
    CHECK(seconds_since(t0) >= 0.9);
}

TEST_CASE("connection: a pending reply makes the connection not clean and not usable", "[connection]") {
    auto c = connection::open(options_for(shared_server()));
    std::vector<std::string_view> ping{"PING"};
    c->append(ping);
    CHECK_FALSE(c->is_clean());
    c->flush();
    CHECK_FALSE(c->is_usable());
    reply r;
    c->read_reply(r);
    CHECK(c->is_usable());
}

TEST_CASE("connection: a write to a frozen server gives write_timeout", "[connection]") {
    redis_server server;
    auto o = options_for(server);
    o.write_timeout = 300ms;
    auto c = connection::open(o);
    server.freeze();
    std::string huge(64 << 20, 'h');
    auto e = expect_error([&] { run(*c, {"SET", "huge", huge}); });
    server.thaw();
    CHECK(e.code() == errc::write_timeout);
    CHECK(c->is_broken());
}

// --- hostile servers (RELIABILITY.md row 18) ------------------------------------------------

namespace {

redpool::error hostile_reply(fake_server::script script, options o = {}) {
    fake_server server(std::move(script));
    o.port = server.port();
    o.read_timeout = 2s;
    auto c = connection::open(o);
    auto e = expect_error([&] { run(*c, {"GET", "k"}); });
    CHECK(c->is_broken());
    CHECK_FALSE(c->is_usable());
    return e;
}

}  // namespace

TEST_CASE("connection: a 2^32-element array header is a protocol error that closes the connection", "[connection][row18]") {
    CHECK(hostile_reply({.bytes = "*4294967295\r\n"}).code() == errc::protocol_error);
}

TEST_CASE("connection: a dripped 2 GiB bulk header is refused before its body", "[connection][row18]") {
    auto e = hostile_reply({.bytes = "$2147483647\r\n", .chunk = 1, .gap = 5ms});
    CHECK(e.code() == errc::reply_too_large);
    CHECK(std::string(e.what()).find("GET") != std::string::npos);
}

TEST_CASE("connection: bulk strings over max_bulk_length are refused", "[connection][row18]") {
    options o;
    o.max_bulk_length = 100;
    CHECK(hostile_reply({.bytes = "$101\r\n" + std::string(101, 'x') + "\r\n"}, o).code() ==
          errc::reply_too_large);
}

TEST_CASE("connection: 10,000 levels of nesting are a protocol error", "[connection][row18]") {
    std::string deep;
    for (int i = 0; i < 10000; ++i) deep += "*1\r\n";
    CHECK(hostile_reply({.bytes = deep}).code() == errc::protocol_error);
}

TEST_CASE("connection: RESP3 types, bad type bytes and integer overflow are protocol errors", "[connection][row18]") {
    CHECK(hostile_reply({.bytes = "%1\r\n+a\r\n+b\r\n"}).code() == errc::protocol_error);
    CHECK(hostile_reply({.bytes = ">2\r\n+a\r\n+b\r\n"}).code() == errc::protocol_error);
    CHECK(hostile_reply({.bytes = "?\r\n"}).code() == errc::protocol_error);
    CHECK(hostile_reply({.bytes = ":9223372036854775808\r\n"}).code() == errc::protocol_error);
}

TEST_CASE("connection: a reply cut off by the server is io_error, never a short value", "[connection]") {
    auto e = hostile_reply({.bytes = "$10\r\nabc", .close_after = true});
    CHECK(e.code() == errc::io_error);
    CHECK(std::string(e.what()).find("closed by server") != std::string::npos);
}

TEST_CASE("connection: bytes nobody asked for make the connection unusable", "[connection]") {
    fake_server server({.bytes = "+SURPRISE\r\n", .send_before_request = true});
    options o;
    o.port = server.port();
    auto c = connection::open(o);
    bool usable = true;
    for (int i = 0; i < 100 && usable; ++i) {
        usable = c->is_usable();
        if (usable) std::this_thread::sleep_for(10ms);
    }
    CHECK_FALSE(usable);
}

TEST_CASE("connection: a server stopped and restarted on the same port is reachable again", "[connection][fixture]") {
    redis_server server;
    auto o = options_for(server);
    auto c = connection::open(o);
    server.stop();
    CHECK(expect_error([&] { run(*c, {"PING"}); }).code() == errc::io_error);
    CHECK(expect_error([&] { connection::open(o); }).code() == errc::io_error);
    server.start();
    CHECK(server.port() == o.port);
    auto again = connection::open(o);
    CHECK(run(*again, {"PING"}) == reply::make_status("PONG"));
}

// --- dials that must give up: slow lookups, cancellation -------------------------------------

namespace {

// A host-name lookup that blocks until the test lets it go, as a slow DNS server would. The
// lookup keeps it alive: a dial may abandon the lookup, which then outlives the test case. It
// gives up waiting after a while, so a dial that wrongly waits for it returns, with the lookup
// no longer blocked, and fails the test instead of hanging it.
struct blocked_lookup : std::enable_shared_from_this<blocked_lookup> {
    std::mutex mu;
    std::condition_variable changed;
    bool entered = false;   // guarded by mu
    bool released = false;  // guarded by mu
    bool returned = false;  // guarded by mu
    int port = 0;

    redpool::detail::host_lookup as_lookup() {
        return [self = shared_from_this()](const std::string&, int) {
            std::unique_lock lock(self->mu);
            self->entered = true;
            self->changed.notify_all();
            self->changed.wait_for(lock, std::chrono::seconds(20), [&] { return self->released; });
            self->returned = true;
            return std::vector<asio::ip::tcp::endpoint>{
                {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(self->port)}};
        };
    }
    bool still_blocked() {
        std::lock_guard lock(mu);
        return !returned;
    }
    bool wait_until_entered() {
        std::unique_lock lock(mu);
        return changed.wait_for(lock, std::chrono::seconds(10), [&] { return entered; });
    }
    void release() {
        std::lock_guard lock(mu);
        released = true;
        changed.notify_all();
    }
};

}  // namespace

TEST_CASE("connection: a slow host-name lookup counts against dial_timeout, and is not waited for",
          "[connection]") {
    auto lookup = std::make_shared<blocked_lookup>();  // outlives the abandoned lookup thread
    lookup->port = shared_server().port();
    options o;
    o.host = "redis.slow.example";
    o.dial_timeout = 200ms;
    const auto deadline = clock_type::now() + o.dial_timeout;
    auto e = expect_error([&] { redpool::detail::dial_socket(o, deadline, {}, lookup->as_lookup()); });
    CHECK(e.code() == errc::connect_timeout);
    CHECK(std::string(e.what()).find("resolving") != std::string::npos);
    CHECK(lookup->still_blocked());  // the dial returned while the lookup still hung
    lookup->release();
    // With an answer in time, the same dial connects.
    auto fast = std::make_shared<blocked_lookup>();
    fast->port = lookup->port;
    fast->release();
    int fd = redpool::detail::dial_socket(o, clock_type::now() + 5s, {}, fast->as_lookup());
    CHECK(fd >= 0);
    ::close(fd);
}

TEST_CASE("connection: a stop request cancels a dial while it resolves", "[connection]") {
    auto lookup = std::make_shared<blocked_lookup>();
    lookup->port = shared_server().port();
    options o;
    o.host = "redis.slow.example";
    o.dial_timeout = 0ms;  // no deadline: only the stop request ends it
    std::stop_source stop;
    std::error_code code;
    std::atomic<bool> returned{false};
    std::jthread dialer([&] {
        try {
            ::close(redpool::detail::dial_socket(o, clock_type::time_point::max(), stop.get_token(),
                                                 lookup->as_lookup()));
        } catch (const redpool::error& e) {
            code = e.code();
        }
        returned = true;
    });
    const bool entered = lookup->wait_until_entered();  // the lookup is under way
    CHECK_FALSE(returned);
    stop.request_stop();
    dialer.join();
    CHECK(entered);
    CHECK(code == errc::io_error);
    CHECK(lookup->still_blocked());
    lookup->release();
}

TEST_CASE("connection: a stop request cancels a handshake the server never answers", "[connection][row13]") {
    // A listener that accepts and reads the handshake's PING, and says nothing.
    sockaddr_in addr{};
    const int listener = loopback_listener(4, addr);
    std::atomic<bool> ping_read{false};
    std::jthread silent_server([&] {
        const int peer = ::accept(listener, nullptr, nullptr);
        char buffer[64];
        if (peer >= 0 && ::recv(peer, buffer, sizeof buffer, 0) > 0) ping_read = true;
        if (peer >= 0) {
            (void)::recv(peer, buffer, sizeof buffer, 0);  // until the client goes
            ::close(peer);
        }
    });
    options o;
    o.port = ntohs(addr.sin_port);
    o.dial_timeout = 0ms;  // no deadline: only the stop request ends it
    o.read_timeout = 0ms;
    std::stop_source stop;
    std::error_code code;
    std::atomic<bool> returned{false};
    std::jthread dialer([&] {
        try {
            connection::open(o, stop.get_token());
        } catch (const redpool::error& e) {
            code = e.code();
        }
        returned = true;
    });
    const bool waiting = eventually([&] { return ping_read.load(); });  // the handshake is under way
    CHECK_FALSE(returned);
    stop.request_stop();
    dialer.join();
    ::shutdown(listener, SHUT_RDWR);  // ends an accept still waiting, were the dial gone early
    silent_server.join();
    ::close(listener);
    CHECK(waiting);
    CHECK(code == errc::io_error);
}

TEST_CASE("connection: a host with several addresses is tried address by address", "[connection]") {
    options o;
    o.host = "redis.two-addresses.example";
    o.dial_timeout = 5s;
    const auto refused = static_cast<unsigned short>(redpool::test::unused_port());
    const auto listening = static_cast<unsigned short>(shared_server().port());
    const auto loopback = asio::ip::make_address("127.0.0.1");
    redpool::detail::host_lookup two_addresses = [&](const std::string&, int) {
        return std::vector<asio::ip::tcp::endpoint>{{loopback, refused}, {loopback, listening}};
    };
    const int fd = redpool::detail::dial_socket(o, clock_type::now() + 5s, {}, two_addresses);
    REQUIRE(fd >= 0);
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    REQUIRE(::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0);
    CHECK(ntohs(peer.sin_port) == listening);  // the second address, after the first refused
    ::close(fd);
    // Every address refused: the last one's error.
    redpool::detail::host_lookup none_listening = [&](const std::string&, int) {
        return std::vector<asio::ip::tcp::endpoint>{{loopback, refused}, {loopback, refused}};
    };
    const auto e = expect_error([&] { redpool::detail::dial_socket(o, clock_type::now() + 5s, {}, none_listening); });
    CHECK(e.code() == errc::io_error);
    CHECK(std::string(e.what()).find("connect failed") != std::string::npos);
}

TEST_CASE("connection: dialed sockets are not inherited by child processes", "[connection]") {
    auto& server = shared_server();
    auto o = options_for(server);
    for (const bool over_unix : {false, true}) {
        INFO((over_unix ? "unix socket" : "tcp"));
        if (over_unix) o.path = server.unix_path();
        const int fd = redpool::detail::dial_socket(o, clock_type::now() + 5s, {});
        REQUIRE(fd >= 0);
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        ::close(fd);
    }
}

TEST_CASE("connection: host names are looked up by the system resolver", "[connection]") {
    auto o = options_for(shared_server());
    o.host = "localhost";
    auto c = connection::open(o);
    CHECK(run(*c, {"PING"}) == reply::make_status("PONG"));
    o.host = "no-such-host.invalid";
    CHECK(expect_error([&] { connection::open(o); }).code() == errc::io_error);
}
