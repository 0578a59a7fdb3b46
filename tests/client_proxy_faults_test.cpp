// redpool::client against a real redis-server behind the fault proxy (tests/support): the
// faults a real server cannot make on its own. RELIABILITY.md rows 3 (giving up while waiting
// or dialing), 4 (saturation, then recovery), 12 (a timeout at every byte of a reply), 13 (a
// half-open peer) and 16 (a connection lost after the request was written), and the late
// second reply of UNSUBSCRIBE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/fault_proxy.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::fault_proxy;
using redpool::test::shared_server;

namespace {

// Options for a client that talks to the shared server through `proxy`.
redpool::options through(const fault_proxy& proxy) {
    redpool::options o;
    o.host = "127.0.0.1";
    o.port = proxy.port();
    return o;
}

// The ordered-echo check: every request carries a unique nonce, and its reply must be it.
void check_ordered_echo(redpool::client& redis, const std::string& tag, int count = 20) {
    for (int i = 0; i < count; ++i) {
        const std::string nonce = tag + "-" + std::to_string(i);
        REQUIRE(redis.echo(nonce) == nonce);
    }
}

}  // namespace

TEST_CASE("proxy faults: UNSUBSCRIBE and its kin are refused, so no late reply reaches the next caller",
          "[proxy]") {
    fault_proxy proxy(shared_server().port());
    // Each reply line is its own write: UNSUBSCRIBE a b's second reply comes after the first is
    // read, and a connection back in the pool would hand it to the next caller.
    proxy.split_replies_into_lines(2ms);
    auto o = through(proxy);
    o.pool_size = 1;
    redpool::client redis(o);
    for (auto args : std::vector<std::vector<std::string>>{{"UNSUBSCRIBE", "a", "b"},
                                                          {"unsubscribe"},
                                                          {"PUNSUBSCRIBE", "p*", "q*"},
                                                          {"SUnsubscribe", "s1", "s2"}}) {
        INFO(args[0]);
        std::error_code ec;
        redis.exec(std::vector<std::string_view>(args.begin(), args.end()), ec);
        CHECK(ec == errc::invalid_argument);
        CHECK(redis.echo("next") == "next");
    }
    CHECK(redis.pool_stats().misses == 1);  // nothing was closed: the refused commands never ran
    check_pool_invariants(redis, 4);
}

TEST_CASE("proxy faults: callers giving up while others dial slowly leak no turn (row 3)", "[proxy][row3]") {
    fault_proxy proxy(shared_server().port());
    proxy.delay_connects(300ms);  // every dial takes at least 300 ms
    auto o = through(proxy);
    o.pool_size = 2;
    o.pool_timeout = 100ms;  // callers queued behind the dials give up
    o.max_retries = 0;
    redpool::client redis(o);
    std::atomic<bool> stop{false};
    std::atomic<std::uint32_t> most_in_use{0};
    std::jthread sampler([&] {
        while (!stop) {
            const auto s = redis.pool_stats();
            std::uint32_t seen = most_in_use.load();
            while (s.in_use > seen && !most_in_use.compare_exchange_weak(seen, s.in_use)) {
            }
            std::this_thread::yield();
        }
    });
    std::atomic<int> ok{0}, timeouts{0}, other{0};
    {
        std::vector<std::jthread> callers;
        for (int t = 0; t < 8; ++t) {
            callers.emplace_back([&] {
                for (int i = 0; i < 5; ++i) {
                    std::error_code ec;
                    redis.exec({"PING"}, ec);
                    if (!ec) ++ok;
                    else if (ec == errc::pool_timeout) ++timeouts;
                    else ++other;
                }
            });
        }
    }
    stop = true;
    sampler.join();
    INFO("ok " << ok << ", pool timeouts " << timeouts);
    CHECK(timeouts > 0);  // the fault happened
    CHECK(ok > 0);
    CHECK(other == 0);
    CHECK(most_in_use <= 2u);  // never more turns out than pool_size
    // The connections dialed meanwhile went idle; the queue drained.
    const auto s = redis.pool_stats();
    CHECK(s.waiters == 0);
    CHECK(s.total_conns <= 2u);
    CHECK(s.timeouts == static_cast<std::uint64_t>(timeouts));
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: a saturated pool recovers once latency drops, with no lingering queue (row 4)",
          "[proxy][row4]") {
    fault_proxy proxy(shared_server().port());
    auto o = through(proxy);
    o.pool_size = 10;
    o.pool_timeout = 500ms;
    o.read_timeout = 5s;
    o.max_retries = 0;
    redpool::client redis(o);
    check_ordered_echo(redis, "warm");
    proxy.delay_replies(300ms);  // 50 workers on 10 connections: most wait past pool_timeout

    std::atomic<bool> healed{false}, stop{false};
    std::atomic<int> saturated_errors{0}, errors_after_recovery{0}, workers_recovered{0};
    std::atomic<int> misaligned{0}, other_errors{0};  // counted on the workers, checked here
    constexpr int workers = 50;
    std::vector<std::atomic<std::int64_t>> last_error(workers);  // steady_clock ticks
    std::atomic<std::int64_t> healed_at{0};
    {
        std::vector<std::jthread> running;
        for (int w = 0; w < workers; ++w) {
            running.emplace_back([&, w] {
                bool recovered = false;
                for (int i = 0; !stop; ++i) {
                    const std::string nonce = std::to_string(w) + "-" + std::to_string(i);
                    const bool started_healed = healed;  // only such calls count after the heal
                    std::error_code ec;
                    const auto r = redis.exec({"ECHO", nonce}, ec);
                    if (!ec) {
                        if (!r.is_string() || r.as_string() != nonce) ++misaligned;  // never throws
                        if (started_healed && !recovered) {
                            recovered = true;
                            ++workers_recovered;
                        }
                        continue;
                    }
                    if (ec != errc::pool_timeout) ++other_errors;
                    if (!started_healed) ++saturated_errors;
                    else if (recovered) ++errors_after_recovery;
                    last_error[w] = std::chrono::steady_clock::now().time_since_epoch().count();
                }
            });
        }
        const bool saturated = eventually([&] { return saturated_errors > 0; }, 10s);
        if (saturated) std::this_thread::sleep_for(1500ms);  // stay saturated for a while
        proxy.heal();
        healed_at = std::chrono::steady_clock::now().time_since_epoch().count();
        healed = true;
        const bool all_recovered = eventually([&] { return workers_recovered == workers; }, 10s);
        if (all_recovered) std::this_thread::sleep_for(500ms);  // an error-free stretch after it
        stop = true;  // before any check can throw: the workers must end
        CHECK(saturated);
        CHECK(all_recovered);
    }
    std::int64_t last = 0;
    for (const auto& t : last_error) last = std::max(last, t.load() - healed_at.load());
    INFO("errors while saturated " << saturated_errors << "; the last error came "
                                   << std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::duration(last)).count()
                                   << " ms after the latency dropped");
    CHECK(misaligned == 0);
    CHECK(other_errors == 0);
    CHECK(saturated_errors > 0);
    CHECK(errors_after_recovery == 0);  // once a worker got through, it always did
    CHECK(redis.pool_stats().waiters == 0);
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: a read timeout at every byte of a reply never shifts a later reply (row 12)",
          "[proxy][row12]") {
    fault_proxy proxy(shared_server().port());
    auto o = through(proxy);
    o.pool_size = 1;  // a connection wrongly kept would be the very next one used
    o.read_timeout = 300ms;
    redpool::client redis(o);
    const std::string nonce = "nonce-0123456789";
    const std::size_t reply_length = std::string("$16\r\n").size() + nonce.size() + 2;
    check_ordered_echo(redis, "warm", 1);  // dialed now: the faults below hit replies, not the handshake
    for (std::size_t k = 0; k < reply_length; ++k) {
        INFO("the reply stops after " << k << " bytes");
        proxy.hold_replies_after(k);
        auto e = expect_error([&] { redis.echo(nonce); });
        CHECK(e.code() == errc::read_timeout);
        CHECK(e.outcome_unknown());
        proxy.resume_replies();  // the rest arrives, late, at a closed socket
        check_ordered_echo(redis, "after-" + std::to_string(k), 3);
    }
    const auto s = redis.pool_stats();
    CHECK(s.unusable_closed == reply_length);  // every timed-out connection was closed
    CHECK(s.misses == reply_length + 1);
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: a half-open peer fails at the read timeout, and its late reply is lost (row 13)",
          "[proxy][row13]") {
    fault_proxy proxy(shared_server().port());
    auto o = through(proxy);
    o.pool_size = 1;
    o.read_timeout = 300ms;
    redpool::client redis(o);
    check_ordered_echo(redis, "before");
    SECTION("a black hole: nothing answers, nothing reaches the server") {
        proxy.black_hole(true);
        auto e = expect_error([&] { redis.echo("lost"); });
        CHECK(e.code() == errc::read_timeout);
        proxy.black_hole(false);
    }
    SECTION("a peer that answers late: the reply arrives after the connection was closed") {
        proxy.hold_replies_after(0);
        auto e = expect_error([&] { redis.echo("late"); });
        CHECK(e.code() == errc::read_timeout);
        proxy.resume_replies();  // the late reply goes down to a socket that is closed
    }
    CHECK(redis.pool_stats().unusable_closed == 1);
    check_ordered_echo(redis, "after");
    CHECK(redis.pool_stats().misses == 2);
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: a connection lost after the request was written is not retried (row 16)",
          "[proxy][row16]") {
    auto& server = shared_server();
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.max_retries = 5;
    o.min_retry_backoff = 1ms;
    o.max_retry_backoff = 2ms;
    redpool::client redis(o);
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    proxy.drop_before_replies(true);
    auto e = expect_error([&] { redis.incr("once"); });
    CHECK(e.code() == errc::io_error);
    CHECK(e.outcome_unknown());
    CHECK(server.command({"GET", "once"}) == "1");  // executed exactly once, never retried
    proxy.drop_before_replies(false);
    CHECK(redis.incr("once") == 2);
    const auto s = redis.pool_stats();
    CHECK(s.unusable_closed == 1);
    CHECK(s.dial_errors == 0);
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: a connection that died before the write is retried, and is not outcome-unknown",
          "[proxy][row16]") {
    auto& server = shared_server();
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.liveness_check_after = 1h;  // idle connections go out unchecked: the write finds the reset
    for (int retries : {0, 1}) {
        INFO("max_retries " << retries);
        server.command({"DEL", "k"});
        o.max_retries = retries;
        redpool::client redis(o);
        CHECK(redis.incr("k") == 1);
        proxy.reset_all();  // returns once the RST is sent, and on loopback received
        if (retries == 0) {
            auto e = expect_error([&] { redis.incr("k"); });
            CHECK(e.code() == errc::io_error);
            CHECK_FALSE(e.outcome_unknown());  // nothing went out: it did not run
            CHECK(server.command({"GET", "k"}) == "1");
        } else {
            CHECK(redis.incr("k") == 2);  // retried on a new connection, run once
        }
        CHECK(redis.pool_stats().unusable_closed == 1);
        check_pool_invariants(redis);
    }
}

TEST_CASE("proxy faults: a SCAN batch that fails throws from ++, after the keys already seen", "[proxy]") {
    auto& server = shared_server();
    for (int i = 0; i < 100; ++i) server.command({"SET", "key:" + std::to_string(i), "v"});
    fault_proxy proxy(server.port());
    redpool::client redis(through(proxy));
    std::size_t seen = 0;
    auto keys = redis.scan({.count = 10});
    auto it = keys.begin();
    REQUIRE(it != keys.end());
    proxy.drop_before_replies(true);  // the next batch's request runs, its reply never comes
    try {
        for (; it != keys.end(); ++it) ++seen;
        FAIL("the scan ended without the failed batch");
    } catch (const redpool::error& e) {
        CHECK(e.code() == errc::io_error);
        CHECK(e.outcome_unknown());
    }
    CHECK(seen >= 1);   // the first batch's keys came through
    CHECK(seen < 100);  // and the rest did not
    proxy.drop_before_replies(false);
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: replies dribbled one byte per write are read whole, and the connection stays",
          "[proxy]") {
    auto& server = shared_server();
    const std::string value(40, 'v');
    server.command({"SET", "a", value});
    server.command({"SET", "b", "bee"});
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.pool_size = 1;
    redpool::client redis(o);
    check_ordered_echo(redis, "warm", 1);
    proxy.split_replies_into_bytes(1ms);
    CHECK(redis.get("a") == value);
    const auto both = redis.mget({"a", "missing", "b"});
    REQUIRE(both.size() == 3);
    CHECK(both[0] == value);
    CHECK_FALSE(both[1].has_value());
    CHECK(both[2] == "bee");
    proxy.heal();
    check_ordered_echo(redis, "after", 3);
    const auto s = redis.pool_stats();
    CHECK(s.misses == 1);  // one connection throughout: partial reads left it clean
    CHECK(s.unusable_closed == 0);
    check_pool_invariants(redis, 6);
}

TEST_CASE("proxy faults: a reply cut after any number of bytes is io_error, never a short value",
          "[proxy]") {
    auto& server = shared_server();
    const std::string value(40, 'v');
    server.command({"SET", "a", value});
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.pool_size = 1;
    o.max_retries = 3;  // not retried: the request may have run
    redpool::client redis(o);
    check_ordered_echo(redis, "warm", 1);
    const std::size_t reply_length = std::string("$40\r\n").size() + value.size() + 2;
    for (std::size_t n : {std::size_t{1}, std::size_t{4}, std::size_t{10}, reply_length - 1}) {
        INFO("cut after " << n << " bytes");
        proxy.drop_after_reply_bytes(n);
        auto e = expect_error([&] { redis.get("a"); });
        CHECK(e.code() == errc::io_error);
        CHECK(e.outcome_unknown());
        CHECK(redis.get("a") == value);  // a new connection; the rule is spent
    }
    CHECK(redis.pool_stats().unusable_closed == 4);
    check_pool_invariants(redis);
}

TEST_CASE("proxy faults: a connection dropped right after a whole reply is replaced before reuse",
          "[proxy]") {
    fault_proxy proxy(shared_server().port());
    auto o = through(proxy);
    o.pool_size = 1;
    o.liveness_check_after = 0ms;  // every borrow checks
    o.max_retries = 0;             // so a dead connection handed out would show as an error
    redpool::client redis(o);
    check_ordered_echo(redis, "warm", 1);
    proxy.drop_after_replies(1);
    CHECK(redis.echo("last one") == "last one");  // the whole reply came, then the close
    REQUIRE(eventually([&] { return proxy.open_connections() == 0; }));  // the FIN is in
    check_ordered_echo(redis, "after", 3);        // found dead on borrow, replaced, no error
    const auto s = redis.pool_stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.misses == 2);
    check_pool_invariants(redis, 5);
}
