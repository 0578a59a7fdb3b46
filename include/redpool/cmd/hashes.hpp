// redpool/cmd/hashes.hpp — Redis's hash commands: fields and values under one key, counters in
// fields, random fields and HSCAN.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `hash_commands<Executor>` gives every executor the method of the same name: `client` returns
// the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "redpool/cmd/keys.hpp"
#include "redpool/command.hpp"

namespace redpool {

namespace cmd {

/// HSET: how many fields were added (fields that existed and were overwritten do not count).
command<long long> hset(std::string_view key, std::string_view field, std::string_view value);
/// HSET of several field-value pairs. No pairs throws `errc::invalid_argument`.
command<long long> hset(std::string_view key, std::span<const std::pair<std::string_view, std::string_view>> fields);
command<long long> hset(std::string_view key,
                        std::initializer_list<std::pair<std::string_view, std::string_view>> fields);
/// HSETNX: true if the field did not exist and was set; false leaves the value as it was.
command<bool> hsetnx(std::string_view key, std::string_view field, std::string_view value);
/// HGET: the value, or nullopt if the field or the key does not exist.
command<std::optional<std::string>> hget(std::string_view key, std::string_view field);
/// HMGET: one optional per field, in order; nullopt for a missing field (every field of a
/// missing key is missing). No fields: an empty result, nothing sent.
command<std::vector<std::optional<std::string>>> hmget(std::string_view key, std::span<const std::string_view> fields);
command<std::vector<std::optional<std::string>>> hmget(std::string_view key,
                                                       std::initializer_list<std::string_view> fields);
/// HGETALL: every field and its value; empty for a missing key.
command<std::unordered_map<std::string, std::string>> hgetall(std::string_view key);
/// HDEL: how many of the fields were removed (missing fields do not count). No fields: 0,
/// nothing sent.
command<long long> hdel(std::string_view key, std::string_view field);
command<long long> hdel(std::string_view key, std::span<const std::string_view> fields);
command<long long> hdel(std::string_view key, std::initializer_list<std::string_view> fields);
/// HEXISTS: true if the field exists.
command<bool> hexists(std::string_view key, std::string_view field);
/// HINCRBY: the field's value after adding `increment` (a missing field counts as 0). A value
/// that is not an integer, or an overflow, throws `reply_error`.
command<long long> hincrby(std::string_view key, std::string_view field, long long increment);
/// HINCRBYFLOAT: the field's value after adding `increment` (a missing field counts as 0). An
/// infinite or NaN increment or result throws `reply_error`.
command<double> hincrbyfloat(std::string_view key, std::string_view field, double increment);
/// HKEYS: every field name; empty for a missing key.
command<std::vector<std::string>> hkeys(std::string_view key);
/// HVALS: every value; empty for a missing key.
command<std::vector<std::string>> hvals(std::string_view key);
/// HLEN: how many fields the hash has (0 for a missing key).
command<long long> hlen(std::string_view key);
/// HSTRLEN: the length in bytes of the field's value (0 for a missing field or key).
command<long long> hstrlen(std::string_view key, std::string_view field);
/// HRANDFIELD: one random field, or nullopt if the key does not exist.
command<std::optional<std::string>> hrandfield(std::string_view key);
/// HRANDFIELD key count: up to `count` distinct random fields; a negative count returns
/// exactly -count fields, which may repeat. Empty for a missing key or a count of 0.
command<std::vector<std::string>> hrandfield(std::string_view key, long long count);
/// HRANDFIELD key count WITHVALUES: like `hrandfield(key, count)`, each field with its value.
command<std::vector<std::pair<std::string, std::string>>> hrandfield_with_values(std::string_view key,
                                                                                 long long count);
/// HSCAN: one page of field-value pairs from `cursor` ("0" to start; the page's cursor is "0"
/// when the scan is complete). `opts.match` filters fields, `opts.count` is the hint of how
/// many to examine; `opts.type` does not apply to HSCAN and throws `errc::invalid_argument`.
command<scan_page<std::pair<std::string, std::string>>> hscan(std::string_view key, std::string_view cursor,
                                                              const scan_options& opts = {});

}  // namespace cmd

/// The hash commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class hash_commands {
public:
    auto hset(std::string_view key, std::string_view field, std::string_view value) {
        return run(cmd::hset(key, field, value));
    }
    auto hset(std::string_view key, std::span<const std::pair<std::string_view, std::string_view>> fields) {
        return run(cmd::hset(key, fields));
    }
    auto hset(std::string_view key, std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
        return run(cmd::hset(key, fields));
    }
    auto hsetnx(std::string_view key, std::string_view field, std::string_view value) {
        return run(cmd::hsetnx(key, field, value));
    }
    auto hget(std::string_view key, std::string_view field) { return run(cmd::hget(key, field)); }
    auto hmget(std::string_view key, std::span<const std::string_view> fields) { return run(cmd::hmget(key, fields)); }
    auto hmget(std::string_view key, std::initializer_list<std::string_view> fields) {
        return run(cmd::hmget(key, fields));
    }
    auto hgetall(std::string_view key) { return run(cmd::hgetall(key)); }
    auto hdel(std::string_view key, std::string_view field) { return run(cmd::hdel(key, field)); }
    auto hdel(std::string_view key, std::span<const std::string_view> fields) { return run(cmd::hdel(key, fields)); }
    auto hdel(std::string_view key, std::initializer_list<std::string_view> fields) {
        return run(cmd::hdel(key, fields));
    }
    auto hexists(std::string_view key, std::string_view field) { return run(cmd::hexists(key, field)); }
    auto hincrby(std::string_view key, std::string_view field, long long increment) {
        return run(cmd::hincrby(key, field, increment));
    }
    auto hincrbyfloat(std::string_view key, std::string_view field, double increment) {
        return run(cmd::hincrbyfloat(key, field, increment));
    }
    auto hkeys(std::string_view key) { return run(cmd::hkeys(key)); }
    auto hvals(std::string_view key) { return run(cmd::hvals(key)); }
    auto hlen(std::string_view key) { return run(cmd::hlen(key)); }
    auto hstrlen(std::string_view key, std::string_view field) { return run(cmd::hstrlen(key, field)); }
    auto hrandfield(std::string_view key) { return run(cmd::hrandfield(key)); }
    auto hrandfield(std::string_view key, long long count) { return run(cmd::hrandfield(key, count)); }
    auto hrandfield_with_values(std::string_view key, long long count) {
        return run(cmd::hrandfield_with_values(key, count));
    }
    auto hscan(std::string_view key, std::string_view cursor, const scan_options& opts = {}) {
        return run(cmd::hscan(key, cursor, opts));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
