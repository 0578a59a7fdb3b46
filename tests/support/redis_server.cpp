// The test server fixture: see redis_server.hpp.
#include "redis_server.hpp"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>

namespace redpool::test {
namespace {

std::string redis_server_binary() {
    std::string found = redpool::bench::find_redis_server();
    return found.empty() ? "/usr/bin/redis-server" : found;
}

std::string make_server_dir() {
    static std::atomic<int> counter{0};
    // Unix socket paths are limited to 107 bytes; Bazel's TEST_TMPDIR can be longer.
    std::string base = test_tmpdir();
    if (base.size() > 60) base = "/tmp";
    std::string pattern = fmt::format("{}/redis-{}-{}-XXXXXX", base, ::getpid(), counter++);
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    return pattern;
}

std::vector<const char*> to_argv(const std::vector<std::string>& args, std::vector<size_t>& lens) {
    std::vector<const char*> argv;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return argv;
}

std::string render(const redisReply* r) {
    switch (r->type) {
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_STRING: return std::string(r->str, r->len);
        case REDIS_REPLY_ERROR: return "(error) " + std::string(r->str, r->len);
        case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
        case REDIS_REPLY_NIL: return "(nil)";
        case REDIS_REPLY_ARRAY: {
            std::string out;
            for (size_t i = 0; i < r->elements; ++i) {
                if (i != 0) out += '\n';
                out += render(r->element[i]);
            }
            return out;
        }
    }
    return "(unknown)";
}

}  // namespace

int unused_port() {
    // Outside the kernel's ephemeral range (32768-60999 by default), where every client socket
    // of every test gets its port, and low enough that a cluster's bus port (+10000) is too.
    static std::atomic<unsigned> next{static_cast<unsigned>(::getpid()) * 7919u};
    for (;;) {
        const int port = 12000 + static_cast<int>(next.fetch_add(7) % 10000);
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("cannot make a socket to look for a free port");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (free) return port;
    }
}

std::string test_tmpdir() {
    const char* env = std::getenv("TEST_TMPDIR");
    return env != nullptr ? env : "/tmp";
}

// --- admin_client ---------------------------------------------------------------------------

admin_client::admin_client(const std::string& unix_path, const std::string& password)
    : context_(redisConnectUnix(unix_path.c_str())) {
    if (context_ == nullptr || context_->err != 0) {
        std::string why = context_ != nullptr ? context_->errstr : "out of memory";
        if (context_ != nullptr) redisFree(context_);
        throw std::runtime_error("admin connect to " + unix_path + ": " + why);
    }
    if (!password.empty()) {
        auto reply = command({"AUTH", password});
        if (reply != "OK") throw std::runtime_error("admin AUTH failed: " + reply);
    }
}

admin_client::admin_client(admin_client&& other) noexcept : context_(other.context_) {
    other.context_ = nullptr;
}

admin_client::~admin_client() {
    if (context_ != nullptr) redisFree(context_);
}

std::string admin_client::command(std::initializer_list<std::string> args) {
    return command(std::vector<std::string>(args));
}

std::string admin_client::command(const std::vector<std::string>& args) {
    std::vector<size_t> lens;
    auto argv = to_argv(args, lens);
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr) throw std::runtime_error(std::string("admin command failed: ") + context_->errstr);
    std::string out = render(r);
    freeReplyObject(r);
    return out;
}

void admin_client::send(std::initializer_list<std::string> args) {
    std::vector<std::string> v(args);
    std::vector<size_t> lens;
    auto argv = to_argv(v, lens);
    redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data());
    int done = 0;
    while (!done) {
        if (redisBufferWrite(context_, &done) != REDIS_OK) {
            throw std::runtime_error(std::string("admin send failed: ") + context_->errstr);
        }
    }
}

std::string admin_client::receive() {
    void* r = nullptr;
    if (redisGetReply(context_, &r) != REDIS_OK || r == nullptr) {
        throw std::runtime_error(std::string("admin receive failed: ") + context_->errstr);
    }
    std::string out = render(static_cast<redisReply*>(r));
    freeReplyObject(r);
    return out;
}

// --- redis_server ---------------------------------------------------------------------------

redis_server::redis_server(server_config config) : config_(std::move(config)) {
    dir_ = make_server_dir();
    unix_path_ = dir_ + "/redis.sock";
    start();
}

redis_server::~redis_server() {
    process_.reset();
    std::string rm = fmt::format("rm -rf '{}'", dir_);
    if (std::system(rm.c_str()) != 0) {
        // Leaving a temporary directory behind is harmless; nothing to report to.
    }
}

void redis_server::write_config() const {
    std::ofstream conf(dir_ + "/redis.conf");
    conf << "port " << port_ << "\n"
         << "bind 127.0.0.1\n"
         << "unixsocket " << unix_path_ << "\n"
         << "unixsocketperm 700\n"
         << "dir " << dir_ << "\n"
         << "save \"\"\n"
         << "appendonly no\n"
         << "daemonize no\n"
         << "protected-mode no\n"
         << "enable-debug-command yes\n"
         << "loglevel notice\n"
         << "logfile \"\"\n";
    if (!config_.password.empty()) conf << "requirepass " << config_.password << "\n";
    for (const auto& line : config_.extra_config) conf << line << "\n";
}

void redis_server::start() {
    if (process_) return;
    for (int attempt = 0;; ++attempt) {
        if (!port_fixed_) port_ = unused_port();
        if (!port_fixed_ || !config_.sentinel) write_config();  // a sentinel keeps what it learnt
        try {
            using mode = redpool::bench::redis_process::mode;
            process_ = std::make_unique<redpool::bench::redis_process>(
                redis_server_binary(), dir_ + "/redis.conf", std::chrono::seconds(10),
                config_.sentinel ? mode::sentinel : mode::server);
            port_fixed_ = true;
            return;
        } catch (const std::exception&) {
            // Another process took the port between the check and the bind. A new server picks
            // another; a restarted one must have its own back, so it tries again for a while.
            if (attempt == 20) throw;
            if (port_fixed_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

void redis_server::stop() {
    if (!process_) return;
    process_->terminate();
    process_.reset();
}

void redis_server::kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_.reset();  // reaps it
}

void redis_server::freeze() { process_->signal(SIGSTOP); }

void redis_server::thaw() { process_->signal(SIGCONT); }

admin_client redis_server::admin() const { return admin_client(unix_path_, config_.password); }

std::string redis_server::command(std::initializer_list<std::string> args) const {
    return admin().command(args);
}

redis_server& shared_server() {
    static redis_server server;
    auto admin = server.admin();
    admin.command({"FLUSHALL"});
    admin.command({"CONFIG", "SET", "timeout", "0"});
    admin.command({"CONFIG", "RESETSTAT"});
    return server;
}

}  // namespace redpool::test
