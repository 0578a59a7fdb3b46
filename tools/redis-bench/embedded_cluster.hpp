// redis_bench::embedded_cluster — with --cluster and no -h or -p, redis-bench benchmarks a Redis
// Cluster of its own: three masters on loopback ports (cluster bus ports +10000), created with
// `redis-cli --cluster create`, in a temporary directory removed on exit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tools/bench_support/redis_process.hpp"

namespace redis_bench {

class embedded_cluster {
public:
    /// Starts the nodes and creates the cluster; returns once every node says cluster_state:ok.
    /// Throws std::runtime_error with one line (redis-server or redis-cli missing, naming the
    /// package; the cluster not forming in time).
    explicit embedded_cluster(int masters = 3);
    /// Kills the nodes and removes the directory.
    ~embedded_cluster();
    embedded_cluster(const embedded_cluster&) = delete;
    embedded_cluster& operator=(const embedded_cluster&) = delete;

    /// The seed nodes as "127.0.0.1:port".
    std::vector<std::string> addrs() const;

private:
    std::string dir_;
    std::vector<int> ports_;
    std::vector<std::unique_ptr<redpool::bench::redis_process>> nodes_;
};

}  // namespace redis_bench
