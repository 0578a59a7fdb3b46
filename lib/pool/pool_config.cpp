// pool_config::validate.
#include "lib/pool/pool_config.hpp"

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

template <typename... Args>
void require(bool ok, fmt::format_string<Args...> what, Args&&... args) {
    if (!ok) throw error(errc::invalid_argument, fmt::format(what, std::forward<Args>(args)...));
}

}  // namespace

void pool_config::validate() const {
    require(pool_size >= 1, "pool_size {} is less than 1", pool_size);
    require(min_idle_conns >= 0, "min_idle_conns {} is negative", min_idle_conns);
    require(max_idle_conns >= 0, "max_idle_conns {} is negative", max_idle_conns);
    for (auto [name, value] : {std::pair{"pool_timeout", pool_timeout},
                               {"conn_max_idle_time", conn_max_idle_time},
                               {"conn_max_lifetime", conn_max_lifetime},
                               {"conn_max_lifetime_jitter", conn_max_lifetime_jitter},
                               {"liveness_check_after", liveness_check_after},
                               {"reaper_interval", reaper_interval}}) {
        require(value.count() >= 0, "{} is negative ({}ms)", name, value.count());
    }
    require(conn_max_lifetime.count() == 0 || conn_max_lifetime_jitter <= conn_max_lifetime,
            "conn_max_lifetime_jitter ({}ms) exceeds conn_max_lifetime ({}ms)",
            conn_max_lifetime_jitter.count(), conn_max_lifetime.count());
}

}  // namespace redpool::detail
