// pool_stats::to_json.
#include "redpool/pool.hpp"

#include <fmt/format.h>

namespace redpool {

std::string pool_stats::to_json() const {
    return fmt::format(
        R"({{"hits":{},"misses":{},"timeouts":{},"total_conns":{},"idle_conns":{},)"
        R"("stale_conns":{},"wait_count":{},"wait_duration_ns":{},"max_idle_closed":{},)"
        R"("idle_closed":{},"lifetime_closed":{},"unusable_closed":{},)"
        R"("dial_errors":{},"in_use":{},"waiters":{},"pool_size":{},"mux_conns":{},)"
        R"("in_flight":{},"mux_waiting":{},"mux_writes":{},"mux_requests":{},)"
        R"("abandoned_replies":{},"resent":{}}})",
        hits, misses, timeouts, total_conns, idle_conns, stale_conns, wait_count,
        wait_duration.count(), max_idle_closed, idle_closed, lifetime_closed,
        unusable_closed, dial_errors, in_use, waiters, pool_size, mux_conns, in_flight,
        mux_waiting, mux_writes, mux_requests, abandoned_replies, resent);
}

}  // namespace redpool
