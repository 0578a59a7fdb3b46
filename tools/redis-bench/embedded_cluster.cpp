// The embedded cluster: see embedded_cluster.hpp.
#include "embedded_cluster.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "embedded_server.hpp"
#include "lib/net/connection.hpp"

namespace redis_bench {
namespace {

bool can_bind(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// A port free now whose cluster bus port (+10000) is free too, both below the ephemeral range
// (from 32768), so no client socket takes one meanwhile.
int free_cluster_port(const std::vector<int>& taken) {
    static std::minstd_rand random{std::random_device{}()};
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const int port = std::uniform_int_distribution<int>(12000, 22000)(random);
        if (std::find(taken.begin(), taken.end(), port) != taken.end()) continue;
        if (can_bind(port) && can_bind(port + 10000)) return port;
    }
    throw std::runtime_error("no free port pair for the embedded cluster");
}

void write_node_config(const std::string& conf, const std::string& dir, int port) {
    std::ofstream out(conf);
    out << "port " << port << "\n"
        << "bind 127.0.0.1\n"
        << "cluster-enabled yes\n"
        << "cluster-config-file nodes-" << port << ".conf\n"
        << "cluster-node-timeout 5000\n"
        << "dir " << dir << "\n"
        << "save \"\"\n"
        << "appendonly no\n"
        << "daemonize no\n"
        << "protected-mode no\n"
        << "logfile \"\"\n";
}

bool cluster_ok(int port) {
    try {
        redpool::options o;
        o.port = port;
        auto conn = redpool::detail::connection::open(o);
        const std::string_view info[] = {"CLUSTER", "INFO"};
        const redpool::reply r = conn->exec(info);
        return r.is_string() && r.as_string().find("cluster_state:ok") != std::string_view::npos;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

embedded_cluster::embedded_cluster(int masters) {
    const std::string binary = redpool::bench::find_redis_server();
    if (binary.empty()) throw std::runtime_error("redis-server is not installed (Debian: apt-get install redis-server)");
    if (redpool::bench::find_program("redis-cli").empty()) throw std::runtime_error("redis-cli is not installed (Debian: apt-get install redis-tools)");
    dir_ = make_private_dir("redis-bench-cluster");
    try {
        std::string create = "redis-cli --cluster create";
        for (int i = 0; i < masters; ++i) {
            const int port = free_cluster_port(ports_);
            const std::string conf = fmt::format("{}/redis-{}.conf", dir_, port);
            write_node_config(conf, dir_, port);
            nodes_.push_back(std::make_unique<redpool::bench::redis_process>(binary, conf));
            ports_.push_back(port);
            create += fmt::format(" 127.0.0.1:{}", port);
        }
        create += " --cluster-replicas 0 --cluster-yes > /dev/null 2>&1";
        if (std::system(create.c_str()) != 0) throw std::runtime_error("redis-cli --cluster create failed");
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (int port : ports_) {
            while (!cluster_ok(port)) {
                if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("the embedded cluster did not form in 30 s");
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
    } catch (const std::exception& e) {
        nodes_.clear();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        const std::string log = e.what();
        throw std::runtime_error("the embedded cluster did not start: " + log.substr(0, log.find('\n')));
    }
}

embedded_cluster::~embedded_cluster() {
    nodes_.clear();  // SIGKILL, reaped
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::string> embedded_cluster::addrs() const {
    std::vector<std::string> out;
    for (int port : ports_) out.push_back(fmt::format("127.0.0.1:{}", port));
    return out;
}

}  // namespace redis_bench
