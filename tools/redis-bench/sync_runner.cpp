// The sync mode: -c threads share one redpool::client, one request per round trip, so the
// figures include the pool exactly as an application sees it.
#include <fmt/format.h>
#include <redpool/redpool.hpp>

#include <thread>
#include <vector>

#include "progress.hpp"
#include "run_state.hpp"
#include "runner.hpp"

namespace redis_bench {
namespace {

using clock = run_state::clock;

// Lets background min-idle dials finish before the clock starts (bounded: a failing dial
// shows up in the pool's dial_errors instead).
void wait_for_min_idle(const redpool::client& client, int min_idle) {
    const auto give_up = clock::now() + std::chrono::seconds(5);
    while (static_cast<int>(client.pool_stats().idle_conns) < min_idle && clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void worker(redpool::client& client, const test_spec& spec, long keyspace, unsigned seed,
            run_state& state, latency_histogram& latency) {
    request_args requests(spec, keyspace, seed);
    while (state.claim(1) == 1) {
        const std::span<const std::string_view> args = requests.next();
        const auto start = clock::now();
        bool failed = false;
        try {
            failed = client.exec(args).is_error();
        } catch (const redpool::error& e) {
            // A pool timeout is a measurement here (it shows in the pool's stats), not a failure.
            if (e.code() != redpool::errc::pool_timeout) state.fail(e.what());
            failed = true;
        }
        latency.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start).count()));
        state.done(1, failed ? 1 : 0);
    }
}

}  // namespace

test_result run_sync(const config& cfg, const test_spec& spec, const redpool::options& server) {
    const redpool::options opts = pool_options(cfg, server);
    redpool::client client(opts);
    client.exec({"PING"});  // fails at once, with a clear error, if the server is unusable
    wait_for_min_idle(client, opts.min_idle_conns);
    std::vector<latency_histogram> latencies(static_cast<std::size_t>(cfg.clients));
    run_state state(cfg.requests, cfg.duration ? std::optional(clock::now() + *cfg.duration) : std::nullopt);
    redpool::bench::measurement m;
    m.start();
    {
        progress_line progress(spec.title, state, show_progress(cfg));
        std::vector<std::thread> threads;
        for (int t = 0; t < cfg.clients; ++t) {
            threads.emplace_back(worker, std::ref(client), std::cref(spec), cfg.keyspace,
                                 0x5eed + static_cast<unsigned>(t), std::ref(state),
                                 std::ref(latencies[static_cast<std::size_t>(t)]));
        }
        for (auto& t : threads) t.join();
    }
    m.stop();
    test_result result = finish_test(spec.title, state, m);
    for (const auto& h : latencies) result.latency.merge(h);
    result.pool = client.pool_stats();
    return result;
}

}  // namespace redis_bench
