// redis_bench::embedded_server — with no -h, -p or -s, redis-bench benchmarks a redis-server
// of its own: started on a private unix socket in a temporary directory, and removed on exit,
// Ctrl-C included.
#pragma once

#include <memory>
#include <string>

#include "tools/bench_support/redis_process.hpp"

namespace redis_bench {

/// A new directory only this user can enter, under $TMPDIR (or /tmp when that would make a
/// unix socket path too long): `<name>-XXXXXX`. Throws std::runtime_error.
std::string make_private_dir(const std::string& name);

class embedded_server {
public:
    /// Starts the server. Throws std::runtime_error with one line (e.g. redis-server is not
    /// installed, naming the package).
    embedded_server();
    /// Stops the server and removes its directory.
    ~embedded_server();
    embedded_server(const embedded_server&) = delete;
    embedded_server& operator=(const embedded_server&) = delete;

    const std::string& socket_path() const noexcept { return socket_; }

private:
    std::string dir_;
    std::string socket_;
    std::string conf_;
    std::unique_ptr<redpool::bench::redis_process> process_;
};

}  // namespace redis_bench
