#include "tests/support/redis_sentinel.hpp"

#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace redpool::test {
namespace {

server_config data_server_config(int replica_of) {
    server_config c;
    c.password = redis_sentinel_group::master_password;
    c.extra_config = {fmt::format("masterauth {}", redis_sentinel_group::master_password),
                      "repl-diskless-sync-delay 0"};
    if (replica_of != 0) c.extra_config.push_back(fmt::format("replicaof 127.0.0.1 {}", replica_of));
    return c;
}

server_config sentinel_config(int master_port) {
    const std::string name = redis_sentinel_group::master_name;
    server_config c;
    c.sentinel = true;
    c.password = redis_sentinel_group::sentinel_password;
    c.extra_config = {
        fmt::format("sentinel monitor {} 127.0.0.1 {} 2", name, master_port),
        fmt::format("sentinel auth-pass {} {}", name, redis_sentinel_group::master_password),
        fmt::format("sentinel sentinel-pass {}", redis_sentinel_group::sentinel_password),
        fmt::format("sentinel down-after-milliseconds {} 1000", name),
        fmt::format("sentinel failover-timeout {} 3000", name),
        fmt::format("sentinel parallel-syncs {} 1", name),
    };
    return c;
}

// A field of a flat [field, value, ...] listing as admin_client renders it (one per line).
std::string field_of(const std::string& listing, const std::string& field) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = listing.find('\n', start)) != std::string::npos; start = nl + 1) {
        lines.push_back(listing.substr(start, nl - start));
    }
    lines.push_back(listing.substr(start));
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        if (lines[i] == field) return lines[i + 1];
    }
    return {};
}

bool poll_until(double seconds, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

}  // namespace

redis_sentinel_group::redis_sentinel_group() {
    servers_.push_back(std::make_unique<redis_server>(data_server_config(0)));
    servers_.push_back(std::make_unique<redis_server>(data_server_config(servers_[0]->port())));
    for (int i = 0; i < 3; ++i) sentinels_.push_back(std::make_unique<redis_server>(sentinel_config(servers_[0]->port())));
    if (!wait_until_ready()) throw std::runtime_error("the sentinels did not find each other and the replica");
}

redis_server& redis_sentinel_group::server_at(int port) {
    for (auto& s : servers_) {
        if (s->port() == port) return *s;
    }
    throw std::runtime_error(fmt::format("no data server on port {}", port));
}

std::vector<std::string> redis_sentinel_group::sentinel_addrs() const {
    std::vector<std::string> addrs;
    for (const auto& s : sentinels_) addrs.push_back(fmt::format("127.0.0.1:{}", s->port()));
    return addrs;
}

int redis_sentinel_group::master_port() const {
    for (const auto& s : sentinels_) {
        try {
            const std::string answer = s->command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name});
            const auto nl = answer.find('\n');
            if (nl != std::string::npos) return std::stoi(answer.substr(nl + 1));
        } catch (const std::exception&) {
            // stopped: ask the next
        }
    }
    return 0;
}

bool redis_sentinel_group::agrees_on_master(int port) const {
    try {
        for (const auto& s : sentinels_) {
            const std::string master = s->command({"SENTINEL", "MASTER", master_name});
            if (field_of(master, "port") != std::to_string(port)) return false;
            if (field_of(master, "num-slaves") == "0") return false;
            if (field_of(master, "flags") != "master") return false;  // no s_down, no failover under way
        }
        for (const auto& s : servers_) {
            const std::string role = s->command({"ROLE"});
            if (s->port() == port) {
                if (role.rfind("master", 0) != 0) return false;
                continue;
            }
            // The other one replicates it, its link up (synced): a failover then loses nothing.
            const std::string replication = s->command({"INFO", "replication"});
            if (replication.find(fmt::format("master_port:{}\r\n", port)) == std::string::npos ||
                replication.find("master_link_status:up") == std::string::npos) {
                return false;
            }
        }
        return true;
    } catch (const std::exception&) {
        return false;  // a server is down
    }
}

bool redis_sentinel_group::wait_for_master(int port, double seconds) const {
    return poll_until(seconds, [&] { return agrees_on_master(port); });
}

bool redis_sentinel_group::wait_until_ready(double seconds) const {
    return poll_until(seconds, [&] {
        try {
            for (const auto& s : sentinels_) {
                const std::string master = s->command({"SENTINEL", "MASTER", master_name});
                if (field_of(master, "num-other-sentinels") != "2" || field_of(master, "num-slaves") != "1") return false;
                // And the replica is up in its eyes (a restarted one is s_down for a while).
                if (field_of(s->command({"SENTINEL", "REPLICAS", master_name}), "flags") != "slave") return false;
            }
            return agrees_on_master(servers_[0]->port()) || agrees_on_master(servers_[1]->port());
        } catch (const std::exception&) {
            return false;
        }
    });
}

}  // namespace redpool::test
