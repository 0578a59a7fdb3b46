// redpool::async_client under faults, against a real redis-server and the in-process fault
// proxy: cancellation before and after the request was sent, at every byte of its reply
// (RELIABILITY row 12), a cancelled coroutine, destruction with operations outstanding (row 7),
// a late reply after read_timeout (row 11), CLIENT KILL under load (row 10), and a server
// restart under load. Every case checks that no reply reaches another caller: payloads are
// echoed and compared.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <redpool/async_client.hpp>
#include <redpool/redpool.hpp>

#include "tests/support/async_helpers.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::fault_proxy;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::run_until;
using redpool::test::server_ran;
using redpool::test::shared_server;

namespace {

redpool::options through(const fault_proxy& proxy) {
    redpool::options o;
    o.port = proxy.port();
    o.pool_size = 2;  // one multiplexed connection
    return o;
}

// Runs one request to completion on `io`: its error and reply.
std::pair<std::error_code, redpool::reply> exec_now(asio::io_context& io, redpool::async_client& redis,
                                                     std::initializer_list<std::string_view> args) {
    std::optional<std::pair<std::error_code, redpool::reply>> out;
    redis.async_exec(args, [&](std::error_code ec, redpool::reply r) { out.emplace(ec, std::move(r)); });
    REQUIRE(run_until(io, [&] { return out.has_value(); }));
    return std::move(*out);
}

// Echoes a few payloads of its own through `redis`, in one batch: every reply must be its own.
void check_ordered_echo(asio::io_context& io, redpool::async_client& redis, const std::string& tag) {
    constexpr int n = 20;
    std::vector<std::string> payloads;
    for (int i = 0; i < n; ++i) payloads.push_back(tag + "#" + std::to_string(i));
    std::vector<std::optional<std::string>> got(n);
    int done = 0;
    for (int i = 0; i < n; ++i) {
        redis.async_run(redpool::cmd::echo(payloads[i]), [&, i](std::error_code ec, std::string v) {
            got[i] = ec ? "error: " + ec.message() : v;
            ++done;
        });
    }
    REQUIRE(run_until(io, [&] { return done == n; }));
    for (int i = 0; i < n; ++i) CHECK(got[i] == payloads[i]);
}

// Runs `io` until the server has run `command` `n` times since the test case began.
void wait_for_calls(asio::io_context& io, const redis_server& server, const std::string& command, long long n) {
    REQUIRE(run_until(io, [&] { return command_calls(server, command) >= n; }));
}

}  // namespace

TEST_CASE("async_client: a request cancelled before it is sent is never sent", "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), options_for(server));

    // Started and cancelled before the event loop ran once: still in the submit queue.
    asio::cancellation_signal cancel;
    std::optional<std::error_code> result;
    redis.async_run(redpool::cmd::incr("never"),
                    asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, long long) { result = ec; }));
    cancel.emit(asio::cancellation_type::terminal);
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    CHECK(*result == asio::error::operation_aborted);
    check_ordered_echo(io, redis, "after-cancel");
    CHECK(!server_ran(server, "incr"));
    check_pool_invariants(redis);
}

// RELIABILITY row 3 with the async client: a request waiting for room (every connection at
// max_in_flight) is cancelled: it completes at once and is never sent.
TEST_CASE("async_client: a request cancelled while it waits for room is never sent", "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 2;  // one multiplexed connection
    o.max_in_flight = 1;
    redpool::async_client redis(io.get_executor(), o);
    REQUIRE(!exec_now(io, redis, {"PING"}).first);

    std::optional<std::error_code> sleeper, cancelled;
    redis.async_exec({"DEBUG", "SLEEP", "0.3"}, [&](std::error_code ec, redpool::reply) { sleeper = ec; });
    asio::cancellation_signal cancel;
    redis.async_run(redpool::cmd::incr("waited"),
                    asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, long long) { cancelled = ec; }));
    REQUIRE(run_until(io, [&] { return redis.pool_stats().mux_waiting == 1; }));
    cancel.emit(asio::cancellation_type::terminal);
    REQUIRE(run_until(io, [&] { return cancelled.has_value(); }));
    CHECK(*cancelled == asio::error::operation_aborted);
    CHECK(!sleeper);  // it was still asleep: the cancellation did not wait for room
    REQUIRE(run_until(io, [&] { return sleeper.has_value(); }));
    CHECK(!*sleeper);
    check_ordered_echo(io, redis, "after-room");
    CHECK(!server_ran(server, "incr"));
    check_pool_invariants(redis);
}

// RELIABILITY row 12: the reply is held after k bytes for every k (the request was sent and
// run), the operation is cancelled, then the rest comes: the reply is read and dropped, the
// connection stays, and the next callers get their own replies.
TEST_CASE("async_client: cancellation at every byte of a sent request's reply", "[async][faults]") {
    auto& server = shared_server();
    fault_proxy proxy(server.port());
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), through(proxy));
    server.command({"SET", "held", "hello-world"});
    REQUIRE(exec_now(io, redis, {"PING"}).second.as_string() == "PONG");  // the connection is up

    const std::size_t reply_size = std::string("$11\r\nhello-world\r\n").size();
    long long gets = 0;
    for (std::size_t k = 0; k <= reply_size; ++k) {
        INFO("cancelled after " << k << " reply bytes");
        proxy.hold_replies_after(k);
        asio::cancellation_signal cancel;
        std::optional<std::error_code> result;
        redis.async_run(redpool::cmd::get("held"),
                        asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, std::optional<std::string> v) {
                            result = ec;
                            CHECK(v == (ec ? std::nullopt : std::optional<std::string>("hello-world")));
                        }));
        // Sent and run: its reply is on its way, k bytes of it let through.
        wait_for_calls(io, server, "get", ++gets);
        for (int i = 0; i < 3; ++i) io.poll();  // the k bytes reach the client
        cancel.emit(asio::cancellation_type::terminal);
        REQUIRE(run_until(io, [&] { return result.has_value(); }));
        if (k < reply_size) CHECK(*result == asio::error::operation_aborted);  // the whole reply may have won
        proxy.resume_replies();
        check_ordered_echo(io, redis, "k" + std::to_string(k));
    }
    const auto s = redis.pool_stats();
    INFO(s.to_json());
    CHECK(s.abandoned_replies >= reply_size);  // at least every k short of the whole reply
    CHECK(s.unusable_closed == 0);             // the connection was never closed for it
    CHECK(s.mux_conns == 1);
    check_pool_invariants(redis);
}

TEST_CASE("async_client: a coroutine that stops waiting (|| with a timer) leaves nothing behind", "[async][faults]") {
    using namespace asio::experimental::awaitable_operators;
    auto& server = shared_server();
    fault_proxy proxy(server.port());
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), through(proxy));
    server.command({"SET", "slow", "value"});
    REQUIRE(exec_now(io, redis, {"PING"}).second.as_string() == "PONG");

    proxy.hold_replies_after(0);
    bool timed_out = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer timer(io, 100ms);
            auto winner = co_await (redis.async_run(redpool::cmd::get("slow"), asio::use_awaitable) ||
                                    timer.async_wait(asio::use_awaitable));
            timed_out = winner.index() == 1;
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return timed_out; }));
    proxy.resume_replies();
    check_ordered_echo(io, redis, "after-timer");
    REQUIRE(redpool::test::eventually([&] { return redis.pool_stats().abandoned_replies == 1; }));
    check_pool_invariants(redis);
}

// RELIABILITY row 7: operations in flight, waiting for room and on a connection of their own
// all complete with operation_aborted when the client goes, and nothing is touched after.
TEST_CASE("async_client: destroying the client completes what is outstanding with operation_aborted",
          "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 4;  // two multiplexed connections at most, two for blocking commands
    o.max_in_flight = 3;
    std::vector<std::error_code> results;
    auto admin = server.admin();
    {
        redpool::async_client redis(io.get_executor(), o);
        REQUIRE(!exec_now(io, redis, {"PING"}).first);

        redis.async_exec({"BLPOP", "row7:list", "0"}, [&](std::error_code ec, redpool::reply) { results.push_back(ec); });
        REQUIRE(redpool::test::wait_for_blocked_clients(server, 1));
        admin.send({"DEBUG", "SLEEP", "1"});  // the server answers nothing for a second
        for (int i = 0; i < 10; ++i) {
            redis.async_run(redpool::cmd::incr("row7:n"), [&](std::error_code ec, long long) { results.push_back(ec); });
        }
        for (int i = 0; i < 5; ++i) io.poll();
        const auto s = redis.pool_stats();
        INFO(s.to_json());
        CHECK(s.in_flight + s.mux_waiting == 10);
    }
    // Nothing was answered meanwhile (the server sleeps): everything aborts.
    REQUIRE(run_until(io, [&] { return results.size() == 11; }));
    for (auto ec : results) CHECK(ec == asio::error::operation_aborted);
    admin.receive();
    server.command({"LPUSH", "row7:list", "x"});  // ends the BLPOP still running on its own thread
    CHECK(redpool::test::wait_for_blocked_clients(server, 0));
}

// RELIABILITY row 11 with the async client: nothing for read_timeout fails the connection and
// what was in flight on it; a request merely slower than others does not.
// failure_details: the same error code (io_error) from a request that ran and from one that
// was never sent; only outcome_unknown tells them apart, on the multiplexed path, on a
// connection of its own (BLPOP), for a cancelled request and for a server error.
TEST_CASE("async_client: failure_details says whether a failed request may have run", "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    using details = redpool::failure_details;
    // Runs `c` to completion, filling `d` (each case starts it from values it must overwrite).
    auto run = [&](redpool::async_client& redis, const auto& c, details& d) {
        std::optional<std::error_code> result;
        redis.async_run(c, d, [&](std::error_code ec, auto&&...) { result = ec; });
        REQUIRE(run_until(io, [&] { return result.has_value(); }));
        return *result;
    };

    SECTION("sent, run, and the connection lost before the reply") {
        fault_proxy proxy(server.port());
        redpool::async_client redis(io.get_executor(), through(proxy));
        REQUIRE(!exec_now(io, redis, {"PING"}).first);
        // And a client whose pooled connection for blocking commands is dialed already.
        redpool::async_client blocking(io.get_executor(), through(proxy));
        REQUIRE(exec_now(io, blocking, {"BLPOP", "fd:list", "0.01"}).second.is_nil());
        proxy.drop_before_replies(true);
        details d{"untouched", false};
        CHECK(run(redis, redpool::cmd::incr("fd:ran"), d) == errc::io_error);
        CHECK(d.outcome_unknown);
        CHECK_THAT(d.message, Catch::Matchers::Contains("INCR") && Catch::Matchers::Contains("may have run"));
        CHECK(server.command({"GET", "fd:ran"}) == "1");  // it did run, once

        // On a connection of its own: BLPOP takes the element, and its reply is lost.
        std::optional<std::error_code> popped;
        details bd{"untouched", false};
        blocking.async_run(redpool::cmd::blpop({"fd:list"}, 0s), bd,
                           [&](std::error_code ec, auto&&) { popped = ec; });
        REQUIRE(run_until(io, [&] {
            return server.command({"INFO", "clients"}).find("blocked_clients:1") != std::string::npos;
        }));
        server.command({"RPUSH", "fd:list", "x"});
        REQUIRE(run_until(io, [&] { return popped.has_value(); }));
        CHECK(*popped == errc::io_error);
        CHECK(bd.outcome_unknown);
        CHECK(server.command({"LLEN", "fd:list"}) == "0");  // it ran: the element is gone
        proxy.drop_before_replies(false);
        check_ordered_echo(io, redis, "after-drop");
        check_pool_invariants(redis);
        check_pool_invariants(blocking);
    }
    SECTION("never sent: nothing listens") {
        redpool::options o;
        o.port = redpool::test::unused_port();
        redpool::async_client redis(io.get_executor(), o);
        details d{"untouched", true};
        CHECK(run(redis, redpool::cmd::incr("fd:never"), d) == errc::io_error);
        CHECK(!d.outcome_unknown);
        CHECK_THAT(d.message, Catch::Matchers::Contains("INCR") && !Catch::Matchers::Contains("may have run"));
        check_pool_invariants(redis);
    }
    SECTION("cancelled after it was sent") {
        fault_proxy proxy(server.port());
        redpool::async_client redis(io.get_executor(), through(proxy));
        REQUIRE(!exec_now(io, redis, {"PING"}).first);
        proxy.hold_replies_after(0);
        const long long before = command_calls(server, "incr");
        details d{"untouched", false};
        asio::cancellation_signal cancel;
        std::optional<std::error_code> result;
        redis.async_run(redpool::cmd::incr("fd:cancelled"), d,
                        asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, long long) { result = ec; }));
        wait_for_calls(io, server, "incr", before + 1);
        cancel.emit(asio::cancellation_type::terminal);
        REQUIRE(run_until(io, [&] { return result.has_value(); }));
        CHECK(*result == asio::error::operation_aborted);
        CHECK(d.outcome_unknown);
        proxy.resume_replies();
        check_ordered_echo(io, redis, "after-cancel");
        check_pool_invariants(redis);
    }
    SECTION("the server answered with an error: no doubt") {
        redpool::async_client redis(io.get_executor(), options_for(server));
        server.command({"SET", "fd:text", "abc"});
        details d{"untouched", true};
        CHECK(run(redis, redpool::cmd::incr("fd:text"), d) == errc::server_error);
        CHECK(!d.outcome_unknown);
        CHECK_THAT(d.message, Catch::Matchers::StartsWith("ERR"));

        // async_exec: a server error is data, and a success leaves the details alone.
        details e{"untouched", true};
        std::optional<redpool::reply> r;
        redis.async_exec({"INCR", "fd:text"}, e, [&](std::error_code, redpool::reply got) { r = std::move(got); });
        REQUIRE(run_until(io, [&] { return r.has_value(); }));
        CHECK(r->is_error());
        CHECK(e.message == "untouched");
        CHECK(e.outcome_unknown);
        check_pool_invariants(redis);
    }
}

TEST_CASE("async_client: read_timeout fails a silent connection; the late reply reaches nobody", "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.read_timeout = 400ms;
    redpool::async_client redis(io.get_executor(), o);
    REQUIRE(!exec_now(io, redis, {"PING"}).first);

    // 200 ms of silence is within read_timeout.
    CHECK(!exec_now(io, redis, {"DEBUG", "SLEEP", "0.2"}).first);

    std::optional<std::error_code> slow, behind;
    redis.async_exec({"DEBUG", "SLEEP", "1"}, [&](std::error_code ec, redpool::reply) { slow = ec; });
    redis.async_exec({"ECHO", "behind"}, [&](std::error_code ec, redpool::reply) { behind = ec; });
    REQUIRE(run_until(io, [&] { return slow && behind; }));
    CHECK(*slow == errc::read_timeout);
    CHECK(*behind == errc::read_timeout);
    check_ordered_echo(io, redis, "after-timeout");
    const auto s = redis.pool_stats();
    CHECK(s.unusable_closed == 1);
    check_pool_invariants(redis);
}

namespace {

// Echo traffic from `callers` coroutines, on an event loop of its own thread, until `finish`:
// counts replies that are not the caller's own (must stay 0), failures, and successes.
struct echo_load {
    std::atomic<bool> stop{false};
    std::atomic<int> running{0};
    std::atomic<long long> ok{0};
    std::atomic<long long> failed{0};
    std::atomic<long long> wrong{0};
    std::jthread loop;

    echo_load(asio::io_context& io, redpool::async_client& redis, int callers) {
        for (int c = 0; c < callers; ++c) {
            ++running;
            asio::co_spawn(
                io,
                [this, &redis, c]() -> asio::awaitable<void> {
                    for (long long i = 0; !stop; ++i) {
                        const std::string payload = std::to_string(c) + ":" + std::to_string(i);
                        auto [ec, v] = co_await redis.async_run(redpool::cmd::echo(payload),
                                                                asio::experimental::as_tuple(asio::use_awaitable));
                        if (ec) ++failed;
                        else if (v != payload) ++wrong;
                        else ++ok;
                    }
                    --running;
                },
                asio::detached);
        }
        loop = std::jthread([this, &io] { run_until(io, [this] { return stop && running == 0; }, 120s); });
    }
    // Also when a REQUIRE left the test early.
    ~echo_load() { stop = true; }

    // Waits until `n` more requests succeeded than now.
    void wait_for_more(long long n, std::chrono::milliseconds limit = 5s) {
        const long long before = ok;
        REQUIRE(redpool::test::eventually([&] { return ok > before + n; }, limit));
    }

    void finish() {
        stop = true;
        loop.join();
        INFO("failed " << failed << ", ok " << ok);
        CHECK(running == 0);
        CHECK(wrong == 0);
    }
};

}  // namespace

TEST_CASE("async_client: CLIENT KILL under load: failures, never another caller's reply", "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 10;
    redpool::async_client redis(io.get_executor(), o);
    echo_load load(io, redis, 32);
    for (int kill = 0; kill < 10; ++kill) {
        load.wait_for_more(200);
        server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    }
    load.wait_for_more(200);
    load.finish();
    check_pool_invariants(redis);
}

TEST_CASE("async_client: a server restart under load: requests fail or succeed, none misdelivered",
          "[async][faults]") {
    redis_server server;
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 10;
    o.max_retries = 5;
    redpool::async_client redis(io.get_executor(), o);
    echo_load load(io, redis, 32);
    load.wait_for_more(1000);
    server.stop();
    server.start();
    load.wait_for_more(1000, 20s);
    load.finish();
    check_pool_invariants(redis);
}

// conn_max_lifetime applies to multiplexed connections too: past it, one takes no more
// requests and goes back to the pool once it has answered what it carries. Under load, no
// request fails for it and none is misdelivered.
TEST_CASE("async_client: multiplexed connections are replaced at conn_max_lifetime without failing a request",
          "[async][faults]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 10;
    o.conn_max_lifetime = 150ms;
    redpool::async_client redis(io.get_executor(), o);
    echo_load load(io, redis, 32);
    REQUIRE(redpool::test::eventually([&] { return redis.pool_stats().lifetime_closed >= 3; }, 10s));
    load.wait_for_more(200);
    const long long failed = load.failed;
    load.finish();
    CHECK(failed == 0);
    const auto s = redis.pool_stats();
    INFO(s.to_json());
    CHECK(s.unusable_closed == 0);  // given back clean, closed by the pool for its age
    check_pool_invariants(redis);
}
