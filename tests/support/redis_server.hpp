// A real redis-server for tests: started on a free loopback port and a unix socket, waited for
// until it says it is ready (no sleeps), stopped, restarted on the same port, frozen with
// SIGSTOP, and always cleaned up. Plus a small hiredis-based admin client for set-up and fault
// injection (CLIENT KILL, DEBUG SLEEP, CONFIG SET), independent of the code under test.
#pragma once


#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "tools/bench_support/redis_process.hpp"

struct redisContext;

namespace redpool::test {

/// How to configure a server.
struct server_config {
    /// `requirepass`; empty for none.
    std::string password;
    /// Extra lines for redis.conf, e.g. `user alice on >pw ~* +@all`.
    std::vector<std::string> extra_config;
    /// Run as a sentinel (`redis-server conf --sentinel`); extra_config then holds its
    /// `sentinel monitor ...` lines. It rewrites its own config, which a restart keeps.
    bool sentinel = false;
};

/// One hiredis connection to a test server, for set-up and fault injection.
class admin_client {
public:
    admin_client(const std::string& unix_path, const std::string& password);
    admin_client(admin_client&& other) noexcept;
    admin_client& operator=(admin_client&&) = delete;
    ~admin_client();

    /// Runs a command and renders its reply: status and strings as text, integers in decimal,
    /// nil as "(nil)", errors as "(error) MESSAGE", arrays as lines.
    std::string command(std::initializer_list<std::string> args);
    std::string command(const std::vector<std::string>& args);
    /// Sends a command without waiting for its reply (e.g. DEBUG SLEEP); see `receive`.
    void send(std::initializer_list<std::string> args);
    /// Reads the reply of the oldest command sent with `send`.
    std::string receive();

private:
    redisContext* context_;
};

/// A redis-server child process, on a port outside the ephemeral range (see unused_port) and a
/// unix socket. Not thread-safe; tests drive it from one thread.
class redis_server {
public:
    explicit redis_server(server_config config = {});
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    int port() const { return port_; }
    const std::string& unix_path() const { return unix_path_; }

    /// A new admin connection (over the unix socket, authenticated).
    admin_client admin() const;
    /// Runs one command on a fresh admin connection.
    std::string command(std::initializer_list<std::string> args) const;

    /// Stops the server (SIGTERM, waits for it to exit). Idempotent.
    void stop();
    /// Starts it again on the same port and socket after `stop()`.
    void start();
    /// Kills the process (SIGKILL): no shutdown, connections reset. Idempotent; start() again.
    void kill();
    /// Freezes the process (SIGSTOP): it keeps accepting connections but never answers.
    void freeze();
    /// Resumes a frozen process (SIGCONT).
    void thaw();

private:
    void write_config() const;

    server_config config_;
    std::string dir_;
    std::string unix_path_;
    int port_ = 0;
    bool port_fixed_ = false;  // after the first start the port never changes
    std::unique_ptr<redpool::bench::redis_process> process_;
};

/// The server shared by all test cases of one binary, started on first use and flushed by each
/// call (FLUSHALL, CONFIG RESETSTAT, `timeout 0`), so every test case starts clean.
redis_server& shared_server();

/// A directory for test files: $TEST_TMPDIR, or /tmp outside Bazel.
std::string test_tmpdir();

/// A loopback port nothing listens on right now, outside the ephemeral range, so no test's
/// client socket takes it meanwhile: for servers, and for connections that must be refused.
int unused_port();

}  // namespace redpool::test
