// What the runners share: turning a finished run into a result, and the progress decision.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "runner.hpp"

namespace redis_bench {

test_result finish_test(const std::string& title, const run_state& state,
                        const redpool::bench::measurement& m) {
    if (auto why = state.failure()) throw std::runtime_error(fmt::format("{}: {}", title, *why));
    test_result result;
    result.name = title;
    result.requests = state.finished();
    result.errors = state.errors();
    result.seconds = m.wall_seconds();
    result.user_cpu_s = m.user_seconds();
    result.sys_cpu_s = m.sys_seconds();
    return result;
}

redpool::options pool_options(const config& cfg, const redpool::options& server) {
    redpool::options o = server;
    if (cfg.pool_size > 0) o.pool_size = cfg.pool_size;
    o.min_idle_conns = std::min(cfg.min_idle, o.pool_size);
    if (cfg.pool_timeout) o.pool_timeout = *cfg.pool_timeout;
    if (cfg.max_in_flight > 0) o.max_in_flight = cfg.max_in_flight;
    return o;
}

bool show_progress(const config& cfg) {
    return ::isatty(STDOUT_FILENO) != 0 && !cfg.csv && !cfg.json;
}

}  // namespace redis_bench
