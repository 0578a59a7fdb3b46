// redis_bench's pool-size sweep: the table, the recommendation, and SVG charts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "histogram.hpp"

namespace redis_bench {

struct sweep_point {
    int pool_size = 0;
    double rps = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    std::uint64_t waits = 0;      // pool wait_count
    std::uint64_t timeouts = 0;   // pool timeouts
};

/// The smallest pool size whose throughput is within 5 % of the best and whose p99 is within
/// 10 % of the best (lowest) p99; if none qualifies, the size with the best throughput.
/// Returns 0 for an empty sweep.
int recommend_pool_size(const std::vector<sweep_point>& points);

/// A fixed-width table: pool_size, ops/s, p50 ms, p99 ms, waits, timeouts; then a line
/// `recommended pool_size: N (...)` explaining the rule.
std::string sweep_table(const std::vector<sweep_point>& points, int recommended);

/// A standalone SVG (opens in a browser): ops/s and p99 against pool size, the recommendation
/// marked.
std::string sweep_svg(const std::vector<sweep_point>& points, int recommended);

/// A standalone SVG of a latency distribution (samples per log bucket, percentiles marked).
std::string latency_svg(const latency_histogram& h, const std::string& title);

}  // namespace redis_bench
