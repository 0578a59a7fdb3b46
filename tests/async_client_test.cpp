// redpool::async_client against a real redis-server: every kind of completion token, typed
// commands and their errors, routing (multiplexed, a connection of its own, answered locally,
// refused), automatic pipelining (requests of one turn share a write), back-pressure at
// max_in_flight, and RELIABILITY row 1 with the async client (100 coroutines, pool 1 and 10).
// Cancellation, destruction with operations outstanding and faults are in
// async_client_faults_test.cpp.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <redpool/async_client.hpp>
#include <redpool/redpool.hpp>

#include "tests/support/async_helpers.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::options_for;
using redpool::test::run_until;
using redpool::test::server_ran;
using redpool::test::shared_server;

TEST_CASE("async_client: a callback, use_future, use_awaitable and deferred all complete", "[async]") {
    auto& server = shared_server();
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), options_for(server));

    std::optional<std::error_code> set_result;
    redis.async_exec({"SET", "k", "v1"}, [&](std::error_code ec, redpool::reply r) {
        set_result = ec;
        CHECK(r.as_string() == "OK");
    });
    REQUIRE(run_until(io, [&] { return set_result.has_value(); }));
    CHECK(!*set_result);

    // use_future: the client's work is done on the io_context, run here on a second thread.
    std::future<std::optional<std::string>> got = redis.async_run(redpool::cmd::get("k"), asio::use_future);
    std::atomic<bool> future_ready{false};
    std::jthread runner([&] { run_until(io, [&] { return future_ready.load(); }); });
    REQUIRE(got.wait_for(10s) == std::future_status::ready);
    future_ready = true;
    runner.join();
    CHECK(got.get() == "v1");

    // use_awaitable, with a named list (g++ 12 rejects a braced list inside co_await).
    bool coroutine_done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const std::array<std::string_view, 3> set_k{"SET", "k", "v2"};
            redpool::reply ok = co_await redis.async_exec(set_k, asio::use_awaitable);
            CHECK(ok.as_string() == "OK");
            std::optional<std::string> v = co_await redis.async_run(redpool::cmd::get("k"), asio::use_awaitable);
            CHECK(v == "v2");
            long long n = co_await redis.async_run(redpool::cmd::incr("n"), asio::use_awaitable);
            CHECK(n == 1);
            const auto del_n = redpool::cmd::del("n");
            co_await redis.async_run(del_n, asio::use_awaitable);
            coroutine_done = true;
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return coroutine_done; }));

    // deferred: nothing is sent until the operation is launched, after the arguments are gone.
    std::optional<std::string> deferred_value;
    {
        auto op = [&] {
            std::string key = "k";
            auto lazy = redis.async_run(redpool::cmd::get(key), asio::experimental::deferred);
            key = "overwritten";
            return lazy;
        }();
        op([&](std::error_code ec, std::optional<std::string> v) {
            CHECK(!ec);
            deferred_value = v.value_or("(nil)");
        });
    }
    REQUIRE(run_until(io, [&] { return deferred_value.has_value(); }));
    CHECK(*deferred_value == "v2");
    check_pool_invariants(redis);
}

TEST_CASE("async_client: a server error is data to async_exec and errc::server_error to async_run", "[async]") {
    auto& server = shared_server();
    server.command({"SET", "s", "text"});
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), options_for(server));

    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const std::array<std::string_view, 3> lpush{"LPUSH", "s", "x"};
            redpool::reply r = co_await redis.async_exec(lpush, asio::use_awaitable);
            CHECK(r.is_error());
            CHECK(r.as_string().starts_with("WRONGTYPE"));

            std::string message;
            auto [ec, n] = co_await redis.async_run(redpool::cmd::incr("s"), message,
                                                    asio::experimental::as_tuple(asio::use_awaitable));
            CHECK(ec == errc::server_error);
            CHECK(n == 0);
            CHECK(message.starts_with("ERR value is not an integer"));

            // With use_awaitable the failure is thrown, as a system_error with the same code.
            try {
                co_await redis.async_run(redpool::cmd::incr("s"), asio::use_awaitable);
                FAIL("no exception");
            } catch (const std::system_error& e) {
                CHECK(e.code() == errc::server_error);
            }

            // A reply of the wrong shape: protocol_error, and what was wrong in the message.
            std::string shape;
            const redpool::command<long long> get_as_number({"GET", "s"});
            auto [ec2, len] = co_await redis.async_run(get_as_number, shape,
                                                       asio::experimental::as_tuple(asio::use_awaitable));
            CHECK(ec2 == errc::protocol_error);
            CHECK(len == 0);
            CHECK(shape.find("GET") != std::string::npos);
            done = true;
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return done; }));
    check_pool_invariants(redis);
}

TEST_CASE("async_client: refused, local and dedicated commands", "[async]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    redpool::async_client redis(io.get_executor(), o);

    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            using asio::experimental::as_tuple;
            // Refused before anything is sent: a subscriber needs a connection of its own.
            const std::array<std::string_view, 2> subscribe{"SUBSCRIBE", "ch"};
            auto [ec1, r1] = co_await redis.async_exec(subscribe, as_tuple(asio::use_awaitable));
            CHECK(ec1 == errc::invalid_argument);
            auto [ec2, r2] = co_await redis.async_exec(std::span<const std::string_view>(), as_tuple(asio::use_awaitable));
            CHECK(ec2 == errc::invalid_argument);

            // Answered without the server: DEL of no keys.
            long long deleted = co_await redis.async_run(redpool::cmd::del(std::span<const std::string_view>()),
                                                         asio::use_awaitable);
            CHECK(deleted == 0);

            // A session command runs on a connection of its own, which is then closed: the
            // multiplexed connection stays in database 0.
            const std::array<std::string_view, 2> select1{"SELECT", "1"};
            redpool::reply selected = co_await redis.async_exec(select1, asio::use_awaitable);
            CHECK(selected.as_string() == "OK");
            co_await redis.async_run(redpool::cmd::set("db0", "here"), asio::use_awaitable);

            // A blocking command waits on a connection of its own while the others go on.
            const std::array<std::string_view, 3> blpop{"BLPOP", "async:list", "5"};
            auto pop = redis.async_exec(blpop, asio::experimental::deferred);
            std::optional<redpool::reply> popped;
            pop([&](std::error_code ec, redpool::reply r) {
                CHECK(!ec);
                popped = std::move(r);
            });
            for (int i = 0; i < 50 && redpool::test::info_field(server, "clients", "blocked_clients") == "0"; ++i) {
                asio::steady_timer t(io, 10ms);
                co_await t.async_wait(asio::use_awaitable);
            }
            std::optional<std::string> v = co_await redis.async_run(redpool::cmd::get("db0"), asio::use_awaitable);
            CHECK(v == "here");
            CHECK(!popped);
            const auto push = redpool::cmd::rpush("async:list", "item");
            co_await redis.async_run(push, asio::use_awaitable);
            for (int i = 0; i < 500 && !popped; ++i) {
                asio::steady_timer t(io, 10ms);
                co_await t.async_wait(asio::use_awaitable);
            }
            REQUIRE(popped);
            CHECK(popped->size() == 2);
            CHECK((*popped)[1].as_string() == "item");
            done = true;
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return done; }));
    CHECK(!server_ran(server, "subscribe"));
    CHECK(!server_ran(server, "del"));
    CHECK(server.command({"GET", "db0"}) == "here");
    check_pool_invariants(redis);
}

TEST_CASE("async_client: pipelines and transactions run with async_exec", "[async]") {
    auto& server = shared_server();
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), options_for(server));

    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            redpool::pipeline p = redis.pipeline();
            p.set("pa", "1");
            redpool::deferred<long long> n = p.incr("pa");
            redpool::deferred<std::optional<std::string>> v = p.get("pa");
            auto wrong = p.lpush("pa", "x");  // a server error fails this command alone
            auto op = redis.async_exec(p, asio::experimental::deferred);
            CHECK(p.size() == 0);  // taken when async_exec was called: reusable at once
            std::vector<redpool::reply> replies = co_await std::move(op)(asio::use_awaitable);
            REQUIRE(replies.size() == 4);
            CHECK(replies[0].as_string() == "OK");
            CHECK(n.get() == 2);
            CHECK(v.get() == "2");
            CHECK(replies[3].is_error());
            CHECK_THROWS_AS(wrong.get(), redpool::reply_error);

            redpool::transaction t = redis.transaction();
            auto first = t.incr("tx");
            auto second = t.incr("tx");
            std::vector<redpool::reply> exec_replies = co_await redis.async_exec(t, asio::use_awaitable);
            CHECK(exec_replies.size() == 2);
            CHECK(first.get() == 1);
            CHECK(second.get() == 2);

            // EXECABORT: nothing ran; the operation fails with server_error.
            redpool::transaction bad = redis.transaction();
            auto never = bad.incr("tx");
            bad.command({"NO-SUCH-COMMAND"});
            auto [ec, none] = co_await redis.async_exec(bad, asio::experimental::as_tuple(asio::use_awaitable));
            CHECK(ec == errc::server_error);
            CHECK(none.empty());
            CHECK_THROWS_AS(never.get(), redpool::reply_error);
            done = true;
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return done; }));
    CHECK(server.command({"GET", "tx"}) == "2");
    check_pool_invariants(redis);
}

TEST_CASE("async_client: a subscriber's async_receive, cancelled, and pending at its end", "[async][pubsub]") {
    auto& server = shared_server();
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), options_for(server));
    std::vector<std::pair<std::error_code, std::string>> got;
    {
        redpool::async_subscriber sub = redis.subscriber();
        sub.subscribe({"news"});
        sub.psubscribe({"sport.*"});

        sub.async_receive([&](std::error_code ec, redpool::message m) { got.emplace_back(ec, m.channel + "=" + m.payload); });
        server.command({"PUBLISH", "news", "one"});
        REQUIRE(run_until(io, [&] { return got.size() == 1; }));
        CHECK(got[0] == std::pair(std::error_code(), std::string("news=one")));

        // Cancelled while it waits: operation_aborted, and the next message goes to the next one.
        asio::cancellation_signal cancel;
        sub.async_receive(asio::bind_cancellation_slot(
            cancel.slot(), [&](std::error_code ec, redpool::message m) { got.emplace_back(ec, m.payload); }));
        cancel.emit(asio::cancellation_type::terminal);
        REQUIRE(run_until(io, [&] { return got.size() == 2; }));
        CHECK(got[1].first == asio::error::operation_aborted);
        server.command({"PUBLISH", "sport.chess", "two"});
        sub.async_receive([&](std::error_code ec, redpool::message m) {
            got.emplace_back(ec, m.pattern + ":" + m.channel + "=" + m.payload);
        });
        REQUIRE(run_until(io, [&] { return got.size() == 3; }));
        CHECK(got[2] == std::pair(std::error_code(), std::string("sport.*:sport.chess=two")));

        // Pending when the subscriber goes.
        sub.async_receive([&](std::error_code ec, redpool::message) { got.emplace_back(ec, "last"); });
    }
    REQUIRE(run_until(io, [&] { return got.size() == 4; }));
    CHECK(got[3].first == asio::error::operation_aborted);
    CHECK(redpool::test::eventually([&] { return redpool::test::client_list(server, "pubsub").empty(); }));
    check_pool_invariants(redis);
}

TEST_CASE("async_client: a subscriber's unsubscribe and close; a typed command of no value", "[async][pubsub]") {
    auto& server = shared_server();
    asio::io_context io;
    redpool::async_client redis(io.get_executor(), options_for(server));
    redpool::async_subscriber sub = redis.subscriber();
    sub.subscribe({"a", "b"});
    CHECK(server.command({"PUBLISH", "a", "x"}) == "1");
    sub.unsubscribe({"a"});
    CHECK(server.command({"PUBLISH", "a", "x"}) == "0");  // nobody listens to it any more
    CHECK(server.command({"PUBLISH", "b", "y"}) == "1");

    std::vector<std::pair<std::error_code, std::string>> got;
    auto record = [&](std::error_code ec, redpool::message m) { got.emplace_back(ec, m.channel + "=" + m.payload); };
    sub.async_receive(record);
    sub.async_receive(record);
    REQUIRE(run_until(io, [&] { return got.size() == 2; }));
    CHECK(got[0] == std::pair(std::error_code(), std::string("a=x")));  // sent before the unsubscribe
    CHECK(got[1] == std::pair(std::error_code(), std::string("b=y")));

    sub.close();
    sub.async_receive(record);
    REQUIRE(run_until(io, [&] { return got.size() == 3; }));
    CHECK(got[2].first == errc::pool_closed);

    // command<void>: completes with the error code alone.
    std::optional<std::error_code> flushed;
    const redpool::command<void> ping({"PING"});
    redis.async_run(ping, [&](std::error_code ec) { flushed = ec; });
    REQUIRE(run_until(io, [&] { return flushed.has_value(); }));
    CHECK(!*flushed);
    check_pool_invariants(redis);
}

TEST_CASE("async_client: concurrent requests share writes, replies matched in order", "[async]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 10;
    o.max_in_flight = 64;  // one connection for all of them
    redpool::async_client redis(io.get_executor(), o);

    constexpr int callers = 64;
    constexpr int rounds = 50;
    int finished = 0;
    int wrong = 0;
    for (int c = 0; c < callers; ++c) {
        asio::co_spawn(
            io,
            [&, c]() -> asio::awaitable<void> {
                for (int i = 0; i < rounds; ++i) {
                    const std::string payload = std::to_string(c) + ":" + std::to_string(i);
                    const std::array<std::string_view, 2> echo{"ECHO", payload};
                    redpool::reply r = co_await redis.async_exec(echo, asio::use_awaitable);
                    if (r.as_string() != payload) ++wrong;
                }
                ++finished;
            },
            asio::detached);
    }
    REQUIRE(run_until(io, [&] { return finished == callers; }));
    CHECK(wrong == 0);
    const auto s = redis.pool_stats();
    INFO(s.to_json());
    CHECK(s.mux_requests == callers * rounds);
    // One caller at a time would need a write each; 64 callers on one event loop share them.
    CHECK(s.mux_writes * 4 < s.mux_requests);
    CHECK(s.mux_conns == 1);
    check_pool_invariants(redis);
}

TEST_CASE("async_client: large values both ways; a reply over max_bulk_length fails only its connection",
          "[async]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.max_bulk_length = 4u * 1024 * 1024;
    redpool::async_client redis(io.get_executor(), o);

    std::string big(3u * 1024 * 1024 + 7, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
    const std::string too_big(5u * 1024 * 1024, 'y');
    server.command({"SET", "async:too-big", too_big});
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await redis.async_run(redpool::cmd::set("async:big", big), asio::use_awaitable);
            std::optional<std::string> back = co_await redis.async_run(redpool::cmd::get("async:big"), asio::use_awaitable);
            CHECK(back == big);

            auto [ec, v] = co_await redis.async_run(redpool::cmd::get("async:too-big"),
                                                    asio::experimental::as_tuple(asio::use_awaitable));
            CHECK(ec == errc::reply_too_large);
            CHECK(!v);
            // The connection that met it is gone; the next request gets a new one.
            std::string echoed = co_await redis.async_run(redpool::cmd::echo("after"), asio::use_awaitable);
            CHECK(echoed == "after");
            done = true;
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return done; }));
    const auto s = redis.pool_stats();
    INFO(s.to_json());
    CHECK(s.unusable_closed == 1);
    check_pool_invariants(redis);
}

TEST_CASE("async_client: at max_in_flight requests wait for room, then for pool_timeout", "[async]") {
    auto& server = shared_server();
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = 2;  // one multiplexed connection
    o.max_in_flight = 4;
    o.pool_timeout = 200ms;
    redpool::async_client redis(io.get_executor(), o);

    // DEBUG SLEEP holds the connection's four places for a second; the next waits for room.
    std::vector<std::error_code> results;
    for (int i = 0; i < 4; ++i) {
        redis.async_exec({"DEBUG", "SLEEP", i == 0 ? "1" : "0"}, [&](std::error_code ec, redpool::reply) { results.push_back(ec); });
    }
    std::optional<std::error_code> waited;
    redis.async_exec({"PING"}, [&](std::error_code ec, redpool::reply) { waited = ec; });
    REQUIRE(run_until(io, [&] { return waited.has_value(); }));
    CHECK(*waited == errc::pool_timeout);
    REQUIRE(run_until(io, [&] { return results.size() == 4; }));
    for (auto ec : results) CHECK(!ec);
    const auto s = redis.pool_stats();
    CHECK(s.mux_requests == 4);  // the fifth was never sent

    // With room again, requests go through.
    std::optional<std::error_code> later;
    redis.async_exec({"PING"}, [&](std::error_code ec, redpool::reply r) {
        later = ec;
        CHECK(r.as_string() == "PONG");
    });
    REQUIRE(run_until(io, [&] { return later.has_value(); }));
    CHECK(!*later);
    check_pool_invariants(redis);
}

// RELIABILITY row 1 with the async client: 100 coroutines on an io_context run by two threads,
// each INCRs its own key and checks every reply is the next number (a reply delivered to the
// wrong caller breaks the sequence), then echoes a payload of its own.
TEST_CASE("async_client: row 1 soak: 100 coroutines, INCR and ordered echo, pool 1 and 10", "[async][soak]") {
    auto& server = shared_server();
    const int pool_size = GENERATE(1, 10);
    const long long increments = static_cast<long long>(redpool::test::soak_size(10'000));
    asio::io_context io;
    auto o = options_for(server);
    o.pool_size = pool_size;
    redpool::async_client redis(io.get_executor(), o);

    constexpr int coroutines = 100;
    std::atomic<int> finished{0};
    std::atomic<int> out_of_order{0};
    std::atomic<int> failures{0};
    for (int c = 0; c < coroutines; ++c) {
        asio::co_spawn(
            io,
            [&, c]() -> asio::awaitable<void> {
                const std::string key = "soak:" + std::to_string(pool_size) + ":" + std::to_string(c);
                try {
                    for (long long i = 1; i <= increments; ++i) {
                        const long long n = co_await redis.async_run(redpool::cmd::incr(key), asio::use_awaitable);
                        if (n != i) ++out_of_order;
                        if (i % 100 == 0) {
                            const std::string payload = key + "#" + std::to_string(i);
                            auto echoed = co_await redis.async_run(redpool::cmd::echo(payload), asio::use_awaitable);
                            if (echoed != payload) ++out_of_order;
                        }
                    }
                } catch (...) {
                    ++failures;
                }
                ++finished;
            },
            asio::detached);
    }
    std::jthread second([&] { run_until(io, [&] { return finished.load() == coroutines; }, 600s); });
    REQUIRE(run_until(io, [&] { return finished.load() == coroutines; }, 600s));
    second.join();
    CHECK(failures == 0);
    CHECK(out_of_order == 0);
    for (int c = 0; c < coroutines; c += 33) {
        CHECK(server.command({"GET", "soak:" + std::to_string(pool_size) + ":" + std::to_string(c)}) ==
              std::to_string(increments));
    }
    CHECK(command_calls(server, "incr") == coroutines * increments);
    check_pool_invariants(redis);
}
