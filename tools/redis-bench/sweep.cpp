// The pool-size sweep's recommendation, table and charts. The charts are hand-written SVG 1.1
// so that `--plot` needs no plotting library and the file opens in any browser.
#include "sweep.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace redis_bench {
namespace {

// --- the recommendation ----------------------------------------------------------------------

constexpr double rps_slack = 0.05;  // within 5 % of the best throughput
constexpr double p99_slack = 0.10;  // within 10 % of the best p99

struct bests {
    double rps = 0;
    double p99_ms = 0;
};

bests best_of(const std::vector<sweep_point>& points) {
    bests b{points.front().rps, points.front().p99_ms};
    for (const auto& p : points) {
        b.rps = std::max(b.rps, p.rps);
        b.p99_ms = std::min(b.p99_ms, p.p99_ms);
    }
    return b;
}

bool qualifies(const sweep_point& p, const bests& b) {
    return p.rps >= b.rps * (1 - rps_slack) && p.p99_ms <= b.p99_ms * (1 + p99_slack);
}

int best_throughput_size(const std::vector<sweep_point>& points) {
    const sweep_point* best = &points.front();
    for (const auto& p : points) {
        const bool tie = p.rps == best->rps && p.pool_size < best->pool_size;
        if (p.rps > best->rps || tie) best = &p;
    }
    return best->pool_size;
}

const sweep_point* find_size(const std::vector<sweep_point>& points, int size) {
    for (const auto& p : points) {
        if (p.pool_size == size) return &p;
    }
    return nullptr;
}

std::vector<sweep_point> sorted_by_size(std::vector<sweep_point> points) {
    std::stable_sort(points.begin(), points.end(),
                     [](const auto& a, const auto& b) { return a.pool_size < b.pool_size; });
    return points;
}

// --- the table -------------------------------------------------------------------------------

std::string table_row(const sweep_point& p, bool recommended) {
    return fmt::format("{:>10} {:>12.2f} {:>10.3f} {:>10.3f} {:>10} {:>10}{}\n", p.pool_size,
                       p.rps, p.p50_ms, p.p99_ms, p.waits, p.timeouts,
                       recommended ? "  <- recommended" : "");
}

std::string recommendation_line(const std::vector<sweep_point>& points, int recommended) {
    const sweep_point* p = find_size(points, recommended);
    if (points.empty()) return "recommended pool_size: none (no sweep points)\n";
    if (p == nullptr) return fmt::format("recommended pool_size: {}\n", recommended);
    const bests b = best_of(points);
    if (qualifies(*p, b)) {
        return fmt::format(
            "recommended pool_size: {} (the smallest size within 5 % of the best ops/s, {:.2f}, "
            "and within 10 % of the best p99, {:.3f} ms)\n",
            recommended, b.rps, b.p99_ms);
    }
    return fmt::format(
        "recommended pool_size: {} (no size is within both 5 % of the best ops/s and 10 % of "
        "the best p99; this one has the best ops/s, {:.2f})\n",
        recommended, b.rps);
}

// --- SVG building blocks ---------------------------------------------------------------------

constexpr double svg_width = 800;
constexpr double svg_height = 480;

// The plot area inside the margins that hold tick labels, axis titles and the legend.
struct frame {
    double left = 80, right = 720, top = 70, bottom = 400;
};

// Maps [lo, hi] onto [from, to] in pixels; a degenerate range maps to the middle.
struct scale {
    double lo, hi, from, to;
    double operator()(double v) const {
        if (hi <= lo) return (from + to) / 2;
        return from + (v - lo) / (hi - lo) * (to - from);
    }
};

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string svg_open(const std::string& title) {
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" "
        "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
        "<title>{2}</title>\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
        "<text x=\"{3}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">{2}</text>\n",
        svg_width, svg_height, escape(title), svg_width / 2);
}

std::string svg_close() { return "</svg>"; }

std::string text(double x, double y, const char* anchor, const std::string& s,
                 const std::string& extra = "") {
    return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\"{}>{}</text>\n", x, y,
                       anchor, extra, escape(s));
}

std::string line(double x1, double y1, double x2, double y2, const std::string& style) {
    return fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" {}/>\n", x1,
                       y1, x2, y2, style);
}

std::string axes_box(const frame& f) {
    const std::string style = "stroke=\"black\"";
    return line(f.left, f.bottom, f.right, f.bottom, style) +
           line(f.left, f.top, f.left, f.bottom, style);
}

// The smallest 1, 2, 2.5 or 5 times a power of ten at or above v, so ticks land on round values.
double nice_ceiling(double v) {
    if (!(v > 0)) return 1;
    const double decade = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (v <= m * decade * (1 + 1e-9)) return m * decade;
    }
    return 10 * decade;
}

std::string short_number(double v) {
    if (std::abs(v) >= 1e6) return fmt::format("{:g}M", v / 1e6);
    if (std::abs(v) >= 1e4) return fmt::format("{:g}k", v / 1e3);
    return fmt::format("{:g}", v);
}

constexpr int y_ticks = 5;

// Tick labels for a value axis starting at zero, on the left or right edge of the frame.
std::string y_axis(const frame& f, const scale& y, bool right_side, const std::string& title) {
    std::string out;
    const double x = right_side ? f.right : f.left;
    const double dx = right_side ? 6 : -6;
    for (int i = 0; i <= y_ticks; ++i) {
        const double v = y.hi * i / y_ticks;
        out += line(x, y(v), x - dx / 2, y(v), "stroke=\"black\"");
        out += text(x + dx, y(v) + 4, right_side ? "start" : "end", short_number(v));
    }
    const double tx = right_side ? f.right + 55 : f.left - 55;
    const double ty = (f.top + f.bottom) / 2;
    return out + text(tx, ty, "middle", title,
                      fmt::format(" transform=\"rotate(-90 {:.1f} {:.1f})\"", tx, ty));
}

std::string polyline(const std::vector<std::pair<double, double>>& xy, const char* color) {
    std::string points;
    for (const auto& [x, y] : xy) points += fmt::format("{:.1f},{:.1f} ", x, y);
    if (!points.empty()) points.pop_back();
    std::string out = fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", color, points);
    for (const auto& [x, y] : xy) {
        out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", x, y, color);
    }
    return out;
}

std::string legend_entry(double x, double y, const char* color, const std::string& label) {
    return line(x, y, x + 24, y, fmt::format("stroke=\"{}\" stroke-width=\"2\"", color)) +
           text(x + 30, y + 4, "start", label);
}

std::string no_data(const frame& f, const std::string& what) {
    return text((f.left + f.right) / 2, (f.top + f.bottom) / 2, "middle", what);
}

// --- the sweep chart -------------------------------------------------------------------------

constexpr const char* rps_color = "#1f77b4";
constexpr const char* p99_color = "#d62728";

// Pool sizes usually double from step to step, so the x axis is log2 of the size.
double size_position(int size) { return std::log2(std::max(size, 1)); }

scale size_scale(const std::vector<sweep_point>& sorted, const frame& f) {
    return {size_position(sorted.front().pool_size), size_position(sorted.back().pool_size),
            f.left + 20, f.right - 20};
}

std::string size_ticks(const std::vector<sweep_point>& sorted, const frame& f, const scale& x) {
    std::string out;
    for (const auto& p : sorted) {
        const double px = x(size_position(p.pool_size));
        out += line(px, f.bottom, px, f.bottom + 4, "stroke=\"black\"");
        out += text(px, f.bottom + 18, "middle", std::to_string(p.pool_size));
    }
    return out + text((f.left + f.right) / 2, f.bottom + 40, "middle", "pool size");
}

template <class Field>
std::string series(const std::vector<sweep_point>& sorted, const scale& x, const scale& y,
                   Field field, const char* color) {
    std::vector<std::pair<double, double>> xy;
    for (const auto& p : sorted) xy.emplace_back(x(size_position(p.pool_size)), y(field(p)));
    return polyline(xy, color);
}

std::string recommendation_marker(const std::vector<sweep_point>& sorted, const frame& f,
                                  const scale& x, int recommended) {
    if (find_size(sorted, recommended) == nullptr) return "";
    const double px = x(size_position(recommended));
    return line(px, f.top, px, f.bottom, "stroke=\"#2ca02c\" stroke-width=\"2\" stroke-dasharray=\"6,4\"") +
           text(px, f.top - 6, "middle", fmt::format("recommended: {}", recommended),
                " fill=\"#2ca02c\"");
}

std::string sweep_legend(const frame& f) {
    return legend_entry(f.left, 48, rps_color, "ops/s (left)") +
           legend_entry(f.left + 150, 48, p99_color, "p99 ms (right)");
}

std::string sweep_plot(const std::vector<sweep_point>& sorted, const frame& f, int recommended) {
    double max_rps = 0, max_p99 = 0;
    for (const auto& p : sorted) {
        max_rps = std::max(max_rps, p.rps);
        max_p99 = std::max(max_p99, p.p99_ms);
    }
    const scale x = size_scale(sorted, f);
    const scale y_rps{0, nice_ceiling(max_rps), f.bottom, f.top};
    const scale y_p99{0, nice_ceiling(max_p99), f.bottom, f.top};
    return size_ticks(sorted, f, x) + y_axis(f, y_rps, false, "ops/s") +
           y_axis(f, y_p99, true, "p99 latency (ms)") +
           series(sorted, x, y_rps, [](const sweep_point& p) { return p.rps; }, rps_color) +
           series(sorted, x, y_p99, [](const sweep_point& p) { return p.p99_ms; }, p99_color) +
           recommendation_marker(sorted, f, x, recommended) + sweep_legend(f);
}

// --- the latency chart -----------------------------------------------------------------------

double ns_to_ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// log10 of a latency in ms; 0 ns is drawn as 1 ns, the histogram's resolution.
double log_ms(std::uint64_t ns) { return std::log10(ns_to_ms(std::max<std::uint64_t>(ns, 1))); }

scale latency_scale(const latency_histogram& h, const frame& f) {
    const double lo = std::floor(log_ms(h.min_ns()));
    double hi = std::ceil(log_ms(h.max_ns()));
    if (hi <= lo) hi = lo + 1;
    return {lo, hi, f.left, f.right};
}

// Labels at 1, 2 and 5 times each power of ten while they fit, at the decades otherwise.
std::string latency_ticks(const frame& f, const scale& x) {
    const bool dense = x.hi - x.lo <= 3;
    std::string out;
    for (int e = static_cast<int>(x.lo); e < static_cast<int>(x.hi) + 1; ++e) {
        for (double m : {1.0, 2.0, 5.0}) {
            if ((m != 1.0 && !dense) || e + std::log10(m) > x.hi + 1e-9) continue;
            const double px = x(e + std::log10(m));
            out += line(px, f.bottom, px, f.bottom + 4, "stroke=\"black\"");
            out += text(px, f.bottom + 18, "middle", fmt::format("{:g}", m * std::pow(10.0, e)));
        }
    }
    return out + text((f.left + f.right) / 2, f.bottom + 40, "middle", "latency (ms, log scale)");
}

std::string latency_bars(const latency_histogram& h, const scale& x, const scale& y) {
    std::string out;
    for (const auto& [ns, samples] : h.buckets()) {
        // A bucket spans about 1/128 of its value; draw at least a pixel so it stays visible.
        const double x0 = x(log_ms(ns));
        const double x1 = x(log_ms(ns + std::max<std::uint64_t>(1, ns / 128)));
        const double top = y(static_cast<double>(samples));
        out += fmt::format(
            "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"{}\"/>\n", x0,
            top, std::max(1.0, x1 - x0), y.from - top, rps_color);
    }
    return out;
}

std::string percentile_markers(const latency_histogram& h, const frame& f, const scale& x) {
    struct marker {
        double p;
        const char* label;
        const char* color;
    };
    std::string out;
    double label_y = f.top + 14;
    for (const marker& m : {marker{50, "p50", "#2ca02c"}, marker{99, "p99", "#ff7f0e"},
                            marker{99.9, "p99.9", "#d62728"}}) {
        const std::uint64_t ns = h.percentile_ns(m.p);
        const double px = x(log_ms(ns));
        const std::string color = fmt::format("stroke=\"{}\"", m.color);
        out += line(px, f.top, px, f.bottom, color + " stroke-width=\"1.5\" stroke-dasharray=\"5,3\"");
        // One row each, so nearby percentiles do not print over each other.
        out += text(px + 4, label_y, "start", fmt::format("{} {:.3f} ms", m.label, ns_to_ms(ns)),
                    fmt::format(" fill=\"{}\"", m.color));
        label_y += 15;
    }
    return out;
}

std::string latency_plot(const latency_histogram& h, const frame& f) {
    std::uint64_t most = 0;
    for (const auto& bucket : h.buckets()) most = std::max(most, bucket.second);
    const scale x = latency_scale(h, f);
    const scale y{0, nice_ceiling(static_cast<double>(most)), f.bottom, f.top};
    return latency_bars(h, x, y) + latency_ticks(f, x) + y_axis(f, y, false, "samples") +
           percentile_markers(h, f, x);
}

}  // namespace

int recommend_pool_size(const std::vector<sweep_point>& points) {
    if (points.empty()) return 0;
    const bests b = best_of(points);
    const sweep_point* pick = nullptr;
    for (const auto& p : points) {
        if (qualifies(p, b) && (pick == nullptr || p.pool_size < pick->pool_size)) pick = &p;
    }
    return pick != nullptr ? pick->pool_size : best_throughput_size(points);
}

std::string sweep_table(const std::vector<sweep_point>& points, int recommended) {
    std::string out = fmt::format("{:>10} {:>12} {:>10} {:>10} {:>10} {:>10}\n", "pool_size",
                                  "ops/s", "p50 ms", "p99 ms", "waits", "timeouts");
    for (const auto& p : sorted_by_size(points)) {
        out += table_row(p, p.pool_size == recommended);
    }
    return out + recommendation_line(points, recommended);
}

std::string sweep_svg(const std::vector<sweep_point>& points, int recommended) {
    const frame f;
    std::string out = svg_open("redis-bench: throughput and p99 by pool size") + axes_box(f);
    const auto sorted = sorted_by_size(points);
    out += sorted.empty() ? no_data(f, "no sweep points") : sweep_plot(sorted, f, recommended);
    return out + svg_close();
}

std::string latency_svg(const latency_histogram& h, const std::string& title) {
    const frame f;
    std::string out = svg_open(title) + axes_box(f);
    out += h.count() == 0 ? no_data(f, "no samples") : latency_plot(h, f);
    return out + svg_close();
}

}  // namespace redis_bench
