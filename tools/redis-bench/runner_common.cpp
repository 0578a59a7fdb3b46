// What both runners share: turning a finished run into a result, and the progress decision.
#include <unistd.h>

#include <fmt/format.h>

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

bool show_progress(const config& cfg) {
    return ::isatty(STDOUT_FILENO) != 0 && !cfg.csv && !cfg.json;
}

}  // namespace redis_bench
