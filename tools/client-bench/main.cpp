// client-bench: threads sharing one redpool::client, with the flags and one-line output of
// ../shared/anchors (hiredis-direct, hiredis-mutexpool), so the two run side by side:
//   client-bench --port P --threads N --pool P --ops M --cmd get|set --value-size B
//                [--host H] [--path SOCKET] [--keys K] [--warmup W] [--no-lat] [--pipeline N]
//                [--multiplex] [--max-in-flight N]
// prints: ops_per_sec=X p50_us=Y p99_us=Z user_s=U sys_s=S
// --ops is the total over all threads; keys are prefilled; each thread warms up first; the
// measured part runs from a barrier until the last thread ends. --pipeline N sends the
// commands in redpool::pipeline batches of N (the last one may be shorter), as
// `redis-benchmark -P N` does; ops still count commands, and latencies are then per batch.
// --multiplex sets options::multiplex: the threads' commands share a few connections through
// the multiplexer instead of borrowing one each. --cluster runs the threads on a
// redpool::cluster_client seeded with --host:--port (a Redis Cluster node), the other options
// going to every node's pool.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tools/bench_support/anchor_report.hpp"

namespace {

struct bench_args {
    redpool::options opts;
    int threads = 1;
    long ops = 200000;
    bool is_get = true;
    int value_size = 16;
    int keys = 1000;
    int warmup = 200;
    bool latency = true;
    int pipeline = 0;  // commands per batch; 0: one call per command
    bool stats = false;  // the pool's stats as JSON on stderr after the run
    bool cluster = false;  // a cluster_client seeded with host:port
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: client-bench --port P --threads N --pool P --ops M --cmd get|set "
                 "--value-size B [--host H] [--path SOCKET] [--keys K] [--warmup W] [--no-lat] "
                 "[--pipeline N] [--multiplex] [--max-in-flight N] [--stats] [--cluster]\n");
    std::exit(2);
}

bench_args parse(int argc, char** argv) {
    bench_args a;
    a.opts.pool_size = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (flag == "--host") a.opts.host = value();
        else if (flag == "--port") a.opts.port = std::atoi(value().c_str());
        else if (flag == "--path") a.opts.path = value();
        else if (flag == "--threads") a.threads = std::atoi(value().c_str());
        else if (flag == "--pool") a.opts.pool_size = std::atoi(value().c_str());
        else if (flag == "--ops") a.ops = std::atol(value().c_str());
        else if (flag == "--cmd") {
            const auto c = value();
            if (c != "get" && c != "set") usage();
            a.is_get = c == "get";
        } else if (flag == "--value-size") a.value_size = std::atoi(value().c_str());
        else if (flag == "--keys") a.keys = std::atoi(value().c_str());
        else if (flag == "--warmup") a.warmup = std::atoi(value().c_str());
        else if (flag == "--no-lat") a.latency = false;
        else if (flag == "--pipeline") a.pipeline = std::atoi(value().c_str());
        else if (flag == "--multiplex") a.opts.multiplex = true;
        else if (flag == "--max-in-flight") a.opts.max_in_flight = std::atoi(value().c_str());
        else if (flag == "--stats") a.stats = true;
        else if (flag == "--cluster") a.cluster = true;
        else usage();
    }
    if (a.threads < 1 || a.ops < 0 || a.keys < 1 || a.value_size < 0 || a.pipeline < 0) usage();
    return a;
}

struct thread_result {
    std::vector<std::uint32_t> latencies;
    long errors = 0;
};

// The measured loop of --pipeline N: batches of N commands, each batch one exec().
template <class Client>
void run_batches(Client& redis, const bench_args& a, const std::vector<std::string>& keys,
                 const std::string& value, std::size_t k, long n, thread_result& r) {
    auto p = redis.pipeline();
    for (long done = 0; done < n;) {
        const long batch = std::min<long>(a.pipeline, n - done);
        for (long i = 0; i < batch; ++i) {
            const std::string& key = keys[k];
            if (++k == keys.size()) k = 0;
            if (a.is_get) p.get(key);
            else p.set(key, value);
        }
        const auto t0 = std::chrono::steady_clock::now();
        const std::vector<redpool::reply> replies = p.exec();
        if (a.latency) {
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now() - t0).count();
            r.latencies.push_back(static_cast<std::uint32_t>(std::min<long long>(ns, 0xffffffffLL)));
        }
        for (const auto& reply : replies) {
            if (a.is_get ? !reply.is_string() || reply.as_string().size() != value.size() : reply.is_error()) ++r.errors;
        }
        done += batch;
    }
}

// Prefills the keys, runs the threads, prints the line; the exit status.
template <class Client>
int run(Client& redis, const bench_args& a) {
    const auto keys = redpool::bench::anchor_keys(a.keys);
    const std::string value(static_cast<std::size_t>(a.value_size), 'x');
    for (const auto& k : keys) redis.set(k, value);

    auto one_op = [&](const std::string& key) {
        if (a.is_get) {
            auto v = redis.get(key);
            return v && v->size() == value.size();
        }
        return redis.set(key, value);
    };

    std::vector<thread_result> results(static_cast<std::size_t>(a.threads));
    std::barrier start_line(a.threads + 1);
    std::vector<std::thread> workers;
    for (int t = 0; t < a.threads; ++t) {
        const long n = a.ops / a.threads + (t < a.ops % a.threads ? 1 : 0);
        workers.emplace_back([&, t, n] {
            auto& r = results[static_cast<std::size_t>(t)];
            for (int w = 0; w < a.warmup; ++w) {
                if (!one_op(keys[static_cast<std::size_t>(w + t) % keys.size()])) ++r.errors;
            }
            // One latency per command, or per batch with --pipeline.
            if (a.latency) r.latencies.reserve(static_cast<std::size_t>(a.pipeline > 0 ? n / a.pipeline + 1 : n));
            start_line.arrive_and_wait();
            std::size_t k = static_cast<std::size_t>(t) * 7919 % keys.size();
            if (a.pipeline > 0) {
                run_batches(redis, a, keys, value, k, n, r);
                return;
            }
            for (long i = 0; i < n; ++i) {
                const std::string& key = keys[k];
                if (++k == keys.size()) k = 0;
                if (!a.latency) {
                    if (!one_op(key)) ++r.errors;
                    continue;
                }
                const auto t0 = std::chrono::steady_clock::now();
                if (!one_op(key)) ++r.errors;
                const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - t0).count();
                r.latencies.push_back(static_cast<std::uint32_t>(std::min<long long>(ns, 0xffffffffLL)));
            }
        });
    }
    start_line.arrive_and_wait();
    redpool::bench::measurement m;
    m.start();
    for (auto& w : workers) w.join();
    m.stop();

    long errors = 0;
    std::vector<std::uint32_t> all;
    for (auto& r : results) {
        errors += r.errors;
        all.insert(all.end(), r.latencies.begin(), r.latencies.end());
    }
    redpool::bench::print_anchor_line(a.ops, m, all);
    if (a.stats) std::fprintf(stderr, "%s\n", redis.pool_stats().to_json().c_str());
    if (errors != 0) std::fprintf(stderr, "errors=%ld\n", errors);
    return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto a = parse(argc, argv);
    try {
        if (a.cluster) {
            redpool::cluster_options o;
            o.addrs = {a.opts.host + ":" + std::to_string(a.opts.port)};
            o.node = a.opts;
            redpool::cluster_client redis(o);
            return run(redis, a);
        }
        redpool::client redis(a.opts);
        return run(redis, a);
    } catch (const redpool::error& e) {
        std::fprintf(stderr, "client-bench: %s\n", e.what());
        return 1;
    }
}
