// The sorted-set commands: ZADD, ZRANGE and its stores, scores and ranks, pops (blocking too),
// ZUNION/ZINTER/ZDIFF and their stores, random members, ZSCAN.
#include "redpool/cmd/sorted_sets.hpp"

#include <cmath>

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
using member_span = std::span<const std::pair<std::string_view, double>>;
using scored = std::pair<std::string, double>;
using scored_list = std::vector<scored>;
using mpop_result = std::optional<std::pair<std::string, scored_list>>;

// Flat [member, score, member, score, ...]: ZRANGE ... WITHSCORES and the rest. Moves each
// member out of the reply into a reserved vector.
constexpr auto scored_list_from = &pairs_from_reply<std::string, double>;

// --- checking arguments ----------------------------------------------------------------------

// Redis rejects a NaN score too; rejecting it here says which command and why.
double checked_score(std::string_view name, double score) {
    if (std::isnan(score)) throw error(errc::invalid_argument, fmt::format("{}: a score is NaN", name));
    return score;
}

void require_some(std::string_view name, std::size_t count, std::string_view what) {
    if (count == 0) throw error(errc::invalid_argument, fmt::format("{}: no {}", name, what));
}

// numkeys key...: the form of every multi-key sorted-set command but BZPOP*.
args_builder& add_numbered_keys(args_builder& args, std::string_view name, key_span keys) {
    require_some(name, keys.size(), "keys");
    return args.add_integer(static_cast<long long>(keys.size())).add_all(keys);
}

// --- building arguments ----------------------------------------------------------------------

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
args_builder zadd_args(std::string_view key, const zadd_options& opts) {
    using condition = zadd_options::condition;
    using comparison = zadd_options::comparison;
    if (opts.when == condition::if_not_exists && opts.only_if != comparison::any)
        throw error(errc::invalid_argument, "ZADD: NX cannot be combined with GT or LT");
    args_builder args("ZADD");
    args.add(key);
    if (opts.when == condition::if_not_exists) args.add("NX");
    if (opts.when == condition::if_exists) args.add("XX");
    if (opts.only_if == comparison::greater) args.add("GT");
    if (opts.only_if == comparison::less) args.add("LT");
    return args;
}

// [BYSCORE|BYLEX] [REV] [LIMIT offset count], shared by ZRANGE and ZRANGESTORE.
void add_range_options(args_builder& args, std::string_view name, const zrange_options& opts) {
    using by = zrange_options::range_by;
    if (opts.by == by::score) args.add("BYSCORE");
    if (opts.by == by::lex) args.add("BYLEX");
    if (opts.rev) args.add("REV");
    if (opts.limit) {
        if (opts.by == by::index)
            throw error(errc::invalid_argument, fmt::format("{}: LIMIT needs score or lex bounds", name));
        args.add("LIMIT").add_integer(opts.limit->offset).add_integer(opts.limit->count);
    }
}

// ZRANGE key start stop [options] [WITHSCORES]
args_builder zrange_args(std::string_view key, std::string_view start, std::string_view stop,
                         const zrange_options& opts, bool with_scores) {
    if (with_scores && opts.by == zrange_options::range_by::lex)
        throw error(errc::invalid_argument, "ZRANGE: scores cannot be returned for lex bounds");
    args_builder args("ZRANGE");
    args.add(key).add(start).add(stop);
    add_range_options(args, "ZRANGE", opts);
    if (with_scores) args.add("WITHSCORES");
    return args;
}

// NAME [destination] numkeys key... [WEIGHTS w...] [AGGREGATE MIN|MAX] [WITHSCORES]
args_builder combine_args(std::string_view name, std::optional<std::string_view> destination, key_span keys,
                          const zcombine_options& opts, bool with_scores) {
    args_builder args(name);
    if (destination) args.add(*destination);
    add_numbered_keys(args, name, keys);
    if (!opts.weights.empty()) {
        if (opts.weights.size() != keys.size())
            throw error(errc::invalid_argument,
                        fmt::format("{}: {} weights for {} keys", name, opts.weights.size(), keys.size()));
        args.add("WEIGHTS");
        for (double w : opts.weights) args.add_double(checked_score(name, w));
    }
    // SUM is the server's default; saying nothing keeps the command short.
    if (opts.aggregate == zcombine_options::aggregate_by::min) args.add("AGGREGATE").add("MIN");
    if (opts.aggregate == zcombine_options::aggregate_by::max) args.add("AGGREGATE").add("MAX");
    if (with_scores) args.add("WITHSCORES");
    return args;
}

// ZDIFF has neither WEIGHTS nor AGGREGATE.
args_builder diff_args(std::string_view name, std::optional<std::string_view> destination, key_span keys,
                       bool with_scores) {
    return combine_args(name, destination, keys, zcombine_options{}, with_scores);
}

// [BZMPOP timeout] numkeys key... MIN|MAX [COUNT count]
args_builder mpop_args(std::string_view name, std::optional<std::chrono::milliseconds> timeout, key_span keys,
                       zpop_side side, long long count) {
    if (count < 1) throw error(errc::invalid_argument, fmt::format("{}: count must be at least 1", name));
    args_builder args(name);
    if (timeout) args.add_timeout_seconds(*timeout);
    add_numbered_keys(args, name, keys);
    args.add(side == zpop_side::min ? "MIN" : "MAX");
    if (count != 1) args.add("COUNT").add_integer(count);
    return args;
}

// --- reading replies -------------------------------------------------------------------------

// ZPOPMIN / ZPOPMAX without a count: [member, score], or an empty array for a missing key.
std::optional<scored> optional_scored_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.empty()) return std::nullopt;
    if (e.size() != 2) throw_unexpected_reply(r, "a member and its score");
    return scored(from_reply<std::string>(std::move(e[0])), from_reply<double>(std::move(e[1])));
}

// BZPOPMIN / BZPOPMAX: [key, member, score], or nil when the timeout passed.
std::optional<bzpop_result> bzpop_result_from(reply&& r) {
    if (r.is_nil()) return std::nullopt;
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 3) throw_unexpected_reply(r, "[key, member, score]");
    bzpop_result out;
    out.key = from_reply<std::string>(std::move(e[0]));
    out.member = from_reply<std::string>(std::move(e[1]));
    out.score = from_reply<double>(std::move(e[2]));
    return out;
}

// BZPOPMIN / BZPOPMAX key... timeout
command<std::optional<bzpop_result>> bzpop(std::string_view name, key_span keys, std::chrono::milliseconds timeout) {
    require_some(name, keys.size(), "keys");
    return args_builder(name).add_all(keys).add_timeout_seconds(timeout).build<std::optional<bzpop_result>>(
        &bzpop_result_from);
}

scan_page<scored> scored_page_from(reply&& r) { return scan_page_from_reply<scored>(std::move(r), scored_list_from); }

}  // namespace

// --- adding, removing, scores ----------------------------------------------------------------

command<long long> zadd(std::string_view key, member_span members, const zadd_options& opts) {
    require_some("ZADD", members.size(), "members");
    args_builder args = zadd_args(key, opts);
    if (opts.changed) args.add("CH");
    for (const auto& [member, score] : members) args.add_double(checked_score("ZADD", score)).add(member);
    return args.build<long long>();
}

command<long long> zadd(std::string_view key, std::initializer_list<std::pair<std::string_view, double>> members,
                        const zadd_options& opts) {
    return zadd(key, as_span(members), opts);
}

command<std::optional<double>> zadd_incr(std::string_view key, std::string_view member, double increment,
                                         const zadd_options& opts) {
    // Redis accepts CH with INCR and ignores it; refusing it says the option has no effect.
    if (opts.changed) throw error(errc::invalid_argument, "ZADD: CH has no meaning with INCR (it returns the score)");
    args_builder args = zadd_args(key, opts);
    args.add("INCR").add_double(checked_score("ZADD", increment)).add(member);
    return args.build<std::optional<double>>();
}

command<double> zincrby(std::string_view key, double increment, std::string_view member) {
    return args_builder("ZINCRBY").add(key).add_double(checked_score("ZINCRBY", increment)).add(member).build<double>();
}

command<long long> zrem(std::string_view key, std::string_view member) { return {"ZREM", key, member}; }

command<long long> zrem(std::string_view key, key_span members) {
    // ZREM with no member is a server error; removing nothing removes 0 members.
    if (members.empty()) return detail::answered_empty<long long>();
    return args_builder("ZREM").add(key).add_all(members).build<long long>();
}

command<long long> zrem(std::string_view key, std::initializer_list<std::string_view> members) {
    return zrem(key, as_span(members));
}

command<std::optional<double>> zscore(std::string_view key, std::string_view member) {
    return {"ZSCORE", key, member};
}

command<std::vector<std::optional<double>>> zmscore(std::string_view key, key_span members) {
    using result = std::vector<std::optional<double>>;
    // ZMSCORE with no member is a server error; asking about nothing answers nothing.
    if (members.empty()) return detail::answered_empty<result>();
    return args_builder("ZMSCORE").add(key).add_all(members).build<result>();
}

command<std::vector<std::optional<double>>> zmscore(std::string_view key,
                                                    std::initializer_list<std::string_view> members) {
    return zmscore(key, as_span(members));
}

// --- size, ranks, counts ---------------------------------------------------------------------

command<long long> zcard(std::string_view key) { return {"ZCARD", key}; }

command<std::optional<long long>> zrank(std::string_view key, std::string_view member) {
    return {"ZRANK", key, member};
}

command<std::optional<long long>> zrevrank(std::string_view key, std::string_view member) {
    return {"ZREVRANK", key, member};
}

command<long long> zcount(std::string_view key, std::string_view min, std::string_view max) {
    return {"ZCOUNT", key, min, max};
}

command<long long> zlexcount(std::string_view key, std::string_view min, std::string_view max) {
    return {"ZLEXCOUNT", key, min, max};
}

// --- ranges ----------------------------------------------------------------------------------

command<std::vector<std::string>> zrange(std::string_view key, long long start, long long stop) {
    fmt::format_int from(start), to(stop);
    return {"ZRANGE", key, view(from), view(to)};
}

command<std::vector<std::string>> zrange(std::string_view key, std::string_view start, std::string_view stop,
                                         const zrange_options& opts) {
    return zrange_args(key, start, stop, opts, false).build<std::vector<std::string>>();
}

command<scored_list> zrange_with_scores(std::string_view key, long long start, long long stop) {
    fmt::format_int from(start), to(stop);
    return command<scored_list>({"ZRANGE", key, view(from), view(to), "WITHSCORES"}, scored_list_from);
}

command<scored_list> zrange_with_scores(std::string_view key, std::string_view start, std::string_view stop,
                                        const zrange_options& opts) {
    return zrange_args(key, start, stop, opts, true).build<scored_list>(scored_list_from);
}

command<long long> zrangestore(std::string_view destination, std::string_view source, long long start,
                               long long stop) {
    fmt::format_int from(start), to(stop);
    return {"ZRANGESTORE", destination, source, view(from), view(to)};
}

command<long long> zrangestore(std::string_view destination, std::string_view source, std::string_view start,
                               std::string_view stop, const zrange_options& opts) {
    args_builder args("ZRANGESTORE");
    args.add(destination).add(source).add(start).add(stop);
    add_range_options(args, "ZRANGESTORE", opts);
    return args.build<long long>();
}

// --- removing ranges -------------------------------------------------------------------------

command<long long> zremrangebyscore(std::string_view key, std::string_view min, std::string_view max) {
    return {"ZREMRANGEBYSCORE", key, min, max};
}

command<long long> zremrangebyrank(std::string_view key, long long start, long long stop) {
    fmt::format_int from(start), to(stop);
    return {"ZREMRANGEBYRANK", key, view(from), view(to)};
}

command<long long> zremrangebylex(std::string_view key, std::string_view min, std::string_view max) {
    return {"ZREMRANGEBYLEX", key, min, max};
}

// --- popping ---------------------------------------------------------------------------------

command<std::optional<scored>> zpopmin(std::string_view key) {
    return command<std::optional<scored>>({"ZPOPMIN", key}, &optional_scored_from);
}

command<std::optional<scored>> zpopmax(std::string_view key) {
    return command<std::optional<scored>>({"ZPOPMAX", key}, &optional_scored_from);
}

command<scored_list> zpopmin(std::string_view key, long long count) {
    if (count < 0) throw error(errc::invalid_argument, "ZPOPMIN: negative count");
    fmt::format_int n(count);
    return command<scored_list>({"ZPOPMIN", key, view(n)}, scored_list_from);
}

command<scored_list> zpopmax(std::string_view key, long long count) {
    if (count < 0) throw error(errc::invalid_argument, "ZPOPMAX: negative count");
    fmt::format_int n(count);
    return command<scored_list>({"ZPOPMAX", key, view(n)}, scored_list_from);
}

command<std::optional<bzpop_result>> bzpopmin(key_span keys, std::chrono::milliseconds timeout) {
    return bzpop("BZPOPMIN", keys, timeout);
}

command<std::optional<bzpop_result>> bzpopmin(std::initializer_list<std::string_view> keys,
                                              std::chrono::milliseconds timeout) {
    return bzpopmin(as_span(keys), timeout);
}

command<std::optional<bzpop_result>> bzpopmax(key_span keys, std::chrono::milliseconds timeout) {
    return bzpop("BZPOPMAX", keys, timeout);
}

command<std::optional<bzpop_result>> bzpopmax(std::initializer_list<std::string_view> keys,
                                              std::chrono::milliseconds timeout) {
    return bzpopmax(as_span(keys), timeout);
}

// [key, [[member, score], ...]] or nil: the generic reader's nested pairs fit it exactly.
command<mpop_result> zmpop(key_span keys, zpop_side side, long long count) {
    return mpop_args("ZMPOP", std::nullopt, keys, side, count).build<mpop_result>();
}

command<mpop_result> zmpop(std::initializer_list<std::string_view> keys, zpop_side side, long long count) {
    return zmpop(as_span(keys), side, count);
}

command<mpop_result> bzmpop(key_span keys, zpop_side side, std::chrono::milliseconds timeout, long long count) {
    return mpop_args("BZMPOP", timeout, keys, side, count).build<mpop_result>();
}

command<mpop_result> bzmpop(std::initializer_list<std::string_view> keys, zpop_side side,
                            std::chrono::milliseconds timeout, long long count) {
    return bzmpop(as_span(keys), side, timeout, count);
}

// --- random members --------------------------------------------------------------------------

command<std::optional<std::string>> zrandmember(std::string_view key) { return {"ZRANDMEMBER", key}; }

command<std::vector<std::string>> zrandmember(std::string_view key, long long count) {
    fmt::format_int n(count);
    return {"ZRANDMEMBER", key, view(n)};
}

command<scored_list> zrandmember_with_scores(std::string_view key, long long count) {
    fmt::format_int n(count);
    return command<scored_list>({"ZRANDMEMBER", key, view(n), "WITHSCORES"}, scored_list_from);
}

// --- combining sets --------------------------------------------------------------------------

command<std::vector<std::string>> zunion(key_span keys, const zcombine_options& opts) {
    return combine_args("ZUNION", std::nullopt, keys, opts, false).build<std::vector<std::string>>();
}

command<std::vector<std::string>> zunion(std::initializer_list<std::string_view> keys, const zcombine_options& opts) {
    return zunion(as_span(keys), opts);
}

command<scored_list> zunion_with_scores(key_span keys, const zcombine_options& opts) {
    return combine_args("ZUNION", std::nullopt, keys, opts, true).build<scored_list>(scored_list_from);
}

command<scored_list> zunion_with_scores(std::initializer_list<std::string_view> keys, const zcombine_options& opts) {
    return zunion_with_scores(as_span(keys), opts);
}

command<std::vector<std::string>> zinter(key_span keys, const zcombine_options& opts) {
    return combine_args("ZINTER", std::nullopt, keys, opts, false).build<std::vector<std::string>>();
}

command<std::vector<std::string>> zinter(std::initializer_list<std::string_view> keys, const zcombine_options& opts) {
    return zinter(as_span(keys), opts);
}

command<scored_list> zinter_with_scores(key_span keys, const zcombine_options& opts) {
    return combine_args("ZINTER", std::nullopt, keys, opts, true).build<scored_list>(scored_list_from);
}

command<scored_list> zinter_with_scores(std::initializer_list<std::string_view> keys, const zcombine_options& opts) {
    return zinter_with_scores(as_span(keys), opts);
}

command<std::vector<std::string>> zdiff(key_span keys) {
    return diff_args("ZDIFF", std::nullopt, keys, false).build<std::vector<std::string>>();
}

command<std::vector<std::string>> zdiff(std::initializer_list<std::string_view> keys) { return zdiff(as_span(keys)); }

command<scored_list> zdiff_with_scores(key_span keys) {
    return diff_args("ZDIFF", std::nullopt, keys, true).build<scored_list>(scored_list_from);
}

command<scored_list> zdiff_with_scores(std::initializer_list<std::string_view> keys) {
    return zdiff_with_scores(as_span(keys));
}

command<long long> zunionstore(std::string_view destination, key_span keys, const zcombine_options& opts) {
    return combine_args("ZUNIONSTORE", destination, keys, opts, false).build<long long>();
}

command<long long> zunionstore(std::string_view destination, std::initializer_list<std::string_view> keys,
                               const zcombine_options& opts) {
    return zunionstore(destination, as_span(keys), opts);
}

command<long long> zinterstore(std::string_view destination, key_span keys, const zcombine_options& opts) {
    return combine_args("ZINTERSTORE", destination, keys, opts, false).build<long long>();
}

command<long long> zinterstore(std::string_view destination, std::initializer_list<std::string_view> keys,
                               const zcombine_options& opts) {
    return zinterstore(destination, as_span(keys), opts);
}

command<long long> zdiffstore(std::string_view destination, key_span keys) {
    return diff_args("ZDIFFSTORE", destination, keys, false).build<long long>();
}

command<long long> zdiffstore(std::string_view destination, std::initializer_list<std::string_view> keys) {
    return zdiffstore(destination, as_span(keys));
}

command<long long> zintercard(key_span keys, long long limit) {
    if (limit < 0) throw error(errc::invalid_argument, "ZINTERCARD: negative limit");
    args_builder args("ZINTERCARD");
    add_numbered_keys(args, "ZINTERCARD", keys);
    if (limit > 0) args.add("LIMIT").add_integer(limit);
    return args.build<long long>();
}

command<long long> zintercard(std::initializer_list<std::string_view> keys, long long limit) {
    return zintercard(as_span(keys), limit);
}

// --- scanning --------------------------------------------------------------------------------

command<scan_page<scored>> zscan(std::string_view key, std::string_view cursor, const scan_options& opts) {
    args_builder args("ZSCAN");
    args.add(key).add(cursor);
    detail::add_scan_filters(args, "ZSCAN", opts, false);  // no TYPE: it applies to SCAN only
    return args.build<scan_page<scored>>(&scored_page_from);
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_sorted_set_commands(command_registry& r) {
    using namespace std::chrono_literals;
    r.add(cmd::zadd("k", {{"m", 1}}));
    r.add(cmd::zincrby("k", 1, "m"));
    r.add(cmd::zrem("k", {"m"}));
    r.add(cmd::zscore("k", "m"));
    r.add(cmd::zmscore("k", {"m"}));
    r.add(cmd::zcard("k"));
    r.add(cmd::zrank("k", "m"));
    r.add(cmd::zrevrank("k", "m"));
    r.add(cmd::zcount("k", "-inf", "+inf"));
    r.add(cmd::zlexcount("k", "-", "+"));
    r.add(cmd::zrange("k", 0, -1));
    r.add(cmd::zrangestore("d", "k", 0, -1));
    r.add(cmd::zremrangebyscore("k", "-inf", "+inf"));
    r.add(cmd::zremrangebyrank("k", 0, -1));
    r.add(cmd::zremrangebylex("k", "-", "+"));
    r.add(cmd::zpopmin("k"));
    r.add(cmd::zpopmax("k"));
    r.add(cmd::bzpopmin({"k"}, 1s));
    r.add(cmd::bzpopmax({"k"}, 1s));
    r.add(cmd::zmpop({"k"}, zpop_side::min));
    r.add(cmd::bzmpop({"k"}, zpop_side::min, 1s));
    r.add(cmd::zrandmember("k"));
    r.add(cmd::zunion({"k"}));
    r.add(cmd::zinter({"k"}));
    r.add(cmd::zdiff({"k"}));
    r.add(cmd::zunionstore("d", {"k"}));
    r.add(cmd::zinterstore("d", {"k"}));
    r.add(cmd::zdiffstore("d", {"k"}));
    r.add(cmd::zintercard({"k"}));
    r.add(cmd::zscan("k", "0"));
}

}  // namespace redpool::detail
