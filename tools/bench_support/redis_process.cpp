// The redis-server child process: see redis_process.hpp.
#include "redis_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace redpool::bench {

std::string find_redis_server() {
    if (const char* env = std::getenv("REDIS_SERVER"); env != nullptr && *env != '\0') {
        return ::access(env, X_OK) == 0 ? env : "";
    }
    return find_program("redis-server");
}

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

redis_process::redis_process(const std::string& binary, const std::string& conf_path,
                             std::chrono::milliseconds ready_within, mode how) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        if (how == mode::sentinel) {
            ::execl(binary.c_str(), binary.c_str(), conf_path.c_str(), "--sentinel", static_cast<char*>(nullptr));
        } else {
            ::execl(binary.c_str(), binary.c_str(), conf_path.c_str(), static_cast<char*>(nullptr));
        }
        ::_exit(127);
    }
    ::close(fds[1]);
    log_fd_ = fds[0];
    try {
        wait_until_ready(ready_within, how);
    } catch (...) {
        reap(SIGKILL);
        throw;
    }
}

redis_process::~redis_process() { reap(SIGKILL); }

void redis_process::terminate() { reap(SIGTERM); }

void redis_process::signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
}

void redis_process::reap(int sig) {
    if (pid_ > 0) {
        ::kill(pid_, SIGCONT);  // a frozen server cannot act on SIGTERM
        ::kill(pid_, sig);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    if (log_drain_.joinable()) log_drain_.join();
    if (log_fd_ >= 0) ::close(log_fd_);
    log_fd_ = -1;
}

// Reads the server's log until it says it accepts connections.
void redis_process::wait_until_ready(std::chrono::milliseconds ready_within, mode how) {
    const auto deadline = std::chrono::steady_clock::now() + ready_within;
    std::string log;
    char buf[4096];
    // "Ready to accept connections" with a TCP port; "The server is now ready to accept
    // connections at <socket>" with only a unix socket. A sentinel logs neither: its ID comes
    // once it listens.
    const char* const ready = how == mode::sentinel ? "Sentinel ID is" : "eady to accept connections";
    while (log.find(ready) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{log_fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            throw std::runtime_error("redis-server did not start in time:\n" + log);
        }
        const ssize_t n = ::read(log_fd_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("redis-server exited during start:\n" + log);
        log.append(buf, static_cast<std::size_t>(n));
    }
    const int fd = log_fd_;
    log_drain_ = std::thread([fd] {
        char sink[4096];
        while (::read(fd, sink, sizeof sink) > 0) {
        }
    });
}

}  // namespace redpool::bench
