// Real Redis Sentinel for tests: a master, one replica and three sentinels watching the master
// as "mymaster" (quorum 2, down-after 1 s, failover-timeout 3 s), all redis_servers on loopback.
// The master and the sentinels have passwords of their own, so every test also shows that a
// client logs in to each with the right one. Ready when every sentinel knows the replica and
// the other two sentinels, a few seconds after start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_server.hpp"

namespace redpool::test {

class redis_sentinel_group {
public:
    static constexpr const char* master_name = "mymaster";
    static constexpr const char* master_password = "master-secret";
    static constexpr const char* sentinel_password = "sentinel-secret";

    redis_sentinel_group();
    redis_sentinel_group(const redis_sentinel_group&) = delete;
    redis_sentinel_group& operator=(const redis_sentinel_group&) = delete;

    /// The two data servers (index 0 starts as the master, 1 as its replica).
    redis_server& server(std::size_t i) { return *servers_[i]; }
    redis_server& server_at(int port);
    redis_server& sentinel(std::size_t i) { return *sentinels_[i]; }
    /// Every sentinel as "127.0.0.1:port" (options::sentinel_addrs).
    std::vector<std::string> sentinel_addrs() const;

    /// The master's port as the first running sentinel reports it (0 if none answers).
    int master_port() const;
    /// Whether every running sentinel names the master on `port` with a replica and no failover
    /// under way, that server says ROLE master, and the other one replicates it, link up.
    bool agrees_on_master(int port) const;
    /// Waits (at most `seconds`) for agrees_on_master(port); false if it never happened.
    bool wait_for_master(int port, double seconds = 30) const;
    /// Waits until the sentinels know each other and the replica, up (a failover needs both).
    bool wait_until_ready(double seconds = 30) const;

private:
    std::vector<std::unique_ptr<redis_server>> servers_;
    std::vector<std::unique_ptr<redis_server>> sentinels_;
};

}  // namespace redpool::test
