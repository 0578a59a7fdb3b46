#include "tests/support/redis_cluster.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace redpool::test {
namespace {

using clock = std::chrono::steady_clock;

server_config cluster_node_config() {
    server_config config;
    config.extra_config = {
        "cluster-enabled yes",
        "cluster-config-file nodes.conf",
        "cluster-node-timeout 1000",
        // A replica's first sync is at once, not after 5 s (read on the master).
        "repl-diskless-sync-delay 0",
        "appendonly no",
    };
    return config;
}

// Runs `command` in a shell; its output, or throws with it when the command fails.
std::string run_shell(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
    std::string out;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    const int status = ::pclose(pipe);
    if (status != 0) throw std::runtime_error(fmt::format("`{}` failed ({}):\n{}", command, status, out));
    return out;
}

// The lines of an admin reply rendered as lines.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

redis_cluster::redis_cluster(int masters, int replicas) : masters_(masters), replicas_(replicas) {
    const int total = masters * (1 + replicas);
    for (int i = 0; i < total; ++i) nodes_.push_back(std::make_unique<redis_server>(cluster_node_config()));
    std::string create = "redis-cli --cluster create";
    for (const auto& node : nodes_) create += fmt::format(" 127.0.0.1:{}", node->port());
    create += fmt::format(" --cluster-replicas {} --cluster-yes", replicas);
    run_shell(create);
    if (!wait_until_stable()) throw std::runtime_error("the test cluster did not become stable within 20 s");
}

std::vector<std::string> redis_cluster::addrs() const {
    std::vector<std::string> out;
    for (const auto& node : nodes_) out.push_back(fmt::format("127.0.0.1:{}", node->port()));
    return out;
}

redis_server& redis_cluster::node_at(int port) {
    for (auto& node : nodes_) {
        if (node->port() == port) return *node;
    }
    throw std::runtime_error(fmt::format("no cluster node on port {}", port));
}

int redis_cluster::master_port_of(int slot) const {
    for (const auto& node : nodes_) {
        try {
            // CLUSTER SHARDS would do too; CLUSTER SLOTS renders as lines: first, last, host,
            // port, id, (metadata), and the same for each replica, range after range.
            const std::string nodes = node->command({"CLUSTER", "NODES"});
            for (const std::string& line : lines_of(nodes)) {
                // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <state> <slots>...
                std::istringstream fields(line);
                std::string id, address, flags, master, ping, pong, epoch, state;
                fields >> id >> address >> flags >> master >> ping >> pong >> epoch >> state;
                if (flags.find("master") == std::string::npos || flags.find("fail") != std::string::npos) continue;
                for (std::string range; fields >> range;) {
                    if (range.front() == '[') continue;  // a slot being migrated
                    const auto dash = range.find('-');
                    const int first = std::stoi(range.substr(0, dash));
                    const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
                    if (slot >= first && slot <= last) {
                        const auto colon = address.find(':');
                        return std::stoi(address.substr(colon + 1, address.find('@') - colon - 1));
                    }
                }
            }
        } catch (const std::exception&) {
            continue;  // a stopped node: ask the next
        }
    }
    throw std::runtime_error(fmt::format("no master serves slot {}", slot));
}

std::vector<int> redis_cluster::master_ports() const {
    // Masters that serve slots ("... connected 0-5460"), as the first node that answers sees them.
    for (const auto& node : nodes_) {
        std::string nodes;
        try {
            nodes = node->command({"CLUSTER", "NODES"});
        } catch (const std::exception&) {
            continue;  // a stopped node: ask the next
        }
        std::vector<int> out;
        for (const std::string& line : lines_of(nodes)) {
            std::istringstream fields(line);
            std::string id, address, flags;
            fields >> id >> address >> flags;
            const auto connected = line.find(" connected ");
            const bool has_slots = connected != std::string::npos && connected + 11 < line.size();
            if (flags.find("master") == std::string::npos || flags.find("fail") != std::string::npos || !has_slots) {
                continue;
            }
            const auto colon = address.find(':');
            out.push_back(std::stoi(address.substr(colon + 1, address.find('@') - colon - 1)));
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    throw std::runtime_error("no cluster node answered CLUSTER NODES");
}

bool redis_cluster::wait_until_stable(double seconds) const {
    const auto deadline = clock::now() + std::chrono::duration<double>(seconds);
    auto stable_now = [&] {
        bool asked_one = false;
        for (const auto& node : nodes_) {
            std::string info, nodes, slots;
            try {
                info = node->command({"CLUSTER", "INFO"});
                nodes = node->command({"CLUSTER", "NODES"});
                slots = node->command({"CLUSTER", "SLOTS"});
            } catch (const std::exception&) {
                continue;  // a node a test stopped
            }
            asked_one = true;
            if (info.find("cluster_state:ok") == std::string::npos) return false;
            // Every node sees the masters and replicas, none failing, handshaking or unknown.
            int masters = 0, replicas = 0;
            for (const std::string& line : lines_of(nodes)) {
                std::istringstream fields(line);
                std::string id, address, flags;
                fields >> id >> address >> flags;
                if (flags.find("fail") != std::string::npos || flags.find("handshake") != std::string::npos ||
                    flags.find("noaddr") != std::string::npos) {
                    return false;
                }
                // A master with slots: "... connected 0-5460".
                const auto connected = line.find(" connected ");
                const bool has_slots = connected != std::string::npos && connected + 11 < line.size();
                if (flags.find("master") != std::string::npos && has_slots) ++masters;
                if (flags.find("slave") != std::string::npos) ++replicas;
            }
            if (masters < masters_ || replicas < masters_ * replicas_) return false;
            // Replicas are listed in CLUSTER SLOTS only once they have synced: count the node
            // ids (40 hex digits, one line each in the rendering) across the ranges.
            int listed = 0;
            for (const std::string& line : lines_of(slots)) {
                if (line.size() == 40 && line.find_first_not_of("0123456789abcdef") == std::string::npos) ++listed;
            }
            if (listed < masters_ * (1 + replicas_)) return false;
        }
        return asked_one;
    };
    for (;;) {
        if (stable_now()) return true;
        if (clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

redis_cluster& shared_cluster() {
    static redis_cluster cluster;
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        try {
            const std::string role = cluster.node(i).command({"ROLE"});
            if (role.rfind("master", 0) == 0) cluster.node(i).command({"FLUSHALL"});
        } catch (const std::exception&) {
        }
    }
    cluster.wait_until_stable();
    return cluster;
}

}  // namespace redpool::test
