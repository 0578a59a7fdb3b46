// redis_bench's output formats: redis-benchmark's CSV and -q lines, its default text report,
// and one JSON object per test with the pool's stats.
#pragma once

#include <string>

#include "result.hpp"

namespace redis_bench {

/// `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`
std::string csv_header();
/// `"GET","123456.78","0.327","0.080","0.311","0.495","0.783","2.111"`: rps with 2 decimals,
/// latencies in ms with 3, as redis-benchmark 7 writes them.
std::string csv_row(const test_result& r);
/// `GET: 123456.78 requests per second, p50=0.327 msec` (`precision` decimals for p50).
std::string quiet_line(const test_result& r, int precision);
/// The default report: throughput, a latency summary (avg, min, p50, p95, p99, p99.9, max)
/// and, in sync mode, the pool's stats.
std::string text_report(const test_result& r, int clients, int data_size, int precision);
/// One JSON object on one line: name, requests, errors, seconds, rps, latency figures in ms
/// (avg, min, p50, p95, p99, p999, max), client CPU, and "pool": {...} in sync mode.
std::string json_object(const test_result& r);

}  // namespace redis_bench
