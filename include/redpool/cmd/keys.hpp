// redpool/cmd/keys.hpp — Redis's generic (keyspace) commands: DEL, EXISTS, expiry, RENAME,
// KEYS, SCAN and the rest of the "generic" group.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `key_commands<Executor>` gives every executor the method of the same name: `client` returns
// the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// Filters for SCAN.
struct scan_options {
    /// MATCH pattern; empty matches every key.
    std::string match;
    /// COUNT hint: keys the server examines per call; zero leaves the server's default.
    std::size_t count = 0;
    /// TYPE filter ("string", "list", ...); empty for every type.
    std::string type;
};

namespace cmd {

/// DEL: how many keys were removed (no keys: 0, nothing sent; likewise UNLINK, EXISTS).
command<long long> del(std::string_view key);
command<long long> del(std::span<const std::string_view> keys);
command<long long> del(std::initializer_list<std::string_view> keys);
/// UNLINK: like DEL, reclaiming memory in the background.
command<long long> unlink(std::span<const std::string_view> keys);
command<long long> unlink(std::initializer_list<std::string_view> keys);
/// EXISTS: how many of the keys exist (a key named twice counts twice).
command<long long> exists(std::span<const std::string_view> keys);
command<long long> exists(std::initializer_list<std::string_view> keys);
/// EXPIRE / PEXPIRE: true if the timeout was set. A zero or negative ttl (or a past time for
/// EXPIREAT) deletes the key at once, as in Redis.
command<bool> expire(std::string_view key, std::chrono::seconds ttl);
command<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl);
/// EXPIREAT: true if the timeout was set.
command<bool> expireat(std::string_view key, std::chrono::system_clock::time_point when);
/// TTL / PTTL: the remaining time to live; -1 if the key has none, -2 if it does not exist.
command<std::chrono::seconds> ttl(std::string_view key);
command<std::chrono::milliseconds> pttl(std::string_view key);
/// PERSIST: true if a timeout was removed.
command<bool> persist(std::string_view key);
/// TYPE: "string", "list", ..., or "none".
command<std::string> type(std::string_view key);
/// RENAME; throws `reply_error` if the key does not exist.
command<void> rename(std::string_view key, std::string_view new_key);
/// RENAMENX: true if renamed, false if new_key already existed.
command<bool> renamenx(std::string_view key, std::string_view new_key);
/// KEYS: every key matching the pattern. Blocks the server; prefer SCAN in production.
command<std::vector<std::string>> keys(std::string_view pattern);
/// SCAN: one page of keys from `cursor` ("0" to start). `client::scan(opts)` iterates them all.
command<scan_page<std::string>> scan(std::string_view cursor, const scan_options& opts = {});

}  // namespace cmd

/// The generic keyspace commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class key_commands {
public:
    auto del(std::string_view key) { return run(cmd::del(key)); }
    auto del(std::span<const std::string_view> keys) { return run(cmd::del(keys)); }
    auto del(std::initializer_list<std::string_view> keys) { return run(cmd::del(keys)); }
    auto unlink(std::span<const std::string_view> keys) { return run(cmd::unlink(keys)); }
    auto unlink(std::initializer_list<std::string_view> keys) { return run(cmd::unlink(keys)); }
    auto exists(std::span<const std::string_view> keys) { return run(cmd::exists(keys)); }
    auto exists(std::initializer_list<std::string_view> keys) { return run(cmd::exists(keys)); }
    auto expire(std::string_view key, std::chrono::seconds ttl) { return run(cmd::expire(key, ttl)); }
    auto pexpire(std::string_view key, std::chrono::milliseconds ttl) { return run(cmd::pexpire(key, ttl)); }
    auto expireat(std::string_view key, std::chrono::system_clock::time_point when) {
        return run(cmd::expireat(key, when));
    }
    auto ttl(std::string_view key) { return run(cmd::ttl(key)); }
    auto pttl(std::string_view key) { return run(cmd::pttl(key)); }
    auto persist(std::string_view key) { return run(cmd::persist(key)); }
    auto type(std::string_view key) { return run(cmd::type(key)); }
    auto rename(std::string_view key, std::string_view new_key) { return run(cmd::rename(key, new_key)); }
    auto renamenx(std::string_view key, std::string_view new_key) { return run(cmd::renamenx(key, new_key)); }
    auto keys(std::string_view pattern) { return run(cmd::keys(pattern)); }
    auto scan(std::string_view cursor, const scan_options& opts = {}) { return run(cmd::scan(cursor, opts)); }

private:
    template <class T>
    auto run(const command<T>& c) {
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
