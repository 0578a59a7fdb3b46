// redis_bench's three ways to run a test.
//  - async: `--threads` Asio event loops drive `-c` connections, each keeping `-P` requests in
//    flight, like redis-benchmark.
//  - sync: `-c` threads share one redpool::client, one request per round trip, as an
//    application uses the pool; the result carries the pool's stats.
//  - client: `-c` coroutines share one redpool::async_client, one request each at a time, on
//    `--threads` threads; the library pipelines them. The result carries the pool's stats.
#pragma once

#include <string>

#include <redpool/cluster_client.hpp>
#include <redpool/options.hpp>

#include "config.hpp"
#include "result.hpp"
#include "run_state.hpp"
#include "tools/bench_support/anchor_report.hpp"
#include "workload.hpp"

namespace redis_bench {

/// Runs one test. Throws std::runtime_error (one line) if connecting fails or a connection
/// breaks mid-test.
test_result run_async(const config& cfg, const test_spec& spec, const redpool::options& server);
test_result run_sync(const config& cfg, const test_spec& spec, const redpool::options& server);
test_result run_client(const config& cfg, const test_spec& spec, const redpool::options& server);
/// The sync mode on a cluster_client (--cluster); `cluster.node` carries the credentials.
test_result run_sync_cluster(const config& cfg, const test_spec& spec, const redpool::cluster_options& cluster);

/// The server's options with the pool flags applied (--pool-size, --min-idle, --pool-timeout).
redpool::options pool_options(const config& cfg, const redpool::options& server);

/// The result of a finished run (counts from `state`, wall and CPU time from `m`; latencies
/// are the caller's to merge). Throws the failure that ended the run, if any.
test_result finish_test(const std::string& title, const run_state& state,
                        const redpool::bench::measurement& m);

/// Whether to draw the live progress line: stdout is a terminal and no machine format is on.
bool show_progress(const config& cfg);

}  // namespace redis_bench
