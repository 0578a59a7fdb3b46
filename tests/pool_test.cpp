// Unit tests of detail::basic_pool over fake connections, a manual clock and a manual
// scheduler: hits and misses, LIFO/FIFO reuse, token accounting on every path (dial errors,
// stale and dead idle connections, unclean returns, close, shrink), first-come-first-served
// waiters, pool_timeout, min idle, the reaper, lifetime jitter, the dial breaker, run-time
// tuning, and a concurrency smoke test. Only the pool_timeout tests wait for real time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "lib/pool/pool.hpp"
#include "redpool/error.hpp"
#include "redpool/pool.hpp"
#include "tests/support/pool_fakes.hpp"
#include "tests/support/pool_harness.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using redpool::errc;
using redpool::detail::pool_config;
using redpool::test::fake_conn;
using redpool::test::fake_dialer;
using redpool::test::manual_clock;
using redpool::test::manual_scheduler;
using redpool::test::manual_scheduler_state;
using redpool::test::basic_harness;
using redpool::test::check_invariants;
using redpool::test::config_of;
using redpool::test::eventually;
using redpool::test::fill_idle;
using redpool::test::get_error;
using redpool::test::get_message;
using redpool::test::harness;
using redpool::test::lease;
using redpool::test::pool_type;


// --- hits, misses, reuse order -----------------------------------------------------------------

namespace {

// A thread whose get() waits for a token: `got` becomes the id of the connection it received,
// or 0 if get() threw.
std::jthread waiting_get(harness& h, std::atomic<int>& got) {
    return std::jthread([&h, &got] {
        try {
            lease l = h.pool->get();
            got = l->id();
        } catch (...) {
            got = 0;
        }
    });
}

}  // namespace

TEST_CASE("pool: a first get dials (a miss) and a second reuses the idle connection (a hit)", "[pool]") {
    harness h(config_of(2));
    {
        lease a = h.pool->get();
        CHECK(a->id() == 1);
        const auto s = h.stats();
        CHECK(s.misses == 1);
        CHECK(s.hits == 0);
        CHECK(s.in_use == 1);
        CHECK(s.total_conns == 1);
        CHECK(s.idle_conns == 0);
    }
    CHECK(h.stats().idle_conns == 1);
    CHECK(h.stats().in_use == 0);
    {
        lease b = h.pool->get();
        CHECK(b->id() == 1);
        CHECK(h.stats().hits == 1);
    }
    CHECK(h.dial.dials() == 1);
    check_invariants(h, 2);
}

TEST_CASE("pool: idle connections are reused last in, first out by default", "[pool]") {
    harness h(config_of(3));
    fill_idle(h, 3);  // idle, oldest first: 1 2 3
    lease x = h.pool->get();
    lease y = h.pool->get();
    CHECK(x->id() == 3);
    CHECK(y->id() == 2);
    CHECK(h.stats().hits == 2);
    x.release();
    y.release();
    check_invariants(h, 5);
}

TEST_CASE("pool: pool_fifo reuses idle connections first in, first out", "[pool]") {
    auto config = config_of(3);
    config.pool_fifo = true;
    harness h(config);
    fill_idle(h, 3);
    lease x = h.pool->get();
    lease y = h.pool->get();
    CHECK(x->id() == 1);
    CHECK(y->id() == 2);
    x.release();
    lease z = h.pool->get();  // 3 is now the oldest idle, 1 went to the back
    CHECK(z->id() == 3);
    z.release();
    y.release();
    check_invariants(h, 6);
}

TEST_CASE("pool: a lease returns its token exactly once when moved, released or reassigned", "[pool]") {
    harness h(config_of(2));
    lease a = h.pool->get();
    lease b = std::move(a);
    CHECK_FALSE(a);
    CHECK(b);
    CHECK(h.stats().in_use == 1);
    b.release();
    b.release();
    a.release();
    CHECK_FALSE(b);
    CHECK(h.stats().in_use == 0);

    lease x = h.pool->get();
    lease y = h.pool->get();
    CHECK(h.stats().in_use == 2);
    x = std::move(y);  // x's old connection goes back
    CHECK(h.stats().in_use == 1);
    CHECK(h.stats().idle_conns == 1);
    lease& same = x;
    x = std::move(same);  // self-assignment keeps the lease
    CHECK(x);
    CHECK(h.stats().in_use == 1);
    x.release();
    check_invariants(h, 3);
}

// --- tokens on failure paths ---------------------------------------------------------------

TEST_CASE("pool: a failed dial frees its token and the next get works", "[pool]") {
    harness h(config_of(2));  // 2: one failure does not trip the dial breaker
    h.dial.fail(true);
    try {
        auto l = h.pool->get();
        FAIL("get succeeded with a failing dialer");
    } catch (const redpool::error& e) {
        CHECK(e.code() == errc::io_error);
        CHECK_THAT(e.what(), Contains("dial 1 refused"));
    }
    auto s = h.stats();
    CHECK(s.in_use == 0);
    CHECK(s.dial_errors == 1);
    CHECK(s.misses == 1);
    CHECK(s.total_conns == 0);

    h.dial.fail(false);
    {
        // With pool_timeout 0, a token leaked by the failed dial would fail the second get.
        lease a = h.pool->get();
        lease b = h.pool->get();
        CHECK(a->id() == 1);
        CHECK(b->id() == 2);
    }
    check_invariants(h, 3);
}

TEST_CASE("pool: idle connections past conn_max_idle_time are closed on get, not handed out", "[pool]") {
    auto config = config_of(3);
    config.conn_max_idle_time = 1min;
    harness h(config);
    { lease a = h.pool->get(); }
    h.clock.advance(59s);
    {
        lease a = h.pool->get();  // idle 59 s: still fine
        CHECK(a->id() == 1);
    }
    CHECK(h.stats().hits == 1);

    {
        lease a = h.pool->get();
        lease b = h.pool->get();
        lease c = h.pool->get();
    }  // three idle, returned now
    REQUIRE(h.stats().idle_conns == 3);
    h.clock.advance(1min);
    {
        lease fresh = h.pool->get();  // pops all three stale ones, then dials
        CHECK(fresh->id() == 4);
        CHECK_FALSE(h.dial.is_live(1));
        CHECK_FALSE(h.dial.is_live(2));
        CHECK_FALSE(h.dial.is_live(3));
        const auto s = h.stats();
        CHECK(s.stale_conns == 3);
        CHECK(s.idle_closed == 3);
        CHECK(s.lifetime_closed == 0);
        CHECK(s.in_use == 1);
        CHECK(s.total_conns == 1);
    }
    check_invariants(h, 6);
}

TEST_CASE("pool: connections past conn_max_lifetime are closed on get", "[pool]") {
    auto config = config_of(2);
    config.conn_max_lifetime = 10s;
    config.liveness_check_after = 1h;
    harness h(config);
    { lease a = h.pool->get(); }
    h.clock.advance(9s);
    {
        lease a = h.pool->get();
        CHECK(a->id() == 1);
    }
    h.clock.advance(1s);  // 10 s old, though it was idle for no time at all
    {
        lease b = h.pool->get();
        CHECK(b->id() == 2);
    }
    const auto s = h.stats();
    CHECK(s.lifetime_closed == 1);
    CHECK(s.idle_closed == 0);
    CHECK(s.stale_conns == 1);
    CHECK(s.hits == 1);
    CHECK(s.misses == 2);
    check_invariants(h, 3);
}

TEST_CASE("pool: a dead idle connection fails the liveness check on borrow and is skipped", "[pool]") {
    auto config = config_of(2);
    config.liveness_check_after = 10ms;
    harness h(config);
    { lease a = h.pool->get(); }
    fake_conn* first = h.dial.find(1);
    REQUIRE(first != nullptr);
    first->usable = false;
    int checks_before_close = -1;
    first->on_close = [&](fake_conn& c) { checks_before_close = c.usable_calls.load(); };
    h.clock.advance(11ms);
    {
        lease l = h.pool->get();
        CHECK(l->id() == 2);
    }
    CHECK(checks_before_close == 1);
    CHECK_FALSE(h.dial.is_live(1));
    const auto s = h.stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.idle_closed == 0);
    CHECK(s.lifetime_closed == 0);
    CHECK(s.hits == 0);
    CHECK(s.misses == 2);
    check_invariants(h, 2);
}

TEST_CASE("pool: a connection returned recently skips the liveness check", "[pool]") {
    auto config = config_of(2);
    config.liveness_check_after = 10ms;
    harness h(config);
    { lease a = h.pool->get(); }
    fake_conn* first = h.dial.find(1);
    REQUIRE(first != nullptr);
    first->usable = false;  // would fail the check, were it made
    h.clock.advance(5ms);
    {
        lease l = h.pool->get();
        CHECK(l->id() == 1);
        CHECK(l->usable_calls == 0);
        l->usable = true;
    }
    h.clock.advance(10ms);
    {
        lease l = h.pool->get();  // idle 10 ms: checked now, and passes
        CHECK(l->id() == 1);
        CHECK(l->usable_calls == 1);
    }
    CHECK(h.stats().hits == 2);
    CHECK(h.stats().stale_conns == 0);
    check_invariants(h, 3);
}

TEST_CASE("pool: an unclean connection is closed on return, never pooled", "[pool]") {
    harness h(config_of(2));
    {
        lease l = h.pool->get();
        l->clean = false;  // e.g. an unread reply after a timeout
    }
    CHECK_FALSE(h.dial.is_live(1));
    auto s = h.stats();
    CHECK(s.total_conns == 0);
    CHECK(s.idle_conns == 0);
    CHECK(s.in_use == 0);
    {
        lease l = h.pool->get();
        CHECK(l->id() == 2);
    }
    CHECK(h.stats().misses == 2);
    check_invariants(h, 2);
}

TEST_CASE("pool: returns beyond max_idle_conns are closed", "[pool]") {
    auto config = config_of(4);
    config.max_idle_conns = 2;
    harness h(config);
    {
        std::vector<lease> leases;
        for (int i = 0; i < 4; ++i) leases.push_back(h.pool->get());
        for (auto& l : leases) l.release();  // 1 and 2 stay, 3 and 4 are closed
    }
    CHECK(h.dial.is_live(1));
    CHECK(h.dial.is_live(2));
    CHECK_FALSE(h.dial.is_live(3));
    CHECK_FALSE(h.dial.is_live(4));
    CHECK(h.stats().idle_conns == 2);
    CHECK(h.stats().total_conns == 2);
    check_invariants(h, 4);
}

// --- waiting for a turn --------------------------------------------------------------------

TEST_CASE("pool: get waits for a turn and times out", "[pool]") {
    auto config = config_of(1);
    config.pool_timeout = 50ms;
    harness h(config);
    lease held = h.pool->get();

    const auto start = std::chrono::steady_clock::now();
    std::string message;
    std::error_code code;
    try {
        auto l = h.pool->get();
    } catch (const redpool::error& e) {
        code = e.code();
        message = e.what();
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(code == errc::pool_timeout);
    CHECK(waited >= 50ms);  // not before its time
    CHECK_THAT(message, Contains("test:6379") && Contains("50ms") && Contains("pool_size 1") &&
                            Contains("in use 1") && Contains("idle 0") && Contains("total 1") &&
                            Contains("waiting 0"));
    auto s = h.stats();
    CHECK(s.timeouts == 1);
    CHECK(s.wait_count == 1);
    CHECK(s.wait_duration >= 50ms);
    CHECK(s.in_use == 1);
    CHECK(s.waiters == 0);

    held.release();
    {
        lease l = h.pool->get();  // the timed-out waiter took no token
        CHECK(l->id() == 1);
    }
    check_invariants(h, 2);
}

TEST_CASE("pool: pool_timeout 0 fails at once when no token is free", "[pool]") {
    harness h(config_of(1));
    lease held = h.pool->get();
    CHECK(get_error(*h.pool) == errc::pool_timeout);
    const auto s = h.stats();
    CHECK(s.timeouts == 1);
    CHECK(s.wait_count == 1);
    CHECK(s.in_use == 1);
    held.release();
    check_invariants(h, 1);
}

TEST_CASE("pool: a waiter gets the token of a lease returned by another thread", "[pool]") {
    auto config = config_of(1);
    config.pool_timeout = 10s;
    harness h(config);
    lease held = h.pool->get();
    std::atomic<int> got{-1};
    std::jthread waiter = waiting_get(h, got);
    REQUIRE(eventually([&] { return h.stats().waiters == 1; }));
    CHECK(got == -1);
    held.release();
    waiter.join();
    CHECK(got == 1);
    const auto s = h.stats();
    CHECK(s.wait_count == 1);
    CHECK(s.timeouts == 0);
    CHECK(s.hits == 1);
    check_invariants(h, 2);
}

TEST_CASE("pool: waiters are served in arrival order", "[pool]") {
    constexpr int n = 6;
    auto config = config_of(1);
    config.pool_timeout = 30s;
    harness h(config);
    lease held = h.pool->get();

    std::mutex mu;
    std::condition_variable changed;
    std::vector<int> order;  // guarded by mu; who got the token, in turn
    int allowed = 0;         // guarded by mu; how many holders may give the token back
    std::atomic<int> errors{0};
    std::vector<std::jthread> threads;
    for (int k = 0; k < n; ++k) {
        threads.emplace_back([&, k] {
            try {
                lease l = h.pool->get();
                std::unique_lock lock(mu);
                const int turn = static_cast<int>(order.size());
                order.push_back(k);
                changed.notify_all();
                // Bounded only so a failed REQUIRE below cannot leave this thread, and its join,
                // waiting for ever.
                changed.wait_for(lock, 60s, [&] { return allowed > turn; });
            } catch (...) {
                ++errors;
            }
        });
        // Thread k is queued before thread k + 1 starts.
        REQUIRE(eventually([&] { return h.stats().waiters == static_cast<std::uint32_t>(k + 1); }));
    }

    held.release();
    for (int turn = 0; turn < n; ++turn) {
        std::unique_lock lock(mu);
        REQUIRE(changed.wait_for(lock, 10s, [&] { return static_cast<int>(order.size()) > turn; }));
        CHECK(order[turn] == turn);
        CHECK(static_cast<int>(order.size()) == turn + 1);  // nobody overtook the holder
        lock.unlock();
        const auto s = h.stats();
        CHECK(s.in_use == 1);
        CHECK(s.waiters == static_cast<std::uint32_t>(n - turn - 1));
        lock.lock();
        allowed = turn + 1;
        changed.notify_all();
    }
    for (auto& t : threads) t.join();
    CHECK(errors == 0);
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
    const auto s = h.stats();
    CHECK(s.wait_count == n);
    CHECK(s.timeouts == 0);
    CHECK(s.total_conns == 1);  // one connection passed from hand to hand
    check_invariants(h, n + 1);
}

// The bounded exception to first come, first served (pool.hpp, barging_limit): a returning
// thread may take a free turn ahead of a waiter younger than 1 ms, which then takes a turn left
// free when it is due, with nobody returning one. Eight threads on one turn, gets and returns
// back to back, so both hand-offs and turns left free happen: every get must succeed long
// before pool_timeout (a waiter that missed a turn left free would sit out all of it), and the
// turn count must come back to zero.
TEST_CASE("pool: contended gets all succeed when running threads may take free turns first", "[pool]") {
    auto config = config_of(1);
    config.pool_timeout = 60s;
    harness h(config);
    constexpr int threads = 8;
    constexpr int rounds = 2000;
    std::atomic<int> errors{0};
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&] {
                for (int i = 0; i < rounds; ++i) {
                    try {
                        lease l = h.pool->get();
                    } catch (...) {
                        ++errors;
                    }
                }
            });
        }
    }
    CHECK(errors == 0);
    const auto s = h.stats();
    CHECK(s.timeouts == 0);
    CHECK(s.waiters == 0);
    check_invariants(h, threads * rounds);
}

TEST_CASE("pool: close wakes every waiter with pool_closed", "[pool]") {
    auto config = config_of(1);
    config.pool_timeout = 1h;  // a waiter that timed out instead of being woken would hang
    harness h(config);
    lease held = h.pool->get();
    constexpr int n = 3;
    std::vector<std::error_code> codes(n);
    std::vector<std::jthread> threads;
    for (int k = 0; k < n; ++k) threads.emplace_back([&, k] { codes[k] = get_error(*h.pool); });
    REQUIRE(eventually([&] { return h.stats().waiters == n; }));

    h.pool->close();
    for (auto& t : threads) t.join();
    for (const auto& code : codes) CHECK(code == errc::pool_closed);
    auto s = h.stats();
    CHECK(s.waiters == 0);
    CHECK(s.timeouts == 0);
    CHECK(s.in_use == 1);

    held.release();  // closed as it comes back
    CHECK(h.dial.live() == 0);
    CHECK(h.stats().in_use == 0);
    CHECK(get_error(*h.pool) == errc::pool_closed);
    check_invariants(h, 1);
}

// --- close ---------------------------------------------------------------------------------

TEST_CASE("pool: close closes idle connections at once and leased ones when they come back", "[pool]") {
    harness h(config_of(3));
    lease a = h.pool->get();
    lease b = h.pool->get();
    lease c = h.pool->get();
    a.release();
    b.release();
    REQUIRE(h.dial.live() == 3);

    h.pool->close();
    CHECK(h.dial.live() == 1);
    CHECK(h.dial.is_live(3));
    auto s = h.stats();
    CHECK(s.idle_conns == 0);
    CHECK(s.total_conns == 1);
    CHECK(s.in_use == 1);

    CHECK(get_error(*h.pool) == errc::pool_closed);
    CHECK_THAT(get_message(*h.pool), Contains("test:6379") && Contains("closed"));
    CHECK(h.stats().in_use == 1);  // the refused get took no token

    c.release();
    CHECK(h.dial.live() == 0);
    s = h.stats();
    CHECK(s.total_conns == 0);
    CHECK(s.in_use == 0);

    h.pool->close();  // idempotent
    h.pool->close();
    CHECK(h.pool->reap_stale_conns() == 0);
    h.pool->check_min_idle_conns();
    CHECK(h.background->ready_count() == 0);
    check_invariants(h, 3);
}

// --- run-time tuning -----------------------------------------------------------------------

TEST_CASE("pool: shrinking with leases out closes the surplus as it comes back", "[pool]") {
    harness h(config_of(4));
    std::vector<lease> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(h.pool->get());

    SECTION("no idle connections at the time") {
        h.pool->set_pool_size(2);
        auto s = h.stats();
        CHECK(s.pool_size == 2);
        CHECK(s.total_conns == 4);
        CHECK(s.in_use == 4);
        check_invariants(h, 4, /*shrunk=*/true);
        CHECK(get_error(*h.pool) == errc::pool_timeout);  // 4 tokens out of 2: no turn

        leases[0].release();
        CHECK(h.dial.live() == 3);
        leases[1].release();
        CHECK(h.dial.live() == 2);
        CHECK(h.stats().idle_conns == 0);
        CHECK(get_error(*h.pool) == errc::pool_timeout);  // still 2 of 2 in use
        leases[2].release();
        leases[3].release();
        CHECK(h.dial.live() == 2);
        CHECK(h.dial.is_live(3));
        CHECK(h.dial.is_live(4));
        s = h.stats();
        CHECK(s.idle_conns == 2);
        CHECK(s.total_conns == 2);
        check_invariants(h, 4);
    }
    SECTION("idle connections are closed at once") {
        leases[0].release();
        leases[1].release();
        h.pool->set_pool_size(1);
        CHECK_FALSE(h.dial.is_live(1));
        CHECK_FALSE(h.dial.is_live(2));
        CHECK(h.stats().total_conns == 2);
        leases[2].release();  // 2 > 1: closed
        CHECK_FALSE(h.dial.is_live(3));
        leases[3].release();  // 1 of 1: kept
        CHECK(h.dial.is_live(4));
        const auto s = h.stats();
        CHECK(s.total_conns == 1);
        CHECK(s.idle_conns == 1);
        check_invariants(h, 4);
    }
}

TEST_CASE("pool: growing the pool wakes waiters", "[pool]") {
    auto config = config_of(1);
    config.pool_timeout = 30s;
    harness h(config);
    lease held = h.pool->get();
    std::atomic<int> got{-1};
    std::jthread waiter = waiting_get(h, got);
    REQUIRE(eventually([&] { return h.stats().waiters == 1; }));
    h.pool->set_pool_size(2);
    waiter.join();
    CHECK(got == 2);  // a second token, so a second connection
    auto s = h.stats();
    CHECK(s.pool_size == 2);
    CHECK(s.timeouts == 0);
    CHECK(s.total_conns == 2);
    held.release();
    check_invariants(h, 2);
}

TEST_CASE("pool: setters reject values out of range with invalid_argument", "[pool]") {
    harness h(config_of(3));
    auto code_of = [](auto&& call) -> std::error_code {
        try {
            call();
        } catch (const redpool::error& e) {
            return e.code();
        }
        return {};
    };
    CHECK(code_of([&] { h.pool->set_min_idle_conns(-1); }) == errc::invalid_argument);
    CHECK(code_of([&] { h.pool->set_min_idle_conns(4); }) == errc::invalid_argument);
    CHECK(code_of([&] { h.pool->set_pool_size(0); }) == errc::invalid_argument);
    CHECK(code_of([&] { h.pool->set_max_idle_conns(-1); }) == errc::invalid_argument);
    CHECK(code_of([&] { h.pool->set_pool_timeout(-1ms); }) == errc::invalid_argument);
    CHECK(code_of([&] { h.pool->set_conn_max_idle_time(-1ms); }) == errc::invalid_argument);
    CHECK(code_of([&] { h.pool->set_conn_max_lifetime(-1ms); }) == errc::invalid_argument);
    CHECK(h.stats().pool_size == 3);
    CHECK(h.background->ready_count() == 0);  // nothing changed, nothing dialed

    h.pool->set_min_idle_conns(3);  // the edge of the range is fine
    h.background->run_pending();
    CHECK(h.stats().idle_conns == 3);
    check_invariants(h, 0);
}

// --- min idle ------------------------------------------------------------------------------

TEST_CASE("pool: min_idle_conns are dialed in the background at construction", "[pool]") {
    auto config = config_of(4);
    config.min_idle_conns = 3;
    harness h(config);
    CHECK(h.dial.dials() == 0);  // never inline
    CHECK(h.stats().total_conns == 0);
    CHECK(h.background->ready_count() == 3);
    h.pool->check_min_idle_conns();  // the three under way count
    CHECK(h.background->ready_count() == 3);

    h.background->run_pending();
    auto s = h.stats();
    CHECK(s.idle_conns == 3);
    CHECK(s.total_conns == 3);
    CHECK(s.misses == 0);
    CHECK(h.dial.dials() == 3);
    h.pool->check_min_idle_conns();
    CHECK(h.background->ready_count() == 0);
    {
        lease l = h.pool->get();
        CHECK(h.stats().hits == 1);
    }
    h.background->run_pending();
    check_invariants(h, 1);
}

TEST_CASE("pool: min idle never goes above pool_size", "[pool]") {
    auto config = config_of(4);
    config.min_idle_conns = 8;
    harness h(config);
    CHECK(h.background->ready_count() == 4);
    h.background->run_pending();
    CHECK(h.stats().idle_conns == 4);
    std::vector<lease> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(h.pool->get());
    h.background->run_pending();  // idle is 0 but there is no room
    CHECK(h.stats().total_conns == 4);
    CHECK(h.dial.dials() == 4);
    leases.clear();
    h.pool->check_min_idle_conns();
    h.background->run_pending();
    CHECK(h.stats().total_conns == 4);
    check_invariants(h, 4);
}

TEST_CASE("pool: min idle is refilled after connections are removed", "[pool]") {
    auto config = config_of(4);
    config.min_idle_conns = 2;
    config.conn_max_idle_time = 1min;
    harness h(config);
    h.background->run_pending();
    REQUIRE(h.stats().idle_conns == 2);

    SECTION("an unclean return") {
        {
            lease l = h.pool->get();
            h.background->run_pending();  // taking one leaves 1 idle: refilled
            CHECK(h.stats().idle_conns == 2);
            l->clean = false;
        }
        CHECK(h.stats().idle_conns == 2);
        CHECK(h.stats().total_conns == 2);
        h.background->run_pending();
        CHECK(h.stats().idle_conns == 2);
        check_invariants(h, 1);
    }
    SECTION("stale connections dropped by get") {
        h.clock.advance(1min);
        {
            lease l = h.pool->get();  // both idle ones are stale: closed, then a dial
            CHECK(l->id() == 3);
            CHECK(h.stats().stale_conns == 2);
        }
        h.background->run_pending();
        const auto s = h.stats();
        CHECK(s.idle_conns >= 2);
        CHECK(s.total_conns <= 4);
        check_invariants(h, 1);
    }
    SECTION("a hit leaves fewer than min idle") {
        lease a = h.pool->get();
        lease b = h.pool->get();
        h.background->run_pending();
        CHECK(h.stats().idle_conns == 2);
        CHECK(h.stats().total_conns == 4);
        lease c = h.pool->get();
        h.background->run_pending();  // full: no room for more
        CHECK(h.stats().total_conns == 4);
        a.release();
        b.release();
        c.release();
        check_invariants(h, 3);
    }
}

TEST_CASE("pool: failed min-idle dials are retried by the next check_min_idle_conns", "[pool]") {
    auto config = config_of(4);
    config.min_idle_conns = 2;
    harness h(config);
    h.dial.fail(true);
    h.background->run_pending();
    auto s = h.stats();
    CHECK(s.dial_errors == 2);
    CHECK(s.total_conns == 0);
    CHECK(h.dial.live() == 0);  // no half-made connection

    h.pool->check_min_idle_conns();  // the failed dials no longer count as under way
    CHECK(h.background->ready_count() == 2);
    h.dial.fail(false);
    h.background->run_pending();
    s = h.stats();
    CHECK(s.idle_conns == 2);
    CHECK(s.dial_errors == 2);
    {
        lease l = h.pool->get();
        CHECK(h.stats().hits == 1);
    }
    h.background->run_pending();
    check_invariants(h, 1);
}

// --- the reaper ----------------------------------------------------------------------------

TEST_CASE("pool: reap_stale_conns closes only stale idle connections", "[pool]") {
    auto config = config_of(4);
    config.conn_max_idle_time = 1min;
    config.conn_max_lifetime = 10min;
    harness h(config);
    lease a = h.pool->get();
    lease b = h.pool->get();
    lease c = h.pool->get();
    a.release();
    h.clock.advance(50s);
    b.release();
    h.clock.advance(20s);  // a idle 70 s, b idle 20 s, c leased

    CHECK(h.pool->reap_stale_conns() == 1);
    CHECK_FALSE(h.dial.is_live(1));
    CHECK(h.dial.is_live(2));
    auto s = h.stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.idle_closed == 1);
    CHECK(s.idle_conns == 1);
    CHECK(s.in_use == 1);

    h.clock.advance(10min);  // c is past its lifetime, but leased
    CHECK(h.pool->reap_stale_conns() == 1);  // b only
    CHECK_FALSE(h.dial.is_live(2));
    CHECK(h.dial.is_live(3));
    s = h.stats();
    CHECK(s.stale_conns == 2);
    CHECK(s.lifetime_closed == 1);  // b: past both limits, lifetime comes first
    CHECK(s.idle_closed == 1);

    c.release();  // closed on its return
    CHECK_FALSE(h.dial.is_live(3));
    s = h.stats();
    CHECK(s.lifetime_closed == 2);
    CHECK(s.total_conns == 0);
    check_invariants(h, 3);
}

TEST_CASE("pool: reap_stale_conns closes dead idle connections and refills min idle", "[pool]") {
    auto config = config_of(4);
    config.min_idle_conns = 2;
    config.liveness_check_after = 10ms;
    harness h(config);
    h.background->run_pending();
    REQUIRE(h.stats().idle_conns == 2);
    h.dial.find(1)->usable = false;
    h.clock.advance(1s);

    CHECK(h.pool->reap_stale_conns() == 1);
    CHECK_FALSE(h.dial.is_live(1));
    CHECK(h.dial.find(2)->usable_calls == 1);
    auto s = h.stats();
    CHECK(s.stale_conns == 1);
    CHECK(s.idle_closed == 0);
    CHECK(s.idle_conns == 1);
    CHECK(h.background->ready_count() == 1);
    h.background->run_pending();
    s = h.stats();
    CHECK(s.idle_conns == 2);
    CHECK(h.dial.is_live(3));
    check_invariants(h, 0);
}

TEST_CASE("pool: the reaper runs every reaper_interval and reschedules itself", "[pool]") {
    auto config = config_of(4);
    config.reaper_interval = 1s;
    config.conn_max_idle_time = 5s;
    config.liveness_check_after = 10ms;
    harness h(config);
    CHECK(h.background->timed_count() == 1);
    CHECK(h.background->next_due_in() == 1s);
    {
        lease a = h.pool->get();
        lease b = h.pool->get();
    }
    CHECK(h.background->advance(1s) == 1);
    CHECK(h.dial.find(1)->usable_calls == 1);  // the reaper looked at both
    CHECK(h.dial.find(2)->usable_calls == 1);
    CHECK(h.background->timed_count() == 1);
    CHECK(h.stats().idle_conns == 2);

    CHECK(h.background->advance(3s) == 3);  // t = 4 s: idle 4 s, still fine
    CHECK(h.stats().idle_conns == 2);
    CHECK(h.background->advance(1s) == 1);  // t = 5 s
    auto s = h.stats();
    CHECK(s.idle_conns == 0);
    CHECK(s.stale_conns == 2);
    CHECK(s.idle_closed == 2);
    CHECK(h.dial.live() == 0);
    CHECK(h.background->timed_count() == 1);

    h.pool->close();
    h.background->advance(1s);  // the last run sees the pool closed and stops
    CHECK(h.background->timed_count() == 0);
    check_invariants(h, 2);
}

TEST_CASE("pool: lifetime jitter spreads expiries over lifetime +- jitter", "[pool]") {
    constexpr int n = 200;
    auto config = config_of(n);
    config.min_idle_conns = n;
    config.conn_max_lifetime = 2s;
    config.conn_max_lifetime_jitter = 500ms;
    config.liveness_check_after = 1h;
    harness h(config);
    h.background->run_pending();  // all made at the same moment
    REQUIRE(h.stats().idle_conns == n);
    h.pool->set_min_idle_conns(0);

    std::map<std::chrono::milliseconds, std::size_t> closed_at;  // time since start -> count
    std::chrono::milliseconds t{0};
    for (int step = 0; step < 270; ++step) {
        h.clock.advance(10ms);
        t += 10ms;
        if (const std::size_t closed = h.pool->reap_stale_conns(); closed > 0) closed_at[t] = closed;
    }
    std::size_t total = 0;
    std::size_t most = 0;
    std::size_t before_2s = 0;
    for (const auto& [when, count] : closed_at) {
        total += count;
        most = std::max(most, count);
        if (when < 2s) before_2s += count;
    }
    REQUIRE_FALSE(closed_at.empty());
    CHECK(total == n);
    CHECK(closed_at.begin()->first >= 1500ms);
    CHECK(closed_at.rbegin()->first <= 2500ms);
    CHECK(closed_at.begin()->first < 1700ms);
    CHECK(closed_at.rbegin()->first > 2300ms);
    CHECK(closed_at.size() >= 40);  // spread over many reaper runs
    CHECK(most <= n / 10);          // no run closes a big share of the pool
    CHECK(before_2s > n / 4);
    CHECK(before_2s < 3 * n / 4);
    const auto s = h.stats();
    CHECK(s.lifetime_closed == n);
    CHECK(s.stale_conns == n);
    CHECK(s.total_conns == 0);
    check_invariants(h, 0);
}

// --- the dial breaker ----------------------------------------------------------------------

TEST_CASE("pool: after pool_size failed dials get fails fast and a background probe recovers", "[pool]") {
    harness h(config_of(3));
    h.dial.fail(true);
    for (int i = 1; i <= 3; ++i) {
        INFO("dial " << i);
        CHECK_THAT(get_message(*h.pool), Contains("dial " + std::to_string(i) + " refused"));
    }
    CHECK(h.dial.dials() == 3);
    CHECK(h.background->timed_count() == 1);  // the probe
    CHECK(h.background->next_due_in() == 1s);

    try {
        auto l = h.pool->get();
        FAIL("get succeeded");
    } catch (const redpool::error& e) {
        CHECK(e.code() == errc::io_error);  // the last dial's error
        CHECK_THAT(e.what(), Contains("dial 3 refused") && Contains("failing fast"));
    }
    CHECK(h.dial.dials() == 3);  // the dialer was not called
    CHECK(h.stats().in_use == 0);

    CHECK(h.background->advance(1s) == 1);  // the probe is due: it dials on a thread of its own
    CHECK(h.dial.dials() == 3);
    CHECK(h.background->run_pending() == 1);  // it fails, and tries again a second later
    CHECK(h.dial.dials() == 4);
    CHECK(h.stats().dial_errors == 4);
    CHECK(h.background->timed_count() == 1);
    CHECK(get_error(*h.pool) == errc::io_error);
    CHECK(h.dial.dials() == 4);

    h.dial.fail(false);
    h.background->advance(1s);
    h.background->run_pending();  // the probe succeeds: its connection goes idle
    CHECK(h.dial.dials() == 5);
    CHECK(h.background->timed_count() == 0);
    CHECK(h.stats().idle_conns == 1);
    {
        lease a = h.pool->get();
        CHECK(a->id() == 1);
        lease b = h.pool->get();  // gets dial again
        CHECK(b->id() == 2);
        CHECK(h.dial.dials() == 6);
    }
    const auto s = h.stats();
    CHECK(s.dial_errors == 4);
    CHECK(s.hits == 1);
    check_invariants(h, 7);
}

TEST_CASE("pool: shrinking the pool below the failed dials still probes and recovers", "[pool]") {
    harness h(config_of(4));
    h.dial.fail(true);
    CHECK(get_error(*h.pool) == errc::io_error);
    CHECK(get_error(*h.pool) == errc::io_error);
    CHECK(h.background->timed_count() == 0);  // 2 of 4: not tripped yet
    h.pool->set_pool_size(2);                 // now 2 of 2
    CHECK(get_error(*h.pool) == errc::io_error);
    CHECK(h.dial.dials() == 2);  // failing fast
    CHECK(h.background->timed_count() == 1);

    h.dial.fail(false);
    h.background->advance(1s);
    h.background->run_pending();
    {
        lease l = h.pool->get();
        CHECK(l->id() == 1);
    }
    check_invariants(h, 4);
}

TEST_CASE("pool: background dial failures count toward the breaker", "[pool]") {
    auto config = config_of(2);
    config.min_idle_conns = 2;
    harness h(config);
    h.dial.fail(true);
    h.background->run_pending();
    CHECK(h.stats().dial_errors == 2);
    CHECK(h.background->timed_count() == 1);
    CHECK(get_error(*h.pool) == errc::io_error);
    CHECK(h.dial.dials() == 2);
    h.dial.fail(false);
    h.background->advance(1s);
    h.background->run_pending();  // the probe, then the check_min_idle_conns after it
    CHECK(h.stats().idle_conns == 2);
    check_invariants(h, 1);
}

// --- the lock ------------------------------------------------------------------------------

TEST_CASE("pool: connections are closed outside the pool's lock", "[pool]") {
    // Each close asks another thread to read the stats: it blocks if the pool's lock is held.
    std::atomic<pool_type*> target{nullptr};
    std::atomic<int> closes{0};
    std::atomic<int> under_lock{0};
    std::mutex futures_mu;
    std::vector<std::future<void>> futures;
    auto probe = [&](fake_conn&) {
        pool_type* p = target.load();
        if (p == nullptr) return;
        ++closes;
        auto f = std::async(std::launch::async, [p] { (void)p->stats(); });
        if (f.wait_for(2s) == std::future_status::timeout) ++under_lock;
        std::lock_guard lock(futures_mu);
        futures.push_back(std::move(f));
    };

    auto config = config_of(3);
    config.conn_max_idle_time = 1min;
    config.max_idle_conns = 1;
    harness h(config);
    h.dial.on_new_conn([&](fake_conn& c) { c.on_close = probe; });
    target = h.pool.get();

    {  // put: unclean, and beyond max_idle_conns
        lease a = h.pool->get();
        lease b = h.pool->get();
        lease c = h.pool->get();
        a->clean = false;
        a.release();
        b.release();
        c.release();
    }
    CHECK(closes == 2);
    h.pool->set_max_idle_conns(0);
    {
        lease x = h.pool->get();
        lease y = h.pool->get();
    }
    h.clock.advance(1min);
    { lease l = h.pool->get(); }  // get: two stale ones, then a dial
    CHECK(closes == 4);
    h.clock.advance(1min);
    CHECK(h.pool->reap_stale_conns() == 1);  // the reaper
    CHECK(closes == 5);
    {
        std::vector<lease> leases;
        for (int i = 0; i < 3; ++i) leases.push_back(h.pool->get());
        leases[0].release();
        h.pool->set_pool_size(1);  // shrink: the idle one now
        CHECK(closes == 6);
        leases[1].release();  // a surplus one on its return
        leases[2].release();  // kept
    }
    CHECK(closes == 7);
    h.pool->set_pool_size(3);
    {  // the dial breaker failing fast with a stale connection in hand
        lease a = h.pool->get();  // the idle one
        lease b = h.pool->get();
        h.dial.fail(true);
        a.release();
        h.clock.advance(1min);
        CHECK(get_error(*h.pool) == errc::io_error);  // a stale, then a failed dial
        CHECK(get_error(*h.pool) == errc::io_error);  // 2 failed
        CHECK(get_error(*h.pool) == errc::io_error);  // 3 failed: tripped
        b.release();
        h.clock.advance(1min);
        CHECK_THAT(get_message(*h.pool), Contains("failing fast"));  // b stale, then fail fast
    }
    CHECK(closes == 9);
    h.dial.fail(false);
    h.background->advance(1s);
    h.background->run_pending();  // the probe's connection goes idle
    { lease l = h.pool->get(); }
    h.pool->close();  // close: idle ones
    CHECK(closes == 10);

    target = nullptr;
    CHECK(under_lock == 0);
    for (auto& f : futures) f.wait();
    check_invariants(h, 16);
}

// --- races with the reaper and the setters ------------------------------------------------

TEST_CASE("pool: shrinking while the reaper checks idle connections keeps total within pool_size", "[pool]") {
    auto config = config_of(4);
    config.liveness_check_after = 10ms;
    harness h(config);
    {
        std::vector<lease> leases;
        for (int i = 0; i < 4; ++i) leases.push_back(h.pool->get());
    }
    REQUIRE(h.stats().idle_conns == 4);
    // The reaper checks liveness outside the lock; another thread shrinks the pool meanwhile.
    std::atomic<bool> shrunk{false};
    h.dial.find(1)->on_usable = [&](fake_conn&) {
        if (!shrunk.exchange(true)) h.pool->set_pool_size(2);
    };
    h.clock.advance(1s);
    h.pool->reap_stale_conns();
    const auto s = h.stats();
    CHECK(s.pool_size == 2);
    CHECK(s.total_conns <= 2);
    check_invariants(h, 4);
}

TEST_CASE("pool: setters and the reaper may run while gets and puts go on", "[pool]") {
    auto config = config_of(3);
    config.pool_timeout = 10s;
    config.min_idle_conns = 1;
    config.conn_max_idle_time = 50ms;
    config.liveness_check_after = 1ms;
    harness h(config);
    std::atomic<bool> stop{false};
    std::atomic<int> gets{0};
    std::atomic<int> errors{0};
    std::atomic<int> shared{0};
    std::vector<std::jthread> workers;
    for (int t = 0; t < 6; ++t) {
        workers.emplace_back([&, t] {
            std::minstd_rand rng(static_cast<unsigned>(t + 1));
            for (int i = 0; i < 400; ++i) {
                try {
                    lease l = h.pool->get();
                    ++gets;
                    if (l->holders.fetch_add(1) != 0) ++shared;
                    if (rng() % 7 == 0) l->clean = false;
                    l->holders.fetch_sub(1);
                } catch (...) {
                    ++errors;
                }
            }
        });
    }
    // The reaper runs at least 5,000 times, the tuner as long as the reaper.
    std::atomic<bool> reaper_done{false};
    std::jthread reaper([&] {
        try {
            for (int i = 0; !stop || i < 5000; ++i) {
                h.background->run_pending();
                h.pool->reap_stale_conns();
                h.clock.advance(1ms);
                std::this_thread::yield();
            }
        } catch (...) {
            ++errors;
        }
        reaper_done = true;
    });
    std::jthread tuner([&] {
        try {
            for (int i = 0; !reaper_done; ++i) {
                h.pool->set_conn_max_idle_time(i % 2 == 0 ? 50ms : 40ms);
                h.pool->set_conn_max_lifetime(i % 3 == 0 ? 0ms : 200ms);
                h.pool->set_max_idle_conns(i % 2);
                std::this_thread::yield();
            }
        } catch (...) {
            ++errors;
        }
    });
    for (auto& w : workers) w.join();
    stop = true;
    reaper.join();
    tuner.join();
    h.background->run_pending();
    CHECK(errors == 0);
    CHECK(shared == 0);
    CHECK(gets == 6 * 400);
    CHECK(h.stats().in_use == 0);
    check_invariants(h, static_cast<std::uint64_t>(gets.load()));
}

// --- concurrency ---------------------------------------------------------------------------

TEST_CASE("pool: 16 threads sharing 4 connections keep the invariants", "[pool]") {
    constexpr int threads = 16;
    constexpr int rounds = 2000;
    auto config = config_of(4);
    config.pool_timeout = 30s;
    config.liveness_check_after = 10ms;
    basic_harness<redpool::detail::coarse_clock> h(config);
    std::atomic<int> errors{0};
    std::atomic<int> shared{0};
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < rounds; ++i) {
                try {
                    auto l = h.pool->get();
                    if (l->holders.fetch_add(1) != 0) ++shared;  // a lease is never shared
                    l->holders.fetch_sub(1);
                } catch (...) {
                    ++errors;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(errors == 0);
    CHECK(shared == 0);
    const auto s = h.stats();
    CHECK(s.in_use == 0);
    CHECK(s.total_conns <= 4);
    CHECK(s.timeouts == 0);
    CHECK(s.misses <= 4);
    check_invariants(h, threads * rounds);
}

TEST_CASE("pool: close_all_conns closes idle connections now, leased and dialing ones when they come back",
          "[pool]") {
    harness h(config_of(4));
    fill_idle(h, 2);  // ids 1, 2
    lease leased = h.pool->get();  // id 2 (newest)
    CHECK(leased->id() == 2);
    // A dial under way when the switch comes: it may have reached the old server.
    std::atomic<bool> dialing{false};
    std::atomic<bool> go_on{false};
    h.dial.on_dial([&](std::stop_token) {
        dialing = true;
        while (!go_on) std::this_thread::yield();
    });
    lease second = h.pool->get();  // id 1
    CHECK(second->id() == 1);
    std::thread miss([&] {
        lease third = h.pool->get();  // dials id 3
        CHECK(third->id() == 3);
    });
    while (!dialing) std::this_thread::yield();
    second.release();  // idle again
    h.pool->close_all_conns();
    CHECK_FALSE(h.dial.is_live(1));  // idle: closed at once
    CHECK(h.dial.is_live(2));        // leased: its holder is not interrupted
    CHECK(h.pool->is_past_lifetime(leased));  // a long holder (the multiplexer) gives it back
    go_on = true;
    miss.join();
    CHECK_FALSE(h.dial.is_live(3));  // dialed before the switch: closed when it came back
    leased.release();
    CHECK_FALSE(h.dial.is_live(2));
    h.dial.on_dial(nullptr);
    lease fresh = h.pool->get();  // nothing old is handed out
    CHECK(fresh->id() == 4);
    CHECK_FALSE(h.pool->is_past_lifetime(fresh));
    fresh.release();
    CHECK(h.dial.is_live(4));  // dialed after the switch: kept
    check_invariants(h, 6);
}
