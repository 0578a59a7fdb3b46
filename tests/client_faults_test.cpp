// redpool::client under faults, against real redis-servers (RELIABILITY.md rows 1, 5, 6, 8,
// 9, 10, 14, 15): concurrency soak, min-idle refill, lifetimes, a server that is down, restarts,
// CLIENT KILL under load, the server's idle timeout, and "not executed" replies.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
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

// Operations per thread in the soak; REDPOOL_SOAK_OPS raises it for a longer run by hand.
int soak_ops() {
    const char* env = std::getenv("REDPOOL_SOAK_OPS");
    return env != nullptr ? std::atoi(env) : 300;
}

// Every thread increments its own key and echoes unique nonces; any reply that belongs to
// another request shows up as a wrong echo or a wrong count. Meanwhile a sampler watches that
// the pool never has more connections, or more turns out, than pool_size.
void soak(redpool::client& redis, int threads, int ops, std::uint32_t pool_size) {
    std::atomic<long> misaligned{0};
    std::atomic<long> failures{0};
    std::atomic<std::uint32_t> most_conns{0}, most_in_use{0};
    std::atomic<bool> done{false};
    std::jthread sampler([&] {
        while (!done) {
            const auto s = redis.pool_stats();
            most_conns = std::max(most_conns.load(), s.total_conns);
            most_in_use = std::max(most_in_use.load(), s.in_use);
            std::this_thread::yield();
        }
    });
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                try {
                    const std::string key = "soak:" + std::to_string(t);
                    for (int i = 0; i < ops; ++i) {
                        const std::string nonce = std::to_string(t) + ":" + std::to_string(i);
                        if (redis.echo(nonce) != nonce) ++misaligned;
                        if (redis.incr(key) != i + 1) ++misaligned;
                    }
                } catch (...) {
                    ++failures;
                }
            });
        }
    }
    done = true;
    sampler.join();
    CHECK(misaligned == 0);
    CHECK(failures == 0);
    CHECK(most_conns <= pool_size);
    CHECK(most_in_use <= pool_size);
    for (int t = 0; t < threads; ++t) {
        CHECK(redis.get("soak:" + std::to_string(t)) == std::to_string(ops));
    }
}

}  // namespace

TEST_CASE("faults: 100 threads on pool 10 and on pool 1 keep every reply with its caller", "[faults][row1]") {
    auto o = options_for(shared_server());
    const int ops = soak_ops();
    for (int pool_size : {10, 1}) {
        shared_server();
        o.pool_size = pool_size;
        o.pool_timeout = 30s;
        redpool::client redis(o);
        soak(redis, 100, ops, static_cast<std::uint32_t>(pool_size));
        const std::uint64_t gets = 100ull * ops * 2 + 100;
        check_pool_invariants(redis, gets);
        CHECK(redis.pool_stats().total_conns <= static_cast<std::uint32_t>(pool_size));
    }
}

TEST_CASE("faults: min idle connections are dialed at start and refilled after CLIENT KILL", "[faults][row5]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 5;
    o.min_idle_conns = 3;
    o.reaper_interval = 200ms;
    redpool::client redis(o);
    CHECK(eventually([&] { return redis.pool_stats().idle_conns == 3; }));
    server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    // Within one reaper period the dead ones are found and replaced.
    const auto t0 = clock_type::now();
    CHECK(eventually([&] { return redis.pool_stats().stale_conns == 3; }, 2000ms));
    CHECK(eventually([&] { return redis.pool_stats().idle_conns == 3; }, 2000ms));
    INFO("back to 3 idle after " << seconds_since(t0) << " s");
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("faults: connections past their lifetime or idle time are closed, in-use ones only on return", "[faults][row6]") {
    auto o = options_for(shared_server());
    o.pool_size = 2;
    o.conn_max_lifetime = 300ms;
    redpool::client redis(o);
    // A blocking command outlives the lifetime: it is not interrupted, only closed on return.
    CHECK(redis.exec({"BLPOP", "none", "0.5"}).is_nil());
    auto s = redis.pool_stats();
    CHECK(s.lifetime_closed == 1);
    CHECK(s.total_conns == 0);
    redis.exec({"PING"});
    std::this_thread::sleep_for(350ms);
    redis.exec({"PING"});
    s = redis.pool_stats();
    CHECK(s.lifetime_closed == 2);
    CHECK(s.misses == 3);

    redis.set_conn_max_lifetime(0ms);
    redis.set_conn_max_idle_time(200ms);
    redis.exec({"PING"});
    std::this_thread::sleep_for(250ms);
    redis.exec({"PING"});
    s = redis.pool_stats();
    CHECK(s.idle_closed == 1);
    CHECK(s.stale_conns >= 2);
    check_pool_invariants(redis, 5);
}

TEST_CASE("faults: with the server down the first command fails, and the client recovers when it is up", "[faults][row8]") {
    redis_server server;
    redpool::options o;
    o.path = server.unix_path();  // a stopped server's socket refuses for sure; a port might not
    o.pool_size = 2;
    o.max_retries = 1;
    o.min_retry_backoff = 1ms;
    o.max_retry_backoff = 2ms;
    server.stop();
    redpool::client redis(o);  // lazy: constructing needs no server
    try {
        redis.exec({"PING"});
        FAIL("PING to a stopped server succeeded");
    } catch (const redpool::error& e) {
        CHECK(e.code() == errc::io_error);
        CHECK_FALSE(e.outcome_unknown());  // a failed dial: the command never went out
    }
    CHECK(redis.pool_stats().dial_errors == 2);  // one retry of a failed dial
    // Now pool_size dials have failed in a row: fail fast, no dial.
    std::error_code ec;
    redis.exec({"PING"}, ec);
    CHECK(ec == errc::io_error);
    CHECK(redis.pool_stats().dial_errors == 2);
    server.start();
    // The background probe redials about once a second and closes the breaker.
    CHECK(eventually([&] {
        std::error_code e;
        auto r = redis.exec({"PING"}, e);
        return !e && r.as_string() == "PONG";
    }, 4000ms));
    check_pool_invariants(redis);
}

TEST_CASE("faults: after a server restart stale idle connections are replaced without errors", "[faults][row9]") {
    redis_server server;
    auto o = options_for(server);
    o.pool_size = 4;
    redpool::client redis(o);
    {
        // Four connections at once: four holders of BLPOP, released together.
        std::vector<std::jthread> warm;
        for (int i = 0; i < 4; ++i) {
            warm.emplace_back([&] {
                std::error_code ec;
                redis.exec({"BLPOP", "w", "0"}, ec);
            });
        }
        const bool four_in_use = eventually([&] { return redis.pool_stats().in_use == 4; });
        server.command({"LPUSH", "w", "1", "2", "3", "4"});  // first: the holders must end
        REQUIRE(four_in_use);
    }
    CHECK(redis.pool_stats().idle_conns == 4);
    server.stop();
    server.start();
    for (int i = 0; i < 20; ++i) {
        CHECK(redis.set("k" + std::to_string(i), "v"));  // zero user-visible errors
    }
    auto s = redis.pool_stats();
    CHECK(s.stale_conns == 4);
    CHECK(s.total_conns == 1);
    check_pool_invariants(redis);
}

TEST_CASE("faults: CLIENT KILL under load never hands a reply to the wrong caller", "[faults][row10]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 4;
    o.max_retries = 0;  // every kill that hits a request in flight shows as an error
    // Every borrow checks: a connection killed while idle is never handed out (the final echo
    // below would otherwise meet one killed within liveness_check_after of its return).
    o.liveness_check_after = 0ms;
    redpool::client redis(o);
    std::atomic<bool> stop{false};
    std::atomic<long> ok{0}, connection_errors{0}, misaligned{0}, other_errors{0};
    long killed = 0;
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < 8; ++t) {
            workers.emplace_back([&, t] {
                for (long i = 0; !stop; ++i) {
                    const std::string nonce = std::to_string(t) + "-" + std::to_string(i);
                    try {
                        if (redis.echo(nonce) == nonce) ++ok;
                        else ++misaligned;
                    } catch (const redpool::error& e) {
                        if (e.code() == errc::io_error) ++connection_errors;
                        else ++other_errors;
                    } catch (...) {
                        ++other_errors;
                    }
                }
            });
        }
        auto admin = server.admin();
        for (int k = 0; k < 10 || ((connection_errors == 0 || ok <= 100) && k < 500); ++k) {
            std::this_thread::sleep_for(20ms);
            killed += std::stol(admin.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}));
        }
        stop = true;
    }
    const auto s = redis.pool_stats();
    INFO("ok " << ok << ", connection errors " << connection_errors << ", killed " << killed << ", "
               << s.to_json());
    CHECK(killed > 0);
    CHECK(connection_errors > 0);  // some kills hit requests in flight
    CHECK(s.unusable_closed + s.stale_conns > 0);  // and killed connections were thrown away
    CHECK(misaligned == 0);
    CHECK(other_errors == 0);
    CHECK(ok > 100);
    CHECK(redis.echo("after") == "after");
    check_pool_invariants(redis);
}

TEST_CASE("faults: a connection closed by the server's idle timeout is replaced on borrow", "[faults][row14]") {
    redis_server server;
    server.command({"CONFIG", "SET", "timeout", "1"});
    redpool::client redis(options_for(server));
    CHECK(redis.set("k", "v"));
    // The server closes the idle connection after 1 to 2 s: wait until its CLIENT LIST shows
    // only the admin connection asking.
    REQUIRE(eventually([&] { return redpool::test::client_list(server, "normal").empty(); }, 10s));
    CHECK(redis.get("k") == "v");  // no error: detected on borrow, not on use
    auto s = redis.pool_stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.misses == 2);
    check_pool_invariants(redis, 2);
}

TEST_CASE("faults: max number of clients is retried with backoff until a slot frees up", "[faults][row15]") {
    redis_server server;
    auto admin = server.admin();
    admin.command({"CONFIG", "SET", "maxclients", "1"});  // the admin connection is the one
    auto o = options_for(server);
    o.max_retries = 30;  // the freer thread below must get its turn first, even under TSan
    o.min_retry_backoff = 20ms;
    o.max_retry_backoff = 100ms;
    redpool::client redis(o);
    std::jthread freer([&] {
        // Acknowledged: the server has refused a connection at least once.
        for (int i = 0; i < 2000; ++i) {
            const auto stats = admin.command({"INFO", "stats"});
            if (stats.find("rejected_connections:0") == std::string::npos) break;
            std::this_thread::sleep_for(5ms);
        }
        admin.command({"CONFIG", "SET", "maxclients", "100"});
    });
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    freer.join();
    CHECK(redis.pool_stats().dial_errors >= 1);  // it was refused, and retried

    // With retries exhausted the refusal reaches the caller, naming the reason.
    admin.command({"CONFIG", "SET", "maxclients", "2"});  // the admin and `redis`'s connection
    o.max_retries = 2;
    redpool::client limited(o);
    try {
        limited.exec({"PING"});
        FAIL("PING past maxclients succeeded");
    } catch (const redpool::error& e) {
        // The server's refusal, or a reset if its close overtook our PING.
        CHECK(e.code() == errc::io_error);
    }
    CHECK(limited.pool_stats().dial_errors == 3);
    check_pool_invariants(redis);
    check_pool_invariants(limited);
}

TEST_CASE("faults: close() and the destructor cancel dials to a frozen server instead of waiting for them",
          "[faults][row13]") {
    redis_server server;
    auto o = options_for(server);
    o.dial_timeout = 1h;  // only a cancel can end these dials in time
    o.read_timeout = 1h;
    o.min_idle_conns = 2;  // background dials too
    o.pool_size = 3;
    server.freeze();  // the kernel still accepts; the handshake is never answered
    std::error_code code;
    {
        redpool::client redis(o);
        std::jthread caller([&] { redis.exec({"PING"}, code); });
        CHECK(eventually([&] { return redis.pool_stats().in_use == 3; }));  // 2 background, 1 caller
        redis.close();  // whatever was seen: the caller must end before it is joined
        caller.join();
        CHECK(redis.pool_stats().dial_errors == 0);  // canceled, not failed
        check_pool_invariants(redis, 1);             // the caller's get: a miss whose dial was canceled
    }  // the destructor returns too: nothing is left to wait for
    server.thaw();
    CHECK(code == errc::pool_closed);

    // Destroyed without close(), with the background dials still hanging.
    server.freeze();
    {
        redpool::client redis(o);
        CHECK(eventually([&] { return redis.pool_stats().in_use == 2; }));
    }
    server.thaw();
}
