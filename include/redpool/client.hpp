// redpool/client.hpp — the thread-safe Redis client: typed commands and a generic `exec`, over
// a go-redis-style connection pool.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/commands.hpp"
#include "redpool/options.hpp"
#include "redpool/pinned.hpp"
#include "redpool/pipeline.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"
#include "redpool/scan_range.hpp"
#include "redpool/script.hpp"
#include "redpool/subscriber.hpp"

namespace redpool {

namespace detail {
class client_core;
}

/// A Redis client. Its typed methods (`get`, `set`, `hset`, `zadd`, `xadd`, ...) come from
/// `commands<client>`, one per factory in `redpool::cmd`, documented there.
/// Safe to share between threads: every call borrows a pooled connection for
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
/// XREAD/XREADGROUP with BLOCK, WAIT, WAITAOF) wait up to their block time plus `read_timeout`,
/// plus a second: Redis ends a block on its timer tick, which can come that late (hz 1).
class client : public commands<client> {
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

    // --- typed commands ----------------------------------------------------------------------

    /// Runs a command value (see `redpool::command`): `redis.run(redpool::cmd::get("k"))`, or
    /// one of your own, `redis.run(redpool::command<long long>({"INCRBY", "k", "5"}))`. A
    /// server error throws `reply_error`; a reply of the wrong shape throws `redpool::error`
    /// (`errc::protocol_error`). Every typed method of this class (`get`, `hset`, `zadd`, ...,
    /// one per factory in `redpool::cmd`) is `run` of its command.
    template <class T>
    T run(const command<T>& c) {
        if (c.answered_locally()) return c.read(reply());
        return c.read(run_checked(c.args(), c.wire_bytes()));
    }

    /// SCAN the keyspace lazily: `for (const std::string& k : redis.scan({.match = "user:*"}))`.
    scan_range scan(scan_options opts = {});
    /// HSCAN, SSCAN and ZSCAN of one key, lazily: every field and value, member, or member and
    /// score. A TYPE filter or a negative COUNT throws `errc::invalid_argument` from `begin()`.
    basic_scan_range<std::pair<std::string, std::string>> hscan(std::string_view key, scan_options opts = {});
    basic_scan_range<std::string> sscan(std::string_view key, scan_options opts = {});
    basic_scan_range<std::pair<std::string, double>> zscan(std::string_view key, scan_options opts = {});
    /// One page of each from `cursor` (see `cmd::scan`, `cmd::hscan`, ...).
    using commands<client>::scan;
    using commands<client>::hscan;
    using commands<client>::sscan;
    using commands<client>::zscan;

    // --- many commands, one connection ---------------------------------------------------------

    /// An empty pipeline; each `exec()` borrows one pooled connection (see `redpool::pipeline`).
    redpool::pipeline pipeline();
    /// An empty MULTI/EXEC transaction; each `exec()` borrows one pooled connection.
    redpool::transaction transaction();
    /// Leases one pooled connection for as long as the result lives, for session state
    /// (see `redpool::pinned`). Waits for a turn as any call does (`errc::pool_timeout`), and
    /// retries a failed dial as calls do. `file` and `line` are the caller's, filled in by the
    /// compiler: options::lease_warning_after reports a connection held too long with them.
    redpool::pinned pin(const char* file = __builtin_FILE(), int line = __builtin_LINE());
    /// Optimistic locking, go-redis's Watch: pins a connection, sends WATCH `keys`, and calls
    /// `fn` with it; `fn` reads and then runs `c.transaction()`. When a watched key changed
    /// meanwhile, the transaction's `exec()` throws `errc::tx_failed` (nothing ran), which
    /// `watch` passes on: catch it and call `watch` again. Whatever `fn` leaves behind (an
    /// open MULTI, the WATCH) is undone before the connection goes back to the pool, also when
    /// `fn` throws.
    void watch(std::initializer_list<std::string_view> keys, std::function<void(redpool::pinned&)> fn);
    void watch(std::span<const std::string_view> keys, std::function<void(redpool::pinned&)> fn);

    /// Runs a script: EVALSHA with its SHA-1, then EVAL with its source if the server answers
    /// NOSCRIPT (after SCRIPT FLUSH or a restart). A script error throws `reply_error`.
    reply run_script(const script& s, std::initializer_list<std::string_view> keys = {},
                     std::initializer_list<std::string_view> args = {});
    reply run_script(const script& s, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args);

    /// A pub/sub connection of its own, outside the pool (see `redpool::subscriber`). Dials
    /// lazily: the first subscribe connects. `file` and `line` as for `pin()`.
    redpool::subscriber subscriber(const char* file = __builtin_FILE(), int line = __builtin_LINE());

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
    // One round trip for a typed command, its request sent as the command encoded it: throws
    // reply_error for a server error reply.
    reply run_checked(std::span<const std::string_view> args, std::span<const char> wire_bytes);

    std::unique_ptr<detail::client_core> core_;
};

}  // namespace redpool
