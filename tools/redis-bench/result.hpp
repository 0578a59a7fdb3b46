// redis_bench::test_result — what one test measured, for every output format.
#pragma once

#include <optional>
#include <string>

#include <redpool/pool.hpp>

#include "histogram.hpp"

namespace redis_bench {

struct test_result {
    std::string name;               // as redis-benchmark prints it: "GET", "MSET (10 keys)"
    long requests = 0;              // completed requests
    long errors = 0;                // error replies or failed requests
    double seconds = 0;             // wall time of the test
    double user_cpu_s = 0;          // client CPU over the test (getrusage)
    double sys_cpu_s = 0;
    latency_histogram latency;      // per request, from its batch's write to its reply
    std::optional<redpool::pool_stats> pool;  // sync mode: the pool's stats at the end

    double rps() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

}  // namespace redis_bench
