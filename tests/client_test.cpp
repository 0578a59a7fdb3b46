// redpool::client against a real redis-server: exec, errors, the pool's controls, and the
// reliability rows about exhaustion (2), late replies (11), duplicate writes (16) and
// credentials (29).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::redis_server;
using redpool::test::shared_server;
using redpool::test::check_pool_invariants;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::seconds_since;
using clock_type = std::chrono::steady_clock;

namespace {

// Occupies one pooled connection with `BLPOP key seconds` on another thread, and returns once
// the pool counts it in use.
std::thread hold_connection(redpool::client& redis, std::string key, std::string seconds) {
    std::thread holder([&redis, key, seconds] { redis.exec({"BLPOP", key, seconds}); });
    CHECK(eventually([&] { return redis.pool_stats().in_use == 1; }));
    return holder;
}

}  // namespace

TEST_CASE("client: exec runs any command and returns a server error as data", "[client]") {
    redpool::client redis(options_for(shared_server()));
    CHECK(redis.exec({"SET", "k", "v"}).is_status());
    CHECK(redis.exec({"GET", "k"}).as_string() == "v");
    auto r = redis.exec({"INCR", "k"});
    CHECK(r.is_error());
    CHECK(r.as_string().starts_with("ERR"));
    std::vector<std::string> args{"STRLEN", "k"};
    CHECK(redis.exec(args).as_integer() == 1);
    check_pool_invariants(redis, 4);
}

TEST_CASE("client: exec with an error_code never throws", "[client]") {
    auto o = options_for(shared_server());
    redpool::client redis(o);
    std::error_code ec;
    auto r = redis.exec({"PING"}, ec);
    CHECK_FALSE(ec);
    CHECK(r.as_string() == "PONG");
    redis.close();
    r = redis.exec({"PING"}, ec);
    CHECK(ec == errc::pool_closed);
    CHECK(r.is_nil());
    std::span<const std::string_view> none;
    redpool::client other(o);
    other.exec(none, ec);
    CHECK(ec == errc::invalid_argument);
}

TEST_CASE("client: the typed basics set, get, incr and del work together", "[client]") {
    redpool::client redis(options_for(shared_server()));
    CHECK(redis.set("name", "redpool"));
    CHECK(redis.get("name") == "redpool");
    CHECK_FALSE(redis.get("missing").has_value());
    CHECK(redis.incr("n") == 1);
    CHECK(redis.incr("n") == 2);
    CHECK(redis.del("name") == 1);
    CHECK(redis.del("name") == 0);
    check_pool_invariants(redis, 7);
}

TEST_CASE("client: a server error to a typed command is reply_error with the server's message", "[client]") {
    redpool::client redis(options_for(shared_server()));
    redis.exec({"LPUSH", "list", "x"});
    try {
        redis.get("list");
        FAIL("get on a list did not throw");
    } catch (const redpool::reply_error& e) {
        CHECK(std::string(e.what()).starts_with("WRONGTYPE"));
        CHECK(e.prefix() == "WRONGTYPE");
        CHECK(e.code() == errc::server_error);
    }
    CHECK(redis.pool_stats().total_conns == 1);  // a server error leaves the connection usable
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: bad options are invalid_argument before anything is dialed", "[client]") {
    redpool::options o;
    o.pool_size = 0;
    CHECK(expect_error([&] { redpool::client c(o); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redpool::client c("redis://host:notaport"); }).code() ==
          errc::invalid_argument);
}

TEST_CASE("client: a URL configures the client", "[client]") {
    auto& server = shared_server();
    redpool::client redis("redis://127.0.0.1:" + std::to_string(server.port()) + "/2?pool_size=3");
    redis.set("in2", "x");
    auto admin = server.admin();
    admin.command({"SELECT", "2"});
    CHECK(admin.command({"GET", "in2"}) == "x");
    CHECK(redis.pool_stats().pool_size == 3);
}

TEST_CASE("client: pool_stats counts hits and misses and prints as JSON", "[client]") {
    redpool::client redis(options_for(shared_server()));
    for (int i = 0; i < 5; ++i) redis.exec({"PING"});
    auto s = redis.pool_stats();
    CHECK(s.misses == 1);
    CHECK(s.hits == 4);
    CHECK(s.total_conns == 1);
    CHECK(s.idle_conns == 1);
    auto json = s.to_json();
    CHECK(json.find("\"hits\":4") != std::string::npos);
    CHECK(json.find("\"misses\":1") != std::string::npos);
    CHECK(json.front() == '{');
    CHECK(json.back() == '}');
}

TEST_CASE("client: set_pool_size and set_min_idle_conns take effect at run time", "[client]") {
    auto o = options_for(shared_server());
    o.pool_size = 2;
    redpool::client redis(o);
    redis.set_pool_size(6);
    CHECK(redis.pool_stats().pool_size == 6);
    redis.set_min_idle_conns(3);
    CHECK(eventually([&] { return redis.pool_stats().idle_conns == 3; }));
    CHECK(expect_error([&] { redis.set_min_idle_conns(7); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.set_pool_size(0); }).code() == errc::invalid_argument);
    redis.set_min_idle_conns(0);
    redis.set_pool_size(1);
    auto s = redis.pool_stats();
    CHECK(s.pool_size == 1);
    CHECK(s.total_conns <= 1);
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("client: close wakes waiters with pool_closed and later calls fail", "[client]") {
    auto o = options_for(shared_server());
    o.pool_size = 1;
    o.pool_timeout = 5s;
    redpool::client redis(o);
    std::thread holder = hold_connection(redis, "nothing", "1");
    std::atomic<bool> got_closed{false};
    std::thread waiter([&] {
        std::error_code ec;
        redis.exec({"PING"}, ec);
        got_closed = ec == errc::pool_closed;
    });
    CHECK(eventually([&] { return redis.pool_stats().waiters == 1; }));
    auto t0 = clock_type::now();
    redis.close();
    waiter.join();
    CHECK(got_closed);
    CHECK(seconds_since(t0) < 0.5);
    holder.join();
    CHECK(expect_error([&] { redis.exec({"PING"}); }).code() == errc::pool_closed);
    CHECK(redis.pool_stats().total_conns == 0);
}

TEST_CASE("client: an exhausted pool times out after pool_timeout and recovers", "[client][row2]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    o.pool_timeout = 100ms;
    redpool::client redis(o);
    std::thread holder = hold_connection(redis, "release-me", "5");
    auto t0 = clock_type::now();
    auto e = expect_error([&] { redis.get("k"); });
    double took = seconds_since(t0);
    CHECK(e.code() == errc::pool_timeout);
    CHECK(took >= 0.095);
    CHECK(took < 0.5);
    std::string message = e.what();
    CHECK(message.find("in use 1") != std::string::npos);
    CHECK(message.find("idle 0") != std::string::npos);
    CHECK(message.find("total 1") != std::string::npos);
    CHECK(message.find("waiting 0") != std::string::npos);
    CHECK(redis.pool_stats().timeouts == 1);
    server.command({"LPUSH", "release-me", "x"});
    holder.join();
    CHECK_FALSE(redis.get("k").has_value());
    check_pool_invariants(redis, 2);  // the timed-out get never had a turn
}

TEST_CASE("client: waiters get connections in arrival order", "[client][row2]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    o.pool_timeout = 5s;
    redpool::client redis(o);
    std::thread holder = hold_connection(redis, "go", "0.3");
    std::vector<std::thread> waiters;
    for (int i = 0; i < 5; ++i) {
        waiters.emplace_back([&redis, i] { redis.exec({"RPUSH", "order", std::to_string(i)}); });
        CHECK(eventually([&] { return redis.pool_stats().waiters == static_cast<std::uint32_t>(i + 1); }));
    }
    holder.join();
    for (auto& w : waiters) w.join();
    CHECK(server.command({"LRANGE", "order", "0", "-1"}) == "0\n1\n2\n3\n4");
    check_pool_invariants(redis, 6);
}

TEST_CASE("client: a late reply after read_timeout never reaches the next caller", "[client][row11]") {
    auto& server = shared_server();
    server.command({"SET", "a", "value-a"});
    server.command({"SET", "b", "value-b"});
    auto o = options_for(server);
    o.pool_size = 1;
    o.read_timeout = 300ms;
    redpool::client redis(o);
    CHECK(redis.get("a") == "value-a");
    auto admin = server.admin();
    admin.send({"DEBUG", "SLEEP", "1"});
    // Let the server pick the sleep up first: it reads the two sockets in no set order.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto e = expect_error([&] { redis.get("a"); });
    CHECK(e.code() == errc::read_timeout);
    CHECK(e.outcome_unknown());
    CHECK(redis.get("b") == "value-b");
    CHECK(admin.receive() == "OK");
    auto s = redis.pool_stats();
    CHECK(s.total_conns == 1);  // the timed-out connection was closed, a new one dialed
    CHECK(s.misses == 2);
    check_pool_invariants(redis, 3);
}

TEST_CASE("client: a write that timed out after reaching the server is not retried", "[client][row16]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.read_timeout = 200ms;
    o.max_retries = 5;
    redpool::client redis(o);
    redis.exec({"PING"});
    auto admin = server.admin();
    admin.send({"DEBUG", "SLEEP", "0.6"});
    // Let the server pick the sleep up first: it reads the two sockets in no set order.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto e = expect_error([&] { redis.incr("once"); });
    CHECK(e.code() == errc::read_timeout);
    CHECK(e.outcome_unknown());
    CHECK(admin.receive() == "OK");
    CHECK(server.command({"GET", "once"}) == "1");  // executed exactly once
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: a connection killed while idle is replaced before the write", "[client][row16]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.incr("counter") == 1);
    server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    std::this_thread::sleep_for(30ms);  // longer than the pool's liveness-check threshold
    CHECK(redis.incr("counter") == 2);
    auto s = redis.pool_stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.misses == 2);
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: blocking commands wait past read_timeout for their block time", "[client]") {
    auto o = options_for(shared_server());
    o.read_timeout = 200ms;
    redpool::client redis(o);
    auto t0 = clock_type::now();
    auto r = redis.exec({"BLPOP", "empty", "0.5"});
    CHECK(r.is_nil());
    CHECK(seconds_since(t0) >= 0.45);
    auto x = redis.exec({"XREAD", "BLOCK", "400", "STREAMS", "nostream", "$"});
    CHECK(x.is_nil());
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: a wrong password is auth_failed, not retried, and never printed", "[client][row29]") {
    redis_server server({.password = "correct-horse"});
    auto o = options_for(server);
    o.password = "Sup3r-S3cret-Value";
    o.pool_size = 2;
    o.max_retries = 3;
    redpool::client redis(o);
    auto e = expect_error([&] { redis.get("k"); });
    CHECK(e.code() == errc::auth_failed);
    CHECK(redis.pool_stats().dial_errors == 1);  // no retry of a refused password
    e = expect_error([&] { redis.get("k"); });
    // After pool_size failed dials the pool fails fast with the last error: no dial storm.
    e = expect_error([&] { redis.get("k"); });
    CHECK(e.code() == errc::auth_failed);
    CHECK(redis.pool_stats().dial_errors == 2);
    CHECK(std::string(e.what()).find("Sup3r-S3cret-Value") == std::string::npos);
    CHECK(redis.pool_stats().to_json().find("Sup3r") == std::string::npos);
    CHECK(o.to_url().find("Sup3r") == std::string::npos);
    check_pool_invariants(redis, 3);
}

TEST_CASE("client: an ACL user without permission gets NOPERM as reply_error", "[client][row29]") {
    redis_server server({.extra_config = {"user reader on >reader-pw ~* &* +get +ping"}});
    auto o = options_for(server);
    o.username = "reader";
    o.password = "reader-pw";
    redpool::client redis(o);
    CHECK_FALSE(redis.get("k").has_value());
    try {
        redis.set("k", "v");
        FAIL("SET by a read-only user did not throw");
    } catch (const redpool::reply_error& e) {
        CHECK(e.prefix() == "NOPERM");
        CHECK(std::string(e.what()).find("reader-pw") == std::string::npos);
    }
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: SELECT through exec never changes the db of later calls", "[client][row20]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    redpool::client redis(o);
    CHECK(redis.exec({"SELECT", "2"}).is_status());
    CHECK(redis.set("where", "db0"));
    CHECK(server.command({"GET", "where"}) == "db0");
    CHECK(redis.pool_stats().misses == 2);  // the selected connection was closed, not pooled
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: MULTI through exec does not leave a transaction open for the next caller", "[client][row20]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    redpool::client redis(o);
    CHECK(redis.exec({"MULTI"}).is_status());
    CHECK(redis.exec({"SET", "k", "v"}).as_string() == "OK");  // not QUEUED
    CHECK(server.command({"GET", "k"}) == "v");
    CHECK(server.command({"CLIENT", "LIST"}).find("multi=0") == std::string::npos);
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: commands that take over a connection are refused", "[client][row20]") {
    redpool::client redis(options_for(shared_server()));
    for (auto args : {std::vector<std::string>{"SUBSCRIBE", "news"}, {"psubscribe", "n*"},
                      {"MONITOR"}, {"CLIENT", "REPLY", "OFF"}, {"QUIT"}, {"HELLO", "3"}}) {
        INFO(args[0]);
        CHECK(expect_error([&] { redis.exec(args); }).code() == errc::invalid_argument);
    }
    CHECK(redis.pool_stats().total_conns == 0);  // refused before any connection was used
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
}

TEST_CASE("client: a script's LOADING-like error is returned, never retried", "[client][row16]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto r = redis.exec({"EVAL", "redis.call('INCR', KEYS[1]) return redis.error_reply('LOADING fake')",
                         "1", "script-counter"});
    CHECK(r.is_error());
    CHECK(server.command({"GET", "script-counter"}) == "1");  // ran exactly once
}

TEST_CASE("client: set_max_idle_conns closes returns beyond the limit", "[client]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 3;
    redpool::client redis(o);
    std::vector<std::thread> holders;
    for (int i = 0; i < 3; ++i) holders.push_back(std::thread([&redis] { redis.exec({"BLPOP", "none", "0.3"}); }));
    CHECK(eventually([&] { return redis.pool_stats().in_use == 3; }));
    redis.set_max_idle_conns(1);
    for (auto& h : holders) h.join();
    const auto s = redis.pool_stats();
    CHECK(s.total_conns == 1);
    CHECK(s.idle_conns == 1);
    CHECK(server.command({"CLIENT", "LIST", "TYPE", "normal"}).find("cmd=blpop") != std::string::npos);
    check_pool_invariants(redis, 3);
}

TEST_CASE("client: set_pool_timeout changes how long a get waits", "[client][row2]") {
    auto o = options_for(shared_server());
    o.pool_size = 1;
    o.pool_timeout = 5s;
    redpool::client redis(o);
    std::thread holder = hold_connection(redis, "none", "0.5");
    redis.set_pool_timeout(0ms);
    auto t0 = clock_type::now();
    CHECK(expect_error([&] { redis.exec({"PING"}); }).code() == errc::pool_timeout);
    CHECK(seconds_since(t0) < 0.1);  // zero: fail at once instead of waiting 5 s
    holder.join();
    CHECK(redis.pool_stats().timeouts == 1);
    check_pool_invariants(redis, 1);
}
