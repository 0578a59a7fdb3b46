// The list commands: pushes and pops, ranges and indexes, LINSERT/LREM/LTRIM/LPOS, LMOVE,
// LMPOP and the blocking pops.
#include "redpool/cmd/lists.hpp"

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using detail::view;
using popped = std::optional<std::pair<std::string, std::string>>;
using multi_popped = std::optional<std::pair<std::string, std::vector<std::string>>>;

std::string_view side(list_end end) { return end == list_end::left ? "LEFT" : "RIGHT"; }

// LPUSH and friends need at least one value; Redis would answer with an arity error.
command<long long> push(std::string_view name, std::string_view key, std::span<const std::string_view> values) {
    if (values.empty()) throw error(errc::invalid_argument, fmt::format("{}: no values", name));
    return args_builder(name).add(key).add_all(values).build<long long>();
}

command<std::vector<std::string>> pop_count(std::string_view name, std::string_view key, long long count) {
    if (count < 0) throw error(errc::invalid_argument, fmt::format("{}: negative count", name));
    fmt::format_int n(count);
    return {name, key, view(n)};
}

void require_keys(std::string_view name, std::span<const std::string_view> keys) {
    if (keys.empty()) throw error(errc::invalid_argument, fmt::format("{}: no keys", name));
}

// LMPOP's numkeys key... LEFT|RIGHT [COUNT n], which BLMPOP sends after its timeout.
args_builder& add_mpop_args(args_builder& args, std::string_view name, std::span<const std::string_view> keys,
                            list_end end, long long count) {
    require_keys(name, keys);
    if (count < 1) throw error(errc::invalid_argument, fmt::format("{}: count must be at least 1", name));
    args.add_integer(static_cast<long long>(keys.size())).add_all(keys).add(side(end));
    if (count != 1) args.add("COUNT").add_integer(count);
    return args;
}

command<popped> blocking_pop(std::string_view name, std::span<const std::string_view> keys,
                             std::chrono::milliseconds timeout) {
    require_keys(name, keys);
    return args_builder(name).add_all(keys).add_timeout_seconds(timeout).build<popped>();
}

// LPOS key element [RANK r] [MAXLEN n]; the defaults (rank 1, no limit) are not sent.
args_builder lpos_args(std::string_view key, std::string_view element, const lpos_options& opts) {
    // Redis rejects RANK 0: matches are counted from 1 (head) or -1 (tail).
    if (opts.rank == 0) throw error(errc::invalid_argument, "LPOS: rank 0 (1 is the first match, -1 the last)");
    if (opts.max_len < 0) throw error(errc::invalid_argument, "LPOS: negative max_len");
    args_builder args("LPOS");
    args.add(key).add(element);
    if (opts.rank != 1) args.add("RANK").add_integer(opts.rank);
    if (opts.max_len != 0) args.add("MAXLEN").add_integer(opts.max_len);
    return args;
}

}  // namespace

command<long long> lpush(std::string_view key, std::string_view value) { return {"LPUSH", key, value}; }
command<long long> lpush(std::string_view key, std::span<const std::string_view> values) {
    return push("LPUSH", key, values);
}
command<long long> lpush(std::string_view key, std::initializer_list<std::string_view> values) {
    return lpush(key, as_span(values));
}
command<long long> rpush(std::string_view key, std::string_view value) { return {"RPUSH", key, value}; }
command<long long> rpush(std::string_view key, std::span<const std::string_view> values) {
    return push("RPUSH", key, values);
}
command<long long> rpush(std::string_view key, std::initializer_list<std::string_view> values) {
    return rpush(key, as_span(values));
}
command<long long> lpushx(std::string_view key, std::string_view value) { return {"LPUSHX", key, value}; }
command<long long> lpushx(std::string_view key, std::span<const std::string_view> values) {
    return push("LPUSHX", key, values);
}
command<long long> lpushx(std::string_view key, std::initializer_list<std::string_view> values) {
    return lpushx(key, as_span(values));
}
command<long long> rpushx(std::string_view key, std::string_view value) { return {"RPUSHX", key, value}; }
command<long long> rpushx(std::string_view key, std::span<const std::string_view> values) {
    return push("RPUSHX", key, values);
}
command<long long> rpushx(std::string_view key, std::initializer_list<std::string_view> values) {
    return rpushx(key, as_span(values));
}

command<std::optional<std::string>> lpop(std::string_view key) { return {"LPOP", key}; }
command<std::optional<std::string>> rpop(std::string_view key) { return {"RPOP", key}; }
command<std::vector<std::string>> lpop(std::string_view key, long long count) { return pop_count("LPOP", key, count); }
command<std::vector<std::string>> rpop(std::string_view key, long long count) { return pop_count("RPOP", key, count); }

command<std::vector<std::string>> lrange(std::string_view key, long long start, long long stop) {
    fmt::format_int from(start), to(stop);
    return {"LRANGE", key, view(from), view(to)};
}

command<long long> llen(std::string_view key) { return {"LLEN", key}; }

command<std::optional<std::string>> lindex(std::string_view key, long long index) {
    fmt::format_int at(index);
    return {"LINDEX", key, view(at)};
}

command<void> lset(std::string_view key, long long index, std::string_view value) {
    fmt::format_int at(index);
    return command<void>({"LSET", key, view(at), value}, &detail::read_ok);
}

command<long long> linsert(std::string_view key, insert_position where, std::string_view pivot,
                           std::string_view value) {
    return {"LINSERT", key, where == insert_position::before ? "BEFORE" : "AFTER", pivot, value};
}

command<long long> lrem(std::string_view key, long long count, std::string_view value) {
    fmt::format_int n(count);
    return {"LREM", key, view(n), value};
}

command<void> ltrim(std::string_view key, long long start, long long stop) {
    fmt::format_int from(start), to(stop);
    return command<void>({"LTRIM", key, view(from), view(to)}, &detail::read_ok);
}

command<std::optional<long long>> lpos(std::string_view key, std::string_view element, const lpos_options& opts) {
    return lpos_args(key, element, opts).build<std::optional<long long>>();
}

command<std::vector<long long>> lpos_count(std::string_view key, std::string_view element, long long count,
                                           const lpos_options& opts) {
    if (count < 0) throw error(errc::invalid_argument, "LPOS: negative count");
    return lpos_args(key, element, opts).add("COUNT").add_integer(count).build<std::vector<long long>>();
}

command<std::optional<std::string>> lmove(std::string_view source, std::string_view destination, list_end from,
                                          list_end to) {
    return {"LMOVE", source, destination, side(from), side(to)};
}

command<multi_popped> lmpop(std::span<const std::string_view> keys, list_end end, long long count) {
    args_builder args("LMPOP");
    return add_mpop_args(args, "LMPOP", keys, end, count).build<multi_popped>();
}
command<multi_popped> lmpop(std::initializer_list<std::string_view> keys, list_end end, long long count) {
    return lmpop(as_span(keys), end, count);
}

command<popped> blpop(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
    return blocking_pop("BLPOP", keys, timeout);
}
command<popped> blpop(std::initializer_list<std::string_view> keys, std::chrono::milliseconds timeout) {
    return blpop(as_span(keys), timeout);
}
command<popped> brpop(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
    return blocking_pop("BRPOP", keys, timeout);
}
command<popped> brpop(std::initializer_list<std::string_view> keys, std::chrono::milliseconds timeout) {
    return brpop(as_span(keys), timeout);
}

command<std::optional<std::string>> blmove(std::string_view source, std::string_view destination, list_end from,
                                           list_end to, std::chrono::milliseconds timeout) {
    args_builder args("BLMOVE");
    args.add(source).add(destination).add(side(from)).add(side(to)).add_timeout_seconds(timeout);
    return args.build<std::optional<std::string>>();
}

command<multi_popped> blmpop(std::span<const std::string_view> keys, list_end end, std::chrono::milliseconds timeout,
                             long long count) {
    // BLMPOP keeps its timeout first: BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n].
    args_builder args("BLMPOP");
    args.add_timeout_seconds(timeout);
    return add_mpop_args(args, "BLMPOP", keys, end, count).build<multi_popped>();
}
command<multi_popped> blmpop(std::initializer_list<std::string_view> keys, list_end end,
                             std::chrono::milliseconds timeout, long long count) {
    return blmpop(as_span(keys), end, timeout, count);
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_list_commands(command_registry& r) {
    using std::chrono::milliseconds;
    r.add(cmd::lpush("k", {"v"}));
    r.add(cmd::rpush("k", {"v"}));
    r.add(cmd::lpushx("k", {"v"}));
    r.add(cmd::rpushx("k", {"v"}));
    r.add(cmd::lpop("k"));
    r.add(cmd::rpop("k"));
    r.add(cmd::lrange("k", 0, -1));
    r.add(cmd::llen("k"));
    r.add(cmd::lindex("k", 0));
    r.add(cmd::lset("k", 0, "v"));
    r.add(cmd::linsert("k", insert_position::before, "p", "v"));
    r.add(cmd::lrem("k", 0, "v"));
    r.add(cmd::ltrim("k", 0, -1));
    r.add(cmd::lpos("k", "v"));
    r.add(cmd::lpos_count("k", "v", 0));
    r.add(cmd::lmove("a", "b", list_end::left, list_end::right));
    r.add(cmd::lmpop({"k"}, list_end::left));
    r.add(cmd::blpop({"k"}, milliseconds(1)));
    r.add(cmd::brpop({"k"}, milliseconds(1)));
    r.add(cmd::blmove("a", "b", list_end::left, list_end::right, milliseconds(1)));
    r.add(cmd::blmpop({"k"}, list_end::left, milliseconds(1)));
}

}  // namespace redpool::detail
