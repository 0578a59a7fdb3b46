// A real Redis Cluster for tests: `masters` redis-servers with cluster-enabled yes, each with
// `replicas` replicas, created with `redis-cli --cluster create` (so slots are spread as
// Redis itself spreads them) and waited for until every node agrees: cluster_state:ok and
// every replica listed in CLUSTER SLOTS. Node timeout 1 s, so failovers take seconds. Cluster
// bus ports are the data ports + 10000, below the ephemeral range (see unused_port).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_server.hpp"

namespace redpool::test {

class redis_cluster {
public:
    explicit redis_cluster(int masters = 3, int replicas = 1);
    redis_cluster(const redis_cluster&) = delete;
    redis_cluster& operator=(const redis_cluster&) = delete;

    /// Every node as "127.0.0.1:port", in start order (cluster_options::addrs).
    std::vector<std::string> addrs() const;
    std::size_t size() const { return nodes_.size(); }
    redis_server& node(std::size_t i) { return *nodes_[i]; }
    /// The node listening on `port`; fails the test if none is.
    redis_server& node_at(int port);
    /// The port of the master serving `slot` now, as the first node that answers reports it.
    int master_port_of(int slot) const;
    /// The ports of the masters serving slots now, in ascending order.
    std::vector<int> master_ports() const;

    /// Waits (at most `seconds`) until every running node reports cluster_state:ok and lists
    /// `masters` slot owners with `replicas` replicas each; false if that never happened.
    bool wait_until_stable(double seconds = 20) const;

private:
    int masters_;
    int replicas_;
    std::vector<std::unique_ptr<redis_server>> nodes_;
};

/// The cluster shared by all test cases of one binary (3 masters, 1 replica each), started on
/// first use; each call flushes every master and waits for the cluster to be stable.
redis_cluster& shared_cluster();

}  // namespace redpool::test
