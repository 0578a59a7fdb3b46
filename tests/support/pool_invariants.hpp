// The pool invariants every client test ends with (RELIABILITY.md): at rest, connections in
// use plus idle ones equal the total, the total stays within pool_size, and nobody waits.
#pragma once

#include <catch2/catch.hpp>

#include <redpool/redpool.hpp>

namespace redpool::test {

inline void check_pool_invariants(const redpool::client& c) {
    const auto s = c.pool_stats();
    INFO(s.to_json());
    CHECK(s.in_use == 0);
    CHECK(s.waiters == 0);
    CHECK(s.idle_conns == s.total_conns);
    CHECK(s.total_conns <= s.pool_size);
}

/// Same, and every get was either a hit or a miss: `gets` borrows were made.
inline void check_pool_invariants(const redpool::client& c, std::uint64_t gets) {
    check_pool_invariants(c);
    const auto s = c.pool_stats();
    CHECK(s.hits + s.misses == gets);
}

}  // namespace redpool::test
