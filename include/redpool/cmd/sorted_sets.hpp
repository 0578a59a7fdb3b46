// redpool/cmd/sorted_sets.hpp — Redis's sorted-set commands: ZADD, ZRANGE and its stores,
// scores and ranks, pops (blocking too), unions, intersections and differences, ZSCAN.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `sorted_set_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
//
// Members go in as `std::pair<std::string_view, double>` ({member, score}) and come back as
// `std::pair<std::string, double>`. Scores are sent as the shortest text that reads back as
// the same double ("0.1", "1e-300", "inf", "-inf") and read back exactly; a NaN score is
// rejected locally (Redis would reject it too).
//
// Score and lex bounds are strings, exactly as Redis takes them: "1.5" (inclusive), "(1.5"
// (exclusive), "-inf", "+inf" for scores; "[a" (inclusive), "(a" (exclusive), "-", "+" for
// members.
//
// The blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) take their timeout as a
// `std::chrono::milliseconds` (zero waits forever, negative throws `errc::invalid_argument`);
// the client waits for their reply up to the timeout + 1 s + `options::read_timeout` (Redis's
// timer may end a block up to a second late), so a long block is not a read timeout.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redpool/cmd/keys.hpp"
#include "redpool/command.hpp"

namespace redpool {

/// Conditions for `zadd` and `zadd_incr`.
struct zadd_options {
    /// Which members ZADD may touch.
    enum class condition {
        always,         ///< Add new members and update existing ones (neither NX nor XX).
        if_not_exists,  ///< NX: only add new members, never update existing ones.
        if_exists,      ///< XX: only update existing members, never add new ones.
    };
    /// When ZADD may change an existing member's score.
    enum class comparison {
        any,      ///< Whatever the new score (neither GT nor LT).
        greater,  ///< GT: only if the new score is greater than the current one.
        less,     ///< LT: only if the new score is less than the current one.
    };

    /// NX / XX: whether new members are added and existing ones updated.
    condition when = condition::always;
    /// GT / LT: update an existing member only if its new score is greater / less than the
    /// current one (new members are still added). Not allowed with NX: throws
    /// `errc::invalid_argument`.
    comparison only_if = comparison::any;
    /// CH: `zadd` counts the members whose score changed as well as those added. `zadd_incr`
    /// returns the score, not a count, so it throws `errc::invalid_argument` when this is set.
    bool changed = false;
};

/// LIMIT of a ZRANGE by score or lex: skip `offset` elements, then return at most `count`.
struct zrange_limit {
    /// How many of the elements in range to skip first (0: none).
    long long offset = 0;
    /// How many elements to return after the offset at most; negative (the default) returns
    /// every one of them, 0 none.
    long long count = -1;
};

/// How ZRANGE (and ZRANGESTORE) reads its bounds.
struct zrange_options {
    /// What start and stop are.
    enum class range_by {
        index,  ///< Ranks: 0-based, negative counting from the end, both inclusive.
        score,  ///< BYSCORE: score bounds ("1.5", "(1.5", "-inf", "+inf").
        lex,    ///< BYLEX: lex bounds ("[a", "(a", "-", "+").
    };

    /// How start and stop are read (ranks by default).
    range_by by = range_by::index;
    /// REV: highest scores first. With score or lex bounds, start is then the high bound:
    /// `zrange(key, "+inf", "-inf", {.by = zrange_options::range_by::score, .rev = true})`.
    bool rev = false;
    /// LIMIT: only with score or lex bounds (otherwise throws `errc::invalid_argument`);
    /// nullopt (the default) returns the whole range.
    std::optional<zrange_limit> limit;
};

/// WEIGHTS and AGGREGATE for `zunion`, `zinter` and their stores.
struct zcombine_options {
    /// How the scores of a member present in several keys combine (after weighting).
    enum class aggregate_by {
        sum,  ///< SUM (Redis's default): their sum.
        min,  ///< MIN: the lowest of them.
        max,  ///< MAX: the highest of them.
    };

    /// WEIGHTS: one factor per key, in order, multiplying its scores. Empty sends none (every
    /// weight 1); otherwise it must hold exactly one per key (else `errc::invalid_argument`).
    /// A NaN weight throws `errc::invalid_argument`.
    std::vector<double> weights;
    /// AGGREGATE: how the scores of a member present in several keys combine.
    aggregate_by aggregate = aggregate_by::sum;
};

/// Which end ZMPOP / BZMPOP pops from.
enum class zpop_side {
    min,  ///< MIN: lowest scores first.
    max,  ///< MAX: highest scores first.
};

/// What BZPOPMIN / BZPOPMAX popped.
struct bzpop_result {
    /// The key it was popped from: the first of the keys given that had a member.
    std::string key;
    /// The member popped (now removed from `key`).
    std::string member;
    /// The member's score when it was popped.
    double score = 0;
};

namespace cmd {

// --- adding, removing, scores ----------------------------------------------------------------

/// ZADD: how many members were added (with `changed`, added or whose score changed). No
/// members, a NaN score or NX with GT/LT throw `errc::invalid_argument`.
command<long long> zadd(std::string_view key, std::initializer_list<std::pair<std::string_view, double>> members,
                        const zadd_options& opts = {});
command<long long> zadd(std::string_view key, std::span<const std::pair<std::string_view, double>> members,
                        const zadd_options& opts = {});
/// ZADD ... INCR: adds `increment` to the member's score (a missing member starts at 0) and
/// returns the new score; nullopt when a condition (NX, XX, GT, LT) blocked the update. A NaN
/// increment, NX with GT/LT, or `opts.changed` throws `errc::invalid_argument`.
command<std::optional<double>> zadd_incr(std::string_view key, std::string_view member, double increment,
                                         const zadd_options& opts = {});
/// ZINCRBY: the member's new score (a missing member starts at 0). A NaN increment throws
/// `errc::invalid_argument`; one that makes the score NaN (inf + -inf) throws `reply_error`.
command<double> zincrby(std::string_view key, double increment, std::string_view member);
/// ZREM: how many of the members were removed (0 for a missing key). No members is 0,
/// answered without a round trip.
command<long long> zrem(std::string_view key, std::string_view member);
command<long long> zrem(std::string_view key, std::initializer_list<std::string_view> members);
command<long long> zrem(std::string_view key, std::span<const std::string_view> members);
/// ZSCORE: the member's score, or nullopt if the member or the key does not exist.
command<std::optional<double>> zscore(std::string_view key, std::string_view member);
/// ZMSCORE: one score per member, in order, nullopt for a missing one (all nullopt for a
/// missing key). No members is an empty vector, answered without a round trip.
command<std::vector<std::optional<double>>> zmscore(std::string_view key,
                                                    std::initializer_list<std::string_view> members);
command<std::vector<std::optional<double>>> zmscore(std::string_view key, std::span<const std::string_view> members);

// --- size, ranks, counts ---------------------------------------------------------------------

/// ZCARD: the number of members (0 for a missing key).
command<long long> zcard(std::string_view key);
/// ZRANK / ZREVRANK: the member's 0-based rank by ascending (ZREVRANK: descending) score, or
/// nullopt if the member or the key does not exist.
command<std::optional<long long>> zrank(std::string_view key, std::string_view member);
command<std::optional<long long>> zrevrank(std::string_view key, std::string_view member);
/// ZCOUNT: how many members have a score within [min, max] (score bounds: "(1", "-inf").
command<long long> zcount(std::string_view key, std::string_view min, std::string_view max);
/// ZLEXCOUNT: how many members sort within [min, max] (lex bounds: "[a", "(b", "-", "+").
/// Meaningful when every member has the same score.
command<long long> zlexcount(std::string_view key, std::string_view min, std::string_view max);

// --- ranges ----------------------------------------------------------------------------------

/// ZRANGE by rank: the members from start to stop inclusive, lowest score first (negative
/// ranks count from the end: 0, -1 is every member). Empty for a missing key.
command<std::vector<std::string>> zrange(std::string_view key, long long start, long long stop);
/// ZRANGE with bounds read as `opts` says (ranks, score or lex bounds), REV and LIMIT.
/// LIMIT with ranks throws `errc::invalid_argument`.
command<std::vector<std::string>> zrange(std::string_view key, std::string_view start, std::string_view stop,
                                         const zrange_options& opts = {});
/// ZRANGE ... WITHSCORES: the same members, each with its score.
command<std::vector<std::pair<std::string, double>>> zrange_with_scores(std::string_view key, long long start,
                                                                        long long stop);
/// Same with `opts`; lex bounds throw `errc::invalid_argument` (Redis has no WITHSCORES with
/// BYLEX), as does LIMIT with ranks.
command<std::vector<std::pair<std::string, double>>> zrange_with_scores(std::string_view key, std::string_view start,
                                                                        std::string_view stop,
                                                                        const zrange_options& opts = {});
/// ZRANGESTORE: stores the range of `source` in `destination` (replacing it; an empty range
/// deletes it) and returns how many members it holds.
command<long long> zrangestore(std::string_view destination, std::string_view source, long long start,
                               long long stop);
command<long long> zrangestore(std::string_view destination, std::string_view source, std::string_view start,
                               std::string_view stop, const zrange_options& opts = {});

// --- removing ranges -------------------------------------------------------------------------

/// ZREMRANGEBYSCORE: removes the members with a score within [min, max] (score bounds);
/// returns how many.
command<long long> zremrangebyscore(std::string_view key, std::string_view min, std::string_view max);
/// ZREMRANGEBYRANK: removes the members ranked start..stop inclusive; returns how many.
command<long long> zremrangebyrank(std::string_view key, long long start, long long stop);
/// ZREMRANGEBYLEX: removes the members within [min, max] (lex bounds); returns how many.
command<long long> zremrangebylex(std::string_view key, std::string_view min, std::string_view max);

// --- popping ---------------------------------------------------------------------------------

/// ZPOPMIN / ZPOPMAX: removes and returns the member with the lowest (highest) score, or
/// nullopt if the key does not exist.
command<std::optional<std::pair<std::string, double>>> zpopmin(std::string_view key);
command<std::optional<std::pair<std::string, double>>> zpopmax(std::string_view key);
/// ZPOPMIN / ZPOPMAX count: up to `count` members, lowest (highest) score first; empty if the
/// key does not exist. A negative count throws `errc::invalid_argument`.
command<std::vector<std::pair<std::string, double>>> zpopmin(std::string_view key, long long count);
command<std::vector<std::pair<std::string, double>>> zpopmax(std::string_view key, long long count);
/// BZPOPMIN / BZPOPMAX: pops from the first non-empty key, waiting up to `timeout` (zero:
/// forever, millisecond precision) for one; nullopt when it timed out. No keys or a negative
/// timeout throw `errc::invalid_argument`.
command<std::optional<bzpop_result>> bzpopmin(std::initializer_list<std::string_view> keys,
                                              std::chrono::milliseconds timeout);
command<std::optional<bzpop_result>> bzpopmin(std::span<const std::string_view> keys,
                                              std::chrono::milliseconds timeout);
command<std::optional<bzpop_result>> bzpopmax(std::initializer_list<std::string_view> keys,
                                              std::chrono::milliseconds timeout);
command<std::optional<bzpop_result>> bzpopmax(std::span<const std::string_view> keys,
                                              std::chrono::milliseconds timeout);
/// ZMPOP: pops up to `count` members from the first non-empty key, from its `side`; returns
/// that key and the members with their scores, in pop order, or nullopt if every key is empty.
/// No keys or a count below 1 throw `errc::invalid_argument`.
command<std::optional<std::pair<std::string, std::vector<std::pair<std::string, double>>>>> zmpop(
    std::initializer_list<std::string_view> keys, zpop_side side, long long count = 1);
command<std::optional<std::pair<std::string, std::vector<std::pair<std::string, double>>>>> zmpop(
    std::span<const std::string_view> keys, zpop_side side, long long count = 1);
/// BZMPOP: ZMPOP waiting up to `timeout` (zero: forever) for a non-empty key; nullopt when it
/// timed out. A negative timeout also throws `errc::invalid_argument`.
command<std::optional<std::pair<std::string, std::vector<std::pair<std::string, double>>>>> bzmpop(
    std::initializer_list<std::string_view> keys, zpop_side side, std::chrono::milliseconds timeout,
    long long count = 1);
command<std::optional<std::pair<std::string, std::vector<std::pair<std::string, double>>>>> bzmpop(
    std::span<const std::string_view> keys, zpop_side side, std::chrono::milliseconds timeout,
    long long count = 1);

// --- random members --------------------------------------------------------------------------

/// ZRANDMEMBER: a random member, or nullopt if the key does not exist.
command<std::optional<std::string>> zrandmember(std::string_view key);
/// ZRANDMEMBER count: up to `count` distinct members; a negative count returns exactly
/// -count members, possibly repeated. Empty for a missing key.
command<std::vector<std::string>> zrandmember(std::string_view key, long long count);
/// ZRANDMEMBER count WITHSCORES: the same, each with its score.
command<std::vector<std::pair<std::string, double>>> zrandmember_with_scores(std::string_view key, long long count);

// --- combining sets (a missing key is an empty set) ------------------------------------------
// No keys throw `errc::invalid_argument`, as do weights that are not one per key.

/// ZUNION: the members of any of the keys, by ascending combined score.
command<std::vector<std::string>> zunion(std::initializer_list<std::string_view> keys,
                                         const zcombine_options& opts = {});
command<std::vector<std::string>> zunion(std::span<const std::string_view> keys, const zcombine_options& opts = {});
command<std::vector<std::pair<std::string, double>>> zunion_with_scores(std::initializer_list<std::string_view> keys,
                                                                        const zcombine_options& opts = {});
command<std::vector<std::pair<std::string, double>>> zunion_with_scores(std::span<const std::string_view> keys,
                                                                        const zcombine_options& opts = {});
/// ZINTER: the members of every key, by ascending combined score.
command<std::vector<std::string>> zinter(std::initializer_list<std::string_view> keys,
                                         const zcombine_options& opts = {});
command<std::vector<std::string>> zinter(std::span<const std::string_view> keys, const zcombine_options& opts = {});
command<std::vector<std::pair<std::string, double>>> zinter_with_scores(std::initializer_list<std::string_view> keys,
                                                                        const zcombine_options& opts = {});
command<std::vector<std::pair<std::string, double>>> zinter_with_scores(std::span<const std::string_view> keys,
                                                                        const zcombine_options& opts = {});
/// ZDIFF: the members of the first key that are in none of the others, with the first key's
/// scores.
command<std::vector<std::string>> zdiff(std::initializer_list<std::string_view> keys);
command<std::vector<std::string>> zdiff(std::span<const std::string_view> keys);
command<std::vector<std::pair<std::string, double>>> zdiff_with_scores(std::initializer_list<std::string_view> keys);
command<std::vector<std::pair<std::string, double>>> zdiff_with_scores(std::span<const std::string_view> keys);
/// ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: store the result in `destination` (replacing it;
/// an empty result deletes it) and return how many members it holds.
command<long long> zunionstore(std::string_view destination, std::initializer_list<std::string_view> keys,
                               const zcombine_options& opts = {});
command<long long> zunionstore(std::string_view destination, std::span<const std::string_view> keys,
                               const zcombine_options& opts = {});
command<long long> zinterstore(std::string_view destination, std::initializer_list<std::string_view> keys,
                               const zcombine_options& opts = {});
command<long long> zinterstore(std::string_view destination, std::span<const std::string_view> keys,
                               const zcombine_options& opts = {});
command<long long> zdiffstore(std::string_view destination, std::initializer_list<std::string_view> keys);
command<long long> zdiffstore(std::string_view destination, std::span<const std::string_view> keys);
/// ZINTERCARD: how many members are in every key, counting stops at `limit` (0: no limit).
/// No keys or a negative limit throw `errc::invalid_argument`.
command<long long> zintercard(std::initializer_list<std::string_view> keys, long long limit = 0);
command<long long> zintercard(std::span<const std::string_view> keys, long long limit = 0);

// --- scanning --------------------------------------------------------------------------------

/// ZSCAN: one page of members with their scores from `cursor` ("0" to start; the page's
/// cursor is "0" when the scan is complete). `opts.match` filters members and `opts.count`
/// is the COUNT hint; a negative count, or `opts.type` (it has no meaning here), throws
/// `errc::invalid_argument`. A member may be returned more than once over a scan.
command<scan_page<std::pair<std::string, double>>> zscan(std::string_view key, std::string_view cursor,
                                                          const scan_options& opts = {});

}  // namespace cmd

/// The sorted-set commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class sorted_set_commands {
    using members_list = std::initializer_list<std::pair<std::string_view, double>>;
    using members_span = std::span<const std::pair<std::string_view, double>>;
    using names_list = std::initializer_list<std::string_view>;
    using names_span = std::span<const std::string_view>;

public:
    auto zadd(std::string_view key, members_list members, const zadd_options& opts = {}) {
        return run(cmd::zadd(key, members, opts));
    }
    auto zadd(std::string_view key, members_span members, const zadd_options& opts = {}) {
        return run(cmd::zadd(key, members, opts));
    }
    auto zadd_incr(std::string_view key, std::string_view member, double increment, const zadd_options& opts = {}) {
        return run(cmd::zadd_incr(key, member, increment, opts));
    }
    auto zincrby(std::string_view key, double increment, std::string_view member) {
        return run(cmd::zincrby(key, increment, member));
    }
    auto zrem(std::string_view key, std::string_view member) { return run(cmd::zrem(key, member)); }
    auto zrem(std::string_view key, names_list members) { return run(cmd::zrem(key, members)); }
    auto zrem(std::string_view key, names_span members) { return run(cmd::zrem(key, members)); }
    auto zscore(std::string_view key, std::string_view member) { return run(cmd::zscore(key, member)); }
    auto zmscore(std::string_view key, names_list members) { return run(cmd::zmscore(key, members)); }
    auto zmscore(std::string_view key, names_span members) { return run(cmd::zmscore(key, members)); }

    auto zcard(std::string_view key) { return run(cmd::zcard(key)); }
    auto zrank(std::string_view key, std::string_view member) { return run(cmd::zrank(key, member)); }
    auto zrevrank(std::string_view key, std::string_view member) { return run(cmd::zrevrank(key, member)); }
    auto zcount(std::string_view key, std::string_view min, std::string_view max) {
        return run(cmd::zcount(key, min, max));
    }
    auto zlexcount(std::string_view key, std::string_view min, std::string_view max) {
        return run(cmd::zlexcount(key, min, max));
    }

    auto zrange(std::string_view key, long long start, long long stop) { return run(cmd::zrange(key, start, stop)); }
    auto zrange(std::string_view key, std::string_view start, std::string_view stop, const zrange_options& opts = {}) {
        return run(cmd::zrange(key, start, stop, opts));
    }
    auto zrange_with_scores(std::string_view key, long long start, long long stop) {
        return run(cmd::zrange_with_scores(key, start, stop));
    }
    auto zrange_with_scores(std::string_view key, std::string_view start, std::string_view stop,
                            const zrange_options& opts = {}) {
        return run(cmd::zrange_with_scores(key, start, stop, opts));
    }
    auto zrangestore(std::string_view destination, std::string_view source, long long start, long long stop) {
        return run(cmd::zrangestore(destination, source, start, stop));
    }
    auto zrangestore(std::string_view destination, std::string_view source, std::string_view start,
                     std::string_view stop, const zrange_options& opts = {}) {
        return run(cmd::zrangestore(destination, source, start, stop, opts));
    }

    auto zremrangebyscore(std::string_view key, std::string_view min, std::string_view max) {
        return run(cmd::zremrangebyscore(key, min, max));
    }
    auto zremrangebyrank(std::string_view key, long long start, long long stop) {
        return run(cmd::zremrangebyrank(key, start, stop));
    }
    auto zremrangebylex(std::string_view key, std::string_view min, std::string_view max) {
        return run(cmd::zremrangebylex(key, min, max));
    }

    auto zpopmin(std::string_view key) { return run(cmd::zpopmin(key)); }
    auto zpopmax(std::string_view key) { return run(cmd::zpopmax(key)); }
    auto zpopmin(std::string_view key, long long count) { return run(cmd::zpopmin(key, count)); }
    auto zpopmax(std::string_view key, long long count) { return run(cmd::zpopmax(key, count)); }
    auto bzpopmin(names_list keys, std::chrono::milliseconds timeout) { return run(cmd::bzpopmin(keys, timeout)); }
    auto bzpopmin(names_span keys, std::chrono::milliseconds timeout) { return run(cmd::bzpopmin(keys, timeout)); }
    auto bzpopmax(names_list keys, std::chrono::milliseconds timeout) { return run(cmd::bzpopmax(keys, timeout)); }
    auto bzpopmax(names_span keys, std::chrono::milliseconds timeout) { return run(cmd::bzpopmax(keys, timeout)); }
    auto zmpop(names_list keys, zpop_side side, long long count = 1) { return run(cmd::zmpop(keys, side, count)); }
    auto zmpop(names_span keys, zpop_side side, long long count = 1) { return run(cmd::zmpop(keys, side, count)); }
    auto bzmpop(names_list keys, zpop_side side, std::chrono::milliseconds timeout, long long count = 1) {
        return run(cmd::bzmpop(keys, side, timeout, count));
    }
    auto bzmpop(names_span keys, zpop_side side, std::chrono::milliseconds timeout, long long count = 1) {
        return run(cmd::bzmpop(keys, side, timeout, count));
    }

    auto zrandmember(std::string_view key) { return run(cmd::zrandmember(key)); }
    auto zrandmember(std::string_view key, long long count) { return run(cmd::zrandmember(key, count)); }
    auto zrandmember_with_scores(std::string_view key, long long count) {
        return run(cmd::zrandmember_with_scores(key, count));
    }

    auto zunion(names_list keys, const zcombine_options& opts = {}) { return run(cmd::zunion(keys, opts)); }
    auto zunion(names_span keys, const zcombine_options& opts = {}) { return run(cmd::zunion(keys, opts)); }
    auto zunion_with_scores(names_list keys, const zcombine_options& opts = {}) {
        return run(cmd::zunion_with_scores(keys, opts));
    }
    auto zunion_with_scores(names_span keys, const zcombine_options& opts = {}) {
        return run(cmd::zunion_with_scores(keys, opts));
    }
    auto zinter(names_list keys, const zcombine_options& opts = {}) { return run(cmd::zinter(keys, opts)); }
    auto zinter(names_span keys, const zcombine_options& opts = {}) { return run(cmd::zinter(keys, opts)); }
    auto zinter_with_scores(names_list keys, const zcombine_options& opts = {}) {
        return run(cmd::zinter_with_scores(keys, opts));
    }
    auto zinter_with_scores(names_span keys, const zcombine_options& opts = {}) {
        return run(cmd::zinter_with_scores(keys, opts));
    }
    auto zdiff(names_list keys) { return run(cmd::zdiff(keys)); }
    auto zdiff(names_span keys) { return run(cmd::zdiff(keys)); }
    auto zdiff_with_scores(names_list keys) { return run(cmd::zdiff_with_scores(keys)); }
    auto zdiff_with_scores(names_span keys) { return run(cmd::zdiff_with_scores(keys)); }
    auto zunionstore(std::string_view destination, names_list keys, const zcombine_options& opts = {}) {
        return run(cmd::zunionstore(destination, keys, opts));
    }
    auto zunionstore(std::string_view destination, names_span keys, const zcombine_options& opts = {}) {
        return run(cmd::zunionstore(destination, keys, opts));
    }
    auto zinterstore(std::string_view destination, names_list keys, const zcombine_options& opts = {}) {
        return run(cmd::zinterstore(destination, keys, opts));
    }
    auto zinterstore(std::string_view destination, names_span keys, const zcombine_options& opts = {}) {
        return run(cmd::zinterstore(destination, keys, opts));
    }
    auto zdiffstore(std::string_view destination, names_list keys) { return run(cmd::zdiffstore(destination, keys)); }
    auto zdiffstore(std::string_view destination, names_span keys) { return run(cmd::zdiffstore(destination, keys)); }
    auto zintercard(names_list keys, long long limit = 0) { return run(cmd::zintercard(keys, limit)); }
    auto zintercard(names_span keys, long long limit = 0) { return run(cmd::zintercard(keys, limit)); }

    auto zscan(std::string_view key, std::string_view cursor, const scan_options& opts = {}) {
        return run(cmd::zscan(key, cursor, opts));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
