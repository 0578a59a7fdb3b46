// Helpers shared by the tests against a real server: options pointing at a fixture server,
// catching the expected error, bounded waiting, and the pool invariants every client test ends
// with (RELIABILITY.md): at rest, connections in use plus idle ones equal the total, the total
// stays within pool_size, and nobody waits.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <thread>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"

namespace redpool::test {

/// Options for a TCP connection to `server`, every other field at its default.
inline redpool::options options_for(const redis_server& server) {
    redpool::options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    return o;
}

/// Runs `body`, which must throw `Error`, and returns the error; fails the test otherwise.
template <typename Error = redpool::error, typename Body>
Error expect_error(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return e;
    }
    FAIL("the expected exception was not thrown");
    throw std::logic_error("unreachable");
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Polls `done()` every few milliseconds, up to `limit`; returns whether it became true. For
/// background work of a real server or pool that a test cannot drive step by step.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto t0 = std::chrono::steady_clock::now();
    while (!done()) {
        if (std::chrono::steady_clock::now() - t0 > limit) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

inline void check_pool_invariants(const redpool::client& c) {
    // Background work (a min-idle dial, the reaper's check) holds a turn for a moment: wait for
    // the pool to be at rest. A turn that leaked never comes back, and fails below.
    eventually([&] { return c.pool_stats().in_use == 0; });
    const auto s = c.pool_stats();
    INFO(s.to_json());
    CHECK(s.in_use == 0);
    CHECK(s.waiters == 0);
    CHECK(s.idle_conns == s.total_conns);
    CHECK(s.total_conns <= s.pool_size);
}

/// Same, and every get was either a hit or a miss: `gets` borrows had a turn.
inline void check_pool_invariants(const redpool::client& c, std::uint64_t gets) {
    check_pool_invariants(c);
    const auto s = c.pool_stats();
    CHECK(s.hits + s.misses == gets);
}

}  // namespace redpool::test
