// The anchors' measurement and output format.
#include "anchor_report.hpp"

#include <algorithm>
#include <cstdio>

namespace redpool::bench {
namespace {

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }

double percentile_us(std::vector<std::uint32_t>& ns, double q) {
    if (ns.empty()) return 0.0;
    const auto last = static_cast<double>(ns.size() - 1);
    const auto idx = std::min(ns.size() - 1, static_cast<std::size_t>(q * last + 0.5));
    std::nth_element(ns.begin(), ns.begin() + static_cast<long>(idx), ns.end());
    return ns[idx] / 1000.0;
}

}  // namespace

std::vector<std::string> anchor_keys(int count) {
    std::vector<std::string> keys;
    keys.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "bench:key:%06d", i);
        keys.emplace_back(name);
    }
    return keys;
}

void measurement::start() {
    getrusage(RUSAGE_SELF, &before_);
    start_ = std::chrono::steady_clock::now();
}

void measurement::stop() {
    stop_ = std::chrono::steady_clock::now();
    getrusage(RUSAGE_SELF, &after_);
}

double measurement::wall_seconds() const { return std::chrono::duration<double>(stop_ - start_).count(); }

double measurement::user_seconds() const { return seconds(after_.ru_utime) - seconds(before_.ru_utime); }

double measurement::sys_seconds() const { return seconds(after_.ru_stime) - seconds(before_.ru_stime); }

void print_anchor_line(long ops, const measurement& m, std::vector<std::uint32_t>& latencies_ns) {
    const double wall = m.wall_seconds();
    const double p50 = percentile_us(latencies_ns, 0.50);
    const double p99 = percentile_us(latencies_ns, 0.99);
    std::printf("ops_per_sec=%.0f p50_us=%.1f p99_us=%.1f user_s=%.3f sys_s=%.3f\n",
                wall > 0 ? static_cast<double>(ops) / wall : 0.0, p50, p99, m.user_seconds(),
                m.sys_seconds());
    std::fflush(stdout);
}

}  // namespace redpool::bench
