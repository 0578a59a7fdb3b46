// The hash commands: HSET/HGET and friends, counters in fields, HRANDFIELD, HSCAN.
#include "redpool/cmd/hashes.hpp"

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
using field_value = std::pair<std::string, std::string>;

std::vector<field_value> field_values_from(reply&& r) { return pairs_from_reply<std::string, std::string>(std::move(r)); }

scan_page<field_value> field_value_page_from(reply&& r) {
    return scan_page_from_reply<field_value>(std::move(r), &field_values_from);
}

}  // namespace

command<long long> hset(std::string_view key, std::string_view field, std::string_view value) {
    return {"HSET", key, field, value};
}

command<long long> hset(std::string_view key, std::span<const std::pair<std::string_view, std::string_view>> fields) {
    if (fields.empty()) throw error(errc::invalid_argument, "HSET: no field-value pairs");
    return args_builder("HSET").add(key).add_pairs(fields).build<long long>();
}

command<long long> hset(std::string_view key,
                        std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    return hset(key, as_span(fields));
}

command<bool> hsetnx(std::string_view key, std::string_view field, std::string_view value) {
    return {"HSETNX", key, field, value};
}

command<std::optional<std::string>> hget(std::string_view key, std::string_view field) {
    return {"HGET", key, field};
}

command<std::vector<std::optional<std::string>>> hmget(std::string_view key, std::span<const std::string_view> fields) {
    using result = std::vector<std::optional<std::string>>;
    // HMGET with no field is a server error; there is nothing to fetch.
    if (fields.empty()) return detail::answered_empty<result>();
    return args_builder("HMGET").add(key).add_all(fields).build<result>();
}

command<std::vector<std::optional<std::string>>> hmget(std::string_view key,
                                                       std::initializer_list<std::string_view> fields) {
    return hmget(key, as_span(fields));
}

command<std::unordered_map<std::string, std::string>> hgetall(std::string_view key) { return {"HGETALL", key}; }

command<long long> hdel(std::string_view key, std::string_view field) { return {"HDEL", key, field}; }

command<long long> hdel(std::string_view key, std::span<const std::string_view> fields) {
    // HDEL with no field is a server error; removing nothing removes 0 fields.
    if (fields.empty()) return detail::answered_empty<long long>();
    return args_builder("HDEL").add(key).add_all(fields).build<long long>();
}

command<long long> hdel(std::string_view key, std::initializer_list<std::string_view> fields) {
    return hdel(key, as_span(fields));
}

command<bool> hexists(std::string_view key, std::string_view field) { return {"HEXISTS", key, field}; }

command<long long> hincrby(std::string_view key, std::string_view field, long long increment) {
    fmt::format_int by(increment);
    return {"HINCRBY", key, field, view(by)};
}

command<double> hincrbyfloat(std::string_view key, std::string_view field, double increment) {
    return args_builder("HINCRBYFLOAT").add(key).add(field).add_double(increment).build<double>();
}

command<std::vector<std::string>> hkeys(std::string_view key) { return {"HKEYS", key}; }
command<std::vector<std::string>> hvals(std::string_view key) { return {"HVALS", key}; }
command<long long> hlen(std::string_view key) { return {"HLEN", key}; }
command<long long> hstrlen(std::string_view key, std::string_view field) { return {"HSTRLEN", key, field}; }

command<std::optional<std::string>> hrandfield(std::string_view key) { return {"HRANDFIELD", key}; }

command<std::vector<std::string>> hrandfield(std::string_view key, long long count) {
    fmt::format_int n(count);
    return {"HRANDFIELD", key, view(n)};
}

command<std::vector<std::pair<std::string, std::string>>> hrandfield_with_values(std::string_view key,
                                                                                 long long count) {
    fmt::format_int n(count);
    return command<std::vector<field_value>>({"HRANDFIELD", key, view(n), "WITHVALUES"}, &field_values_from);
}

command<scan_page<std::pair<std::string, std::string>>> hscan(std::string_view key, std::string_view cursor,
                                                              const scan_options& opts) {
    args_builder args("HSCAN");
    args.add(key).add(cursor);
    detail::add_scan_filters(args, "HSCAN", opts, false);
    return args.build<scan_page<field_value>>(&field_value_page_from);
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_hash_commands(command_registry& r) {
    r.add(cmd::hset("k", "f", "v"));
    r.add(cmd::hsetnx("k", "f", "v"));
    r.add(cmd::hget("k", "f"));
    r.add(cmd::hmget("k", {"f"}));
    r.add(cmd::hgetall("k"));
    r.add(cmd::hdel("k", {"f"}));
    r.add(cmd::hexists("k", "f"));
    r.add(cmd::hincrby("k", "f", 1));
    r.add(cmd::hincrbyfloat("k", "f", 1));
    r.add(cmd::hkeys("k"));
    r.add(cmd::hvals("k"));
    r.add(cmd::hlen("k"));
    r.add(cmd::hstrlen("k", "f"));
    r.add(cmd::hrandfield("k"));
    r.add(cmd::hrandfield_with_values("k", 1));
    r.add(cmd::hscan("k", "0"));
}

}  // namespace redpool::detail
