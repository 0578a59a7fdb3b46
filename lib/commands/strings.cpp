// The string commands: GET/SET and friends, MGET/MSET, counters, ranges, LCS.
#include "redpool/cmd/strings.hpp"

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using detail::view;
using pair_span = std::span<const std::pair<std::string_view, std::string_view>>;

void validate(const set_options& opts) {
    if (opts.ttl.count() < 0) throw error(errc::invalid_argument, "SET: negative ttl");
    if (opts.keep_ttl && opts.ttl.count() > 0)
        throw error(errc::invalid_argument, "SET: keep_ttl and a ttl are mutually exclusive");
}

// SET key value [NX|XX] [PX ms | KEEPTTL] [GET]
args_builder set_args(std::string_view key, std::string_view value, const set_options& opts, bool get) {
    validate(opts);
    args_builder args("SET");
    args.add(key).add(value);
    if (opts.when == set_options::condition::if_not_exists) args.add("NX");
    if (opts.when == set_options::condition::if_exists) args.add("XX");
    if (opts.ttl.count() > 0) args.add("PX").add_integer(opts.ttl.count());
    if (opts.keep_ttl) args.add("KEEPTTL");
    if (get) args.add("GET");
    return args;
}

command<void> pairs_command(std::string_view name, pair_span pairs) {
    if (pairs.empty()) throw error(errc::invalid_argument, fmt::format("{}: no key-value pairs", name));
    return args_builder(name).add_pairs(pairs).build<void>(&detail::read_ok);
}

lcs_match lcs_match_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 3) throw_unexpected_reply(r, "[[start, end], [start, end], length]");
    lcs_match m;
    m.first = from_reply<std::pair<long long, long long>>(std::move(e[0]));
    m.second = from_reply<std::pair<long long, long long>>(std::move(e[1]));
    m.length = from_reply<long long>(std::move(e[2]));
    return m;
}

// ["matches", [match...], "len", n]
lcs_result lcs_result_from(reply&& r) {
    lcs_result out;
    bool has_matches = false, has_length = false;
    detail::for_each_field(r, [&](std::string_view field, reply&& value) {
        if (field == "matches") {
            std::vector<reply>& matches = detail::array_from_reply(value);
            out.matches.reserve(matches.size());
            for (reply& m : matches) out.matches.push_back(lcs_match_from(std::move(m)));
            has_matches = true;
        } else if (field == "len") {
            out.length = from_reply<long long>(std::move(value));
            has_length = true;
        }
    });
    if (!has_matches || !has_length) throw_unexpected_reply(r, "matches and len");
    return out;
}

// SET answers OK, or nil when its NX/XX condition was not met.
bool was_set(reply&& r) {
    if (r.is_nil()) return false;
    detail::read_ok(std::move(r));
    return true;
}

}  // namespace

command<std::optional<std::string>> get(std::string_view key) { return {"GET", key}; }

command<bool> set(std::string_view key, std::string_view value, const set_options& opts) {
    // The plain SET, the commonest command there is, without a builder.
    if (opts.when == set_options::condition::always && opts.ttl.count() == 0 && !opts.keep_ttl) {
        return command<bool>({"SET", key, value}, &was_set);
    }
    return set_args(key, value, opts, false).build<bool>(&was_set);
}

command<bool> set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
    set_options opts;
    opts.ttl = ttl;
    return set(key, value, opts);
}

command<std::optional<std::string>> set_get(std::string_view key, std::string_view value,
                                            const set_options& opts) {
    return set_args(key, value, opts, true).build<std::optional<std::string>>();
}

command<bool> setnx(std::string_view key, std::string_view value) { return {"SETNX", key, value}; }

command<void> setex(std::string_view key, std::chrono::seconds ttl, std::string_view value) {
    if (ttl.count() <= 0) throw error(errc::invalid_argument, "SETEX: ttl must be positive");
    fmt::format_int s(ttl.count());
    return command<void>({"SETEX", key, view(s), value}, &detail::read_ok);
}

command<void> psetex(std::string_view key, std::chrono::milliseconds ttl, std::string_view value) {
    if (ttl.count() <= 0) throw error(errc::invalid_argument, "PSETEX: ttl must be positive");
    fmt::format_int ms(ttl.count());
    return command<void>({"PSETEX", key, view(ms), value}, &detail::read_ok);
}

command<std::vector<std::optional<std::string>>> mget(std::span<const std::string_view> keys) {
    using result = std::vector<std::optional<std::string>>;
    // MGET with no key is a server error; there is nothing to fetch.
    if (keys.empty()) return detail::answered_empty<result>();
    return args_builder("MGET").add_all(keys).build<result>();
}

command<std::vector<std::optional<std::string>>> mget(std::initializer_list<std::string_view> keys) {
    return mget(as_span(keys));
}

command<void> mset(pair_span pairs) { return pairs_command("MSET", pairs); }

command<void> mset(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
    return mset(as_span(pairs));
}

command<bool> msetnx(pair_span pairs) {
    if (pairs.empty()) throw error(errc::invalid_argument, "MSETNX: no key-value pairs");
    return args_builder("MSETNX").add_pairs(pairs).build<bool>();
}

command<bool> msetnx(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
    return msetnx(as_span(pairs));
}

command<std::optional<std::string>> getdel(std::string_view key) { return {"GETDEL", key}; }

command<std::optional<std::string>> getex(std::string_view key, const getex_options& opts) {
    if (opts.ttl.count() < 0) throw error(errc::invalid_argument, "GETEX: negative ttl");
    if (opts.persist && opts.ttl.count() > 0)
        throw error(errc::invalid_argument, "GETEX: persist and a ttl are mutually exclusive");
    args_builder args("GETEX");
    args.add(key);
    if (opts.ttl.count() > 0) args.add("PX").add_integer(opts.ttl.count());
    if (opts.persist) args.add("PERSIST");
    return args.build<std::optional<std::string>>();
}

command<std::optional<std::string>> getset(std::string_view key, std::string_view value) {
    return {"GETSET", key, value};
}

command<long long> append(std::string_view key, std::string_view value) { return {"APPEND", key, value}; }

command<long long> strlen(std::string_view key) { return {"STRLEN", key}; }

command<std::string> getrange(std::string_view key, long long start, long long end) {
    fmt::format_int from(start), to(end);
    return {"GETRANGE", key, view(from), view(to)};
}

command<long long> setrange(std::string_view key, long long offset, std::string_view value) {
    fmt::format_int at(offset);
    return {"SETRANGE", key, view(at), value};
}

command<long long> incr(std::string_view key) { return {"INCR", key}; }

command<long long> incrby(std::string_view key, long long increment) {
    fmt::format_int by(increment);
    return {"INCRBY", key, view(by)};
}

command<long long> decr(std::string_view key) { return {"DECR", key}; }

command<long long> decrby(std::string_view key, long long decrement) {
    fmt::format_int by(decrement);
    return {"DECRBY", key, view(by)};
}

command<double> incrbyfloat(std::string_view key, double increment) {
    return args_builder("INCRBYFLOAT").add(key).add_double(increment).build<double>();
}

command<std::string> lcs(std::string_view key1, std::string_view key2) { return {"LCS", key1, key2}; }

command<long long> lcs_len(std::string_view key1, std::string_view key2) {
    return {"LCS", key1, key2, "LEN"};
}

command<lcs_result> lcs_idx(std::string_view key1, std::string_view key2, long long min_match_len) {
    args_builder args("LCS");
    args.add(key1).add(key2).add("IDX");
    if (min_match_len > 0) args.add("MINMATCHLEN").add_integer(min_match_len);
    args.add("WITHMATCHLEN");
    return args.build<lcs_result>(&lcs_result_from);
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_string_commands(command_registry& r) {
    r.add(cmd::get("k"));
    r.add(cmd::set("k", "v"));
    r.add(cmd::setnx("k", "v"));
    r.add(cmd::setex("k", std::chrono::seconds(1), "v"));
    r.add(cmd::psetex("k", std::chrono::milliseconds(1), "v"));
    r.add(cmd::mget({"k"}));
    r.add(cmd::mset({{"k", "v"}}));
    r.add(cmd::msetnx({{"k", "v"}}));
    r.add(cmd::getdel("k"));
    r.add(cmd::getex("k"));
    r.add(cmd::getset("k", "v"));
    r.add(cmd::append("k", "v"));
    r.add(cmd::strlen("k"));
    r.add(cmd::getrange("k", 0, 1));
    r.add(cmd::setrange("k", 0, "v"));
    r.add(cmd::incr("k"));
    r.add(cmd::incrby("k", 1));
    r.add(cmd::decr("k"));
    r.add(cmd::decrby("k", 1));
    r.add(cmd::incrbyfloat("k", 1));
    r.add(cmd::lcs("a", "b"));
    r.add(cmd::lcs_len("a", "b"));
    r.add(cmd::lcs_idx("a", "b"));
}

}  // namespace redpool::detail
