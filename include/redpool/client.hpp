// redpool/client.hpp — the thread-safe Redis client: typed commands and a generic `exec`, over
// a go-redis-style connection pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "redpool/options.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"

namespace redpool {

namespace detail {
class client_core;
}

/// Conditions and expiry for `client::set`.
struct set_options {
    enum class condition { always, if_not_exists /* NX */, if_exists /* XX */ };

    /// Time to live; zero means none (the key persists, or keeps its TTL with `keep_ttl`).
    std::chrono::milliseconds ttl{0};
    condition when = condition::always;
    /// KEEPTTL: keep the key's current time to live.
    bool keep_ttl = false;
};

/// What `client::getex` does to the key's expiry.
struct getex_options {
    /// Sets this time to live when non-zero.
    std::chrono::milliseconds ttl{0};
    /// PERSIST: removes the time to live.
    bool persist = false;
};

/// Filters for `client::scan`.
struct scan_options {
    /// MATCH pattern; empty matches every key.
    std::string match;
    /// COUNT hint: keys the server examines per call; zero leaves the server's default.
    std::size_t count = 0;
    /// TYPE filter ("string", "list", ...); empty for every type.
    std::string type;
};

class client;

/// The keys of a SCAN, fetched batch by batch as the iteration advances. A key may appear more
/// than once if the keyspace changes meanwhile (Redis's SCAN guarantee). Errors are thrown by
/// `begin()` and `++`. Single pass: iterate it once, where `client::scan` returned it (it can be
/// neither copied nor moved, since its iterator points into it).
class scan_range {
public:
    scan_range(const scan_range&) = delete;
    scan_range& operator=(const scan_range&) = delete;

    class iterator {
    public:
        using value_type = std::string;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;

        iterator() = default;
        const std::string& operator*() const { return range_->keys_[index_]; }
        const std::string* operator->() const { return &range_->keys_[index_]; }
        iterator& operator++();
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return range_ == nullptr; }

    private:
        friend class scan_range;
        explicit iterator(scan_range* range);
        void settle();
        scan_range* range_ = nullptr;
        std::size_t index_ = 0;
    };

    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    friend class client;
    scan_range(client& c, scan_options options) : client_(&c), options_(std::move(options)) {}
    bool fetch();  // the next batch; false when the scan is complete

    client* client_;
    scan_options options_;
    std::string cursor_ = "0";
    bool started_ = false;
    std::vector<std::string> keys_;
};

/// A Redis client. Safe to share between threads: every call borrows a pooled connection for
/// one round trip. Transport and pool failures throw `redpool::error`; a server's `-ERR` to a
/// typed command throws `redpool::reply_error`, while `exec` returns it as data.
///
/// Retries: up to `options::max_retries`, with jittered backoff, only when the command cannot
/// have run — a failed dial, a connection found dead before the write, or a reply meaning "not
/// executed" (LOADING, MASTERDOWN, TRYAGAIN, READONLY, CLUSTERDOWN, NOREPLICAS, max number of
/// clients reached). Never after the request may have reached the server (see
/// `error::outcome_unknown`).
///
/// Blocking commands (BLPOP, BRPOP, BLMOVE, BLMPOP, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BZMPOP,
/// XREAD/XREADGROUP with BLOCK, WAIT, WAITAOF) wait up to their block time plus `read_timeout`.
class client {
public:
    /// Validates the options (throws `errc::invalid_argument`) and starts the pool, which dials
    /// `min_idle_conns` connections in the background. No connection is required up front.
    explicit client(options opts);
    /// Same as `client(options::from_url(url))`.
    explicit client(std::string_view url);
    /// Closes the pool, as `close()` does. No other thread may still be inside a call on this
    /// client when it is destroyed: `close()` it first, which makes their calls return, and
    /// wait for them. What outlives the client keeps its pool alive: a connection still leased
    /// (and, later, pinned connections, subscribers and async operations) goes on working or
    /// fails with `errc::pool_closed`, and its connection is closed when it comes back.
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // --- any command -------------------------------------------------------------------------

    /// Runs any command (binary-safe arguments). A server error is returned as data
    /// (`reply::is_error()`); transport and pool failures throw `redpool::error`.
    /// Connections are shared, so nothing a command does to its connection outlives the call:
    /// - after SELECT, MULTI, WATCH, AUTH, ASKING, READONLY/READWRITE, SCRIPT DEBUG or CLIENT
    ///   SETNAME/TRACKING/CACHING/NO-EVICT/NO-TOUCH/SETINFO/KILL the connection is closed;
    /// - commands that can get more than one reply (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their
    ///   UNSUBSCRIBE counterparts, MONITOR, CLIENT REPLY, SYNC, PSYNC) or that take the
    ///   connection over (QUIT, RESET, HELLO) throw `errc::invalid_argument`: they need a
    ///   connection of their own.
    /// Command names are matched in any case.
    reply exec(std::initializer_list<std::string_view> args);
    reply exec(std::span<const std::string_view> args);
    reply exec(const std::vector<std::string>& args);
    /// Same, never throwing: failures set `ec` (a `redpool::errc`) and return a nil reply.
    reply exec(std::initializer_list<std::string_view> args, std::error_code& ec) noexcept;
    reply exec(std::span<const std::string_view> args, std::error_code& ec) noexcept;

    // --- strings and counters ----------------------------------------------------------------

    /// GET: the value, or nullopt if the key does not exist.
    std::optional<std::string> get(std::string_view key);
    /// SET: true if the value was set (false when an NX/XX condition was not met). Throws
    /// `errc::invalid_argument` for a negative ttl, or a ttl together with keep_ttl.
    bool set(std::string_view key, std::string_view value, const set_options& opts = {});
    /// SET with a time to live (sent as PX); `set("k", "v", std::chrono::seconds(10))`.
    bool set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
    /// SET ... GET: sets the value and returns the previous one (nullopt if there was none).
    std::optional<std::string> set_get(std::string_view key, std::string_view value,
                                       const set_options& opts = {});
    /// MGET: one optional per key, in order (no keys: an empty result, nothing sent).
    std::vector<std::optional<std::string>> mget(std::span<const std::string_view> keys);
    std::vector<std::optional<std::string>> mget(std::initializer_list<std::string_view> keys);
    /// MSET.
    void mset(std::span<const std::pair<std::string_view, std::string_view>> pairs);
    void mset(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
    /// GETDEL: the value, then deletes the key.
    std::optional<std::string> getdel(std::string_view key);
    /// GETEX: the value, and sets (ttl) or removes (persist) its expiry; both at once, or a
    /// negative ttl, throw `errc::invalid_argument`.
    std::optional<std::string> getex(std::string_view key, const getex_options& opts = {});
    /// APPEND: the length after appending.
    long long append(std::string_view key, std::string_view value);
    /// STRLEN.
    long long strlen(std::string_view key);
    /// GETRANGE (inclusive offsets; negative count from the end).
    std::string getrange(std::string_view key, long long start, long long end);
    /// SETRANGE: the length after writing.
    long long setrange(std::string_view key, long long offset, std::string_view value);
    long long incr(std::string_view key);
    long long incrby(std::string_view key, long long increment);
    /// INCRBYFLOAT: the new value.
    double incrbyfloat(std::string_view key, double increment);
    long long decr(std::string_view key);
    long long decrby(std::string_view key, long long decrement);

    // --- keys --------------------------------------------------------------------------------

    /// DEL: how many keys were removed (no keys: 0, nothing sent; likewise UNLINK, EXISTS).
    long long del(std::string_view key);
    long long del(std::span<const std::string_view> keys);
    long long del(std::initializer_list<std::string_view> keys);
    /// UNLINK: like DEL, reclaiming memory in the background.
    long long unlink(std::span<const std::string_view> keys);
    long long unlink(std::initializer_list<std::string_view> keys);
    /// EXISTS: how many of the keys exist (a key named twice counts twice).
    long long exists(std::span<const std::string_view> keys);
    long long exists(std::initializer_list<std::string_view> keys);
    /// EXPIRE / PEXPIRE: true if the timeout was set. A zero or negative ttl (or a past
    /// time for EXPIREAT) deletes the key at once, as in Redis.
    bool expire(std::string_view key, std::chrono::seconds ttl);
    bool pexpire(std::string_view key, std::chrono::milliseconds ttl);
    /// EXPIREAT: true if the timeout was set.
    bool expireat(std::string_view key, std::chrono::system_clock::time_point when);
    /// TTL / PTTL: the remaining time to live; -1 if the key has none, -2 if it does not exist.
    std::chrono::seconds ttl(std::string_view key);
    std::chrono::milliseconds pttl(std::string_view key);
    /// PERSIST: true if a timeout was removed.
    bool persist(std::string_view key);
    /// TYPE: "string", "list", ..., or "none".
    std::string type(std::string_view key);
    /// RENAME; throws `reply_error` if the key does not exist.
    void rename(std::string_view key, std::string_view new_key);
    /// RENAMENX: true if renamed, false if new_key already existed.
    bool renamenx(std::string_view key, std::string_view new_key);
    /// SCAN the keyspace lazily: `for (const std::string& k : redis.scan({.match = "user:*"}))`.
    scan_range scan(scan_options opts = {});
    /// KEYS: every key matching the pattern. Blocks the server; prefer `scan` in production.
    std::vector<std::string> keys(std::string_view pattern);

    // --- server ------------------------------------------------------------------------------

    /// PING: "PONG".
    std::string ping();
    /// ECHO: the message.
    std::string echo(std::string_view message);
    /// DBSIZE: keys in the selected database.
    long long dbsize();
    /// FLUSHDB (ASYNC when `async`).
    void flushdb(bool async = false);
    /// INFO, optionally one section.
    std::string info(std::string_view section = {});

    // --- the pool ----------------------------------------------------------------------------

    /// A snapshot of the pool's counters.
    redpool::pool_stats pool_stats() const;
    /// Run-time tuning, effective at once without dropping leased connections. Each setter
    /// keeps the rules `options::validate` checks, and throws `errc::invalid_argument` (changing
    /// nothing) for a value that breaks one. Thread-safe.
    /// set_pool_size: shrinking closes surplus idle connections at once and surplus leased ones
    /// as they come back; min_idle_conns counts as at most pool_size meanwhile, and applies in
    /// full again when the pool grows back.
    void set_pool_size(int size);
    void set_min_idle_conns(int n);
    /// Closes idle connections beyond the new limit at once.
    void set_max_idle_conns(int n);
    void set_pool_timeout(options::duration timeout);
    void set_conn_max_idle_time(options::duration d);
    void set_conn_max_lifetime(options::duration d);
    void set_conn_max_lifetime_jitter(options::duration d);
    void set_pool_fifo(bool fifo);
    /// Closes every idle connection now and the others as they come back, and cancels dials in
    /// flight. Calls waiting for a connection and later calls throw `errc::pool_closed`; calls
    /// already talking to the server finish. Safe while other threads use the client; idempotent.
    void close();

private:
    // Runs a typed command: throws reply_error for a server error reply.
    reply command(std::span<const std::string_view> args);
    reply command(std::initializer_list<std::string_view> args);

    std::unique_ptr<detail::client_core> core_;
};

}  // namespace redpool
