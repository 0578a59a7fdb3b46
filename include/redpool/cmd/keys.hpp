// redpool/cmd/keys.hpp — Redis's generic (keyspace) commands: DEL, EXISTS, expiry, RENAME,
// COPY, OBJECT, DUMP/RESTORE, SORT, MIGRATE, KEYS, SCAN, WAIT and the rest of the "generic"
// group.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `key_commands<Executor>` gives every executor the method of the same name: `client` returns
// the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// Filters for SCAN.
struct scan_options {
    /// MATCH pattern; empty matches every key.
    std::string match;
    /// COUNT hint: keys the server examines per call; zero leaves the server's default, and a
    /// negative one throws `errc::invalid_argument`.
    long long count = 0;
    /// TYPE filter ("string", "list", ...); empty for every type.
    std::string type;
};

/// The condition under which EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT set an expiry. For GT and
/// LT a key without an expiry counts as never expiring: `if_later` never applies to it and
/// `if_sooner` always does.
enum class expire_condition {
    /// Sets the expiry whatever the key has now.
    always,
    /// NX: only if the key has no expiry.
    if_no_expiry,
    /// XX: only if the key has an expiry.
    if_has_expiry,
    /// GT: only if the new expiry is later than the current one.
    if_later,
    /// LT: only if the new expiry is sooner than the current one.
    if_sooner,
};

/// Where and how `copy` copies.
struct copy_options {
    /// DB: the database to copy into; nullopt for the selected one.
    std::optional<int> db;
    /// REPLACE: overwrite the destination if it exists (otherwise nothing is copied).
    bool replace = false;
};

/// How `restore` creates the key.
struct restore_options {
    /// REPLACE: overwrite an existing key (otherwise RESTORE fails with BUSYKEY).
    bool replace = false;
    /// ABSTTL: the ttl given to `restore` is an absolute Unix time in milliseconds (what
    /// `pexpiretime` returns) rather than a time to live.
    bool absolute_ttl = false;
    /// IDLETIME: the key's idle time, for the LRU eviction policies. Not with `frequency`.
    std::optional<std::chrono::seconds> idle_time;
    /// FREQ: the key's access frequency (0 to 255), for the LFU eviction policies. Not with
    /// `idle_time`.
    std::optional<long long> frequency;
};

/// How SORT / SORT_RO sort and what they return.
struct sort_options {
    /// LIMIT: a window of the sorted elements.
    struct window {
        /// Elements to skip.
        long long offset = 0;
        /// Elements to return after them; negative (the default) returns all the rest.
        long long count = -1;
    };

    /// BY pattern: sort by the values at the keys made by replacing the first `*` with each
    /// element ("weight_*", or "obj_*->field" for a hash field); "nosort" keeps the elements
    /// in their stored order. Empty sorts by the elements themselves.
    std::string by;
    /// LIMIT offset count; nullopt for every element.
    std::optional<window> limit;
    /// GET patterns: instead of the elements, return for each element the value at the key
    /// made from each pattern in turn ("#" is the element itself). Empty returns the elements.
    std::vector<std::string> get;
    /// DESC: largest first.
    bool descending = false;
    /// ALPHA: compare as strings rather than as numbers.
    bool alpha = false;
};

/// How `migrate` moves keys.
struct migrate_options {
    /// COPY: keep the keys on this server too.
    bool copy = false;
    /// REPLACE: overwrite keys that exist on the destination (otherwise the destination
    /// refuses them with BUSYKEY).
    bool replace = false;
    /// The destination's credentials: AUTH2 username password when both are set, AUTH password
    /// when only the password is; none when the password is empty. Never part of an error.
    std::string username;
    std::string password;
};

namespace cmd {

/// DEL: how many keys were removed (no keys: 0, nothing sent; likewise UNLINK, EXISTS).
command<long long> del(std::string_view key);
command<long long> del(std::span<const std::string_view> keys);
command<long long> del(std::initializer_list<std::string_view> keys);
/// UNLINK: like DEL, reclaiming memory in the background.
command<long long> unlink(std::string_view key);
command<long long> unlink(std::span<const std::string_view> keys);
command<long long> unlink(std::initializer_list<std::string_view> keys);
/// EXISTS: how many of the keys exist (a key named twice counts twice).
command<long long> exists(std::string_view key);
command<long long> exists(std::span<const std::string_view> keys);
command<long long> exists(std::initializer_list<std::string_view> keys);
/// EXPIRE / PEXPIRE: true if the timeout was set. A zero or negative ttl (or a past time for
/// EXPIREAT) deletes the key at once, as in Redis.
command<bool> expire(std::string_view key, std::chrono::seconds ttl);
command<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl);
/// Same, under a condition: false when it was not met (or the key does not exist).
command<bool> expire(std::string_view key, std::chrono::seconds ttl, expire_condition when);
command<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl, expire_condition when);
/// EXPIREAT / PEXPIREAT: true if the timeout was set (whole seconds for EXPIREAT, which drops
/// the fraction; milliseconds for PEXPIREAT). A past time deletes the key at once.
command<bool> expireat(std::string_view key, std::chrono::system_clock::time_point when);
command<bool> expireat(std::string_view key, std::chrono::system_clock::time_point when, expire_condition cond);
command<bool> pexpireat(std::string_view key, std::chrono::system_clock::time_point when,
                        expire_condition cond = expire_condition::always);
/// EXPIRETIME / PEXPIRETIME: when the key expires, as Redis gives it: the time since the Unix
/// epoch (`std::chrono::system_clock::time_point(t)` for a time point; EXPIRETIME rounds to the
/// nearest second); -1 if the key has no expiry, -2 if it does not exist, like TTL and PTTL.
command<std::chrono::seconds> expiretime(std::string_view key);
command<std::chrono::milliseconds> pexpiretime(std::string_view key);
/// TTL / PTTL: the remaining time to live; -1 if the key has none, -2 if it does not exist.
command<std::chrono::seconds> ttl(std::string_view key);
command<std::chrono::milliseconds> pttl(std::string_view key);
/// PERSIST: true if a timeout was removed.
command<bool> persist(std::string_view key);
/// TYPE: "string", "list", ..., or "none".
command<std::string> type(std::string_view key);
/// RENAME; throws `reply_error` if the key does not exist.
command<void> rename(std::string_view key, std::string_view new_key);
/// RENAMENX: true if renamed, false if new_key already existed.
command<bool> renamenx(std::string_view key, std::string_view new_key);
/// COPY: true if copied; false if the destination exists and `replace` is not set. Copying a
/// key onto itself, or into a database that does not exist, throws `reply_error`.
command<bool> copy(std::string_view source, std::string_view destination, const copy_options& opts = {});
/// MOVE: true if the key was moved into database `db`; false if it does not exist here or
/// already exists there.
command<bool> move(std::string_view key, int db);
/// TOUCH: how many of the keys exist, updating their last access time (no keys: 0, nothing
/// sent).
command<long long> touch(std::string_view key);
command<long long> touch(std::span<const std::string_view> keys);
command<long long> touch(std::initializer_list<std::string_view> keys);
/// RANDOMKEY: a random key, or nullopt if the database is empty.
command<std::optional<std::string>> randomkey();
/// OBJECT ENCODING: how the value is stored ("listpack", "hashtable", "int", ...); nullopt if
/// the key does not exist.
command<std::optional<std::string>> object_encoding(std::string_view key);
/// OBJECT FREQ: the key's logarithmic access frequency counter; nullopt if the key does not
/// exist. Throws `reply_error` unless an LFU maxmemory-policy is in use.
command<std::optional<long long>> object_freq(std::string_view key);
/// OBJECT IDLETIME: how long since the key was last accessed; nullopt if it does not exist.
/// Throws `reply_error` while an LFU maxmemory-policy is in use.
command<std::optional<std::chrono::seconds>> object_idletime(std::string_view key);
/// OBJECT REFCOUNT: the value's reference count; nullopt if the key does not exist.
command<std::optional<long long>> object_refcount(std::string_view key);
/// DUMP: the value in Redis's serialization format (binary; for `restore`), or nullopt if the
/// key does not exist.
command<std::optional<std::string>> dump(std::string_view key);
/// RESTORE: creates `key` from a `dump` payload, with a time to live (zero: none; see
/// `restore_options::absolute_ttl`). An existing key without `replace` (BUSYKEY) or a payload
/// that fails its checksum throws `reply_error`. A negative ttl or idle time, a frequency
/// outside 0..255, or both an idle time and a frequency throw `errc::invalid_argument`.
command<void> restore(std::string_view key, std::chrono::milliseconds ttl, std::string_view payload,
                      const restore_options& opts = {});
/// SORT / SORT_RO: the sorted elements of a list, set or sorted set, or the values the GET
/// patterns name (nullopt where that key or hash field does not exist). A missing key sorts as
/// empty; elements that are not numbers without `alpha` throw `reply_error`.
command<std::vector<std::optional<std::string>>> sort(std::string_view key, const sort_options& opts = {});
command<std::vector<std::optional<std::string>>> sort_ro(std::string_view key, const sort_options& opts = {});
/// SORT ... STORE destination: stores the result as a list (deleting `destination` if it is
/// empty) and returns its length.
command<long long> sort_store(std::string_view key, std::string_view destination, const sort_options& opts = {});
/// MIGRATE: moves keys to database `db` of another server, atomically per key. True when done
/// ("OK"); false when none of the keys exists ("NOKEY"; also for no keys, nothing sent).
/// `timeout` bounds each I/O with the destination (zero: Redis's default of one second); a
/// negative one throws `errc::invalid_argument`, as does a username without a password. The
/// call waits for the server, so keep `timeout` below the client's read_timeout. Failures
/// throw `reply_error`: IOERR when the destination cannot be reached, and "ERR Target instance
/// replied with error: ..." for the destination's own errors (BUSYKEY, NOAUTH, WRONGPASS).
command<bool> migrate(std::string_view host, int port, std::string_view key, int db,
                      std::chrono::milliseconds timeout, const migrate_options& opts = {});
command<bool> migrate(std::string_view host, int port, std::span<const std::string_view> keys, int db,
                      std::chrono::milliseconds timeout, const migrate_options& opts = {});
command<bool> migrate(std::string_view host, int port, std::initializer_list<std::string_view> keys, int db,
                      std::chrono::milliseconds timeout, const migrate_options& opts = {});
/// WAIT: blocks until `numreplicas` replicas have acknowledged this connection's writes or
/// `timeout` passes (zero: forever), and returns how many did. A negative count or timeout
/// throws `errc::invalid_argument`. Through `client`, "this connection" is whichever pooled
/// connection the call borrows, which may not be the one that carried your writes: WAIT says
/// something about them only where they share a connection (a pipeline or transaction).
command<long long> wait(long long numreplicas, std::chrono::milliseconds timeout);
/// KEYS: every key matching the pattern. Blocks the server; prefer SCAN in production.
command<std::vector<std::string>> keys(std::string_view pattern);
/// SCAN: one page of keys from `cursor` ("0" to start). `client::scan(opts)` iterates them all.
command<scan_page<std::string>> scan(std::string_view cursor, const scan_options& opts = {});

}  // namespace cmd

/// The generic keyspace commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class key_commands {
public:
    auto del(std::string_view key) { return run(cmd::del(key)); }
    auto del(std::span<const std::string_view> keys) { return run(cmd::del(keys)); }
    auto del(std::initializer_list<std::string_view> keys) { return run(cmd::del(keys)); }
    auto unlink(std::string_view key) { return run(cmd::unlink(key)); }
    auto unlink(std::span<const std::string_view> keys) { return run(cmd::unlink(keys)); }
    auto unlink(std::initializer_list<std::string_view> keys) { return run(cmd::unlink(keys)); }
    auto exists(std::string_view key) { return run(cmd::exists(key)); }
    auto exists(std::span<const std::string_view> keys) { return run(cmd::exists(keys)); }
    auto exists(std::initializer_list<std::string_view> keys) { return run(cmd::exists(keys)); }
    auto expire(std::string_view key, std::chrono::seconds ttl) { return run(cmd::expire(key, ttl)); }
    auto pexpire(std::string_view key, std::chrono::milliseconds ttl) { return run(cmd::pexpire(key, ttl)); }
    auto expire(std::string_view key, std::chrono::seconds ttl, expire_condition when) {
        return run(cmd::expire(key, ttl, when));
    }
    auto pexpire(std::string_view key, std::chrono::milliseconds ttl, expire_condition when) {
        return run(cmd::pexpire(key, ttl, when));
    }
    auto expireat(std::string_view key, std::chrono::system_clock::time_point when) {
        return run(cmd::expireat(key, when));
    }
    auto expireat(std::string_view key, std::chrono::system_clock::time_point when, expire_condition cond) {
        return run(cmd::expireat(key, when, cond));
    }
    auto pexpireat(std::string_view key, std::chrono::system_clock::time_point when,
                   expire_condition cond = expire_condition::always) {
        return run(cmd::pexpireat(key, when, cond));
    }
    auto expiretime(std::string_view key) { return run(cmd::expiretime(key)); }
    auto pexpiretime(std::string_view key) { return run(cmd::pexpiretime(key)); }
    auto ttl(std::string_view key) { return run(cmd::ttl(key)); }
    auto pttl(std::string_view key) { return run(cmd::pttl(key)); }
    auto persist(std::string_view key) { return run(cmd::persist(key)); }
    auto type(std::string_view key) { return run(cmd::type(key)); }
    auto rename(std::string_view key, std::string_view new_key) { return run(cmd::rename(key, new_key)); }
    auto renamenx(std::string_view key, std::string_view new_key) { return run(cmd::renamenx(key, new_key)); }
    auto copy(std::string_view source, std::string_view destination, const copy_options& opts = {}) {
        return run(cmd::copy(source, destination, opts));
    }
    auto move(std::string_view key, int db) { return run(cmd::move(key, db)); }
    auto touch(std::string_view key) { return run(cmd::touch(key)); }
    auto touch(std::span<const std::string_view> keys) { return run(cmd::touch(keys)); }
    auto touch(std::initializer_list<std::string_view> keys) { return run(cmd::touch(keys)); }
    auto randomkey() { return run(cmd::randomkey()); }
    auto object_encoding(std::string_view key) { return run(cmd::object_encoding(key)); }
    auto object_freq(std::string_view key) { return run(cmd::object_freq(key)); }
    auto object_idletime(std::string_view key) { return run(cmd::object_idletime(key)); }
    auto object_refcount(std::string_view key) { return run(cmd::object_refcount(key)); }
    auto dump(std::string_view key) { return run(cmd::dump(key)); }
    auto restore(std::string_view key, std::chrono::milliseconds ttl, std::string_view payload,
                 const restore_options& opts = {}) {
        return run(cmd::restore(key, ttl, payload, opts));
    }
    auto sort(std::string_view key, const sort_options& opts = {}) { return run(cmd::sort(key, opts)); }
    auto sort_ro(std::string_view key, const sort_options& opts = {}) { return run(cmd::sort_ro(key, opts)); }
    auto sort_store(std::string_view key, std::string_view destination, const sort_options& opts = {}) {
        return run(cmd::sort_store(key, destination, opts));
    }
    auto migrate(std::string_view host, int port, std::string_view key, int db, std::chrono::milliseconds timeout,
                 const migrate_options& opts = {}) {
        return run(cmd::migrate(host, port, key, db, timeout, opts));
    }
    auto migrate(std::string_view host, int port, std::span<const std::string_view> keys, int db,
                 std::chrono::milliseconds timeout, const migrate_options& opts = {}) {
        return run(cmd::migrate(host, port, keys, db, timeout, opts));
    }
    auto migrate(std::string_view host, int port, std::initializer_list<std::string_view> keys, int db,
                 std::chrono::milliseconds timeout, const migrate_options& opts = {}) {
        return run(cmd::migrate(host, port, keys, db, timeout, opts));
    }
    auto wait(long long numreplicas, std::chrono::milliseconds timeout) {
        return run(cmd::wait(numreplicas, timeout));
    }
    auto keys(std::string_view pattern) { return run(cmd::keys(pattern)); }
    auto scan(std::string_view cursor, const scan_options& opts = {}) { return run(cmd::scan(cursor, opts)); }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
