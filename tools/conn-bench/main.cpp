// conn-bench: GET or SET on one bare detail::connection (no pool), to measure the connection
// and protocol layers' own cost, e.g. under callgrind beside hiredis-direct --argv.
// Flags follow ../shared/anchors: --port P [--host H] --ops M --cmd get|set --value-size B
// [--keys K] [--no-lat] [--path SOCKET]. Prints
// ops_per_sec=X p50_us=Y p99_us=Z user_s=U sys_s=S
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/net/connection.hpp"
#include "redpool/error.hpp"
#include "tools/bench_support/anchor_report.hpp"

namespace {

struct args {
    redpool::options opts;
    long ops = 200000;
    bool is_get = true;
    int value_size = 16;
    int keys = 1000;
    bool latency = true;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: conn-bench --port P [--host H | --path SOCKET] --ops M --cmd get|set "
                 "--value-size B [--keys K] [--no-lat]\n");
    std::exit(2);
}

args parse(int argc, char** argv) {
    args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (k == "--host") a.opts.host = value();
        else if (k == "--port") a.opts.port = std::atoi(value().c_str());
        else if (k == "--path") a.opts.path = value();
        else if (k == "--ops") a.ops = std::atol(value().c_str());
        else if (k == "--cmd") {
            auto c = value();
            if (c != "get" && c != "set") usage();
            a.is_get = c == "get";
        } else if (k == "--value-size") a.value_size = std::atoi(value().c_str());
        else if (k == "--keys") a.keys = std::atoi(value().c_str());
        else if (k == "--no-lat") a.latency = false;
        else if (k == "--threads" || k == "--pool") value();  // accepted for anchor parity
        else usage();
    }
    if (a.ops < 0 || a.keys < 1 || a.value_size < 0) usage();
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    auto a = parse(argc, argv);
    const auto keys = redpool::bench::anchor_keys(a.keys);
    const std::string value(static_cast<std::size_t>(a.value_size), 'x');
    try {
        auto conn = redpool::detail::connection::open(a.opts);
        for (const auto& k : keys) {
            std::string_view set[] = {"SET", k, value};
            conn->append(set);
        }
        conn->flush();
        redpool::reply r;
        for (std::size_t i = 0; i < keys.size(); ++i) conn->read_reply(r);

        std::vector<std::uint32_t> latencies;
        if (a.latency) latencies.reserve(static_cast<std::size_t>(a.ops));
        long errors = 0;
        redpool::bench::measurement m;
        m.start();
        for (long i = 0; i < a.ops; ++i) {
            const std::string& k = keys[static_cast<std::size_t>(i) % keys.size()];
            const auto t0 = a.latency ? std::chrono::steady_clock::now()
                                      : std::chrono::steady_clock::time_point{};
            std::string_view get[] = {"GET", k};
            std::string_view set[] = {"SET", k, value};
            r = a.is_get ? conn->exec(get) : conn->exec(set);
            bool ok = a.is_get ? r.is_string() && r.as_string().size() == value.size() : r.is_status();
            if (!ok) ++errors;
            if (a.latency) {
                auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - t0).count();
                latencies.push_back(static_cast<std::uint32_t>(std::min<long long>(ns, 0xffffffffLL)));
            }
        }
        m.stop();
        redpool::bench::print_anchor_line(a.ops, m, latencies);
        if (errors != 0) std::fprintf(stderr, "errors=%ld\n", errors);
        return errors == 0 ? 0 : 1;
    } catch (const redpool::error& e) {
        std::fprintf(stderr, "conn-bench: %s\n", e.what());
        return 1;
    }
}
