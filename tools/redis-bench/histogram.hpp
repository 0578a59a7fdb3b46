// redis_bench::latency_histogram — log-bucketed latencies: constant memory, ≤ 1 % relative
// error at any percentile, cheap to record from a hot loop and to merge across threads.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace redis_bench {

class latency_histogram {
public:
    latency_histogram();

    /// Records one latency in nanoseconds.
    void record(std::uint64_t ns) noexcept;
    /// Adds every sample of `other`.
    void merge(const latency_histogram& other);

    std::uint64_t count() const noexcept { return count_; }
    double mean_ns() const noexcept;
    std::uint64_t min_ns() const noexcept;  // 0 when empty
    std::uint64_t max_ns() const noexcept;  // exact
    /// The latency at percentile `p` (0..100), within 1 % of the true value; 0 when empty.
    std::uint64_t percentile_ns(double p) const noexcept;

    /// Non-empty buckets as (representative value in ns, samples), ascending, for plots.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets() const;

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
    long double sum_ = 0;
};

}  // namespace redis_bench
