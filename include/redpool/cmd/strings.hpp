// redpool/cmd/strings.hpp — Redis's string commands: GET/SET and friends, counters, ranges.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `string_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
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

/// Conditions and expiry for `set`.
struct set_options {
    enum class condition { always, if_not_exists /* NX */, if_exists /* XX */ };

    /// Time to live; zero means none (the key persists, or keeps its TTL with `keep_ttl`).
    std::chrono::milliseconds ttl{0};
    condition when = condition::always;
    /// KEEPTTL: keep the key's current time to live.
    bool keep_ttl = false;
};

/// What `getex` does to the key's expiry.
struct getex_options {
    /// Sets this time to live when non-zero.
    std::chrono::milliseconds ttl{0};
    /// PERSIST: removes the time to live.
    bool persist = false;
};

/// One run of the longest common subsequence that LCS ... IDX reports.
struct lcs_match {
    /// Inclusive [start, end] byte offsets of the run in the first key's value.
    std::pair<long long, long long> first;
    /// Same, in the second key's value.
    std::pair<long long, long long> second;
    /// The run's length in bytes.
    long long length = 0;
};
/// What LCS ... IDX reports about the longest common subsequence of two strings.
struct lcs_result {
    /// Matching runs, last run first (Redis's order).
    std::vector<lcs_match> matches;
    /// The length of the whole subsequence (all runs, including those shorter than the
    /// minimum match length).
    long long length = 0;
};

namespace cmd {

/// GET: the value, or nullopt if the key does not exist.
command<std::optional<std::string>> get(std::string_view key);
/// SET: true if the value was set (false when an NX/XX condition was not met). Throws
/// `errc::invalid_argument` for a negative ttl, or a ttl together with keep_ttl.
command<bool> set(std::string_view key, std::string_view value, const set_options& opts = {});
/// SET with a time to live (sent as PX); `set("k", "v", std::chrono::seconds(10))`.
command<bool> set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
/// SET ... GET: sets the value and returns the previous one (nullopt if there was none).
command<std::optional<std::string>> set_get(std::string_view key, std::string_view value,
                                            const set_options& opts = {});
/// SETNX: true if the key did not exist and was set.
command<bool> setnx(std::string_view key, std::string_view value);
/// SETEX / PSETEX: sets the value with a time to live. A zero or negative ttl throws
/// `errc::invalid_argument` (Redis would refuse it).
command<void> setex(std::string_view key, std::chrono::seconds ttl, std::string_view value);
command<void> psetex(std::string_view key, std::chrono::milliseconds ttl, std::string_view value);
/// MGET: one optional per key, in order (no keys: an empty result, nothing sent).
command<std::vector<std::optional<std::string>>> mget(std::span<const std::string_view> keys);
command<std::vector<std::optional<std::string>>> mget(std::initializer_list<std::string_view> keys);
/// MSET. No pairs throws `errc::invalid_argument`.
command<void> mset(std::span<const std::pair<std::string_view, std::string_view>> pairs);
command<void> mset(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
/// MSETNX: true if every key was set (none existed), false if none was (at least one
/// existed). No pairs throws `errc::invalid_argument`.
command<bool> msetnx(std::span<const std::pair<std::string_view, std::string_view>> pairs);
command<bool> msetnx(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
/// GETDEL: the value, then deletes the key.
command<std::optional<std::string>> getdel(std::string_view key);
/// GETEX: the value, and sets (ttl) or removes (persist) its expiry; both at once, or a
/// negative ttl, throw `errc::invalid_argument`.
command<std::optional<std::string>> getex(std::string_view key, const getex_options& opts = {});
/// GETSET: sets the value and returns the previous one (nullopt if there was none); removes
/// any time to live. Deprecated by Redis in favour of `set_get`.
command<std::optional<std::string>> getset(std::string_view key, std::string_view value);
/// APPEND: the length after appending.
command<long long> append(std::string_view key, std::string_view value);
/// STRLEN: the value's length (0 for a missing key).
command<long long> strlen(std::string_view key);
/// GETRANGE (inclusive offsets; negative count from the end).
command<std::string> getrange(std::string_view key, long long start, long long end);
/// SETRANGE: the length after writing.
command<long long> setrange(std::string_view key, long long offset, std::string_view value);
/// INCR / INCRBY / DECR / DECRBY: the new value.
command<long long> incr(std::string_view key);
command<long long> incrby(std::string_view key, long long increment);
command<long long> decr(std::string_view key);
command<long long> decrby(std::string_view key, long long decrement);
/// INCRBYFLOAT: the new value.
command<double> incrbyfloat(std::string_view key, double increment);
/// LCS: the longest common subsequence of the values at two keys (a missing key counts as
/// empty; a key of another type throws `reply_error` ERR).
command<std::string> lcs(std::string_view key1, std::string_view key2);
/// LCS ... LEN: its length.
command<long long> lcs_len(std::string_view key1, std::string_view key2);
/// LCS ... IDX [MINMATCHLEN n] WITHMATCHLEN: where the runs of it are, leaving out runs
/// shorter than `min_match_len` (0 or less: every run).
command<lcs_result> lcs_idx(std::string_view key1, std::string_view key2, long long min_match_len = 0);

}  // namespace cmd

/// The string commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class string_commands {
public:
    auto get(std::string_view key) { return run(cmd::get(key)); }
    auto set(std::string_view key, std::string_view value, const set_options& opts = {}) {
        return run(cmd::set(key, value, opts));
    }
    auto set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
        return run(cmd::set(key, value, ttl));
    }
    auto set_get(std::string_view key, std::string_view value, const set_options& opts = {}) {
        return run(cmd::set_get(key, value, opts));
    }
    auto setnx(std::string_view key, std::string_view value) { return run(cmd::setnx(key, value)); }
    auto setex(std::string_view key, std::chrono::seconds ttl, std::string_view value) {
        return run(cmd::setex(key, ttl, value));
    }
    auto psetex(std::string_view key, std::chrono::milliseconds ttl, std::string_view value) {
        return run(cmd::psetex(key, ttl, value));
    }
    auto mget(std::span<const std::string_view> keys) { return run(cmd::mget(keys)); }
    auto mget(std::initializer_list<std::string_view> keys) { return run(cmd::mget(keys)); }
    auto mset(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
        return run(cmd::mset(pairs));
    }
    auto mset(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
        return run(cmd::mset(pairs));
    }
    auto msetnx(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
        return run(cmd::msetnx(pairs));
    }
    auto msetnx(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
        return run(cmd::msetnx(pairs));
    }
    auto getdel(std::string_view key) { return run(cmd::getdel(key)); }
    auto getex(std::string_view key, const getex_options& opts = {}) { return run(cmd::getex(key, opts)); }
    auto getset(std::string_view key, std::string_view value) { return run(cmd::getset(key, value)); }
    auto append(std::string_view key, std::string_view value) { return run(cmd::append(key, value)); }
    auto strlen(std::string_view key) { return run(cmd::strlen(key)); }
    auto getrange(std::string_view key, long long start, long long end) {
        return run(cmd::getrange(key, start, end));
    }
    auto setrange(std::string_view key, long long offset, std::string_view value) {
        return run(cmd::setrange(key, offset, value));
    }
    auto incr(std::string_view key) { return run(cmd::incr(key)); }
    auto incrby(std::string_view key, long long increment) { return run(cmd::incrby(key, increment)); }
    auto decr(std::string_view key) { return run(cmd::decr(key)); }
    auto decrby(std::string_view key, long long decrement) { return run(cmd::decrby(key, decrement)); }
    auto incrbyfloat(std::string_view key, double increment) { return run(cmd::incrbyfloat(key, increment)); }
    auto lcs(std::string_view key1, std::string_view key2) { return run(cmd::lcs(key1, key2)); }
    auto lcs_len(std::string_view key1, std::string_view key2) { return run(cmd::lcs_len(key1, key2)); }
    auto lcs_idx(std::string_view key1, std::string_view key2, long long min_match_len = 0) {
        return run(cmd::lcs_idx(key1, key2, min_match_len));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
