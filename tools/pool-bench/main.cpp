// pool-bench: the pool alone — get + put pairs over fake connections (no I/O), to measure the
// token queue and idle list: `pool-bench --threads N --pool P --ops M` prints
// `ns_per_pair=X allocs_per_pair=Y` (ns of wall time per pair over all threads; heap
// allocations per pair during the measured part).
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "lib/pool/pool.hpp"

namespace {

std::atomic<long> allocations{0};

// What the pool needs of a connection, and nothing else.
struct null_conn {
    bool is_usable() noexcept { return true; }
    bool is_clean() const noexcept { return true; }
};

class no_background final : public redpool::detail::scheduler {
public:
    void post_after(duration, task) override {}
    void spawn(task) override {}
    void stop() override {}
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: pool-bench --threads N --pool P --ops M\n");
    std::exit(2);
}

}  // namespace

void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
    int threads = 1;
    int pool_size = 10;
    long ops = 10'000'000;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) usage();
        const char* value = argv[++i];
        if (flag == "--threads") threads = std::atoi(value);
        else if (flag == "--pool") pool_size = std::atoi(value);
        else if (flag == "--ops") ops = std::atol(value);
        else usage();
    }
    if (threads < 1 || pool_size < 1 || ops < 1) usage();

    redpool::detail::pool_config config;
    config.pool_size = pool_size;
    config.pool_timeout = std::chrono::seconds(30);
    config.conn_max_idle_time = std::chrono::minutes(30);  // the default: staleness is checked
    using pool_type = redpool::detail::basic_pool<null_conn>;
    auto shared_pool = pool_type::create(
        config, [](std::stop_token) { return std::make_unique<null_conn>(); }, std::make_unique<no_background>());
    pool_type& pool = *shared_pool;
    {
        // Fill the pool so the measured part only reuses idle connections.
        std::vector<pool_type::lease> leases;
        for (int i = 0; i < pool_size; ++i) leases.push_back(pool.get());
    }
    std::barrier start_line(threads + 1);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        const long n = ops / threads;
        workers.emplace_back([&, n] {
            start_line.arrive_and_wait();
            for (long i = 0; i < n; ++i) {
                auto lease = pool.get();
            }
        });
    }
    start_line.arrive_and_wait();
    const long allocs0 = allocations.load();
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& w : workers) w.join();
    const auto t1 = std::chrono::steady_clock::now();
    const long pairs = ops / threads * threads;
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(pairs);
    std::printf("ns_per_pair=%.1f allocs_per_pair=%.4f\n", ns,
                static_cast<double>(allocations.load() - allocs0) / static_cast<double>(pairs));
    auto s = pool.stats();
    std::fprintf(stderr, "%s\n", s.to_json().c_str());
    return 0;
}
