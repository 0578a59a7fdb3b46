// TLS against Debian's redis-server started with --tls-port and a CA made at test time
// (RELIABILITY.md row 30): every path a command takes (one round trip, a streamed pipeline, a
// subscriber, the multiplexer, async_client) works over TLS, and each way it can go wrong (a
// CA that did not sign the server, another host name, mutual TLS without a certificate, TLS to
// a plaintext port, plaintext to a TLS port, a server that never answers the greeting) fails
// with a clear, typed error, within the dial timeout.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <redpool/async_client.hpp>
#include <redpool/redpool.hpp>

#include "tests/support/async_helpers.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::expect_error;
using redpool::test::make_test_certificates;
using redpool::test::redis_server;
using redpool::test::seconds_since;
using clock_type = std::chrono::steady_clock;

namespace {

// A server with a plaintext port (admin) and a TLS port; `mutual`: client certificates required.
struct tls_server {
    int tls_port = redpool::test::unused_port();
    redis_server server;

    explicit tls_server(bool mutual)
        : server({.extra_config = make_test_certificates().server_config(tls_port, mutual)}) {}
};

tls_server& shared_tls_server() {
    static tls_server s(false);
    s.server.command({"FLUSHALL"});
    return s;
}

// Options for the TLS port, trusting the test CA.
redpool::options tls_options(const tls_server& s) {
    redpool::options o;
    o.host = "127.0.0.1";
    o.port = s.tls_port;
    o.tls = true;
    o.tls_ca_file = make_test_certificates().ca_file;
    o.dial_timeout = 2s;
    o.max_retries = 1;
    return o;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A dial that must fail: its error, after checking it came well within the cap.
redpool::error failed_dial(const redpool::options& o) {
    const auto t0 = clock_type::now();
    redpool::client redis(o);
    auto e = expect_error([&] { redis.ping(); });
    const double took = seconds_since(t0);
    // For the record (the closing note quotes them): what a user sees, and how soon.
    std::printf("row30: %.3fs %s\n", took, e.what());
    CHECK(took < 30);  // only against a hang
    check_pool_invariants(redis);
    return e;
}

}  // namespace

TEST_CASE("tls: commands, large values, pipelines and pub/sub over a verified connection", "[tls][row30]") {
    auto& s = shared_tls_server();
    auto o = tls_options(s);
    o.pool_size = 4;
    redpool::client redis(o);
    CHECK(redis.set("k", "v"));
    CHECK(redis.get("k") == "v");

    // Larger than a TLS record (16 KiB) many times over, both ways.
    const std::string big(3 * 1024 * 1024 + 7, 'x');
    CHECK(redis.set("big", big));
    CHECK(redis.get("big") == big);

    // A streamed pipeline: requests go out while replies come in, a record at a time.
    auto p = redis.pipeline();
    for (int i = 0; i < 5000; ++i) p.command({"INCR", "counter"});
    auto replies = p.exec();
    REQUIRE(replies.size() == 5000);
    CHECK(replies.back().as_integer() == 5000);

    // The server really sees a TLS client: its INFO counts the connections on the TLS port.
    CHECK(contains(s.server.command({"CONFIG", "GET", "tls-port"}), std::to_string(s.tls_port)));

    auto sub = redis.subscriber();
    sub.subscribe({"news"});
    CHECK(redis.publish("news", "over tls") == 1);
    auto m = sub.receive(5s);
    REQUIRE(m.has_value());
    CHECK(m->payload == "over tls");
    check_pool_invariants(redis);
}

TEST_CASE("tls: an idle pooled connection passes the liveness check (session tickets are not stray data)",
          "[tls][row30]") {
    auto& s = shared_tls_server();
    auto o = tls_options(s);
    o.pool_size = 1;
    redpool::client redis(o);
    CHECK(redis.set("k", "1"));
    // TLS 1.3 servers send session tickets after the handshake: unread records that a plain
    // peek at the socket would take for bytes nobody asked for, and close the connection.
    std::this_thread::sleep_for(50ms);  // past liveness_check_after, so the check runs
    CHECK(redis.get("k") == "1");
    std::this_thread::sleep_for(50ms);
    CHECK(redis.get("k") == "1");
    const auto stats = redis.pool_stats();
    CHECK(stats.misses == 1);  // one dial, reused after each check
    CHECK(stats.stale_conns == 0);
    CHECK(stats.unusable_closed == 0);

    // A connection the server closed is still found dead by the check.
    s.server.command({"CLIENT", "KILL", "TYPE", "normal"});
    std::this_thread::sleep_for(50ms);
    CHECK(redis.get("k") == "1");
    CHECK(redis.pool_stats().stale_conns == 1);
    check_pool_invariants(redis);
}

TEST_CASE("tls: the multiplexer and async_client read and write through the session", "[tls][row30]") {
    auto& s = shared_tls_server();
    auto o = tls_options(s);
    o.multiplex = true;
    o.pool_size = 4;
    {
        redpool::client redis(o);
        std::vector<std::jthread> callers;
        std::atomic<int> ok{0};
        for (int t = 0; t < 4; ++t) {
            callers.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i) {
                    const std::string key = "mux:" + std::to_string(t) + ":" + std::to_string(i);
                    if (redis.set(key, std::string(100 + i * 40, 'v')) && redis.get(key)->size() == 100u + i * 40) ++ok;
                }
            });
        }
        callers.clear();
        CHECK(ok == 2000);
        CHECK(redis.pool_stats().mux_requests >= 4000);
        check_pool_invariants(redis);
    }

    asio::io_context io;
    redpool::async_client async(io.get_executor(), tls_options(s));
    const std::string big(200 * 1024, 'a');
    int done = 0;
    std::optional<std::string> got;
    async.async_exec({"SET", "async", big}, [&](std::error_code ec, redpool::reply) {
        CHECK(!ec);
        ++done;
    });
    async.async_exec({"GET", "async"}, [&](std::error_code ec, redpool::reply r) {
        CHECK(!ec);
        if (!ec) got = std::string(r.as_string());
        ++done;
    });
    REQUIRE(redpool::test::run_until(io, [&] { return done == 2; }));
    CHECK(got == big);
    redpool::test::check_pool_invariants(async);
}

TEST_CASE("tls: rediss:// URLs carry every TLS field", "[tls][row30]") {
    auto& s = shared_tls_server();
    const auto& certs = make_test_certificates();
    auto o = redpool::options::from_url(fmt::format("rediss://localhost:{}/0?tls_ca_file={}&dial_timeout=2s",
                                                    s.tls_port, certs.ca_file));
    CHECK(o.tls);
    CHECK(o.tls_ca_file == certs.ca_file);
    CHECK(contains(o.to_url(), "rediss://localhost:"));
    redpool::client redis(o);  // host name "localhost": SNI sent and checked against DNS SANs
    CHECK(redis.ping() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("tls: a CA that did not sign the server's certificate is refused", "[tls][row30]") {
    auto o = tls_options(shared_tls_server());
    o.tls_ca_file = make_test_certificates().other_ca_file;
    const auto e = failed_dial(o);
    CHECK(e.code() == errc::tls_error);
    CHECK(contains(e.what(), "certificate verify failed"));

    // The same, accepted when verification is off (encryption only).
    o.tls_insecure_skip_verify = true;
    redpool::client redis(o);
    CHECK(redis.ping() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("tls: a certificate for another name or address is refused", "[tls][row30]") {
    auto o = tls_options(shared_tls_server());
    o.tls_server_name = "redis.example.com";
    auto e = failed_dial(o);
    CHECK(e.code() == errc::tls_error);
    CHECK(contains(e.what(), "hostname mismatch"));

    // An IP address is checked against the certificate's IP SANs (127.0.0.1 only).
    o.tls_server_name = "127.0.0.2";
    e = failed_dial(o);
    CHECK(e.code() == errc::tls_error);
    CHECK(contains(e.what(), "IP address mismatch"));

    o.tls_server_name = "localhost";
    redpool::client redis(o);
    CHECK(redis.ping() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("tls: mutual TLS refuses a client without a certificate and accepts one with it", "[tls][row30]") {
    tls_server mutual(true);
    auto o = tls_options(mutual);
    const auto e = failed_dial(o);
    CHECK(e.code() == errc::tls_error);
    CHECK(contains(e.what(), "tls_cert_file"));  // the hint says what to set

    o.tls_cert_file = make_test_certificates().client_cert_file;
    o.tls_key_file = make_test_certificates().client_key_file;
    redpool::client redis(o);
    CHECK(redis.set("m", "1"));
    CHECK(redis.get("m") == "1");
    check_pool_invariants(redis);
}

TEST_CASE("tls: TLS to a plaintext port and plaintext to a TLS port fail clearly, without hanging",
          "[tls][row30]") {
    auto& s = shared_tls_server();
    auto to_plain = tls_options(s);
    to_plain.port = s.server.port();
    const auto e = failed_dial(to_plain);
    // Redis answers the greeting as a bad command and hangs up, or waits for a line end
    // that never comes until the dial timeout: either is said plainly.
    INFO(e.what());
    CHECK((e.code() == errc::tls_error || e.code() == errc::connect_timeout));
    if (e.code() == errc::tls_error) CHECK(contains(e.what(), "speak TLS"));

    redpool::options plain_to_tls;
    plain_to_tls.port = s.tls_port;
    plain_to_tls.dial_timeout = 2s;
    plain_to_tls.max_retries = 1;
    const auto p = failed_dial(plain_to_tls);
    CHECK(p.code() == errc::io_error);
    CHECK(contains(p.what(), "expects TLS"));
}

TEST_CASE("tls: the handshake is bounded by dial_timeout", "[tls][row30]") {
    // A socket that listens but never accepts: the kernel completes TCP's handshake, and the
    // TLS greeting is never answered.
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 16) == 0);
    socklen_t size = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);

    auto o = tls_options(shared_tls_server());
    o.port = ntohs(address.sin_port);
    o.dial_timeout = 300ms;
    o.max_retries = 0;
    const auto t0 = clock_type::now();
    const auto e = failed_dial(o);
    CHECK(e.code() == errc::connect_timeout);
    CHECK(contains(e.what(), "TLS handshake did not finish within 300ms"));
    CHECK(seconds_since(t0) >= 0.25);
    ::close(listener);
}

TEST_CASE("tls: options that cannot work are refused when the client is made", "[tls][row30]") {
    auto o = tls_options(shared_tls_server());
    o.tls_ca_file = redpool::test::test_tmpdir() + "/no-such-ca.pem";
    auto e = expect_error([&] { redpool::client redis(o); });
    INFO(e.what());
    CHECK(e.code() == errc::invalid_argument);
    CHECK(contains(e.what(), "no-such-ca.pem"));
    CHECK(contains(e.what(), "No such file or directory"));

    o = tls_options(shared_tls_server());
    o.tls_cert_file = make_test_certificates().client_cert_file;
    o.tls_key_file = make_test_certificates().server_key_file;  // not this certificate's key
    e = expect_error([&] { redpool::client redis(o); });
    INFO(e.what());
    CHECK(e.code() == errc::invalid_argument);
    CHECK(contains(e.what(), "tls_key_file"));
    CHECK(contains(e.what(), "mismatch"));

    o = tls_options(shared_tls_server());
    o.tls_key_file = "";
    o.tls_cert_file = make_test_certificates().client_cert_file;
    CHECK(expect_error([&] { redpool::client redis(o); }).code() == errc::invalid_argument);

    redpool::options plain;
    plain.tls_ca_file = make_test_certificates().ca_file;  // a TLS field without tls: a mistake
    CHECK(expect_error([&] { redpool::client redis(plain); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redpool::options::from_url("unix:///tmp/x?tls=true"); }).code() == errc::invalid_argument);
}
