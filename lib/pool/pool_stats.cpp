// pool_stats::to_json.
#include "redpool/pool.hpp"

#include <fmt/format.h>

namespace redpool {

std::string pool_stats::to_json() const {
    return fmt::format(
        R"({{"hits":{},"misses":{},"timeouts":{},"total_conns":{},"idle_conns":{},)"
        R"("stale_conns":{},"wait_count":{},"wait_duration_ns":{},"idle_closed":{},)"
        R"("lifetime_closed":{},"dial_errors":{},"in_use":{},"waiters":{},"pool_size":{}}})",
        hits, misses, timeouts, total_conns, idle_conns, stale_conns, wait_count,
        wait_duration.count(), idle_closed, lifetime_closed, dial_errors, in_use, waiters,
        pool_size);
}

}  // namespace redpool
