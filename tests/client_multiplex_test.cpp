// redpool::client with options::multiplex against a real redis-server: threads share a few
// connections through the multiplexer, their commands pipelined together, while blocking and
// session commands still get a connection each; RELIABILITY row 1 (100 threads, pool 1 and 10,
// under TSan), a caller's read_timeout and the late reply (row 11), CLIENT KILL under load
// (row 10), and close().
#include <catch2/catch.hpp>

#include <algorithm>
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
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::shared_server;

namespace {

redpool::options multiplexed(const redpool::test::redis_server& server, int pool_size = 10) {
    auto o = options_for(server);
    o.multiplex = true;
    o.pool_size = pool_size;
    return o;
}

}  // namespace

TEST_CASE("multiplex: commands share one connection; blocking and session commands get their own",
          "[multiplex]") {
    auto& server = shared_server();
    redpool::client redis(multiplexed(server));
    redis.set("k", "v");
    CHECK(redis.get("k") == "v");
    CHECK(redis.exec({"ECHO", "hi"}).as_string() == "hi");
    CHECK(redis.exec({"LPUSH", "k", "x"}).is_error());  // server errors stay data to exec
    CHECK(expect_error<redpool::reply_error>([&] { redis.incr("k"); }).prefix() == "ERR");
    auto s = redis.pool_stats();
    CHECK(s.mux_conns == 1);
    CHECK(s.mux_requests == 5);

    // SELECT runs on a connection of its own, closed after: the shared one stays in db 0.
    CHECK(redis.exec({"SELECT", "1"}).as_string() == "OK");
    CHECK(redis.get("k") == "v");
    // BLPOP waits on a connection of its own while others go on through the shared one.
    std::jthread popper([&] { CHECK(redis.blpop({"mx:list"}, 5s)); });
    REQUIRE(redpool::test::wait_for_blocked_clients(server, 1));
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    redis.rpush("mx:list", "item");
    popper.join();
    s = redis.pool_stats();
    INFO(s.to_json());
    CHECK(s.mux_requests == 8);  // SELECT and BLPOP did not go through it
    CHECK(s.mux_conns == 1);
    check_pool_invariants(redis);
}

// RELIABILITY row 1, sync and multiplexed: each thread INCRs its own key and checks each reply
// is the next number, then echoes a payload of its own.
TEST_CASE("multiplex: row 1 soak: 100 threads, INCR and ordered echo, pool 1 and 10", "[multiplex][soak]") {
    auto& server = shared_server();
    const int pool_size = GENERATE(1, 10);
    const long long increments = static_cast<long long>(redpool::test::soak_size(10'000)) / 2;
    redpool::client redis(multiplexed(server, pool_size));
    constexpr int threads = 100;
    std::atomic<int> out_of_order{0};
    std::atomic<int> failures{0};
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                const std::string key = "mx:" + std::to_string(pool_size) + ":" + std::to_string(t);
                try {
                    for (long long i = 1; i <= increments; ++i) {
                        if (redis.incr(key) != i) ++out_of_order;
                        if (i % 100 == 0) {
                            const std::string payload = key + "#" + std::to_string(i);
                            if (redis.echo(payload) != payload) ++out_of_order;
                        }
                    }
                } catch (...) {
                    ++failures;
                }
            });
        }
    }
    CHECK(failures == 0);
    CHECK(out_of_order == 0);
    CHECK(command_calls(server, "incr") == threads * increments);
    const auto s = redis.pool_stats();
    INFO(s.to_json());
    CHECK(s.mux_conns >= 1);
    CHECK(static_cast<int>(s.mux_conns) <= std::max(1, pool_size / 2));  // half the pool at most
    CHECK(s.mux_writes < s.mux_requests);  // requests of different threads shared writes
    check_pool_invariants(redis);
}

TEST_CASE("multiplex: a reply later than read_timeout fails with outcome unknown, reaching nobody",
          "[multiplex]") {
    auto& server = shared_server();
    auto o = multiplexed(server);
    o.read_timeout = 300ms;
    redpool::client redis(o);
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    const auto e = expect_error([&] { redis.exec({"DEBUG", "SLEEP", "1"}); });
    CHECK(e.code() == errc::read_timeout);
    CHECK(e.outcome_unknown());
    for (int i = 0; i < 20; ++i) {
        const std::string payload = "after-" + std::to_string(i);
        CHECK(redis.echo(payload) == payload);
    }
    check_pool_invariants(redis);
}

namespace {

// Echo traffic from 16 threads until `finish`: counts replies that are not the thread's own
// (must stay 0), failures, and successes.
struct echo_threads {
    std::atomic<bool> stop{false};
    std::atomic<long long> ok{0}, failed{0}, wrong{0};
    std::vector<std::jthread> workers;

    explicit echo_threads(redpool::client& redis) {
        for (int t = 0; t < 16; ++t) {
            workers.emplace_back([this, &redis, t] {
                for (long long i = 0; !stop; ++i) {
                    const std::string payload = std::to_string(t) + ":" + std::to_string(i);
                    try {
                        if (redis.echo(payload) == payload) ++ok;
                        else ++wrong;
                    } catch (const redpool::error&) {
                        ++failed;
                    }
                }
            });
        }
    }
    // Also when a REQUIRE left the test early: the threads end before the client goes.
    ~echo_threads() { stop = true; }

    // Waits until `n` more requests succeeded than now.
    void wait_for_more(long long n, std::chrono::milliseconds limit = 5s) {
        const long long before = ok;
        REQUIRE(eventually([&] { return ok > before + n; }, limit));
    }

    void finish() {
        stop = true;
        workers.clear();
        INFO("ok " << ok << ", failed " << failed);
        CHECK(wrong == 0);
    }
};

}  // namespace

TEST_CASE("multiplex: CLIENT KILL under load: errors, never another thread's reply", "[multiplex]") {
    auto& server = shared_server();
    redpool::client redis(multiplexed(server));
    echo_threads load(redis);
    for (int kill = 0; kill < 10; ++kill) {
        load.wait_for_more(200);
        server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    }
    load.finish();
    check_pool_invariants(redis);
}

TEST_CASE("multiplex: close() refuses later calls", "[multiplex]") {
    auto& server = shared_server();
    redpool::client redis(multiplexed(server));
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    redis.close();
    CHECK(expect_error([&] { redis.exec({"PING"}); }).code() == errc::pool_closed);
}

TEST_CASE("multiplex: a server restart under load: errors or own replies, never another thread's",
          "[multiplex]") {
    redpool::test::redis_server server;
    auto o = multiplexed(server);
    o.max_retries = 5;
    redpool::client redis(o);
    echo_threads load(redis);
    load.wait_for_more(1000);
    server.stop();
    server.start();
    load.wait_for_more(1000, 20s);
    load.finish();
    check_pool_invariants(redis);
}
