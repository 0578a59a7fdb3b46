// The embedded server, and the signal handler that cleans it up on Ctrl-C.
#include "embedded_server.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace redis_bench {
namespace {

// What the signal handler needs, in memory it may touch: fixed buffers, no allocation.
struct cleanup_paths {
    volatile pid_t pid = -1;
    char socket[256] = {};
    char conf[256] = {};
    char dir[256] = {};
};
cleanup_paths cleanup;

void copy_path(char (&to)[256], const std::string& from) {
    std::snprintf(to, sizeof to, "%s", from.c_str());
}

// Only async-signal-safe calls: kill, unlink, rmdir, signal, raise.
extern "C" void on_fatal_signal(int sig) {
    if (cleanup.pid > 0) ::kill(cleanup.pid, SIGKILL);
    ::unlink(cleanup.socket);
    ::unlink(cleanup.conf);
    ::rmdir(cleanup.dir);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void install_cleanup_handlers() {
    struct sigaction action{};
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

void write_config(const std::string& conf, const std::string& dir, const std::string& socket) {
    std::ofstream out(conf);
    out << "port 0\n"  // no TCP: only this process can reach the server
        << "unixsocket " << socket << "\n"
        << "unixsocketperm 700\n"
        << "dir " << dir << "\n"
        << "save \"\"\n"
        << "appendonly no\n"
        << "daemonize no\n"
        << "logfile \"\"\n";
}

}  // namespace

std::string make_private_dir(const std::string& name) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + name + "-XXXXXX";
    // Unix socket paths are limited to 107 bytes.
    if (pattern.size() > 80) pattern = "/tmp/" + name + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("cannot create a temporary directory for the embedded redis-server(s)");
    }
    return pattern;
}

embedded_server::embedded_server() {
    const std::string binary = redpool::bench::find_redis_server();
    if (binary.empty()) {
        throw std::runtime_error(
            "redis-server is not installed (Debian: apt-get install redis-server); "
            "or point redis-bench at a server with -h/-p or -s");
    }
    dir_ = make_private_dir("redis-bench");
    socket_ = dir_ + "/redis.sock";
    conf_ = dir_ + "/redis.conf";
    copy_path(cleanup.socket, socket_);
    copy_path(cleanup.conf, conf_);
    copy_path(cleanup.dir, dir_);
    install_cleanup_handlers();
    write_config(conf_, dir_, socket_);
    try {
        process_ = std::make_unique<redpool::bench::redis_process>(binary, conf_);
    } catch (const std::exception& e) {
        ::unlink(conf_.c_str());
        ::rmdir(dir_.c_str());
        const std::string log = e.what();
        throw std::runtime_error("the embedded redis-server did not start: " +
                                 log.substr(0, log.find('\n')));
    }
    cleanup.pid = process_->pid();
}

embedded_server::~embedded_server() {
    cleanup.pid = -1;  // before the child is reaped: a Ctrl-C must not kill a reused PID
    process_.reset();
    ::unlink(socket_.c_str());
    ::unlink(conf_.c_str());
    ::rmdir(dir_.c_str());
}

}  // namespace redis_bench
