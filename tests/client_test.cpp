// redpool::client against a real redis-server: exec, errors, the pool's controls, session
// commands, blocking commands' deadlines, retries of "not executed" replies, and the reliability
// rows about exhaustion (2), late replies (11), duplicate writes (16), session state (20) and
// credentials (29). Orderings are acknowledged (CLIENT PAUSE answers OK before it pauses; a
// BLPOP holder ends when the test pushes to its list), never guessed with a sleep.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/fake_server.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::fake_server;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::seconds_since;
using redpool::test::shared_server;
using clock_type = std::chrono::steady_clock;

namespace {

// Clients blocked at `server` right now (INFO clients).
int blocked_clients(const redis_server& server) {
    const std::string info = server.command({"INFO", "clients"});
    const auto at = info.find("blocked_clients:");
    return at == std::string::npos ? -1 : std::stoi(info.substr(at + 16));
}

// Occupies one pooled connection with `BLPOP key 0` on a thread of its own, and returns once the
// server has it blocked. It ends when the test pushes to `key`.
std::jthread hold_connection(const redis_server& server, redpool::client& redis, std::string key) {
    const int before = blocked_clients(server);
    std::jthread holder([&redis, key] {
        std::error_code ec;
        redis.exec({"BLPOP", key, "0"}, ec);
    });
    const bool blocked = eventually([&] { return blocked_clients(server) == before + 1; });
    if (!blocked) server.command({"LPUSH", key, "x"});  // so the holder ends before the failure
    REQUIRE(blocked);
    return holder;
}

// Pushes `count` items to `key` when it goes: declared after the threads that block on `key`,
// it releases them before they are joined, even when a failed REQUIRE leaves the test early.
struct release_on_exit {
    const redis_server& server;
    std::string key;
    int count = 1;
    ~release_on_exit() {
        try {
            for (int i = 0; i < count; ++i) server.command({"LPUSH", key, "released"});
        } catch (...) {
        }
    }
};

// How many times the server refused `command` before running it (INFO commandstats).
long long rejected_calls(const redis_server& server, const std::string& command) {
    const std::string info = server.command({"INFO", "commandstats"});
    const auto line = info.find("cmdstat_" + command + ":");
    if (line == std::string::npos) return 0;
    const auto at = info.find("rejected_calls=", line);
    return std::stoll(info.substr(at + std::string("rejected_calls=").size()));
}

// The value of `field` (e.g. "errorstat_READONLY") in INFO errorstats, as its count.
long long error_count(const redis_server& server, const std::string& field) {
    const std::string info = server.command({"INFO", "errorstats"});
    const auto at = info.find(field + ":count=");
    if (at == std::string::npos) return 0;
    return std::stoll(info.substr(at + field.size() + 7));
}

// The normal clients other than the admin connection asking.
std::vector<redpool::test::client_fields> other_clients(const redis_server& server) {
    return redpool::test::client_list(server, "normal");
}

}  // namespace

// --- exec and errors -----------------------------------------------------------------------

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

TEST_CASE("client: a unix socket works like TCP, from options and from a unix:// URL", "[client]") {
    auto& server = shared_server();
    redpool::options o;
    o.path = server.unix_path();
    redpool::client by_options(o);
    CHECK(by_options.set("over-unix", "1"));
    redpool::client by_url("unix://" + server.unix_path() + "?db=3&pool_size=2");
    CHECK(by_url.set("in3", "x"));
    CHECK(server.command({"GET", "over-unix"}) == "1");
    auto admin = server.admin();
    admin.command({"SELECT", "3"});
    CHECK(admin.command({"GET", "in3"}) == "x");
    CHECK(by_url.pool_stats().pool_size == 2);
    check_pool_invariants(by_options, 1);
    check_pool_invariants(by_url, 1);
}

TEST_CASE("client: an on_connect that throws fails the call with its own exception, and no turn leaks",
          "[client]") {
    auto o = options_for(shared_server());
    o.pool_size = 2;  // two failures trip the dial breaker; the third call fails fast
    std::atomic<int> calls{0};
    o.on_connect = [&](redpool::conn&) {
        ++calls;
        throw std::runtime_error("set-up refused");
    };
    redpool::client redis(o);
    CHECK_THROWS_WITH(redis.get("k"), "set-up refused");
    std::error_code ec;
    redis.exec({"PING"}, ec);
    CHECK(ec == errc::io_error);
    CHECK(calls == 2);
    const auto s = redis.pool_stats();
    CHECK(s.dial_errors == 2);
    CHECK(s.total_conns == 0);
    check_pool_invariants(redis);
}

TEST_CASE("client: a write timeout, a protocol error and a reply too large are followed by a good call",
          "[client]") {
    SECTION("write timeout") {
        redis_server server;
        auto o = options_for(server);
        o.write_timeout = 300ms;
        o.pool_size = 1;
        redpool::client redis(o);
        CHECK(redis.exec({"PING"}).as_string() == "PONG");
        server.freeze();
        const std::string huge(64 << 20, 'h');
        auto e = expect_error([&] { redis.set("huge", huge); });
        server.thaw();
        CHECK(e.code() == errc::write_timeout);
        CHECK(e.outcome_unknown());  // part of it went out
        CHECK(redis.exec({"PING"}).as_string() == "PONG");
        CHECK(redis.pool_stats().unusable_closed == 1);
        check_pool_invariants(redis, 3);
    }
    SECTION("protocol error") {
        fake_server server({.bytes = "!not RESP\r\n"});
        redpool::options o;
        o.port = server.port();
        o.pool_size = 1;
        o.max_retries = 0;
        redpool::client redis(o);
        CHECK(expect_error([&] { redis.get("k"); }).code() == errc::protocol_error);
        CHECK(redis.pool_stats().unusable_closed == 1);
        CHECK(expect_error([&] { redis.get("k"); }).code() == errc::protocol_error);  // a new connection
        check_pool_invariants(redis, 2);
    }
    SECTION("reply too large") {
        auto& server = shared_server();
        server.command({"SET", "big", std::string(1000, 'b')});
        server.command({"SET", "small", "s"});
        auto o = options_for(server);
        o.pool_size = 1;
        o.max_bulk_length = 100;
        redpool::client redis(o);
        CHECK(expect_error([&] { redis.get("big"); }).code() == errc::reply_too_large);
        CHECK(redis.get("small") == "s");
        CHECK(redis.pool_stats().unusable_closed == 1);
        check_pool_invariants(redis, 2);
    }
}

// --- the pool's controls -------------------------------------------------------------------

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

// The field names are a published contract (DESIGN §1, issue 3): programs outside this
// repository read them, and tools read the JSON keys. Each field gets its own value, so a field
// printed under another's key, or a key dropped, fails here.
TEST_CASE("pool_stats: every field prints under its own name in to_json", "[client]") {
    redpool::pool_stats s;
    s.hits = 1;
    s.misses = 2;
    s.timeouts = 3;
    s.total_conns = 4;
    s.idle_conns = 5;
    s.stale_conns = 6;
    s.wait_count = 7;
    s.wait_duration = std::chrono::nanoseconds(8);
    s.max_idle_closed = 9;
    s.idle_closed = 10;
    s.lifetime_closed = 11;
    s.unusable_closed = 12;
    s.dial_errors = 13;
    s.in_use = 14;
    s.waiters = 15;
    s.pool_size = 16;
    s.mux_conns = 17;
    s.in_flight = 18;
    s.mux_waiting = 19;
    s.mux_writes = 20;
    s.mux_requests = 21;
    s.abandoned_replies = 22;
    s.resent = 23;
    CHECK(s.to_json() ==
          R"({"hits":1,"misses":2,"timeouts":3,"total_conns":4,"idle_conns":5,"stale_conns":6,)"
          R"("wait_count":7,"wait_duration_ns":8,"max_idle_closed":9,"idle_closed":10,)"
          R"("lifetime_closed":11,"unusable_closed":12,"dial_errors":13,"in_use":14,)"
          R"("waiters":15,"pool_size":16,"mux_conns":17,"in_flight":18,"mux_waiting":19,)"
          R"("mux_writes":20,"mux_requests":21,"abandoned_replies":22,"resent":23})");
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

TEST_CASE("client: the run-time setters refuse values options::validate refuses", "[client]") {
    auto o = options_for(shared_server());
    o.conn_max_lifetime = 10s;
    o.conn_max_lifetime_jitter = 2s;
    redpool::client redis(o);
    CHECK(expect_error([&] { redis.set_conn_max_lifetime(1s); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.set_conn_max_lifetime_jitter(20s); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.set_pool_timeout(-1ms); }).code() == errc::invalid_argument);
    redis.set_conn_max_lifetime_jitter(1s);
    redis.set_pool_fifo(true);
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    check_pool_invariants(redis, 1);
}

TEST_CASE("client: close wakes waiters with pool_closed, lets calls in flight finish, fails later calls",
          "[client]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    o.pool_timeout = 1h;
    redpool::client redis(o);
    std::atomic<bool> holder_done{false};
    std::atomic<bool> holder_got_value{false};
    std::jthread holder([&] {
        std::error_code ec;
        holder_got_value = redis.exec({"BLPOP", "release", "0"}, ec).is_array();
        holder_done = true;
    });
    std::jthread waiter;  // declared before `release`, so a failed REQUIRE frees it first
    release_on_exit release{server, "release"};
    // Acknowledged: the BLPOP is at the server (a dial still under way would be canceled).
    REQUIRE(eventually([&] { return blocked_clients(server) == 1; }));
    std::atomic<bool> got_closed{false};
    waiter = std::jthread([&] {
        std::error_code ec;
        redis.exec({"PING"}, ec);
        got_closed = ec == errc::pool_closed;
    });
    REQUIRE(eventually([&] { return redis.pool_stats().waiters == 1; }));
    redis.close();
    waiter.join();
    CHECK(got_closed);
    CHECK_FALSE(holder_done);  // the call in flight goes on
    CHECK(expect_error([&] { redis.exec({"PING"}); }).code() == errc::pool_closed);
    server.command({"LPUSH", "release", "x"});
    holder.join();
    CHECK(holder_got_value);
    CHECK(redis.pool_stats().total_conns == 0);  // its connection closed on return
    check_pool_invariants(redis, 1);              // the refused PINGs never had a turn
}

TEST_CASE("client: an exhausted pool times out after pool_timeout and recovers", "[client][row2]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    o.pool_timeout = 100ms;
    redpool::client redis(o);
    std::jthread holder = hold_connection(server, redis, "release-me");
    release_on_exit release{server, "release-me"};
    auto t0 = clock_type::now();
    auto e = expect_error([&] { redis.get("k"); });
    CHECK(e.code() == errc::pool_timeout);
    CHECK_FALSE(e.outcome_unknown());
    CHECK(seconds_since(t0) >= 0.095);  // not before its time
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
    o.pool_timeout = 1h;
    redpool::client redis(o);
    std::jthread holder = hold_connection(server, redis, "go");
    std::vector<std::jthread> waiters;  // declared before `release`: a failed REQUIRE frees them
    release_on_exit release{server, "go"};
    for (int i = 0; i < 5; ++i) {
        waiters.emplace_back([&redis, i] {
            std::error_code ec;
            redis.exec({"RPUSH", "order", std::to_string(i)}, ec);
        });
        REQUIRE(eventually([&] { return redis.pool_stats().waiters == static_cast<std::uint32_t>(i + 1); }));
    }
    server.command({"LPUSH", "go", "x"});
    holder.join();
    for (auto& w : waiters) w.join();
    CHECK(server.command({"LRANGE", "order", "0", "-1"}) == "0\n1\n2\n3\n4");
    check_pool_invariants(redis, 6);
}

TEST_CASE("client: set_max_idle_conns closes idle connections beyond it, at once and on return", "[client]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 3;
    redpool::client redis(o);
    std::vector<std::jthread> holders;
    release_on_exit release{server, "release", 3};  // declared before: the holders go first
    for (int i = 0; i < 3; ++i) holders.push_back(hold_connection(server, redis, "release"));
    redis.set_max_idle_conns(1);
    server.command({"LPUSH", "release", "a", "b", "c"});
    for (auto& h : holders) h.join();
    const auto s = redis.pool_stats();
    CHECK(s.total_conns == 1);
    CHECK(s.idle_conns == 1);
    CHECK(s.max_idle_closed == 2);
    CHECK(other_clients(server).size() == 1);
    check_pool_invariants(redis, 3);
}

TEST_CASE("client: set_pool_timeout changes how long a get waits", "[client][row2]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    o.pool_timeout = 1h;  // waiting this long would hang the test
    redpool::client redis(o);
    std::jthread holder = hold_connection(server, redis, "release");
    release_on_exit release{server, "release"};
    redis.set_pool_timeout(0ms);
    CHECK(expect_error([&] { redis.exec({"PING"}); }).code() == errc::pool_timeout);
    server.command({"LPUSH", "release", "x"});
    holder.join();
    CHECK(redis.pool_stats().timeouts == 1);
    check_pool_invariants(redis, 1);
}

// --- late replies and duplicate writes -------------------------------------------------------

TEST_CASE("client: a late reply after read_timeout never reaches the next caller", "[client][row11]") {
    auto& server = shared_server();
    server.command({"SET", "a", "value-a"});
    server.command({"SET", "b", "value-b"});
    auto o = options_for(server);
    o.pool_size = 1;
    o.read_timeout = 300ms;
    redpool::client redis(o);
    CHECK(redis.get("a") == "value-a");
    // Acknowledged: once this answers, the server answers nobody for 2 s.
    REQUIRE(server.command({"CLIENT", "PAUSE", "2000", "ALL"}) == "OK");
    auto e = expect_error([&] { redis.get("a"); });
    CHECK(e.code() == errc::read_timeout);
    CHECK(e.outcome_unknown());
    CHECK(redis.get("b") == "value-b");  // a new connection, whose handshake waits out the pause
    auto s = redis.pool_stats();
    CHECK(s.total_conns == 1);
    CHECK(s.misses == 2);
    CHECK(s.unusable_closed == 1);
    check_pool_invariants(redis, 3);
}

TEST_CASE("client: a write that timed out after reaching the server is not retried", "[client][row16]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.read_timeout = 200ms;
    o.max_retries = 5;
    redpool::client redis(o);
    redis.exec({"PING"});
    // Acknowledged: writes wait 2 s from now; reads go on.
    REQUIRE(server.command({"CLIENT", "PAUSE", "2000", "WRITE"}) == "OK");
    auto e = expect_error([&] { redis.incr("once"); });
    CHECK(e.code() == errc::read_timeout);
    CHECK(e.outcome_unknown());
    CHECK(redis.pool_stats().misses == 1);  // a retry would have dialed a new connection
    // This write waits out the pause too: once it is through, the INCR ran or never will.
    CHECK(server.command({"SET", "pause-over", "1"}) == "OK");
    const auto value = server.command({"GET", "once"});
    CHECK((value == "(nil)" || value == "1"));  // at most once (a paused client that left is dropped)
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: a connection killed while idle is replaced before the write", "[client][row16]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.liveness_check_after = 0ms;  // check on every borrow: no need to wait past a threshold
    redpool::client redis(o);
    CHECK(redis.incr("counter") == 1);
    CHECK(server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}) == "1");
    CHECK(redis.incr("counter") == 2);
    auto s = redis.pool_stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.misses == 2);
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: a script's LOADING-like error is returned, never retried", "[client][row16]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto r = redis.exec({"EVAL", "redis.call('INCR', KEYS[1]) return redis.error_reply('LOADING fake')",
                         "1", "script-counter"});
    CHECK(r.is_error());
    CHECK(server.command({"GET", "script-counter"}) == "1");  // ran exactly once
    check_pool_invariants(redis, 1);
}

// --- retries of "not executed" replies (row 15) ---------------------------------------------

TEST_CASE("client: MASTERDOWN is retried max_retries times, then returned", "[client][row15]") {
    redis_server replica;
    // A replica of nothing, told not to serve stale data: it answers MASTERDOWN to reads.
    replica.command({"CONFIG", "SET", "replica-serve-stale-data", "no"});
    replica.command({"REPLICAOF", "127.0.0.1", std::to_string(redpool::test::unused_port())});
    auto o = options_for(replica);
    o.min_retry_backoff = 1ms;
    o.max_retry_backoff = 4ms;
    for (int retries : {0, 3}) {
        INFO("max_retries " << retries);
        replica.command({"CONFIG", "RESETSTAT"});
        o.max_retries = retries;
        redpool::client redis(o);
        const auto r = redis.exec({"GET", "k"});
        CHECK(r.is_error());
        CHECK(r.as_string().starts_with("MASTERDOWN"));
        CHECK(rejected_calls(replica, "get") == retries + 1);
        check_pool_invariants(redis, static_cast<std::uint64_t>(retries + 1));
    }
}

TEST_CASE("client: READONLY is retried, and succeeds once the replica is promoted", "[client][row15]") {
    redis_server primary;
    redis_server replica;
    replica.command({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
    auto o = options_for(replica);
    o.max_retries = 50;
    o.min_retry_backoff = 20ms;
    o.max_retry_backoff = 50ms;
    redpool::client redis(o);
    std::atomic<bool> done{false};
    std::error_code ec;
    std::jthread writer([&] {
        redis.exec({"SET", "k", "v"}, ec);
        done = true;
    });
    // Acknowledged: the server has refused the write at least once.
    REQUIRE(eventually([&] { return error_count(replica, "errorstat_READONLY") >= 1; }));
    CHECK_FALSE(done);
    replica.command({"REPLICAOF", "NO", "ONE"});
    writer.join();
    CHECK_FALSE(ec);
    CHECK(replica.command({"GET", "k"}) == "v");
    check_pool_invariants(redis);
}

// --- blocking commands -----------------------------------------------------------------------

TEST_CASE("client: every blocking command waits its block time past read_timeout", "[client]") {
    auto& server = shared_server();
    server.command({"XADD", "stream", "*", "f", "v"});
    server.command({"XGROUP", "CREATE", "stream", "group", "$"});
    auto o = options_for(server);
    // Each command below blocks 1 s, longer than this, and must not time out; the margin
    // covers the server answering a blocked client's timeout a little late.
    o.read_timeout = 500ms;
    redpool::client redis(o);
    struct blocking {
        std::vector<std::string> args;
        bool nil;  // what it answers when the block time runs out
    };
    const std::vector<blocking> commands{
        {{"BLPOP", "none", "1"}, true},
        {{"BRPOP", "none", "1"}, true},
        {{"BLMOVE", "none", "dst", "LEFT", "RIGHT", "1"}, true},
        {{"BRPOPLPUSH", "none", "dst", "1"}, true},
        {{"BLMPOP", "1", "1", "none", "LEFT"}, true},  // timeout first
        {{"BZPOPMIN", "none", "1"}, true},
        {{"BZPOPMAX", "none", "1"}, true},
        {{"bzmpop", "1", "1", "none", "MIN"}, true},
        {{"XREAD", "BLOCK", "1000", "STREAMS", "stream", "$"}, true},  // milliseconds
        {{"XREADGROUP", "GROUP", "group", "c", "BLOCK", "1000", "STREAMS", "stream", ">"}, true},
        {{"WAIT", "1", "1000"}, false},  // milliseconds; answers 0 replicas
    };
    for (const auto& c : commands) {
        INFO(c.args[0]);
        const auto t0 = clock_type::now();
        std::error_code ec;
        const auto r = redis.exec(std::vector<std::string_view>(c.args.begin(), c.args.end()), ec);
        CHECK_FALSE(ec);
        CHECK(r.is_nil() == c.nil);
        if (!c.nil) CHECK(r.as_integer() == 0);
        CHECK(seconds_since(t0) >= 0.95);  // it did block, past read_timeout
    }
    check_pool_invariants(redis, commands.size());
}

TEST_CASE("client: BLPOP k 0 blocks for ever, past any read_timeout", "[client]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.read_timeout = 100ms;
    redpool::client redis(o);
    std::error_code ec;
    std::atomic<bool> returned{false};
    std::string got;  // written by the waiter before `returned`, read after it
    std::jthread waiter([&] {
        const auto r = redis.exec({"BLPOP", "forever", "0"}, ec);
        if (!ec && r.is_array()) got = r[1].as_string();
        returned = true;
    });
    release_on_exit release{server, "forever"};
    REQUIRE(eventually([&] { return blocked_clients(server) == 1; }));
    std::this_thread::sleep_for(500ms);  // five read timeouts: it must still be blocked
    CHECK_FALSE(returned);
    server.command({"LPUSH", "forever", "at-last"});
    waiter.join();
    CHECK_FALSE(ec);
    CHECK(got == "at-last");
    check_pool_invariants(redis, 1);
}

// --- credentials -------------------------------------------------------------------------------

TEST_CASE("client: a wrong password is auth_failed, not retried, and never printed", "[client][row29]") {
    redis_server server({.password = "correct-horse"});
    auto o = options_for(server);
    o.password = "Sup3r-S3cret-Value";
    o.pool_size = 2;
    o.max_retries = 3;
    redpool::client redis(o);
    auto first = expect_error([&] { redis.get("k"); });
    CHECK(first.code() == errc::auth_failed);
    CHECK_FALSE(first.outcome_unknown());
    CHECK(redis.pool_stats().dial_errors == 1);  // no retry of a refused password
    expect_error([&] { redis.get("k"); });
    // After pool_size failed dials the pool fails fast with the last error: no dial storm.
    auto fast = expect_error([&] { redis.get("k"); });
    CHECK(fast.code() == errc::auth_failed);
    CHECK(redis.pool_stats().dial_errors == 2);
    for (const auto& e : {first, fast}) {
        CHECK(std::string(e.what()).find("Sup3r-S3cret-Value") == std::string::npos);
        CHECK(std::string(e.what()).find("WRONGPASS") != std::string::npos);  // it says why
    }
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

TEST_CASE("client: credentials_provider is asked on every new connection, so rotated credentials reach them",
          "[client][row29]") {
    redis_server server({.extra_config = {"user app on >first-pw ~* &* +@all"}});
    auto o = options_for(server);
    o.pool_size = 2;
    o.password = "ignored-when-a-provider-is-set";
    std::mutex guard;
    std::string current = "first-pw";
    int asked = 0;
    o.credentials_provider = [&] {
        std::lock_guard lock(guard);
        ++asked;
        return redpool::credentials{"app", current};
    };
    redpool::client redis(o);
    CHECK(redis.set("k", "v1"));
    CHECK(redis.exec({"ACL", "WHOAMI"}).as_string() == "app");
    CHECK(asked == 1);

    // Rotation: the server now takes only the new password, the provider hands it out, and
    // the connections logged in with the old one are gone.
    REQUIRE(server.command({"ACL", "SETUSER", "app", "resetpass", ">second-pw"}) == "OK");
    {
        std::lock_guard lock(guard);
        current = "second-pw";
    }
    server.command({"CLIENT", "KILL", "USER", "app"});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past liveness_check_after
    CHECK(redis.get("k") == "v1");
    CHECK(asked == 2);

    // Credentials the server refuses: auth_failed, and the password is in no message.
    {
        std::lock_guard lock(guard);
        current = "Stale-Secret-9";
    }
    server.command({"CLIENT", "KILL", "USER", "app"});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto refused = expect_error([&] { redis.get("k"); });
    CHECK(refused.code() == errc::auth_failed);
    CHECK(std::string(refused.what()).find("Stale-Secret-9") == std::string::npos);
    check_pool_invariants(redis);

    // A provider that fails fails the dial with its own error.
    auto failing = options_for(server);
    failing.credentials_provider = []() -> redpool::credentials { throw std::runtime_error("vault unreachable"); };
    redpool::client broken(failing);
    CHECK_THROWS_WITH(broken.get("k"), "vault unreachable");
    check_pool_invariants(broken);
}

TEST_CASE("client: options::logger hears of background dials that fail, never of the password", "[client]") {
    auto o = options_for(shared_server());
    o.port = redpool::test::unused_port();  // nothing listens: every dial is refused
    o.password = "Logger-Secret-7";
    o.pool_size = 2;
    o.min_idle_conns = 2;
    // Shared with the background threads, which may outlive this scope by a moment.
    struct heard_messages {
        std::mutex guard;
        std::vector<std::pair<redpool::log_level, std::string>> messages;
    };
    auto heard = std::make_shared<heard_messages>();
    o.logger = [heard](redpool::log_level level, std::string_view message) {
        std::lock_guard lock(heard->guard);
        heard->messages.emplace_back(level, std::string(message));
    };
    redpool::client redis(o);
    REQUIRE(redpool::test::eventually([&] {
        std::lock_guard lock(heard->guard);
        return !heard->messages.empty();
    }));
    {
        std::lock_guard lock(heard->guard);
        const auto& [level, message] = heard->messages.front();
        CHECK(level == redpool::log_level::warning);
        CHECK(message.find("min-idle dial failed") != std::string::npos);
        CHECK(message.find(std::to_string(o.port)) != std::string::npos);  // it names the server
        for (const auto& m : heard->messages) CHECK(m.second.find("Logger-Secret-7") == std::string::npos);
    }
    CHECK(expect_error([&] { redis.get("k"); }).code() == errc::io_error);  // calls fail as before
    check_pool_invariants(redis);
}

// --- session state on pooled connections (row 20) ------------------------------------------

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

TEST_CASE("client: MULTI through exec leaves no transaction open on any pooled connection", "[client][row20]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 2;
    redpool::client redis(o);
    CHECK(redis.exec({"MULTI"}).is_status());
    CHECK(redis.exec({"SET", "k", "v"}).as_string() == "OK");  // not QUEUED
    CHECK(server.command({"GET", "k"}) == "v");
    const auto clients = other_clients(server);
    REQUIRE(clients.size() == 1);  // the pooled connection; the MULTI one was closed
    for (auto c : clients) {
        INFO("client " << c["id"]);
        CHECK(c["multi"] == "-1");
    }
    check_pool_invariants(redis, 2);
}

TEST_CASE("client: every session command closes its connection after use, in any case", "[client][row20]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    redpool::client redis(o);
    const std::vector<std::vector<std::string>> session_commands{
        {"WATCH", "k"}, {"watch", "k"}, {"AUTH", "default", "nopass-wrong"}, {"READONLY"},
        {"readwrite"}, {"CLIENT", "SETNAME", "renamed"}, {"client", "tracking", "on"},
        {"CLIENT", "TRACKING", "off"}, {"Client", "SetName", "again"}, {"ASKING"},
        {"script", "debug", "yes"}, {"CLIENT", "KILL", "ID", "999999999"}};
    CHECK(redis.exec({"PING"}).as_string() == "PONG");  // one idle connection to start from
    std::uint64_t gets = 1;
    for (const auto& args : session_commands) {
        INFO(args[0] << " " << (args.size() > 1 ? args[1] : ""));
        const auto misses = redis.pool_stats().misses;
        std::error_code ec;
        redis.exec(std::vector<std::string_view>(args.begin(), args.end()), ec);  // any reply
        CHECK_FALSE(ec);
        CHECK(redis.exec({"PING"}).as_string() == "PONG");
        CHECK(redis.pool_stats().misses == misses + 1);  // the PING needed a new connection
        gets += 2;
    }
    const auto clients = other_clients(server);
    REQUIRE_FALSE(clients.empty());  // the pooled connection of the last PING at least
    for (auto c : clients) {
        INFO("client " << c["id"]);
        CHECK(c["name"] != "renamed");
        CHECK(c["name"] != "again");
    }
    check_pool_invariants(redis, gets);
}

TEST_CASE("client: a CLIENT KILL that kills its own connection leaves no dead connection in the pool",
          "[client][row20]") {
    auto o = options_for(shared_server());
    o.pool_size = 1;
    o.max_retries = 0;            // a dead pooled connection would fail the PING below
    o.liveness_check_after = 1h;  // and no check before reuse would find it first
    redpool::client redis(o);
    const auto id = redis.exec({"CLIENT", "ID"}).as_integer();
    const auto own = std::to_string(id);
    CHECK(redis.exec({"CLIENT", "KILL", "ID", own, "SKIPME", "no"}).as_integer() == 1);
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    CHECK(redis.pool_stats().misses == 2);
    check_pool_invariants(redis, 3);
}

TEST_CASE("client: commands that take a connection over are refused before any connection is used",
          "[client][row20]") {
    redpool::client redis(options_for(shared_server()));
    for (auto args : {std::vector<std::string>{"SUBSCRIBE", "news"}, {"psubscribe", "n*"},
                      {"SSUBSCRIBE", "s"}, {"MONITOR"}, {"CLIENT", "REPLY", "OFF"}, {"QUIT"},
                      {"HELLO", "3"}, {"Reset"}, {"SYNC"}, {"psync", "?", "-1"}}) {
        INFO(args[0]);
        const auto e = expect_error([&] { redis.exec(args); });
        CHECK(e.code() == errc::invalid_argument);
        CHECK(std::string(e.what()).find("connection of its own") != std::string::npos);
    }
    CHECK(redis.pool_stats().total_conns == 0);
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    check_pool_invariants(redis, 1);
}

TEST_CASE("client: lease_warning_after reports a pinned connection or subscriber held too long, once, with "
          "where it was taken", "[client][row7]") {
    auto o = options_for(shared_server());
    o.lease_warning_after = 100ms;
    struct heard_messages {
        std::mutex guard;
        std::vector<std::string> warnings;
    };
    auto heard = std::make_shared<heard_messages>();
    o.logger = [heard](redpool::log_level level, std::string_view message) {
        if (level != redpool::log_level::warning) return;
        std::lock_guard lock(heard->guard);
        heard->warnings.emplace_back(message);
    };
    auto count = [&] {
        std::lock_guard lock(heard->guard);
        return heard->warnings.size();
    };
    redpool::client redis(o);

    // Released in time: nothing to report.
    {
        auto quick = redis.pin();
        CHECK(quick.set("leak:k", "1"));
    }
    std::this_thread::sleep_for(250ms);
    CHECK(count() == 0);

    // Held past the limit: one report, naming this file and the line of pin().
    auto leaked = redis.pin();
    const int pinned_at = __LINE__ - 1;
    REQUIRE(eventually([&] { return count() >= 1; }));
    std::this_thread::sleep_for(250ms);  // several more looks: still one report
    {
        std::lock_guard lock(heard->guard);
        REQUIRE(heard->warnings.size() == 1);
        const std::string& w = heard->warnings[0];
        INFO(w);
        CHECK(w.find("pinned connection") != std::string::npos);
        CHECK(w.find("client_test.cpp:" + std::to_string(pinned_at)) != std::string::npos);
    }
    leaked.release();

    auto sub = redis.subscriber();
    const int subscribed_at = __LINE__ - 1;
    sub.subscribe({"leak:news"});
    REQUIRE(eventually([&] { return count() >= 2; }));
    {
        std::lock_guard lock(heard->guard);
        CHECK(heard->warnings[1].find("subscriber") != std::string::npos);
        CHECK(heard->warnings[1].find("client_test.cpp:" + std::to_string(subscribed_at)) != std::string::npos);
    }
    sub.close();
    check_pool_invariants(redis);
}
