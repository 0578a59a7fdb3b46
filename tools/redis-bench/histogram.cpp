// latency_histogram: HDR-style buckets. Values below 256 ns get one bucket each; above that,
// every power of two [2^k, 2^(k+1)) is split into 128 equal sub-buckets, so a bucket is never
// wider than 1/128 of its lower bound. Values from 2^40 ns (~18 minutes) on share the last
// bucket; min and max are kept exactly beside the buckets.
#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace redis_bench {
namespace {

constexpr int sub_bits = 7;                           // 128 sub-buckets per power of two
constexpr std::uint64_t sub_count = 1u << sub_bits;
constexpr int top_bit = 40;                           // values < 2^40 ns are bucketed exactly
constexpr std::size_t bucket_total = (top_bit - sub_bits + 1) * sub_count;
constexpr std::size_t last_bucket = bucket_total - 1;

int highest_bit(std::uint64_t v) { return 63 - __builtin_clzll(v); }

std::size_t bucket_of(std::uint64_t ns) {
    if (ns < sub_count) return static_cast<std::size_t>(ns);
    if (ns >> top_bit) return last_bucket;
    // For bits 7 and up this maps [2^b, 2^(b+1)) onto (b-7)*128 + [128, 256), which continues
    // the identity mapping of 0..127 without a gap.
    const int shift = highest_bit(ns) - sub_bits;
    return static_cast<std::size_t>(shift) * sub_count + static_cast<std::size_t>(ns >> shift);
}

struct bucket_range {
    std::uint64_t lower;
    std::uint64_t width;
};

bucket_range range_of(std::size_t index) {
    if (index < sub_count) return {index, 1};
    const std::size_t shift = index / sub_count - 1;
    const std::uint64_t mantissa = index % sub_count + sub_count;
    return {mantissa << shift, std::uint64_t{1} << shift};
}

}  // namespace

latency_histogram::latency_histogram() : counts_(bucket_total, 0) {}

void latency_histogram::record(std::uint64_t ns) noexcept {
    ++counts_[bucket_of(ns)];
    if (count_ == 0 || ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
    ++count_;
    sum_ += static_cast<long double>(ns);
}

void latency_histogram::merge(const latency_histogram& other) {
    if (other.count_ == 0) return;
    for (std::size_t i = 0; i < bucket_total; ++i) counts_[i] += other.counts_[i];
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    count_ += other.count_;
    sum_ += other.sum_;
}

double latency_histogram::mean_ns() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t latency_histogram::min_ns() const noexcept { return count_ == 0 ? 0 : min_; }

std::uint64_t latency_histogram::max_ns() const noexcept { return max_; }

std::uint64_t latency_histogram::percentile_ns(double p) const noexcept {
    if (count_ == 0) return 0;
    if (!(p > 0)) return min_;  // also NaN
    if (p >= 100) return max_;
    // Nearest rank: the smallest sample with at least p % of the samples at or below it.
    const auto wanted = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    const std::uint64_t rank = std::clamp<std::uint64_t>(wanted, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_total; ++i) {
        seen += counts_[i];
        if (seen < rank) continue;
        // The overflow bucket has no upper bound, so its only honest figure is the exact max.
        if (i == last_bucket) return max_;
        const bucket_range r = range_of(i);
        return std::clamp(r.lower + (r.width - 1) / 2, min_, max_);
    }
    return max_;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> latency_histogram::buckets() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (std::size_t i = 0; i < bucket_total; ++i) {
        if (counts_[i] == 0) continue;
        const bucket_range r = range_of(i);
        const std::uint64_t mid = i == last_bucket ? max_ : r.lower + (r.width - 1) / 2;
        out.emplace_back(std::clamp(mid, min_, max_), counts_[i]);
    }
    return out;
}

}  // namespace redis_bench
