// redis-bench's histogram, output formats and pool-size sweep: pure functions, no server.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "tools/redis-bench/histogram.hpp"
#include "tools/redis-bench/report.hpp"
#include "tools/redis-bench/result.hpp"
#include "tools/redis-bench/sweep.hpp"

using redis_bench::latency_histogram;
using redis_bench::sweep_point;
using redis_bench::test_result;

namespace {

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

std::size_t occurrences(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The nearest-rank percentile, the definition the histogram approximates.
std::uint64_t exact_percentile(std::vector<std::uint64_t> sorted, double p) {
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

latency_histogram histogram_of(const std::vector<std::uint64_t>& samples) {
    latency_histogram h;
    for (auto ns : samples) h.record(ns);
    return h;
}

void check_percentiles_within_one_percent(const std::vector<std::uint64_t>& samples) {
    const latency_histogram h = histogram_of(samples);
    for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
        const auto exact = static_cast<double>(exact_percentile(samples, p));
        const auto approx = static_cast<double>(h.percentile_ns(p));
        INFO("p" << p << " exact " << exact << " approx " << approx);
        CHECK(std::abs(approx - exact) <= 0.01 * exact);
    }
}

latency_histogram constant(std::uint64_t ns, int times) {
    latency_histogram h;
    for (int i = 0; i < times; ++i) h.record(ns);
    return h;
}

test_result get_result() {
    test_result r;
    r.name = "GET";
    r.requests = 100000;
    r.seconds = 1.23;
    r.user_cpu_s = 0.2;
    r.sys_cpu_s = 0.14;
    r.latency = constant(327'000, 1000);
    return r;
}

redpool::pool_stats some_pool_stats() {
    redpool::pool_stats s;
    s.hits = 99;
    s.misses = 1;
    s.pool_size = 16;
    return s;
}

// Braces balance and never close more than they opened, strings aside.
bool balanced_json(const std::string& s) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}' && --depth < 0) {
            return false;
        }
    }
    return depth == 0 && !in_string;
}

sweep_point point(int size, double rps, double p99_ms) {
    sweep_point p;
    p.pool_size = size;
    p.rps = rps;
    p.p50_ms = p99_ms / 3;
    p.p99_ms = p99_ms;
    p.waits = static_cast<std::uint64_t>(1000 / size);
    return p;
}

std::vector<sweep_point> typical_sweep() {
    return {point(16, 100000, 1.00), point(1, 30000, 3.00), point(2, 55000, 2.00),
            point(4, 80000, 1.50), point(8, 97000, 1.05), point(32, 99000, 1.20)};
}

}  // namespace

TEST_CASE("redis-bench report: histogram percentiles are within 1 % on uniform data",
          "[redis-bench]") {
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::uint64_t> uniform(50'000, 5'000'000);
    std::vector<std::uint64_t> samples(100'000);
    for (auto& s : samples) s = uniform(rng);
    check_percentiles_within_one_percent(samples);
}

TEST_CASE("redis-bench report: histogram percentiles are within 1 % on exponential data",
          "[redis-bench]") {
    std::mt19937_64 rng(7);
    std::exponential_distribution<double> exponential(1.0 / 300'000);
    std::vector<std::uint64_t> samples(100'000);
    for (auto& s : samples) s = 20'000 + static_cast<std::uint64_t>(exponential(rng));
    check_percentiles_within_one_percent(samples);
}

TEST_CASE("redis-bench report: histogram of constant data reports that value everywhere",
          "[redis-bench]") {
    const latency_histogram h = constant(286'123, 500);
    for (double p : {0.0, 50.0, 99.0, 99.9, 100.0}) CHECK(h.percentile_ns(p) == 286'123);
    CHECK(h.mean_ns() == Approx(286'123));
    CHECK(h.buckets().size() == 1);
    CHECK(h.buckets().front().second == 500);
}

TEST_CASE("redis-bench report: histogram min and max are exact, even past the last bucket",
          "[redis-bench]") {
    latency_histogram h;
    const std::uint64_t huge = (std::uint64_t{1} << 45) + 12345;
    for (std::uint64_t ns : std::initializer_list<std::uint64_t>{123'457, 99'999, 7'654'321, huge}) {
        h.record(ns);
    }
    CHECK(h.count() == 4);
    CHECK(h.min_ns() == 99'999);
    CHECK(h.max_ns() == huge);
    CHECK(h.percentile_ns(100) == huge);
    CHECK(h.percentile_ns(0) == 99'999);
    CHECK(h.mean_ns() == Approx((123'457.0 + 99'999.0 + 7'654'321.0 + double(huge)) / 4));
}

TEST_CASE("redis-bench report: histogram merge equals recording every sample",
          "[redis-bench]") {
    std::mt19937_64 rng(3);
    std::lognormal_distribution<double> lognormal(12.5, 0.6);
    latency_histogram all, first, second;
    for (int i = 0; i < 20'000; ++i) {
        const auto ns = static_cast<std::uint64_t>(lognormal(rng));
        all.record(ns);
        (i % 3 == 0 ? first : second).record(ns);
    }
    latency_histogram merged;
    merged.merge(first);
    merged.merge(second);
    merged.merge(latency_histogram{});
    CHECK(merged.count() == all.count());
    CHECK(merged.min_ns() == all.min_ns());
    CHECK(merged.max_ns() == all.max_ns());
    CHECK(merged.mean_ns() == Approx(all.mean_ns()));
    CHECK(merged.buckets() == all.buckets());
    for (double p : {1.0, 50.0, 95.0, 99.0, 99.9}) CHECK(merged.percentile_ns(p) == all.percentile_ns(p));
}

TEST_CASE("redis-bench report: an empty histogram reports zeros", "[redis-bench]") {
    const latency_histogram h;
    CHECK(h.count() == 0);
    CHECK(h.min_ns() == 0);
    CHECK(h.max_ns() == 0);
    CHECK(h.mean_ns() == 0);
    CHECK(h.percentile_ns(50) == 0);
    CHECK(h.percentile_ns(100) == 0);
    CHECK(h.buckets().empty());
}

TEST_CASE("redis-bench report: csv header matches redis-benchmark exactly", "[redis-bench]") {
    CHECK(redis_bench::csv_header() ==
          "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
          "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"");
}

TEST_CASE("redis-bench report: csv row quotes every field with redis-benchmark's decimals",
          "[redis-bench]") {
    test_result r;
    r.name = "PING_INLINE";
    r.requests = 100000;
    r.seconds = 1.06;
    r.latency = constant(286'000, 10);
    CHECK(redis_bench::csv_row(r) ==
          R"("PING_INLINE","94339.62","0.286","0.286","0.286","0.286","0.286","0.286")");

    r.latency = latency_histogram{};
    r.latency.record(80'000);
    r.latency.record(1'200'000);
    CHECK(redis_bench::csv_row(r) ==
          R"("PING_INLINE","94339.62","0.640","0.080","0.080","1.200","1.200","1.200")");
}

TEST_CASE("redis-bench report: csv row doubles quotes in the test name", "[redis-bench]") {
    test_result r;
    r.name = R"(MSET "10" keys, odd)";
    r.requests = 10;
    r.seconds = 1;
    r.latency = constant(1'000'000, 1);
    CHECK(redis_bench::csv_row(r) ==
          R"("MSET ""10"" keys, odd","10.00","1.000","1.000","1.000","1.000","1.000","1.000")");
}

TEST_CASE("redis-bench report: quiet line has rps and p50 at the given precision",
          "[redis-bench]") {
    test_result r;
    r.name = "GET";
    r.requests = 12345678;
    r.seconds = 100;
    r.latency = constant(327'000, 5);
    CHECK(redis_bench::quiet_line(r, 3) == "GET: 123456.78 requests per second, p50=0.327 msec");
    CHECK(redis_bench::quiet_line(r, 0) == "GET: 123456.78 requests per second, p50=0 msec");
}

TEST_CASE("redis-bench report: text report contains redis-benchmark's summary pieces",
          "[redis-bench]") {
    test_result r = get_result();
    const std::string text = redis_bench::text_report(r, 50, 3, 3);
    CHECK(starts_with(text, "====== GET ======\n"));
    CHECK(contains(text, "  100000 requests completed in 1.23 seconds\n"));
    CHECK(contains(text, "  50 parallel clients\n"));
    CHECK(contains(text, "  3 bytes payload\n"));
    CHECK(contains(text, "\nSummary:\n"));
    CHECK(contains(text, "  throughput summary: 81300.81 requests per second\n"));
    CHECK(contains(text, "  latency summary (msec):\n"));
    CHECK(contains(text, "          avg       min       p50       p95       p99     p99.9       max\n"));
    CHECK(contains(text, "        0.327     0.327     0.327     0.327     0.327     0.327     0.327\n"));
    CHECK(contains(text, "  client CPU: 0.200 s user, 0.140 s sys (3.4 us per request)\n"));
    CHECK_FALSE(contains(text, "errors:"));
    CHECK_FALSE(contains(text, "pool:"));

    r.errors = 2;
    r.pool = some_pool_stats();
    const std::string with_extras = redis_bench::text_report(r, 50, 3, 1);
    CHECK(contains(with_extras, "      0.3       0.3"));
    CHECK(contains(with_extras, "  errors: 2\n"));
    CHECK(contains(with_extras, "  pool: " + r.pool->to_json() + "\n"));
}

TEST_CASE("redis-bench report: json is one object with every key, pool only when set",
          "[redis-bench]") {
    test_result r = get_result();
    const std::string json = redis_bench::json_object(r);
    CHECK(starts_with(json, "{"));
    CHECK(ends_with(json, "}"));
    CHECK_FALSE(contains(json, "\n"));
    CHECK(balanced_json(json));
    for (const char* key : {"test", "requests", "errors", "seconds", "rps", "avg_ms", "min_ms",
                            "p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "user_cpu_s",
                            "sys_cpu_s", "cpu_us_per_request"}) {
        INFO(key);
        CHECK(occurrences(json, std::string("\"") + key + "\":") == 1);
    }
    CHECK(contains(json, R"("test":"GET")"));
    CHECK(contains(json, R"("requests":100000,)"));
    CHECK(contains(json, R"("errors":0,)"));
    CHECK(contains(json, R"("rps":81300.81,)"));
    CHECK(contains(json, R"("p50_ms":0.327000,)"));
    CHECK(contains(json, R"("cpu_us_per_request":3.400)"));
    CHECK_FALSE(contains(json, "pool"));

    r.pool = some_pool_stats();
    const std::string with_pool = redis_bench::json_object(r);
    CHECK(balanced_json(with_pool));
    CHECK(ends_with(with_pool, R"(,"pool":)" + r.pool->to_json() + "}"));
    CHECK(contains(with_pool, R"("hits":99)"));
}

TEST_CASE("redis-bench report: json escapes quotes, backslashes and control characters",
          "[redis-bench]") {
    test_result r;
    r.name = std::string("a\"b\\c\nd\te") + '\x01';
    const std::string json = redis_bench::json_object(r);
    CHECK(contains(json, R"("test":"a\"b\\c\nd\te\u0001",)"));
    CHECK(balanced_json(json));
    CHECK_FALSE(contains(json, "\n"));
}

TEST_CASE("redis-bench report: recommend picks the smallest size within 5 % of the best",
          "[redis-bench]") {
    // 16 has the best throughput; 8 is 3 % behind with a p99 5 % above the best.
    CHECK(redis_bench::recommend_pool_size(typical_sweep()) == 8);
}

TEST_CASE("redis-bench report: recommend's p99 rule excludes a small size", "[redis-bench]") {
    // 4 is within 5 % of the best throughput but its p99 is 50 % worse than 8's.
    const std::vector<sweep_point> points = {point(4, 98000, 1.5), point(8, 100000, 1.0),
                                             point(16, 99500, 1.05)};
    CHECK(redis_bench::recommend_pool_size(points) == 8);
}

TEST_CASE("redis-bench report: recommend handles empty sweeps, ties and no qualifier",
          "[redis-bench]") {
    CHECK(redis_bench::recommend_pool_size({}) == 0);
    CHECK(redis_bench::recommend_pool_size({point(8, 100, 1), point(4, 100, 1)}) == 4);
    // Best throughput at 16 has a bad p99; the best p99 at 2 has bad throughput: nobody
    // qualifies, so the best throughput wins, and among equals the smallest.
    CHECK(redis_bench::recommend_pool_size(
              {point(2, 50000, 1.0), point(32, 100000, 5.0), point(16, 100000, 5.0)}) == 16);
}

TEST_CASE("redis-bench report: sweep table has every size and the recommendation line",
          "[redis-bench]") {
    const auto points = typical_sweep();
    const std::string table = redis_bench::sweep_table(points, 8);
    CHECK(starts_with(table, " pool_size"));
    for (const auto& p : points) {
        INFO(p.pool_size);
        CHECK(contains(table, "\n" + std::string(10 - std::to_string(p.pool_size).size(), ' ') +
                                  std::to_string(p.pool_size) + " "));
    }
    CHECK(contains(table, "    97000.00"));
    CHECK(contains(table, "\nrecommended pool_size: 8 ("));
    CHECK(occurrences(table, "<- recommended") == 1);
    CHECK(contains(redis_bench::sweep_table({}, 0), "recommended pool_size: none"));
}

TEST_CASE("redis-bench report: sweep svg is standalone with a polyline per series",
          "[redis-bench]") {
    const std::string svg = redis_bench::sweep_svg(typical_sweep(), 8);
    CHECK(starts_with(svg, "<svg"));
    CHECK(ends_with(svg, "</svg>"));
    CHECK(contains(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(occurrences(svg, "<polyline") == 2);
    CHECK(contains(svg, "recommended: 8"));
    CHECK(contains(svg, "ops/s"));
    CHECK(occurrences(svg, "<text") == occurrences(svg, "</text>"));

    const std::string empty = redis_bench::sweep_svg({}, 0);
    CHECK(starts_with(empty, "<svg"));
    CHECK(ends_with(empty, "</svg>"));
    CHECK(contains(empty, "no sweep points"));
}

TEST_CASE("redis-bench report: latency svg draws bars and escapes its title", "[redis-bench]") {
    std::mt19937_64 rng(11);
    std::exponential_distribution<double> exponential(1.0 / 200'000);
    latency_histogram h;
    for (int i = 0; i < 10'000; ++i) h.record(50'000 + static_cast<std::uint64_t>(exponential(rng)));
    const std::string svg = redis_bench::latency_svg(h, "GET <p99> & \"tail\"");
    CHECK(starts_with(svg, "<svg"));
    CHECK(ends_with(svg, "</svg>"));
    CHECK(occurrences(svg, "<rect") > h.buckets().size());  // the bars and the background
    CHECK(contains(svg, "GET &lt;p99&gt; &amp; &quot;tail&quot;"));
    CHECK_FALSE(contains(svg, "<p99>"));
    CHECK(contains(svg, ">p50 "));
    CHECK(contains(svg, ">p99 "));
    CHECK(contains(svg, ">p99.9 "));

    const std::string empty = redis_bench::latency_svg(latency_histogram{}, "<&>");
    CHECK(ends_with(empty, "</svg>"));
    CHECK(contains(empty, "&lt;&amp;&gt;"));
}
