// The generic keyspace commands: DEL, EXISTS, expiry, RENAME, KEYS, SCAN and the rest.
#include "redpool/cmd/keys.hpp"

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using detail::view;

// DEL, UNLINK and EXISTS of no keys are server errors; the answer is 0 without asking.
command<long long> counting_keys(std::string_view name, std::span<const std::string_view> keys) {
    if (keys.empty()) return command<long long>::answered_locally([](reply&&) { return 0LL; });
    return args_builder(name).add_all(keys).build<long long>();
}

void expect_ok(reply&& r) {
    if (!r.is_status() || r.as_string() != "OK") throw_unexpected_reply(r, "OK");
}

std::vector<std::string> strings_from(reply&& r) { return from_reply<std::vector<std::string>>(std::move(r)); }

scan_page<std::string> key_page_from(reply&& r) { return scan_page_from_reply<std::string>(std::move(r), &strings_from); }

}  // namespace

command<long long> del(std::string_view key) { return {"DEL", key}; }
command<long long> del(std::span<const std::string_view> keys) { return counting_keys("DEL", keys); }
command<long long> del(std::initializer_list<std::string_view> keys) { return del(as_span(keys)); }
command<long long> unlink(std::span<const std::string_view> keys) { return counting_keys("UNLINK", keys); }
command<long long> unlink(std::initializer_list<std::string_view> keys) { return unlink(as_span(keys)); }
command<long long> exists(std::span<const std::string_view> keys) { return counting_keys("EXISTS", keys); }
command<long long> exists(std::initializer_list<std::string_view> keys) { return exists(as_span(keys)); }

command<bool> expire(std::string_view key, std::chrono::seconds ttl) {
    fmt::format_int s(ttl.count());
    return {"EXPIRE", key, view(s)};
}

command<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl) {
    fmt::format_int ms(ttl.count());
    return {"PEXPIRE", key, view(ms)};
}

command<bool> expireat(std::string_view key, std::chrono::system_clock::time_point when) {
    fmt::format_int s(std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
    return {"EXPIREAT", key, view(s)};
}

command<std::chrono::seconds> ttl(std::string_view key) { return {"TTL", key}; }
command<std::chrono::milliseconds> pttl(std::string_view key) { return {"PTTL", key}; }
command<bool> persist(std::string_view key) { return {"PERSIST", key}; }
command<std::string> type(std::string_view key) { return {"TYPE", key}; }

command<void> rename(std::string_view key, std::string_view new_key) {
    return command<void>({"RENAME", key, new_key}, &expect_ok);
}

command<bool> renamenx(std::string_view key, std::string_view new_key) { return {"RENAMENX", key, new_key}; }

command<std::vector<std::string>> keys(std::string_view pattern) { return {"KEYS", pattern}; }

command<scan_page<std::string>> scan(std::string_view cursor, const scan_options& opts) {
    args_builder args("SCAN");
    args.add(cursor);
    if (!opts.match.empty()) args.add("MATCH").add(opts.match);
    if (opts.count > 0) args.add("COUNT").add_integer(static_cast<long long>(opts.count));
    if (!opts.type.empty()) args.add("TYPE").add(opts.type);
    return args.build<scan_page<std::string>>(&key_page_from);
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_key_commands(command_registry& r) {
    r.add(cmd::del("k"));
    r.add(cmd::unlink({"k"}));
    r.add(cmd::exists({"k"}));
    r.add(cmd::expire("k", std::chrono::seconds(1)));
    r.add(cmd::pexpire("k", std::chrono::milliseconds(1)));
    r.add(cmd::expireat("k", std::chrono::system_clock::time_point()));
    r.add(cmd::ttl("k"));
    r.add(cmd::pttl("k"));
    r.add(cmd::persist("k"));
    r.add(cmd::type("k"));
    r.add(cmd::rename("k", "k2"));
    r.add(cmd::renamenx("k", "k2"));
    r.add(cmd::keys("*"));
    r.add(cmd::scan("0"));
}

}  // namespace redpool::detail
