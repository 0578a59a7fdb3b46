// redis-bench's output formats. The CSV and -q lines copy redis-benchmark 7 byte for byte so
// scripts written against it keep working; single-line formats carry no trailing newline.
#include "report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace redis_bench {
namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }
double ms(double ns) { return ns / 1e6; }

// fmt throws on a negative precision; redis-benchmark itself caps --precision at 3, we allow
// a little more.
int sane_precision(int precision) { return std::clamp(precision, 0, 9); }

// JSON has no NaN or infinity; a zero is the least surprising stand-in.
double finite(double v) { return std::isfinite(v) ? v : 0.0; }

double cpu_us_per_request(const test_result& r) {
    if (r.requests <= 0) return 0;
    return (r.user_cpu_s + r.sys_cpu_s) * 1e6 / static_cast<double>(r.requests);
}

std::string csv_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
                } else {
                    out += c;  // UTF-8 bytes pass through: JSON text is UTF-8
                }
        }
    }
    return out + '"';
}

// The figures every format shows, in milliseconds.
struct latency_ms {
    double avg, min, p50, p95, p99, p999, max;
};

latency_ms latencies(const latency_histogram& h) {
    return {ms(h.mean_ns()),         ms(h.min_ns()),          ms(h.percentile_ns(50)),
            ms(h.percentile_ns(95)), ms(h.percentile_ns(99)), ms(h.percentile_ns(99.9)),
            ms(h.max_ns())};
}

std::string text_header(const test_result& r, int clients, int data_size) {
    return fmt::format(
        "====== {} ======\n"
        "  {} requests completed in {:.2f} seconds\n"
        "  {} parallel clients\n"
        "  {} bytes payload\n\n",
        r.name, r.requests, r.seconds, clients, data_size);
}

std::string latency_table(const latency_ms& l, int precision) {
    return fmt::format(
        "  latency summary (msec):\n"
        "    {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n"
        "    {:9.{}f} {:9.{}f} {:9.{}f} {:9.{}f} {:9.{}f} {:9.{}f} {:9.{}f}\n",
        "avg", "min", "p50", "p95", "p99", "p99.9", "max",
        l.avg, precision, l.min, precision, l.p50, precision, l.p95, precision,
        l.p99, precision, l.p999, precision, l.max, precision);
}

std::string text_extras(const test_result& r) {
    std::string out = fmt::format("  client CPU: {:.3f} s user, {:.3f} s sys ({:.1f} us per request)\n",
                                  r.user_cpu_s, r.sys_cpu_s, cpu_us_per_request(r));
    if (r.errors > 0) out += fmt::format("  errors: {}\n", r.errors);
    if (r.pool) out += fmt::format("  pool: {}\n", r.pool->to_json());
    return out;
}

}  // namespace

std::string csv_header() {
    return R"("test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",)"
           R"("p95_latency_ms","p99_latency_ms","max_latency_ms")";
}

std::string csv_row(const test_result& r) {
    const latency_ms l = latencies(r.latency);
    return fmt::format(R"({},"{:.2f}","{:.3f}","{:.3f}","{:.3f}","{:.3f}","{:.3f}","{:.3f}")",
                       csv_quote(r.name), r.rps(), l.avg, l.min, l.p50, l.p95, l.p99, l.max);
}

std::string quiet_line(const test_result& r, int precision) {
    return fmt::format("{}: {:.2f} requests per second, p50={:.{}f} msec", r.name, r.rps(),
                       ms(r.latency.percentile_ns(50)), sane_precision(precision));
}

std::string text_report(const test_result& r, int clients, int data_size, int precision) {
    return text_header(r, clients, data_size) + "Summary:\n" +
           fmt::format("  throughput summary: {:.2f} requests per second\n", r.rps()) +
           latency_table(latencies(r.latency), sane_precision(precision)) + text_extras(r);
}

std::string json_object(const test_result& r) {
    const latency_ms l = latencies(r.latency);
    std::string out = fmt::format(
        R"({{"test":{},"requests":{},"errors":{},"seconds":{:.6f},"rps":{:.2f},)"
        R"("avg_ms":{:.6f},"min_ms":{:.6f},"p50_ms":{:.6f},"p95_ms":{:.6f},"p99_ms":{:.6f},)"
        R"("p999_ms":{:.6f},"max_ms":{:.6f},"user_cpu_s":{:.6f},"sys_cpu_s":{:.6f},)"
        R"("cpu_us_per_request":{:.3f})",
        json_string(r.name), r.requests, r.errors, finite(r.seconds), finite(r.rps()), l.avg,
        l.min, l.p50, l.p95, l.p99, l.p999, l.max, finite(r.user_cpu_s), finite(r.sys_cpu_s),
        finite(cpu_us_per_request(r)));
    if (r.pool) out += R"(,"pool":)" + r.pool->to_json();
    return out + "}";
}

}  // namespace redis_bench
