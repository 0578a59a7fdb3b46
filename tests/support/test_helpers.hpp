// Helpers shared by the tests against a real server: options pointing at a fixture server,
// catching the expected error, bounded waiting, the pool invariants every client test ends
// with (RELIABILITY.md): at rest, connections in use plus idle ones equal the total, the total
// stays within pool_size, and nobody waits. Plus what the command-group tests read from the
// server through its admin connection (INFO fields, command statistics, blocked clients), a
// parameter set for one test case, and binary data.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"

namespace redpool::test {

/// Options for a TCP connection to `server`, every other field at its default.
inline redpool::options options_for(const redis_server& server) {
    redpool::options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    return o;
}

/// Runs `body`, which must throw `Error`, and returns the error; fails the test otherwise.
template <typename Error = redpool::error, typename Body>
Error expect_error(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return e;
    }
    FAIL("the expected exception was not thrown");
    throw std::logic_error("unreachable");
}

/// A soak's size: `full` with REDPOOL_FULL_SOAK set, a tenth of it otherwise (CI).
inline std::size_t soak_size(std::size_t full) {
    return std::getenv("REDPOOL_FULL_SOAK") != nullptr ? full : full / 10;
}

/// A binary the test depends on (`data`), by its path in the workspace: in the test's runfiles
/// under Bazel, else under bazel-bin (run by hand from the workspace).
inline std::string runfile(const std::string& path) {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    if (srcdir != nullptr && workspace != nullptr) return std::string(srcdir) + "/" + workspace + "/" + path;
    return "bazel-bin/" + path;
}

/// Seconds elapsed since `t0`, for the generous caps that only stop a hang.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Polls `done()` every few milliseconds, up to `limit`; returns whether it became true. For
/// background work of a real server or pool that a test cannot drive step by step.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto t0 = std::chrono::steady_clock::now();
    while (!done()) {
        if (std::chrono::steady_clock::now() - t0 > limit) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// Checks the pool invariants of `c` once it is at rest; every client test case ends with it.
/// With `options::multiplex`, the multiplexed connections hold their turns while open.
inline void check_pool_invariants(const redpool::client& c) {
    // Background work (a min-idle dial, the reaper's check) holds a turn for a moment: wait for
    // the pool to be at rest. A turn that leaked never comes back, and fails below.
    eventually([&] {
        const auto s = c.pool_stats();
        return s.in_use == s.mux_conns && s.in_flight == 0;
    });
    const auto s = c.pool_stats();
    INFO(s.to_json());
    CHECK(s.in_use == s.mux_conns);
    CHECK(s.in_flight == 0);
    CHECK(s.mux_waiting == 0);
    CHECK(s.waiters == 0);
    CHECK(s.idle_conns + s.in_use == s.total_conns);
    CHECK(s.total_conns <= s.pool_size);
}

/// The same for every node's pool of a cluster client, and its sum.
inline void check_pool_invariants(const redpool::cluster_client& c) {
    eventually([&] {
        const auto s = c.pool_stats();
        return s.in_use == s.mux_conns && s.in_flight == 0;
    });
    for (const auto& [node, s] : c.node_stats()) {
        INFO(node << ": " << s.to_json());
        CHECK(s.in_use == s.mux_conns);
        CHECK(s.in_flight == 0);
        CHECK(s.waiters == 0);
        CHECK(s.idle_conns + s.in_use == s.total_conns);
        CHECK(s.total_conns <= s.pool_size);
    }
    const auto sum = c.pool_stats();
    CHECK(sum.idle_conns + sum.in_use == sum.total_conns);
}

/// Same, and every get was either a hit or a miss: `gets` borrows had a turn.
inline void check_pool_invariants(const redpool::client& c, std::uint64_t gets) {
    check_pool_invariants(c);
    const auto s = c.pool_stats();
    CHECK(s.hits + s.misses == gets);
}

/// Checks that `body` throws the server's WRONGTYPE error (a command on a key of another type).
template <typename Body>
void expect_wrongtype(Body body) {
    CHECK(expect_error<redpool::reply_error>(body).prefix() == "WRONGTYPE");
}

/// A string with a NUL byte inside, for binary-safe keys, fields, members and values.
inline const std::string with_nul("a\0b", 3);
/// Bytes that are not valid UTF-8, for the same.
inline const std::string bad_utf8("\xff\xfe");

/// Runs `args` on an admin connection and reads the reply as an integer (XLEN, EXISTS, ...).
inline long long admin_integer(const redis_server& server, std::initializer_list<std::string> args) {
    return std::stoll(server.command(args));
}

/// One field of the server's INFO `section`, read through an admin connection: what follows
/// "field:" on its line, or "" when the server does not list the field.
inline std::string info_field(const redis_server& server, const std::string& section, const std::string& field) {
    std::istringstream text(server.command({"INFO", section}));
    for (std::string line; std::getline(text, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.starts_with(field + ":")) return line.substr(field.size() + 1);
    }
    return {};
}

/// How many times the server has run `command` since the test case began (shared_server()
/// resets the statistics), 0 if never. `command` is spelled as INFO commandstats spells it:
/// lower case, a subcommand after a `|` ("xgroup|create").
inline long long command_calls(const redis_server& server, const std::string& command) {
    const std::string stats = info_field(server, "commandstats", "cmdstat_" + command);  // "calls=N,usec=..."
    return stats.starts_with("calls=") ? std::stoll(stats.substr(6)) : 0;
}

/// Whether `command` reached the server at all since the test case began: run, or refused by
/// the server before running (wrong arity), which INFO commandstats lists too with calls=0. So
/// `!server_ran(...)` is the check that a command answered or refused locally was never sent.
inline bool server_ran(const redis_server& server, const std::string& command) {
    return !info_field(server, "commandstats", "cmdstat_" + command).empty();
}

/// One client of CLIENT LIST: its `name=value` fields ("id", "flags", "multi", "cmd", ...).
using client_fields = std::map<std::string, std::string>;

/// The clients CLIENT LIST shows (of one TYPE: "normal", "pubsub", ...; empty for all), each
/// as its fields, without the admin connection that asks.
inline std::vector<client_fields> client_list(const redis_server& server, const std::string& type = "") {
    const std::string list = type.empty() ? server.command({"CLIENT", "LIST"})
                                          : server.command({"CLIENT", "LIST", "TYPE", type});
    std::vector<client_fields> out;
    std::istringstream lines(list);
    for (std::string line; std::getline(lines, line);) {
        client_fields fields;
        std::istringstream words(line);
        for (std::string word; words >> word;) {
            const auto eq = word.find('=');
            if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
        }
        if (fields.contains("id") && fields["cmd"] != "client|list") out.push_back(std::move(fields));
    }
    return out;
}

/// Waits (see `eventually`) until the server counts exactly `n` clients blocked in a blocking
/// command (INFO clients), so data is pushed only once the command waits for it; false if that
/// never happened. Safe from another thread: each look opens its own admin connection.
inline bool wait_for_blocked_clients(const redis_server& server, int n) {
    return eventually([&] { return info_field(server, "clients", "blocked_clients") == std::to_string(n); });
}

/// Sets a server parameter (CONFIG SET) for one test case and puts the old value back when it
/// goes, even when the test fails half-way, so no later test case sees it.
class config_guard {
public:
    config_guard(const redis_server& server, std::string name, const std::string& value)
        : server_(server), name_(std::move(name)) {
        std::string rendered = server_.command({"CONFIG", "GET", name_});  // "name\nvalue"
        old_ = rendered.substr(rendered.find('\n') + 1);
        REQUIRE(server_.command({"CONFIG", "SET", name_, value}) == "OK");
    }
    config_guard(const config_guard&) = delete;
    config_guard& operator=(const config_guard&) = delete;
    ~config_guard() { server_.command({"CONFIG", "SET", name_, old_}); }

private:
    const redis_server& server_;
    std::string name_;
    std::string old_;
};

/// An ACL user (`ACL SETUSER name rules...`) for one test case, deleted when the guard goes,
/// even when the test fails half-way: `shared_server()` does not reset ACL users.
class acl_user_guard {
public:
    acl_user_guard(const redis_server& server, std::string name, std::initializer_list<std::string> rules)
        : server_(server), name_(std::move(name)) {
        std::vector<std::string> args{"ACL", "SETUSER", name_};
        args.insert(args.end(), rules.begin(), rules.end());
        auto admin = server_.admin();
        REQUIRE(admin.command(args) == "OK");
    }
    acl_user_guard(const acl_user_guard&) = delete;
    acl_user_guard& operator=(const acl_user_guard&) = delete;
    ~acl_user_guard() { server_.command({"ACL", "DELUSER", name_}); }

private:
    const redis_server& server_;
    std::string name_;
};

}  // namespace redpool::test
