// redpool/cmd/sets.hpp — Redis's set commands: members in and out, membership, random
// members, intersections, unions and differences (read or stored), SMOVE and SSCAN.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `set_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/cmd/keys.hpp"
#include "redpool/command.hpp"

namespace redpool {
namespace cmd {

/// SADD: adds the members; returns how many were not already there. No members throws
/// `errc::invalid_argument`.
command<long long> sadd(std::string_view key, std::string_view member);
command<long long> sadd(std::string_view key, std::span<const std::string_view> members);
command<long long> sadd(std::string_view key, std::initializer_list<std::string_view> members);
/// SREM: removes the members; returns how many were there (0 for a missing key). No members
/// is 0, answered without a round trip.
command<long long> srem(std::string_view key, std::string_view member);
command<long long> srem(std::string_view key, std::span<const std::string_view> members);
command<long long> srem(std::string_view key, std::initializer_list<std::string_view> members);
/// SMEMBERS: every member, in no particular order; empty for a missing key.
command<std::vector<std::string>> smembers(std::string_view key);
/// SISMEMBER: whether `member` is in the set (false for a missing key).
command<bool> sismember(std::string_view key, std::string_view member);
/// SMISMEMBER: for each member, in order, whether it is in the set (all false for a missing
/// key). No members is an empty vector, answered without a round trip.
command<std::vector<bool>> smismember(std::string_view key, std::span<const std::string_view> members);
command<std::vector<bool>> smismember(std::string_view key, std::initializer_list<std::string_view> members);
/// SCARD: the number of members (0 for a missing key).
command<long long> scard(std::string_view key);
/// SPOP: removes and returns a random member; nullopt if the key does not exist.
command<std::optional<std::string>> spop(std::string_view key);
/// SPOP ... count: removes and returns up to `count` distinct random members; empty if the
/// key does not exist or `count` is 0. A negative count throws `errc::invalid_argument`.
command<std::vector<std::string>> spop(std::string_view key, long long count);
/// SRANDMEMBER: a random member, left in the set; nullopt if the key does not exist.
command<std::optional<std::string>> srandmember(std::string_view key);
/// SRANDMEMBER ... count: up to `count` distinct random members when `count` is positive;
/// exactly |count| members, possibly repeated, when it is negative. Empty if the key does not
/// exist or `count` is 0.
command<std::vector<std::string>> srandmember(std::string_view key, long long count);
/// SINTER / SUNION / SDIFF: the members of the intersection of the sets, their union, or the
/// first set's members that are in none of the others; a missing key is an empty set. No keys
/// throws `errc::invalid_argument`.
command<std::vector<std::string>> sinter(std::span<const std::string_view> keys);
command<std::vector<std::string>> sinter(std::initializer_list<std::string_view> keys);
command<std::vector<std::string>> sunion(std::span<const std::string_view> keys);
command<std::vector<std::string>> sunion(std::initializer_list<std::string_view> keys);
command<std::vector<std::string>> sdiff(std::span<const std::string_view> keys);
command<std::vector<std::string>> sdiff(std::initializer_list<std::string_view> keys);
/// SINTERSTORE / SUNIONSTORE / SDIFFSTORE: stores that result at `destination` (replacing
/// whatever was there; an empty result deletes it) and returns its size. No keys throws
/// `errc::invalid_argument`.
command<long long> sinterstore(std::string_view destination, std::span<const std::string_view> keys);
command<long long> sinterstore(std::string_view destination, std::initializer_list<std::string_view> keys);
command<long long> sunionstore(std::string_view destination, std::span<const std::string_view> keys);
command<long long> sunionstore(std::string_view destination, std::initializer_list<std::string_view> keys);
command<long long> sdiffstore(std::string_view destination, std::span<const std::string_view> keys);
command<long long> sdiffstore(std::string_view destination, std::initializer_list<std::string_view> keys);
/// SINTERCARD: the size of the intersection, counting at most `limit` members (LIMIT; 0, the
/// default, counts them all). No keys, or a negative limit, throws `errc::invalid_argument`.
command<long long> sintercard(std::span<const std::string_view> keys, long long limit = 0);
command<long long> sintercard(std::initializer_list<std::string_view> keys, long long limit = 0);
/// SMOVE: moves `member` from `source` to `destination`; false if it was not in `source`.
command<bool> smove(std::string_view source, std::string_view destination, std::string_view member);
/// SSCAN: one page of the set's members from `cursor` ("0" to start; the page's cursor is
/// "0" again when the scan is complete). `opts.match` and `opts.count` apply; a negative
/// `opts.count` or a non-empty `opts.type` throws `errc::invalid_argument` (SSCAN has no TYPE
/// filter). A member may be returned more than once over a scan.
command<scan_page<std::string>> sscan(std::string_view key, std::string_view cursor, const scan_options& opts = {});

}  // namespace cmd

/// The set commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class set_commands {
public:
    auto sadd(std::string_view key, std::string_view member) { return run(cmd::sadd(key, member)); }
    auto sadd(std::string_view key, std::span<const std::string_view> members) { return run(cmd::sadd(key, members)); }
    auto sadd(std::string_view key, std::initializer_list<std::string_view> members) {
        return run(cmd::sadd(key, members));
    }
    auto srem(std::string_view key, std::string_view member) { return run(cmd::srem(key, member)); }
    auto srem(std::string_view key, std::span<const std::string_view> members) { return run(cmd::srem(key, members)); }
    auto srem(std::string_view key, std::initializer_list<std::string_view> members) {
        return run(cmd::srem(key, members));
    }
    auto smembers(std::string_view key) { return run(cmd::smembers(key)); }
    auto sismember(std::string_view key, std::string_view member) { return run(cmd::sismember(key, member)); }
    auto smismember(std::string_view key, std::span<const std::string_view> members) {
        return run(cmd::smismember(key, members));
    }
    auto smismember(std::string_view key, std::initializer_list<std::string_view> members) {
        return run(cmd::smismember(key, members));
    }
    auto scard(std::string_view key) { return run(cmd::scard(key)); }
    auto spop(std::string_view key) { return run(cmd::spop(key)); }
    auto spop(std::string_view key, long long count) { return run(cmd::spop(key, count)); }
    auto srandmember(std::string_view key) { return run(cmd::srandmember(key)); }
    auto srandmember(std::string_view key, long long count) { return run(cmd::srandmember(key, count)); }
    auto sinter(std::span<const std::string_view> keys) { return run(cmd::sinter(keys)); }
    auto sinter(std::initializer_list<std::string_view> keys) { return run(cmd::sinter(keys)); }
    auto sunion(std::span<const std::string_view> keys) { return run(cmd::sunion(keys)); }
    auto sunion(std::initializer_list<std::string_view> keys) { return run(cmd::sunion(keys)); }
    auto sdiff(std::span<const std::string_view> keys) { return run(cmd::sdiff(keys)); }
    auto sdiff(std::initializer_list<std::string_view> keys) { return run(cmd::sdiff(keys)); }
    auto sinterstore(std::string_view destination, std::span<const std::string_view> keys) {
        return run(cmd::sinterstore(destination, keys));
    }
    auto sinterstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
        return run(cmd::sinterstore(destination, keys));
    }
    auto sunionstore(std::string_view destination, std::span<const std::string_view> keys) {
        return run(cmd::sunionstore(destination, keys));
    }
    auto sunionstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
        return run(cmd::sunionstore(destination, keys));
    }
    auto sdiffstore(std::string_view destination, std::span<const std::string_view> keys) {
        return run(cmd::sdiffstore(destination, keys));
    }
    auto sdiffstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
        return run(cmd::sdiffstore(destination, keys));
    }
    auto sintercard(std::span<const std::string_view> keys, long long limit = 0) {
        return run(cmd::sintercard(keys, limit));
    }
    auto sintercard(std::initializer_list<std::string_view> keys, long long limit = 0) {
        return run(cmd::sintercard(keys, limit));
    }
    auto smove(std::string_view source, std::string_view destination, std::string_view member) {
        return run(cmd::smove(source, destination, member));
    }
    auto sscan(std::string_view key, std::string_view cursor, const scan_options& opts = {}) {
        return run(cmd::sscan(key, cursor, opts));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
