// The pool over fakes, for unit tests of detail::basic_pool: a harness that owns the pool with
// a fake dialer, a manual clock and a manual scheduler, the invariants every pool test ends
// with, and small helpers for what a get throws.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "lib/pool/pool.hpp"
#include "redpool/error.hpp"
#include "redpool/pool.hpp"
#include "tests/support/pool_fakes.hpp"

namespace redpool::test {

using pool_type = redpool::detail::basic_pool<fake_conn, manual_clock>;
using lease = pool_type::lease;

// pool_timeout 0 by default: a get that would wait by mistake fails at once instead of hanging.
inline redpool::detail::pool_config config_of(int pool_size) {
    using redpool::detail::pool_config;
    pool_config c;
    c.pool_size = pool_size;
    c.pool_timeout = std::chrono::milliseconds(0);
    c.address = "test:6379";
    return c;
}

// A pool over the fakes; the test keeps the dialer, the clock and the scheduler's state.
template <typename Clock = manual_clock>
struct basic_harness {
    using pool_t = redpool::detail::basic_pool<fake_conn, Clock>;

    fake_dialer dial;
    manual_clock clock;
    std::shared_ptr<manual_scheduler_state> background = std::make_shared<manual_scheduler_state>();
    std::shared_ptr<pool_t> pool;

    explicit basic_harness(redpool::detail::pool_config config, Clock pool_clock = {}) {
        background->link_clock(clock);
        if constexpr (std::is_same_v<Clock, manual_clock>) pool_clock = clock;
        pool = pool_t::create(std::move(config), dial, std::make_unique<manual_scheduler>(background), pool_clock);
    }

    // Declared before any lease, so every lease is back before the pool goes; then nothing may
    // stay open.
    ~basic_harness() {
        if (pool) pool->close();
        pool.reset();
        CHECK(dial.live() == 0);
        CHECK(dial.double_closes() == 0);
    }

    redpool::pool_stats stats() const { return pool->stats(); }
};

using harness = basic_harness<>;

// Dials `n` connections at once and gives them back in order: n idle connections, ids 1..n,
// oldest first. Counts as n gets.
template <typename H>
void fill_idle(H& h, int n) {
    std::vector<typename H::pool_t::lease> leases;
    for (int i = 0; i < n; ++i) leases.push_back(h.pool->get());
    for (auto& l : leases) l.release();
}

// The pool invariants every test ends with. `gets`: the gets that took a token (successful,
// or failed by the dial); `shrunk`: pool_size was lowered while leases were out.
template <typename H>
void check_invariants(const H& h, std::uint64_t gets, bool shrunk = false) {
    const auto s = h.stats();
    INFO("stats: " << s.to_json());
    CHECK(s.in_use + s.idle_conns == s.total_conns);
    if (!shrunk) CHECK(s.total_conns <= s.pool_size);
    CHECK(s.waiters == 0);
    CHECK(s.hits + s.misses == gets);
    CHECK(h.dial.live() == static_cast<int>(s.total_conns));
    CHECK(h.dial.double_closes() == 0);
}

// Spins (yielding) until `done` or 10 s; for thread hand-offs, never for pool timeouts.
template <typename Pred>
bool eventually(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// The errc of what `get` throws, or no error if it returns.
template <typename Pool>
std::error_code get_error(Pool& pool) {
    try {
        auto l = pool.get();
    } catch (const redpool::error& e) {
        return e.code();
    }
    return {};
}

template <typename Pool>
std::string get_message(Pool& pool) {
    try {
        auto l = pool.get();
    } catch (const redpool::error& e) {
        return e.what();
    }
    return "";
}

}  // namespace redpool::test
