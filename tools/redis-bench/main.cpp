// redis-bench: measure a Redis server with redpool, with redis-benchmark's flags and output,
// plus a sync mode that measures redpool's pool and a sweep that recommends a pool size.
//
//   redis-bench -t get,set -n 100000              # starts its own redis-server
//   redis-bench -h 10.0.0.5 -p 6379 -c 50 -P 16 --csv
//   redis-bench --mode sync -c 64 --sweep pool-size=1,2,4,8,16,32 --plot sweep.svg
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <redpool/redpool.hpp>

#include "config.hpp"
#include "embedded_cluster.hpp"
#include "embedded_server.hpp"
#include "lib/net/connection.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "sweep.hpp"
#include "workload.hpp"

namespace redis_bench {
namespace {

redpool::options server_options(const config& cfg, const embedded_server* embedded) {
    redpool::options o;
    if (embedded != nullptr) {
        o.path = embedded->socket_path();
    } else if (!cfg.socket.empty()) {
        o.path = cfg.socket;
    } else {
        o.host = cfg.host;
        o.port = cfg.port;
    }
    o.username = cfg.user;
    o.password = cfg.password;
    o.db = cfg.dbnum;
    o.tls = cfg.tls;
    o.tls_ca_file = cfg.tls_ca_file;
    o.tls_cert_file = cfg.tls_cert_file;
    o.tls_key_file = cfg.tls_key_file;
    o.tls_server_name = cfg.tls_server_name;
    o.tls_insecure_skip_verify = cfg.tls_insecure;
    return o;
}

// One connection and a PING before any test, so an unreachable server or a wrong password
// is one clear line rather than a failure in the middle of a test.
void check_server(const redpool::options& server) {
    auto conn = redpool::detail::connection::open(server);
    std::string_view ping[] = {"PING"};
    auto r = conn->exec(ping);
    if (r.is_error()) throw std::runtime_error(std::string(r.as_string()));
}

// With --cluster, `server` is the seed node and carries the credentials.
test_result run_one(const config& cfg, const test_spec& spec, const redpool::options& server) {
    if (cfg.cluster) {
        redpool::cluster_options cluster;
        cluster.addrs = {server.address()};
        cluster.node = server;
        return run_sync_cluster(cfg, spec, cluster);
    }
    switch (cfg.mode) {
    case run_mode::sync:
        return run_sync(cfg, spec, server);
    case run_mode::client:
        return run_client(cfg, spec, server);
    case run_mode::async:
        break;
    }
    return run_async(cfg, spec, server);
}

void print_result(const config& cfg, const test_result& r) {
    if (cfg.csv) std::printf("%s\n", csv_row(r).c_str());
    else if (cfg.json) std::printf("%s\n", json_object(r).c_str());
    else if (cfg.quiet) std::printf("%s\n", quiet_line(r, cfg.precision).c_str());
    else std::printf("%s\n", text_report(r, cfg.clients, cfg.data_size, cfg.precision).c_str());
    std::fflush(stdout);
}

// "GET" -> "get", "LRANGE_100 (first 100 elements)" -> "lrange_100": for plot file names.
std::string slug(const std::string& title) {
    std::string out;
    for (char c : title.substr(0, title.find(' '))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// FILE.svg for a single chart; FILE-<test>.svg when there is one chart per test.
std::string plot_path(const std::string& file, const std::string& title, bool several) {
    if (!several) return file;
    const auto dot = file.rfind('.');
    const std::string stem = dot == std::string::npos ? file : file.substr(0, dot);
    const std::string ext = dot == std::string::npos ? "" : file.substr(dot);
    return stem + "-" + slug(title) + ext;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

sweep_point sweep_point_of(int pool_size, const test_result& r) {
    sweep_point p;
    p.pool_size = pool_size;
    p.rps = r.rps();
    p.p50_ms = static_cast<double>(r.latency.percentile_ns(50)) / 1e6;
    p.p99_ms = static_cast<double>(r.latency.percentile_ns(99)) / 1e6;
    if (r.pool) {
        p.waits = r.pool->wait_count;
        p.timeouts = r.pool->timeouts;
    }
    return p;
}

void run_sweep(const config& cfg, const std::vector<test_spec>& plan, const redpool::options& server) {
    for (const auto& spec : plan) {
        std::vector<sweep_point> points;
        for (int size : cfg.sweep_pool_sizes) {
            config one = cfg;
            one.pool_size = size;
            one.min_idle = std::min(cfg.min_idle, size);
            const test_result r = run_one(one, spec, server);
            if (cfg.json) std::printf("%s\n", json_object(r).c_str());
            points.push_back(sweep_point_of(size, r));
        }
        const int best = recommend_pool_size(points);
        if (!cfg.json) std::printf("====== %s: pool size sweep ======\n%s\n", spec.title.c_str(), sweep_table(points, best).c_str());
        if (!cfg.plot_file.empty()) {
            write_file(plot_path(cfg.plot_file, spec.title, plan.size() > 1), sweep_svg(points, best));
        }
    }
}

void run_tests(const config& cfg, const std::vector<test_spec>& plan, const redpool::options& server) {
    if (cfg.csv) std::printf("%s\n", csv_header().c_str());
    for (const auto& spec : plan) {
        const test_result r = run_one(cfg, spec, server);
        print_result(cfg, r);
        if (!cfg.plot_file.empty()) {
            write_file(plot_path(cfg.plot_file, spec.title, plan.size() > 1), latency_svg(r.latency, spec.title));
        }
    }
}

bool wants_help(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0) return true;
    }
    return false;
}

int run(int argc, char** argv) {
    if (wants_help(argc, argv)) {
        std::printf("%s", usage().c_str());
        return 0;
    }
    config cfg = parse_flags(argc, argv);
    std::unique_ptr<embedded_server> embedded;
    std::unique_ptr<embedded_cluster> cluster;
    if (!cfg.server_given && cfg.cluster) {
        cluster = std::make_unique<embedded_cluster>();
        const std::string seed = cluster->addrs().front();
        cfg.host = "127.0.0.1";
        cfg.port = std::stoi(seed.substr(seed.rfind(':') + 1));
        cfg.server_given = true;
    } else if (!cfg.server_given) {
        embedded = std::make_unique<embedded_server>();
    }
    const redpool::options server = server_options(cfg, embedded.get());
    check_server(server);
    const auto plan = plan_tests(cfg);
    if (cfg.sweep_pool_sizes.empty()) run_tests(cfg, plan, server);
    else run_sweep(cfg, plan, server);
    return 0;
}

}  // namespace
}  // namespace redis_bench

int main(int argc, char** argv) {
    try {
        return redis_bench::run(argc, argv);
    } catch (const std::exception& e) {
        // One line, whatever failed: a bad flag, an unreachable server, a wrong password.
        std::string message = e.what();
        std::fprintf(stderr, "redis-bench: %s\n", message.substr(0, message.find('\n')).c_str());
        return 1;
    }
}
