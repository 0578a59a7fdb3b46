// Exports a redpool client's pool stats and the latencies its hooks report in the Prometheus
// text format (version 0.0.4), the format dashboards already scrape:
//
//     prometheus_exporter --url redis://127.0.0.1:6379 --listen 9121
//     curl -s localhost:9121/metrics
//
// It runs a small GET/SET workload so the figures move; in a service, the client is the one
// the service uses and only the hooks and the /metrics handler are added. `--once N` runs N
// workload iterations, prints the metrics to standard output and exits (no listening socket).
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <asio.hpp>
#include <fmt/format.h>
#include <redpool/redpool.hpp>

namespace {

using seconds_d = std::chrono::duration<double>;

// A Prometheus histogram: cumulative buckets in seconds, with their sum and count.
class histogram {
public:
    static constexpr std::array<double, 12> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
    void observe(std::chrono::nanoseconds d) {
        const double s = seconds_d(d).count();
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            if (s <= bounds[i]) ++buckets_[i];
        }
        ++count_;
        sum_ += s;
    }
    // `name` and `labels` ("" or `key="value"`), in the exposition format.
    void render(std::string& out, std::string_view name, std::string_view labels) const {
        const std::string sep = labels.empty() ? "" : ",";
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds[i], buckets_[i]);
        }
        out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count_);
        const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
        out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_, name, braces, count_);
    }

private:
    std::array<std::uint64_t, bounds.size()> buckets_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

// What the hooks report, kept for rendering. Hooks run on many threads: one mutex, held for
// a few additions (a service with very high rates would shard it).
class hook_metrics {
public:
    void attach(redpool::options& o) {
        o.hooks.on_command = [this](const redpool::command_event& e) {
            std::lock_guard lock(mutex_);
            commands_[std::string(e.name)].observe(e.duration);
            if (e.error) ++command_errors_[std::string(e.name)];
        };
        o.hooks.on_dial = [this](const redpool::dial_event& e) {
            std::lock_guard lock(mutex_);
            dials_.observe(e.duration);
            ++(e.error ? dial_errors_ : dials_ok_);
        };
        o.hooks.on_pool_wait = [this](const redpool::pool_wait_event& e) {
            std::lock_guard lock(mutex_);
            waits_[outcome_name(e.outcome)].observe(e.duration);
        };
        o.hooks.on_conn_closed = [this](const redpool::conn_closed_event& e) {
            std::lock_guard lock(mutex_);
            ++closed_[cause_name(e.cause)];
        };
    }

    void render(std::string& out) const {
        std::lock_guard lock(mutex_);
        out += "# HELP redpool_command_duration_seconds Time from a call to its result, retries included.\n"
               "# TYPE redpool_command_duration_seconds histogram\n";
        for (const auto& [name, h] : commands_) {
            h.render(out, "redpool_command_duration_seconds", fmt::format("command=\"{}\"", name));
        }
        out += "# HELP redpool_command_errors_total Calls that failed or got an error reply.\n"
               "# TYPE redpool_command_errors_total counter\n";
        for (const auto& [name, n] : command_errors_) {
            out += fmt::format("redpool_command_errors_total{{command=\"{}\"}} {}\n", name, n);
        }
        out += "# HELP redpool_dial_duration_seconds Dials: connect, TLS and handshake.\n"
               "# TYPE redpool_dial_duration_seconds histogram\n";
        dials_.render(out, "redpool_dial_duration_seconds", "");
        out += "# TYPE redpool_dials_total counter\n";
        out += fmt::format("redpool_dials_total{{outcome=\"ok\"}} {}\nredpool_dials_total{{outcome=\"error\"}} {}\n",
                           dials_ok_, dial_errors_);
        out += "# HELP redpool_pool_wait_duration_seconds Waits for a free pooled connection.\n"
               "# TYPE redpool_pool_wait_duration_seconds histogram\n";
        for (const auto& [outcome, h] : waits_) {
            h.render(out, "redpool_pool_wait_duration_seconds", fmt::format("outcome=\"{}\"", outcome));
        }
        out += "# HELP redpool_conns_closed_total Pooled connections closed, by cause.\n"
               "# TYPE redpool_conns_closed_total counter\n";
        for (const auto& [cause, n] : closed_) {
            out += fmt::format("redpool_conns_closed_total{{cause=\"{}\"}} {}\n", cause, n);
        }
    }

private:
    static const char* outcome_name(redpool::pool_wait_outcome o) {
        switch (o) {
            case redpool::pool_wait_outcome::got_connection: return "got_connection";
            case redpool::pool_wait_outcome::timed_out: return "timed_out";
            case redpool::pool_wait_outcome::pool_closed: return "pool_closed";
        }
        return "unknown";
    }
    static const char* cause_name(redpool::close_cause c) {
        switch (c) {
            case redpool::close_cause::idle_time: return "idle_time";
            case redpool::close_cause::lifetime: return "lifetime";
            case redpool::close_cause::unusable: return "unusable";
            case redpool::close_cause::max_idle: return "max_idle";
            case redpool::close_cause::server_gone: return "server_gone";
            case redpool::close_cause::pool_shrank: return "pool_shrank";
            case redpool::close_cause::failover: return "failover";
            case redpool::close_cause::client_closed: return "client_closed";
        }
        return "unknown";
    }

    mutable std::mutex mutex_;
    std::map<std::string, histogram> commands_;
    std::map<std::string, std::uint64_t> command_errors_;
    histogram dials_;
    std::uint64_t dials_ok_ = 0;
    std::uint64_t dial_errors_ = 0;
    std::map<std::string, histogram> waits_;
    std::map<std::string, std::uint64_t> closed_;
};

// The pool's own counters and gauges (client::pool_stats()).
void render_pool_stats(std::string& out, const redpool::pool_stats& s) {
    const auto metric = [&](const char* name, const char* type, const char* help, auto value) {
        out += fmt::format("# HELP redpool_pool_{} {}\n# TYPE redpool_pool_{} {}\nredpool_pool_{} {}\n", name, help, name,
                           type, name, value);
    };
    metric("hits_total", "counter", "Gets served by an idle connection.", s.hits);
    metric("misses_total", "counter", "Gets that dialed a new connection.", s.misses);
    metric("timeouts_total", "counter", "Gets that gave up after pool_timeout.", s.timeouts);
    metric("stale_conns_total", "counter", "Idle connections closed as stale.", s.stale_conns);
    metric("wait_count_total", "counter", "Gets that waited for a connection.", s.wait_count);
    metric("wait_seconds_total", "counter", "Time those gets waited.", seconds_d(s.wait_duration).count());
    metric("dial_errors_total", "counter", "Failed dials.", s.dial_errors);
    metric("total_conns", "gauge", "Connections the pool owns.", s.total_conns);
    metric("idle_conns", "gauge", "Idle connections.", s.idle_conns);
    metric("in_use", "gauge", "Connections in use.", s.in_use);
    metric("size", "gauge", "The pool's size.", s.pool_size);
}

std::string render_all(const redpool::client& redis, const hook_metrics& hooks) {
    std::string out;
    render_pool_stats(out, redis.pool_stats());
    hooks.render(out);
    return out;
}

// One HTTP/1.0-style exchange per connection: read the request head, answer, close.
void serve(asio::ip::tcp::acceptor& acceptor, const redpool::client& redis, const hook_metrics& hooks) {
    for (;;) {
        asio::ip::tcp::socket socket(acceptor.get_executor());
        acceptor.accept(socket);
        asio::error_code ec;
        asio::streambuf request;
        asio::read_until(socket, request, "\r\n\r\n", ec);
        std::string line;
        std::istream(&request) >> line >> line;  // the method, then the path
        const bool metrics = line == "/metrics";
        const std::string body = metrics ? render_all(redis, hooks) : "see /metrics\n";
        const std::string reply =
            fmt::format("HTTP/1.1 {}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n"
                        "Connection: close\r\n\r\n{}",
                        metrics ? "200 OK" : "404 Not Found", body.size(), body);
        asio::write(socket, asio::buffer(reply), ec);
    }
}

void workload(redpool::client& redis, long iteration) {
    const std::string key = fmt::format("exporter:{}", iteration % 100);
    redis.set(key, "value");
    (void)redis.get(key);
    if (iteration % 10 == 0) {
        auto p = redis.pipeline();
        p.incr("exporter:counter");
        p.get(key);
        p.exec();
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string url = "redis://127.0.0.1:6379";
    unsigned short port = 9121;
    std::optional<long> once;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--url") url = argv[i + 1];
        else if (flag == "--listen") port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
        else if (flag == "--once") once = std::atol(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: %s [--url URL] [--listen PORT] [--once N]\n", argv[0]);
            return 2;
        }
    }
    try {
        hook_metrics hooks;
        redpool::options opts = redpool::options::from_url(url);
        hooks.attach(opts);
        redpool::client redis(opts);
        if (once) {
            for (long i = 0; i < *once; ++i) workload(redis, i);
            std::fputs(render_all(redis, hooks).c_str(), stdout);
            return 0;
        }
        std::jthread load([&](std::stop_token stop) {
            for (long i = 0; !stop.stop_requested(); ++i) {
                try {
                    workload(redis, i);
                } catch (const std::exception&) {
                    // Counted by the hooks; the exporter keeps serving.
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
        asio::io_context io;
        asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
        std::fprintf(stderr, "serving http://127.0.0.1:%u/metrics\n", port);
        serve(acceptor, redis, hooks);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prometheus_exporter: %s\n", e.what());
        return 1;
    }
}
