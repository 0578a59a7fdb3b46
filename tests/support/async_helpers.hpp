// Helpers for tests of redpool::async_client: running an io_context until something happened
// (bounded, so a lost completion fails the test instead of hanging it), and the pool invariants
// with multiplexed connections, which hold their turns while they are open.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>

#include <asio/io_context.hpp>

#include <redpool/async_client.hpp>

#include "tests/support/test_helpers.hpp"

namespace redpool::test {

/// Runs `io` on this thread until `done()` or `limit`; returns whether `done()` became true.
/// Several threads may call it on the same io_context.
template <typename Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (io.stopped()) io.restart();  // out of work for a moment: the test is about to add some
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
}

/// The pool invariants of an async client at rest: nothing in flight or waiting, the turns in
/// use are the multiplexed connections' (commands on connections of their own have ended),
/// idle plus in use is the total, within pool_size, and nobody waits for a turn.
inline void check_pool_invariants(const redpool::async_client& c) {
    eventually([&] {
        const auto s = c.pool_stats();
        return s.in_use == s.mux_conns && s.in_flight == 0;
    });
    const auto s = c.pool_stats();
    INFO(s.to_json());
    CHECK(s.in_flight == 0);
    CHECK(s.mux_waiting == 0);
    CHECK(s.in_use == s.mux_conns);
    CHECK(s.waiters == 0);
    CHECK(s.idle_conns + s.in_use == s.total_conns);
    CHECK(s.total_conns <= s.pool_size);
}

}  // namespace redpool::test
