// redpool/cmd/lists.hpp — Redis's list commands: pushes and pops at either end, ranges and
// indexes, LINSERT/LREM/LTRIM/LPOS, moves between lists, and the blocking pops.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `list_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
//
// Blocking commands (BLPOP, BRPOP, BLMOVE, BLMPOP) take their timeout as a
// `std::chrono::milliseconds` (sent in seconds with millisecond precision); zero waits
// forever, a negative one throws `errc::invalid_argument`. The client waits for their reply
// up to the timeout + 1 s + `options::read_timeout` (Redis's timer may end a block up to a
// second late), so a long block is not a read timeout.
// RPOPLPUSH and BRPOPLPUSH are deprecated: use `lmove` and `blmove`.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// An end of a list.
enum class list_end {
    left,   ///< LEFT: the head (index 0).
    right,  ///< RIGHT: the tail (index -1).
};

/// Where LINSERT puts the new element.
enum class insert_position {
    before,  ///< BEFORE the pivot.
    after,   ///< AFTER the pivot.
};

/// Which matches `lpos` and `lpos_count` report.
struct lpos_options {
    /// RANK: the match to start from: 1 (the default) is the first match from the head, 2 the
    /// second, ...; -1 is the first match from the tail, -2 the second, ... Zero throws
    /// `errc::invalid_argument`.
    long long rank = 1;
    /// MAXLEN: compare at most this many elements; zero (the default) scans the whole list.
    /// Negative throws `errc::invalid_argument`.
    long long max_len = 0;
};

namespace cmd {

/// LPUSH / RPUSH: prepends / appends the values in order (LPUSH of a, b leaves b first);
/// returns the list's length after the push. No values throws `errc::invalid_argument`.
command<long long> lpush(std::string_view key, std::string_view value);
command<long long> lpush(std::string_view key, std::span<const std::string_view> values);
command<long long> lpush(std::string_view key, std::initializer_list<std::string_view> values);
command<long long> rpush(std::string_view key, std::string_view value);
command<long long> rpush(std::string_view key, std::span<const std::string_view> values);
command<long long> rpush(std::string_view key, std::initializer_list<std::string_view> values);
/// LPUSHX / RPUSHX: like LPUSH / RPUSH, only if the list exists; 0 if it does not (nothing
/// is created). No values throws `errc::invalid_argument`.
command<long long> lpushx(std::string_view key, std::string_view value);
command<long long> lpushx(std::string_view key, std::span<const std::string_view> values);
command<long long> lpushx(std::string_view key, std::initializer_list<std::string_view> values);
command<long long> rpushx(std::string_view key, std::string_view value);
command<long long> rpushx(std::string_view key, std::span<const std::string_view> values);
command<long long> rpushx(std::string_view key, std::initializer_list<std::string_view> values);
/// LPOP / RPOP: removes and returns the first / last element; nullopt if the key does not
/// exist.
command<std::optional<std::string>> lpop(std::string_view key);
command<std::optional<std::string>> rpop(std::string_view key);
/// LPOP / RPOP ... count: removes and returns up to `count` elements from that end, in pop
/// order; empty if the key does not exist (Redis's nil) or `count` is 0. A negative count
/// throws `errc::invalid_argument`.
command<std::vector<std::string>> lpop(std::string_view key, long long count);
command<std::vector<std::string>> rpop(std::string_view key, long long count);
/// LRANGE: the elements from `start` to `stop`, both inclusive; negative indexes count from
/// the tail (-1 is the last). Empty for a missing key or a range past the end.
command<std::vector<std::string>> lrange(std::string_view key, long long start, long long stop);
/// LLEN: the list's length (0 for a missing key).
command<long long> llen(std::string_view key);
/// LINDEX: the element at `index` (negative counts from the tail); nullopt if out of range
/// or the key does not exist.
command<std::optional<std::string>> lindex(std::string_view key, long long index);
/// LSET: replaces the element at `index`. A missing key ("ERR no such key") or an index out
/// of range throws `reply_error`.
command<void> lset(std::string_view key, long long index, std::string_view value);
/// LINSERT: inserts `value` before or after the first element equal to `pivot`; returns the
/// length after the insert, -1 if the pivot was not found, 0 if the key does not exist.
command<long long> linsert(std::string_view key, insert_position where, std::string_view pivot,
                           std::string_view value);
/// LREM: removes elements equal to `value`: the first `count` from the head (count > 0), the
/// first |count| from the tail (count < 0), or all of them (count == 0). Returns how many were
/// removed.
command<long long> lrem(std::string_view key, long long count, std::string_view value);
/// LTRIM: keeps only the elements from `start` to `stop` (inclusive, negative from the tail);
/// an empty range deletes the key.
command<void> ltrim(std::string_view key, long long start, long long stop);
/// LPOS: the index of the first match of `element` (see `lpos_options` for which one);
/// nullopt if there is none or the key does not exist.
command<std::optional<long long>> lpos(std::string_view key, std::string_view element,
                                       const lpos_options& opts = {});
/// LPOS ... COUNT: the indexes of up to `count` matches (0: every match), in the order they
/// were found (from `opts.rank`'s match on); empty if there is none. A negative count throws
/// `errc::invalid_argument`.
command<std::vector<long long>> lpos_count(std::string_view key, std::string_view element, long long count,
                                           const lpos_options& opts = {});
/// LMOVE: pops an element from `from` of `source`, pushes it at `to` of `destination` (which
/// may be the same list, rotating it) and returns it; nullopt if `source` is empty.
command<std::optional<std::string>> lmove(std::string_view source, std::string_view destination, list_end from,
                                          list_end to);
/// LMPOP: pops up to `count` elements from `end` of the first non-empty list among `keys`;
/// returns that list's key and the elements in pop order, or nullopt if every list is empty.
/// No keys, or a count below 1, throws `errc::invalid_argument`.
command<std::optional<std::pair<std::string, std::vector<std::string>>>> lmpop(
    std::span<const std::string_view> keys, list_end end, long long count = 1);
command<std::optional<std::pair<std::string, std::vector<std::string>>>> lmpop(
    std::initializer_list<std::string_view> keys, list_end end, long long count = 1);
/// BLPOP / BRPOP: pops the first / last element of the first non-empty list among `keys`,
/// waiting up to `timeout` (zero: forever) for one; returns (key, element), or nullopt on
/// timeout. No keys throws `errc::invalid_argument`.
command<std::optional<std::pair<std::string, std::string>>> blpop(std::span<const std::string_view> keys,
                                                                  std::chrono::milliseconds timeout);
command<std::optional<std::pair<std::string, std::string>>> blpop(std::initializer_list<std::string_view> keys,
                                                                  std::chrono::milliseconds timeout);
command<std::optional<std::pair<std::string, std::string>>> brpop(std::span<const std::string_view> keys,
                                                                  std::chrono::milliseconds timeout);
command<std::optional<std::pair<std::string, std::string>>> brpop(std::initializer_list<std::string_view> keys,
                                                                  std::chrono::milliseconds timeout);
/// BLMOVE: LMOVE, waiting up to `timeout` (zero: forever) for `source` to have an element;
/// nullopt on timeout.
command<std::optional<std::string>> blmove(std::string_view source, std::string_view destination, list_end from,
                                           list_end to, std::chrono::milliseconds timeout);
/// BLMPOP: LMPOP, waiting up to `timeout` (zero: forever) for one of the lists to have an
/// element; nullopt on timeout. No keys, or a count below 1, throws `errc::invalid_argument`.
command<std::optional<std::pair<std::string, std::vector<std::string>>>> blmpop(
    std::span<const std::string_view> keys, list_end end, std::chrono::milliseconds timeout, long long count = 1);
command<std::optional<std::pair<std::string, std::vector<std::string>>>> blmpop(
    std::initializer_list<std::string_view> keys, list_end end, std::chrono::milliseconds timeout,
    long long count = 1);

}  // namespace cmd

/// The list commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class list_commands {
public:
    auto lpush(std::string_view key, std::string_view value) { return run(cmd::lpush(key, value)); }
    auto lpush(std::string_view key, std::span<const std::string_view> values) { return run(cmd::lpush(key, values)); }
    auto lpush(std::string_view key, std::initializer_list<std::string_view> values) {
        return run(cmd::lpush(key, values));
    }
    auto rpush(std::string_view key, std::string_view value) { return run(cmd::rpush(key, value)); }
    auto rpush(std::string_view key, std::span<const std::string_view> values) { return run(cmd::rpush(key, values)); }
    auto rpush(std::string_view key, std::initializer_list<std::string_view> values) {
        return run(cmd::rpush(key, values));
    }
    auto lpushx(std::string_view key, std::string_view value) { return run(cmd::lpushx(key, value)); }
    auto lpushx(std::string_view key, std::span<const std::string_view> values) {
        return run(cmd::lpushx(key, values));
    }
    auto lpushx(std::string_view key, std::initializer_list<std::string_view> values) {
        return run(cmd::lpushx(key, values));
    }
    auto rpushx(std::string_view key, std::string_view value) { return run(cmd::rpushx(key, value)); }
    auto rpushx(std::string_view key, std::span<const std::string_view> values) {
        return run(cmd::rpushx(key, values));
    }
    auto rpushx(std::string_view key, std::initializer_list<std::string_view> values) {
        return run(cmd::rpushx(key, values));
    }
    auto lpop(std::string_view key) { return run(cmd::lpop(key)); }
    auto rpop(std::string_view key) { return run(cmd::rpop(key)); }
    auto lpop(std::string_view key, long long count) { return run(cmd::lpop(key, count)); }
    auto rpop(std::string_view key, long long count) { return run(cmd::rpop(key, count)); }
    auto lrange(std::string_view key, long long start, long long stop) { return run(cmd::lrange(key, start, stop)); }
    auto llen(std::string_view key) { return run(cmd::llen(key)); }
    auto lindex(std::string_view key, long long index) { return run(cmd::lindex(key, index)); }
    auto lset(std::string_view key, long long index, std::string_view value) {
        return run(cmd::lset(key, index, value));
    }
    auto linsert(std::string_view key, insert_position where, std::string_view pivot, std::string_view value) {
        return run(cmd::linsert(key, where, pivot, value));
    }
    auto lrem(std::string_view key, long long count, std::string_view value) {
        return run(cmd::lrem(key, count, value));
    }
    auto ltrim(std::string_view key, long long start, long long stop) { return run(cmd::ltrim(key, start, stop)); }
    auto lpos(std::string_view key, std::string_view element, const lpos_options& opts = {}) {
        return run(cmd::lpos(key, element, opts));
    }
    auto lpos_count(std::string_view key, std::string_view element, long long count, const lpos_options& opts = {}) {
        return run(cmd::lpos_count(key, element, count, opts));
    }
    auto lmove(std::string_view source, std::string_view destination, list_end from, list_end to) {
        return run(cmd::lmove(source, destination, from, to));
    }
    auto lmpop(std::span<const std::string_view> keys, list_end end, long long count = 1) {
        return run(cmd::lmpop(keys, end, count));
    }
    auto lmpop(std::initializer_list<std::string_view> keys, list_end end, long long count = 1) {
        return run(cmd::lmpop(keys, end, count));
    }
    auto blpop(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
        return run(cmd::blpop(keys, timeout));
    }
    auto blpop(std::initializer_list<std::string_view> keys, std::chrono::milliseconds timeout) {
        return run(cmd::blpop(keys, timeout));
    }
    auto brpop(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
        return run(cmd::brpop(keys, timeout));
    }
    auto brpop(std::initializer_list<std::string_view> keys, std::chrono::milliseconds timeout) {
        return run(cmd::brpop(keys, timeout));
    }
    auto blmove(std::string_view source, std::string_view destination, list_end from, list_end to,
                std::chrono::milliseconds timeout) {
        return run(cmd::blmove(source, destination, from, to, timeout));
    }
    auto blmpop(std::span<const std::string_view> keys, list_end end, std::chrono::milliseconds timeout,
                long long count = 1) {
        return run(cmd::blmpop(keys, end, timeout, count));
    }
    auto blmpop(std::initializer_list<std::string_view> keys, list_end end, std::chrono::milliseconds timeout,
                long long count = 1) {
        return run(cmd::blmpop(keys, end, timeout, count));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
