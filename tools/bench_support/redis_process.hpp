// redpool::bench::redis_process — a redis-server child: started from a config file, waited for
// until its log says it accepts connections (no polling, no sleeps), stopped. Used by
// redis-bench's embedded server and by the tests' fixture.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>

namespace redpool::bench {

/// The redis-server binary: $REDIS_SERVER if set (empty if that is not executable), else the
/// first `redis-server` on PATH, else empty.
std::string find_redis_server();

/// The first executable `name` on PATH, or empty.
std::string find_program(const std::string& name);

class redis_process {
public:
    enum class mode { server, sentinel };

    /// Starts `binary conf_path` (with `--sentinel` in sentinel mode) and waits up to
    /// `ready_within` for it to accept connections (a sentinel: to announce its ID).
    /// Throws std::runtime_error with the server's log if it exits or does not get ready.
    /// The server is killed if this process dies (PR_SET_PDEATHSIG).
    redis_process(const std::string& binary, const std::string& conf_path,
                  std::chrono::milliseconds ready_within = std::chrono::seconds(10),
                  mode how = mode::server);
    /// Kills the server (SIGKILL) and waits for it.
    ~redis_process();
    redis_process(const redis_process&) = delete;
    redis_process& operator=(const redis_process&) = delete;

    pid_t pid() const noexcept { return pid_; }
    /// Asks the server to shut down (SIGTERM) and waits for it to exit.
    void terminate();
    /// Sends a signal (SIGSTOP, SIGCONT, ...).
    void signal(int sig) const;

private:
    void wait_until_ready(std::chrono::milliseconds ready_within, mode how);
    void reap(int sig);

    pid_t pid_ = -1;
    int log_fd_ = -1;        // read end of the server's stdout and stderr
    std::thread log_drain_;  // keeps reading the log so the server never blocks on it
};

}  // namespace redpool::bench
