// What every benchmark beside ../shared/anchors shares: the same keys, the same CPU and wall
// measurement, and the same one-line result, so runs can be compared line by line.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace redpool::bench {

/// "bench:key:000000" ... as the anchors name them.
std::vector<std::string> anchor_keys(int count);

/// Wall time and the process's CPU time (getrusage) over the measured part.
class measurement {
public:
    void start();
    void stop();
    double wall_seconds() const;
    double user_seconds() const;
    double sys_seconds() const;

private:
    rusage before_{}, after_{};
    std::chrono::steady_clock::time_point start_, stop_;
};

/// Prints `ops_per_sec=X p50_us=Y p99_us=Z user_s=U sys_s=S`; latencies in ns (reordered).
void print_anchor_line(long ops, const measurement& m, std::vector<std::uint32_t>& latencies_ns);

}  // namespace redpool::bench
