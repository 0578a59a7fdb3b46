// The set commands: SADD/SREM, membership, random members, set algebra (read or stored),
// SINTERCARD, SMOVE and SSCAN.
#include "redpool/cmd/sets.hpp"

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"
#include "lib/commands/scan_args.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using detail::view;
using key_span = std::span<const std::string_view>;

// Redis answers these with an arity error when the list is empty; the lookups and removals
// answer an empty list locally before getting here.
void require_some(std::string_view name, std::span<const std::string_view> items, std::string_view what) {
    if (items.empty()) throw error(errc::invalid_argument, fmt::format("{}: no {}", name, what));
}

template <class T>
command<T> with_members(std::string_view name, std::string_view key, std::span<const std::string_view> members) {
    require_some(name, members, "members");
    return args_builder(name).add(key).add_all(members).build<T>();
}

command<std::vector<std::string>> set_algebra(std::string_view name, key_span keys) {
    require_some(name, keys, "keys");
    return args_builder(name).add_all(keys).build<std::vector<std::string>>();
}

command<long long> set_algebra_store(std::string_view name, std::string_view destination, key_span keys) {
    require_some(name, keys, "keys");
    return args_builder(name).add(destination).add_all(keys).build<long long>();
}

}  // namespace

command<long long> sadd(std::string_view key, std::string_view member) { return {"SADD", key, member}; }
command<long long> sadd(std::string_view key, std::span<const std::string_view> members) {
    return with_members<long long>("SADD", key, members);
}
command<long long> sadd(std::string_view key, std::initializer_list<std::string_view> members) {
    return sadd(key, as_span(members));
}
command<long long> srem(std::string_view key, std::string_view member) { return {"SREM", key, member}; }
command<long long> srem(std::string_view key, std::span<const std::string_view> members) {
    // SREM with no member is a server error; removing nothing removes 0 members.
    if (members.empty()) return detail::answered_empty<long long>();
    return with_members<long long>("SREM", key, members);
}
command<long long> srem(std::string_view key, std::initializer_list<std::string_view> members) {
    return srem(key, as_span(members));
}

command<std::vector<std::string>> smembers(std::string_view key) { return {"SMEMBERS", key}; }

command<bool> sismember(std::string_view key, std::string_view member) { return {"SISMEMBER", key, member}; }

command<std::vector<bool>> smismember(std::string_view key, std::span<const std::string_view> members) {
    using result = std::vector<bool>;
    // SMISMEMBER with no member is a server error; asking about nothing answers nothing.
    if (members.empty()) return detail::answered_empty<result>();
    return with_members<result>("SMISMEMBER", key, members);
}
command<std::vector<bool>> smismember(std::string_view key, std::initializer_list<std::string_view> members) {
    return smismember(key, as_span(members));
}

command<long long> scard(std::string_view key) { return {"SCARD", key}; }

command<std::optional<std::string>> spop(std::string_view key) { return {"SPOP", key}; }

command<std::vector<std::string>> spop(std::string_view key, long long count) {
    if (count < 0) throw error(errc::invalid_argument, "SPOP: negative count");
    fmt::format_int n(count);
    return {"SPOP", key, view(n)};
}

command<std::optional<std::string>> srandmember(std::string_view key) { return {"SRANDMEMBER", key}; }

command<std::vector<std::string>> srandmember(std::string_view key, long long count) {
    fmt::format_int n(count);
    return {"SRANDMEMBER", key, view(n)};
}

command<std::vector<std::string>> sinter(key_span keys) { return set_algebra("SINTER", keys); }
command<std::vector<std::string>> sinter(std::initializer_list<std::string_view> keys) { return sinter(as_span(keys)); }
command<std::vector<std::string>> sunion(key_span keys) { return set_algebra("SUNION", keys); }
command<std::vector<std::string>> sunion(std::initializer_list<std::string_view> keys) { return sunion(as_span(keys)); }
command<std::vector<std::string>> sdiff(key_span keys) { return set_algebra("SDIFF", keys); }
command<std::vector<std::string>> sdiff(std::initializer_list<std::string_view> keys) { return sdiff(as_span(keys)); }

command<long long> sinterstore(std::string_view destination, key_span keys) {
    return set_algebra_store("SINTERSTORE", destination, keys);
}
command<long long> sinterstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
    return sinterstore(destination, as_span(keys));
}
command<long long> sunionstore(std::string_view destination, key_span keys) {
    return set_algebra_store("SUNIONSTORE", destination, keys);
}
command<long long> sunionstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
    return sunionstore(destination, as_span(keys));
}
command<long long> sdiffstore(std::string_view destination, key_span keys) {
    return set_algebra_store("SDIFFSTORE", destination, keys);
}
command<long long> sdiffstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
    return sdiffstore(destination, as_span(keys));
}

// SINTERCARD numkeys key... [LIMIT n]; no limit (0) is Redis's default and not sent.
command<long long> sintercard(key_span keys, long long limit) {
    require_some("SINTERCARD", keys, "keys");
    if (limit < 0) throw error(errc::invalid_argument, "SINTERCARD: negative limit");
    args_builder args("SINTERCARD");
    args.add_integer(static_cast<long long>(keys.size())).add_all(keys);
    if (limit > 0) args.add("LIMIT").add_integer(limit);
    return args.build<long long>();
}
command<long long> sintercard(std::initializer_list<std::string_view> keys, long long limit) {
    return sintercard(as_span(keys), limit);
}

command<bool> smove(std::string_view source, std::string_view destination, std::string_view member) {
    return {"SMOVE", source, destination, member};
}

command<scan_page<std::string>> sscan(std::string_view key, std::string_view cursor, const scan_options& opts) {
    args_builder args("SSCAN");
    args.add(key).add(cursor);
    // scan_options is shared with SCAN, whose TYPE filter SSCAN rejects as a syntax error.
    detail::add_scan_filters(args, "SSCAN", opts, false);
    return args.build<scan_page<std::string>>();
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_set_commands(command_registry& r) {
    r.add(cmd::sadd("k", {"m"}));
    r.add(cmd::srem("k", {"m"}));
    r.add(cmd::smembers("k"));
    r.add(cmd::sismember("k", "m"));
    r.add(cmd::smismember("k", {"m"}));
    r.add(cmd::scard("k"));
    r.add(cmd::spop("k"));
    r.add(cmd::srandmember("k"));
    r.add(cmd::sinter({"k"}));
    r.add(cmd::sunion({"k"}));
    r.add(cmd::sdiff({"k"}));
    r.add(cmd::sinterstore("d", {"k"}));
    r.add(cmd::sunionstore("d", {"k"}));
    r.add(cmd::sdiffstore("d", {"k"}));
    r.add(cmd::sintercard({"k"}));
    r.add(cmd::smove("a", "b", "m"));
    r.add(cmd::sscan("k", "0"));
}

}  // namespace redpool::detail
