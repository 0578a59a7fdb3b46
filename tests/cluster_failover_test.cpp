// RELIABILITY row 26 with redpool::cluster_client on a real cluster of its own (these cases
// change who is master): a manual CLUSTER FAILOVER under traffic fails no idempotent command,
// and a master that stops answering (SIGSTOP, as a crashed host looks to the cluster) fails
// only the commands of its slots, only until its replica is promoted and the map is read
// again. The recovery times are printed for the closing note; nothing is asserted on them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lib/cluster/key_slot.hpp"
#include "redpool/cluster_client.hpp"
#include "tests/support/redis_cluster.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::detail::key_slot;
using redpool::test::check_pool_invariants;
using redpool::test::redis_cluster;

namespace {

using steady = std::chrono::steady_clock;

redis_cluster& failover_cluster() {
    static redis_cluster cluster;
    REQUIRE(cluster.wait_until_stable(30));
    return cluster;
}

redpool::cluster_options fast_failing(redis_cluster& cluster) {
    redpool::cluster_options o;
    o.addrs = cluster.addrs();
    o.node.pool_size = 8;
    o.node.dial_timeout = 500ms;
    o.node.read_timeout = 500ms;
    o.node.max_retries = 1;
    return o;
}

// SET then GET of each thread's own keys until `stop`: counts failures and wrong values.
struct traffic {
    std::atomic<bool> stop{false};
    std::atomic<long> ok{0}, failed{0}, wrong{0};
    std::vector<std::jthread> threads;

    traffic(redpool::cluster_client& redis, int n) {
        for (int t = 0; t < n; ++t) {
            threads.emplace_back([this, &redis, t] {
                for (long i = 0; !stop; ++i) {
                    const std::string key = "traffic:" + std::to_string(t) + ":" + std::to_string(i % 500);
                    try {
                        redis.set(key, key);
                        if (redis.get(key) != key) ++wrong;
                        else ++ok;
                    } catch (const redpool::error&) {
                        ++failed;
                    }
                }
            });
        }
    }
    ~traffic() { stop = true; }
    void wait_for_more(long n) {
        const long before = ok;
        REQUIRE(redpool::test::eventually([&] { return ok > before + n; }, 30s));
    }
    void finish() {
        stop = true;
        threads.clear();
    }
};

double seconds_since(steady::time_point t0) { return std::chrono::duration<double>(steady::now() - t0).count(); }

// SETs `key` every 20 ms until it works, at most 30 s after `t0`: the seconds from `t0` until it
// did, or -1. `before_each_try` runs first each time (to watch the cluster meanwhile).
double seconds_until_writable(redpool::cluster_client& redis, const std::string& key, steady::time_point t0,
                              const std::function<void()>& before_each_try = {}) {
    while (seconds_since(t0) < 30) {
        if (before_each_try) before_each_try();
        try {
            redis.set(key, "after");
            return seconds_since(t0);
        } catch (const redpool::error&) {
            std::this_thread::sleep_for(20ms);
        }
    }
    return -1;
}

}  // namespace

TEST_CASE("cluster failover: CLUSTER FAILOVER under traffic fails no command (row 26)", "[cluster]") {
    auto& cluster = failover_cluster();
    redpool::cluster_client redis(fast_failing(cluster));
    traffic load(redis, 4);
    load.wait_for_more(200);

    // A replica of the master of slot 0 takes over.
    const int old_master = cluster.master_port_of(0);
    int replica = 0;
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        const std::string role = cluster.node(i).command({"ROLE"});
        if (role.rfind("slave", 0) == 0 && role.find("\n" + std::to_string(old_master) + "\n") != std::string::npos) {
            replica = cluster.node(i).port();
        }
    }
    REQUIRE(replica != 0);
    const auto t0 = steady::now();
    REQUIRE(cluster.node_at(replica).command({"CLUSTER", "FAILOVER"}) == "OK");
    REQUIRE(redpool::test::eventually([&] { return cluster.master_port_of(0) == replica; }, 30s));
    const double switched = seconds_since(t0);
    load.wait_for_more(500);  // traffic goes on, on the new master
    load.finish();
    std::printf("cluster failover: CLUSTER FAILOVER switched in %.3f s; %ld commands ok, %ld failed\n", switched,
                load.ok.load(), load.failed.load());
    CHECK(load.failed == 0);
    CHECK(load.wrong == 0);
    REQUIRE(cluster.wait_until_stable(30));
    check_pool_invariants(redis);
}

TEST_CASE("cluster failover: a master that stops answering fails its slots only until its replica takes over",
          "[cluster]") {
    auto& cluster = failover_cluster();
    redpool::cluster_client redis(fast_failing(cluster));
    traffic load(redis, 4);
    load.wait_for_more(200);

    const std::string key = "frozen-slot-key";
    auto& victim = cluster.node_at(cluster.master_port_of(key_slot(key)));
    const auto t0 = steady::now();
    victim.freeze();
    // Until promotion its slots fail; then the map is read again and they work.
    const double recovered = seconds_until_writable(redis, key, t0);
    const long failed_during = load.failed;
    load.wait_for_more(500);
    const long failed_after = load.failed;
    load.finish();
    victim.thaw();  // it rejoins as a replica
    std::printf("cluster failover: master frozen, its slots back after %.3f s; %ld commands failed meanwhile, "
                "%ld after\n",
                recovered, failed_during, failed_after - failed_during);
    REQUIRE(recovered > 0);
    CHECK(redis.get(key) == "after");
    CHECK(load.wrong == 0);
    CHECK(failed_after - failed_during <= 4);  // at most the calls in flight when it recovered
    REQUIRE(cluster.wait_until_stable(30));
    check_pool_invariants(redis);
}

TEST_CASE("cluster failover: kill -9 of a master fails its slots only until promotion and one refresh (row 26)",
          "[cluster]") {
    auto& cluster = failover_cluster();
    redpool::cluster_client redis(fast_failing(cluster));
    traffic load(redis, 4);
    load.wait_for_more(200);

    const std::string key = "killed-slot-key";
    const int slot = key_slot(key);
    auto& victim = cluster.node_at(cluster.master_port_of(slot));
    const auto t0 = steady::now();
    victim.kill();
    double promoted = -1, recovered = -1;
    recovered = seconds_until_writable(redis, key, t0, [&] {
        try {
            if (promoted < 0 && cluster.master_port_of(slot) != victim.port()) promoted = seconds_since(t0);
        } catch (const std::exception&) {
            // the nodes list the slot without a master until the replica takes over
        }
    });
    const long failed_during = load.failed;
    load.wait_for_more(500);
    const long failed_after = load.failed;
    load.finish();
    std::printf("cluster failover: master killed (-9), replica promoted after %.3f s, its slots back after %.3f s; "
                "%ld commands failed meanwhile, %ld after\n",
                promoted, recovered, failed_during, failed_after - failed_during);
    REQUIRE(recovered > 0);
    CHECK(promoted > 0);
    CHECK(redis.get(key) == "after");
    CHECK(load.wrong == 0);
    CHECK(failed_after - failed_during <= 4);  // at most the calls in flight when it recovered
    victim.start();  // it rejoins as a replica of its successor
    REQUIRE(cluster.wait_until_stable(30));
    check_pool_invariants(redis);
}
