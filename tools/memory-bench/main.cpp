// memory-bench: what redpool costs in memory (BENCHMARKS.md B5).
//
//   memory-bench --port P [--host H] [--conns N] [--soak SECONDS]
//   memory-bench --port P --hiredis [--conns N]      the anchor: N hiredis contexts
//
// Opens N idle pooled connections (default 10,000; the server needs --maxclients above N, and
// this process raises its own RLIMIT_NOFILE) and prints bytes_per_idle_conn from the resident
// set before and after. Then bursts of 1 MiB replies on 4 threads, after which the RSS should
// come back to within 2 MiB (burst_rss_growth_kib; the first burst, which also sets up the
// threads' malloc arenas, is printed apart). With --soak S it runs mixed commands (GET
// and SET of small values, one GET in 100 of a 1 MiB value) on 4 threads for S seconds and
// prints rss_growth_kib from the end of a warm-up to the end. RSS is read after malloc_trim,
// so memory the allocator keeps free does not count as held.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <redpool/redpool.hpp>

namespace {

struct bench_args {
    std::string host = "127.0.0.1";
    int port = 6379;
    int conns = 10'000;
    int soak_seconds = 0;
    bool hiredis = false;  // measure N hiredis contexts instead, the anchor
};

constexpr const char* usage = "usage: memory-bench --port P [--host H] [--conns N] [--soak SECONDS] [--hiredis]";

int positive(const std::string& flag, const std::string& text, int min) {
    try {
        std::size_t used = 0;
        const int value = std::stoi(text, &used);
        if (used == text.size() && value >= min) return value;
    } catch (const std::exception&) {
    }
    throw std::runtime_error(fmt::format("{}: \"{}\" is not an integer >= {}", flag, text, min));
}

bench_args parse(int argc, char** argv) {
    bench_args a;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help") throw std::runtime_error(usage);
        if (flag == "--hiredis") {
            a.hiredis = true;
            continue;
        }
        if (i + 1 >= argc) throw std::runtime_error(fmt::format("{}: missing value ({})", flag, usage));
        const std::string value = argv[++i];
        if (flag == "--host") a.host = value;
        else if (flag == "--port") a.port = positive(flag, value, 1);
        else if (flag == "--conns") a.conns = positive(flag, value, 1);
        else if (flag == "--soak") a.soak_seconds = positive(flag, value, 0);
        else throw std::runtime_error(fmt::format("unknown option \"{}\" ({})", flag, usage));
    }
    return a;
}

// Enough descriptors for the connections and some to spare, up to the hard limit.
void raise_descriptor_limit(int conns) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) throw std::runtime_error("getrlimit failed");
    const rlim_t want = static_cast<rlim_t>(conns) + 256;
    if (limit.rlim_cur < want) {
        limit.rlim_cur = std::min(want, limit.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur < want) {
        throw std::runtime_error(fmt::format("RLIMIT_NOFILE allows {} descriptors; {} connections need {}",
                                             limit.rlim_cur, conns, want));
    }
}

// Resident set in bytes, after handing free heap memory back to the system.
long resident_bytes() {
    ::malloc_trim(0);
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

// `threads` threads run `work(thread, stop_flag)` until `seconds` pass.
template <class Work>
void run_threads(int threads, std::chrono::milliseconds duration, Work work) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) running.emplace_back([&, t] { work(t, stop); });
    std::this_thread::sleep_for(duration);
    stop = true;
    for (auto& t : running) t.join();
}

const std::string big_key = "memory-bench:big";

// GET and SET of small values, one GET in 100 of the 1 MiB value.
void mixed_commands(redpool::client& redis, int thread, const std::atomic<bool>& stop) {
    for (long i = 0; !stop; ++i) {
        const std::string key = fmt::format("memory-bench:{}:{}", thread, i % 1000);
        if (i % 100 == 99) redis.get(big_key);
        else if (i % 2 == 0) redis.set(key, "value");
        else redis.get(key);
    }
}

// The same measure for hiredis: N connected contexts that have each answered a PING.
int run_hiredis(const bench_args& a) {
    std::vector<redisContext*> contexts;
    contexts.reserve(static_cast<std::size_t>(a.conns) + 1);
    auto connect = [&] {
        redisContext* c = redisConnect(a.host.c_str(), a.port);
        if (c == nullptr || c->err != 0) throw std::runtime_error(c != nullptr ? c->errstr : "redisConnect failed");
        freeReplyObject(redisCommand(c, "PING"));
        contexts.push_back(c);
    };
    connect();  // warm, as the client's first connection
    const long before = resident_bytes();
    for (int i = 0; i < a.conns; ++i) connect();
    const long after = resident_bytes();
    std::printf("hiredis_bytes_per_idle_conn=%ld\n", (after - before) / a.conns);
    for (redisContext* c : contexts) redisFree(c);
    return 0;
}

int run(const bench_args& a) {
    raise_descriptor_limit(a.conns);
    if (a.hiredis) return run_hiredis(a);
    redpool::options o;
    o.host = a.host;
    o.port = a.port;
    o.pool_size = a.conns + 1;
    o.pool_timeout = std::chrono::seconds(60);
    o.conn_max_idle_time = redpool::options::duration::zero();  // idle connections stay
    o.reaper_interval = redpool::options::duration::zero();
    redpool::client redis(o);
    redis.set(big_key, std::string(1 << 20, 'x'));  // warm: one connection, thread buffers

    const auto conns_before = redis.pool_stats().total_conns;
    const long before = resident_bytes();
    {
        std::vector<redpool::pinned> held;  // leases held at once, so each is a connection of its own
        held.reserve(static_cast<std::size_t>(a.conns));
        for (int i = 0; i < a.conns; ++i) held.push_back(redis.pin());
    }
    const auto stats = redis.pool_stats();
    const long after = resident_bytes();
    const auto opened = static_cast<long>(stats.total_conns - conns_before);
    std::printf("idle_conns=%llu\n", static_cast<unsigned long long>(stats.idle_conns));
    std::printf("bytes_per_idle_conn=%ld\n", opened > 0 ? (after - before) / opened : 0L);

    // A burst of 1 MiB replies: the readers' buffers grow, then shrink back.
    // Bursts of 1 MiB replies: the readers' buffers grow, then shrink back. The first also
    // pays once for the new threads' malloc arenas (about 1 MiB each here), so it is printed
    // apart; the second is what a burst leaves behind.
    auto burst = [&] {
        const long before_burst = resident_bytes();
        run_threads(4, std::chrono::milliseconds(500), [&](int, const std::atomic<bool>& stop) {
            while (!stop) redis.get(big_key);
        });
        return (resident_bytes() - before_burst) / 1024;
    };
    std::printf("first_burst_rss_growth_kib=%ld\n", burst());
    std::printf("burst_rss_growth_kib=%ld\n", burst());

    if (a.soak_seconds > 0) {
        run_threads(4, std::chrono::seconds(2), [&](int t, const std::atomic<bool>& stop) { mixed_commands(redis, t, stop); });
        const long soak_start = resident_bytes();
        run_threads(4, std::chrono::seconds(a.soak_seconds),
                    [&](int t, const std::atomic<bool>& stop) { mixed_commands(redis, t, stop); });
        std::printf("rss_growth_kib=%ld\n", (resident_bytes() - soak_start) / 1024);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "memory-bench: %s\n", e.what());
        return 1;
    }
}
