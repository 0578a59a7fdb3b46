// The generic keyspace commands: DEL, EXISTS, expiry, RENAME, COPY, OBJECT, DUMP/RESTORE, SORT,
// MIGRATE, KEYS, SCAN, WAIT and the rest.
#include "redpool/cmd/keys.hpp"

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

// DEL, UNLINK and EXISTS of no keys are server errors; the answer is 0 without asking.
command<long long> counting_keys(std::string_view name, std::span<const std::string_view> keys) {
    if (keys.empty()) return detail::answered_empty<long long>();
    return args_builder(name).add_all(keys).build<long long>();
}

std::string_view condition_word(expire_condition when) {
    switch (when) {
        case expire_condition::always: return {};
        case expire_condition::if_no_expiry: return "NX";
        case expire_condition::if_has_expiry: return "XX";
        case expire_condition::if_later: return "GT";
        case expire_condition::if_sooner: return "LT";
    }
    throw error(errc::invalid_argument, "EXPIRE: unknown expire_condition");
}

// EXPIRE key n [NX|XX|GT|LT], and likewise PEXPIRE, EXPIREAT and PEXPIREAT.
command<bool> expiry(std::string_view name, std::string_view key, long long n, expire_condition when) {
    std::string_view word = condition_word(when);
    fmt::format_int digits(n);
    if (word.empty()) return {name, key, view(digits)};
    return {name, key, view(digits), word};
}

long long since_epoch_s(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

long long since_epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void validate(const restore_options& opts, std::chrono::milliseconds ttl) {
    if (ttl.count() < 0) throw error(errc::invalid_argument, "RESTORE: negative ttl");
    if (opts.idle_time && opts.frequency)
        throw error(errc::invalid_argument, "RESTORE: idle_time and frequency are mutually exclusive");
    if (opts.idle_time && opts.idle_time->count() < 0)
        throw error(errc::invalid_argument, "RESTORE: negative idle_time");
    if (opts.frequency && (*opts.frequency < 0 || *opts.frequency > 255))
        throw error(errc::invalid_argument, "RESTORE: frequency outside 0..255");
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dest]
args_builder sort_args(std::string_view name, std::string_view key, const sort_options& opts) {
    args_builder args(name);
    args.add(key);
    if (!opts.by.empty()) args.add("BY").add(opts.by);
    if (opts.limit) args.add("LIMIT").add_integer(opts.limit->offset).add_integer(opts.limit->count);
    for (const std::string& pattern : opts.get) args.add("GET").add(pattern);
    if (opts.descending) args.add("DESC");
    if (opts.alpha) args.add("ALPHA");
    return args;
}

// MIGRATE answers OK, or NOKEY when none of the keys exists.
bool migrated(reply&& r) {
    if (r.is_status() && r.as_string() == "OK") return true;
    if (r.is_status() && r.as_string() == "NOKEY") return false;
    throw_unexpected_reply(r, "OK or NOKEY");
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k ...]
args_builder migrate_args(std::string_view host, int port, std::string_view key, int db,
                          std::chrono::milliseconds timeout, const migrate_options& opts) {
    // No message below names the credentials: errors end up in logs.
    if (timeout.count() < 0) throw error(errc::invalid_argument, "MIGRATE: negative timeout");
    if (!opts.username.empty() && opts.password.empty())
        throw error(errc::invalid_argument, "MIGRATE: a username needs a password");
    args_builder args("MIGRATE");
    args.add(host).add_integer(port).add(key).add_integer(db).add_integer(timeout.count());
    if (opts.copy) args.add("COPY");
    if (opts.replace) args.add("REPLACE");
    if (!opts.username.empty()) {
        args.add("AUTH2").add(opts.username).add(opts.password);
    } else if (!opts.password.empty()) {
        args.add("AUTH").add(opts.password);
    }
    return args;
}

}  // namespace

command<long long> del(std::string_view key) { return {"DEL", key}; }
command<long long> del(std::span<const std::string_view> keys) { return counting_keys("DEL", keys); }
command<long long> del(std::initializer_list<std::string_view> keys) { return del(as_span(keys)); }
command<long long> unlink(std::string_view key) { return {"UNLINK", key}; }
command<long long> unlink(std::span<const std::string_view> keys) { return counting_keys("UNLINK", keys); }
command<long long> unlink(std::initializer_list<std::string_view> keys) { return unlink(as_span(keys)); }
command<long long> exists(std::string_view key) { return {"EXISTS", key}; }
command<long long> exists(std::span<const std::string_view> keys) { return counting_keys("EXISTS", keys); }
command<long long> exists(std::initializer_list<std::string_view> keys) { return exists(as_span(keys)); }

command<bool> expire(std::string_view key, std::chrono::seconds ttl) {
    return expiry("EXPIRE", key, ttl.count(), expire_condition::always);
}

command<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl) {
    return expiry("PEXPIRE", key, ttl.count(), expire_condition::always);
}

command<bool> expire(std::string_view key, std::chrono::seconds ttl, expire_condition when) {
    return expiry("EXPIRE", key, ttl.count(), when);
}

command<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl, expire_condition when) {
    return expiry("PEXPIRE", key, ttl.count(), when);
}

command<bool> expireat(std::string_view key, std::chrono::system_clock::time_point when) {
    return expiry("EXPIREAT", key, since_epoch_s(when), expire_condition::always);
}

command<bool> expireat(std::string_view key, std::chrono::system_clock::time_point when, expire_condition cond) {
    return expiry("EXPIREAT", key, since_epoch_s(when), cond);
}

command<bool> pexpireat(std::string_view key, std::chrono::system_clock::time_point when, expire_condition cond) {
    return expiry("PEXPIREAT", key, since_epoch_ms(when), cond);
}

command<std::chrono::seconds> expiretime(std::string_view key) { return {"EXPIRETIME", key}; }
command<std::chrono::milliseconds> pexpiretime(std::string_view key) { return {"PEXPIRETIME", key}; }

command<std::chrono::seconds> ttl(std::string_view key) { return {"TTL", key}; }
command<std::chrono::milliseconds> pttl(std::string_view key) { return {"PTTL", key}; }
command<bool> persist(std::string_view key) { return {"PERSIST", key}; }
command<std::string> type(std::string_view key) { return {"TYPE", key}; }

command<void> rename(std::string_view key, std::string_view new_key) {
    return command<void>({"RENAME", key, new_key}, &detail::read_ok);
}

command<bool> renamenx(std::string_view key, std::string_view new_key) { return {"RENAMENX", key, new_key}; }

command<bool> copy(std::string_view source, std::string_view destination, const copy_options& opts) {
    args_builder args("COPY");
    args.add(source).add(destination);
    if (opts.db) args.add("DB").add_integer(*opts.db);
    if (opts.replace) args.add("REPLACE");
    return args.build<bool>();
}

command<bool> move(std::string_view key, int db) {
    fmt::format_int to(db);
    return {"MOVE", key, view(to)};
}

command<long long> touch(std::string_view key) { return {"TOUCH", key}; }
command<long long> touch(std::span<const std::string_view> keys) { return counting_keys("TOUCH", keys); }
command<long long> touch(std::initializer_list<std::string_view> keys) { return touch(as_span(keys)); }

command<std::optional<std::string>> randomkey() { return {"RANDOMKEY"}; }

command<std::optional<std::string>> object_encoding(std::string_view key) { return {"OBJECT", "ENCODING", key}; }
command<std::optional<long long>> object_freq(std::string_view key) { return {"OBJECT", "FREQ", key}; }
command<std::optional<std::chrono::seconds>> object_idletime(std::string_view key) {
    return {"OBJECT", "IDLETIME", key};
}
command<std::optional<long long>> object_refcount(std::string_view key) { return {"OBJECT", "REFCOUNT", key}; }

command<std::optional<std::string>> dump(std::string_view key) { return {"DUMP", key}; }

command<void> restore(std::string_view key, std::chrono::milliseconds ttl, std::string_view payload,
                      const restore_options& opts) {
    validate(opts, ttl);
    args_builder args("RESTORE");
    args.add(key).add_integer(ttl.count()).add(payload);
    if (opts.replace) args.add("REPLACE");
    if (opts.absolute_ttl) args.add("ABSTTL");
    if (opts.idle_time) args.add("IDLETIME").add_integer(opts.idle_time->count());
    if (opts.frequency) args.add("FREQ").add_integer(*opts.frequency);
    return args.build<void>(&detail::read_ok);
}

command<std::vector<std::optional<std::string>>> sort(std::string_view key, const sort_options& opts) {
    return sort_args("SORT", key, opts).build<std::vector<std::optional<std::string>>>();
}

command<std::vector<std::optional<std::string>>> sort_ro(std::string_view key, const sort_options& opts) {
    return sort_args("SORT_RO", key, opts).build<std::vector<std::optional<std::string>>>();
}

command<long long> sort_store(std::string_view key, std::string_view destination, const sort_options& opts) {
    return sort_args("SORT", key, opts).add("STORE").add(destination).build<long long>();
}

command<bool> migrate(std::string_view host, int port, std::string_view key, int db,
                      std::chrono::milliseconds timeout, const migrate_options& opts) {
    return migrate_args(host, port, key, db, timeout, opts).build<bool>(&migrated);
}

command<bool> migrate(std::string_view host, int port, std::span<const std::string_view> keys, int db,
                      std::chrono::milliseconds timeout, const migrate_options& opts) {
    args_builder args = migrate_args(host, port, "", db, timeout, opts);
    // Nothing to move is what NOKEY says; Redis would answer it for an empty KEYS too.
    if (keys.empty()) return detail::answered_empty<bool>();
    return args.add("KEYS").add_all(keys).build<bool>(&migrated);
}

command<bool> migrate(std::string_view host, int port, std::initializer_list<std::string_view> keys, int db,
                      std::chrono::milliseconds timeout, const migrate_options& opts) {
    return migrate(host, port, as_span(keys), db, timeout, opts);
}

command<long long> wait(long long numreplicas, std::chrono::milliseconds timeout) {
    if (numreplicas < 0) throw error(errc::invalid_argument, "WAIT: negative number of replicas");
    if (timeout.count() < 0) throw error(errc::invalid_argument, "WAIT: negative timeout");
    fmt::format_int replicas(numreplicas), ms(timeout.count());
    return {"WAIT", view(replicas), view(ms)};
}

command<std::vector<std::string>> keys(std::string_view pattern) { return {"KEYS", pattern}; }

command<scan_page<std::string>> scan(std::string_view cursor, const scan_options& opts) {
    args_builder args("SCAN");
    args.add(cursor);
    detail::add_scan_filters(args, "SCAN", opts, true);
    return args.build<scan_page<std::string>>();
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_key_commands(command_registry& r) {
    r.add(cmd::del("k"));
    r.add(cmd::unlink({"k"}));
    r.add(cmd::exists({"k"}));
    r.add(cmd::expire("k", std::chrono::seconds(1)));
    r.add(cmd::pexpire("k", std::chrono::milliseconds(1)));
    r.add(cmd::expire("k", std::chrono::seconds(1), expire_condition::if_no_expiry));
    r.add(cmd::expireat("k", std::chrono::system_clock::time_point()));
    r.add(cmd::pexpireat("k", std::chrono::system_clock::time_point()));
    r.add(cmd::expiretime("k"));
    r.add(cmd::pexpiretime("k"));
    r.add(cmd::ttl("k"));
    r.add(cmd::pttl("k"));
    r.add(cmd::persist("k"));
    r.add(cmd::type("k"));
    r.add(cmd::rename("k", "k2"));
    r.add(cmd::renamenx("k", "k2"));
    r.add(cmd::copy("k", "k2"));
    r.add(cmd::move("k", 1));
    r.add(cmd::touch({"k"}));
    r.add(cmd::randomkey());
    r.add(cmd::object_encoding("k"));
    r.add(cmd::object_freq("k"));
    r.add(cmd::object_idletime("k"));
    r.add(cmd::object_refcount("k"));
    r.add(cmd::dump("k"));
    r.add(cmd::restore("k", std::chrono::milliseconds(0), "payload"));
    r.add(cmd::sort("k"));
    r.add(cmd::sort_ro("k"));
    r.add(cmd::sort_store("k", "k2"));
    r.add(cmd::migrate("127.0.0.1", 6379, "k", 0, std::chrono::milliseconds(1000)));
    r.add(cmd::wait(0, std::chrono::milliseconds(0)));
    r.add(cmd::keys("*"));
    r.add(cmd::scan("0"));
}

}  // namespace redpool::detail
