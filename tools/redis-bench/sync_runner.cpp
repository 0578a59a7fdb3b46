// The sync mode: -c threads share one redpool::client (or, with --cluster, one
// redpool::cluster_client), one request per round trip, so the figures include the pool exactly
// as an application sees it.
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
template <class Client>
void wait_for_min_idle(const Client& client, int min_idle) {
    const auto give_up = clock::now() + std::chrono::seconds(5);
    while (static_cast<int>(client.pool_stats().idle_conns) < min_idle && clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

template <class Client>
void worker(Client& client, const test_spec& spec, long keyspace, unsigned seed, run_state& state,
            latency_histogram& latency) {
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

// -c threads on one client (a redpool::client, or a cluster_client), `min_idle` connections
// ready before the clock starts.
template <class Client>
test_result run_threads(const config& cfg, const test_spec& spec, Client& client, int min_idle) {
    client.exec({"PING"});  // fails at once, with a clear error, if the server is unusable
    wait_for_min_idle(client, min_idle);
    std::vector<latency_histogram> latencies(static_cast<std::size_t>(cfg.clients));
    run_state state(cfg.requests, cfg.duration ? std::optional(clock::now() + *cfg.duration) : std::nullopt);
    redpool::bench::measurement m;
    m.start();
    {
        progress_line progress(spec.title, state, show_progress(cfg));
        std::vector<std::thread> threads;
        for (int t = 0; t < cfg.clients; ++t) {
            threads.emplace_back(worker<Client>, std::ref(client), std::cref(spec), cfg.keyspace,
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

}  // namespace

test_result run_sync(const config& cfg, const test_spec& spec, const redpool::options& server) {
    const redpool::options opts = pool_options(cfg, server);
    redpool::client client(opts);
    return run_threads(cfg, spec, client, opts.min_idle_conns);
}

test_result run_sync_cluster(const config& cfg, const test_spec& spec, const redpool::cluster_options& cluster) {
    redpool::cluster_options opts = cluster;
    opts.node = pool_options(cfg, cluster.node);
    redpool::cluster_client client(opts);
    return run_threads(cfg, spec, client, 0);  // min idle applies per node, once the map is read
}

}  // namespace redis_bench
