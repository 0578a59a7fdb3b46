// redpool/cmd/server.hpp — connection and server commands: PING, ECHO, DBSIZE, FLUSHDB, INFO,
// TIME, CONFIG, CLIENT (the read-only subcommands), MEMORY USAGE, SLOWLOG, persistence and the
// rest of the server's introspection and administration.
//
// Commands that change the connection's own session (SELECT, CLIENT SETNAME, ...) are not
// here: a pooled connection is shared, so `client` closes or refuses them (see `client::exec`).
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `server_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// INFO, parsed: section name (lower case, as in "# Server" -> "server") -> field -> value.
/// Values are the text after the first ':' ("keys=1,expires=0,avg_ttl=0" for a keyspace line).
using server_info = std::map<std::string, std::unordered_map<std::string, std::string>>;

/// One client connection as CLIENT LIST and CLIENT INFO describe it: field -> value ("id",
/// "addr", "name", "db", "cmd", ...).
using client_fields = std::unordered_map<std::string, std::string>;

/// Filters for CLIENT LIST: one or the other (Redis takes one filter at a time).
struct client_list_options {
    /// TYPE: "normal", "master", "replica" or "pubsub"; empty for every type.
    std::string type;
    /// ID: only the clients with these ids; empty for every id.
    std::vector<long long> ids;
};

/// One entry of the slow log.
struct slowlog_entry {
    /// Unique and increasing; resets only with the server.
    long long id = 0;
    /// When the command started (whole seconds).
    std::chrono::system_clock::time_point time;
    /// How long it ran.
    std::chrono::microseconds duration{0};
    /// The command and its arguments, possibly shortened by the server (long arguments end in
    /// "... (n more bytes)", long lists in "... (n more arguments)").
    std::vector<std::string> args;
    /// The client's address ("ip:port") and name, as they were then.
    std::string client_address;
    std::string client_name;
};

namespace cmd {

/// PING: "PONG".
command<std::string> ping();
/// ECHO: the message.
command<std::string> echo(std::string_view message);
/// DBSIZE: keys in the selected database.
command<long long> dbsize();
/// FLUSHDB (ASYNC when `async`).
command<void> flushdb(bool async = false);
/// FLUSHALL: empties every database (ASYNC when `async`).
command<void> flushall(bool async = false);
/// SWAPDB: exchanges two databases' contents, for every client at once. A database that does
/// not exist throws `reply_error`.
command<void> swapdb(int db1, int db2);
/// INFO, optionally one section: the server's text as it is.
command<std::string> info(std::string_view section = {});
/// INFO of several sections ("server", "clients", ... or "all", "everything"). A section name
/// with a space in it throws `errc::invalid_argument`: Redis would take it for one unknown
/// section and answer nothing.
command<std::string> info(std::span<const std::string_view> sections);
command<std::string> info(std::initializer_list<std::string_view> sections);
/// INFO, optionally one or several sections, parsed into sections (see `server_info`).
command<server_info> info_sections(std::string_view section = {});
command<server_info> info_sections(std::span<const std::string_view> sections);
command<server_info> info_sections(std::initializer_list<std::string_view> sections);
/// TIME: the server's clock, to the microsecond.
command<std::chrono::system_clock::time_point> time();
/// LASTSAVE: when the last successful save to disk ended (whole seconds).
command<std::chrono::system_clock::time_point> lastsave();
/// SAVE: saves to disk synchronously, blocking the server; throws `reply_error` if a
/// background save is running.
command<void> save();
/// BGSAVE: starts a background save and returns the server's status ("Background saving
/// started"). With `schedule`, a save that cannot start now (a rewrite is running) is
/// scheduled instead of failing.
command<std::string> bgsave(bool schedule = false);
/// BGREWRITEAOF: starts (or schedules) an append-only file rewrite and returns the server's
/// status ("Background append only file rewriting started" / "... scheduled").
command<std::string> bgrewriteaof();
/// CONFIG GET: every parameter matching the pattern(s) -> its value (none match: empty).
/// No patterns throws `errc::invalid_argument`.
command<std::unordered_map<std::string, std::string>> config_get(std::string_view pattern);
command<std::unordered_map<std::string, std::string>> config_get(std::span<const std::string_view> patterns);
command<std::unordered_map<std::string, std::string>> config_get(std::initializer_list<std::string_view> patterns);
/// CONFIG SET: sets parameters (all or none); an unknown parameter or a bad value throws
/// `reply_error`. No pairs throws `errc::invalid_argument`.
command<void> config_set(std::string_view parameter, std::string_view value);
command<void> config_set(std::span<const std::pair<std::string_view, std::string_view>> pairs);
command<void> config_set(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
/// CONFIG RESETSTAT: resets INFO's statistics and the slow log's counters.
command<void> config_resetstat();
/// CONFIG REWRITE: writes the running configuration to the server's config file; throws
/// `reply_error` if the server was started without one.
command<void> config_rewrite();
/// COMMAND COUNT: how many commands the server has.
command<long long> command_count();
/// CLIENT ID: the id of the connection the command ran on (with a pool, any of them).
command<long long> client_id();
/// CLIENT GETNAME: the name of the connection the command ran on, or nullopt if it has none.
command<std::optional<std::string>> client_getname();
/// CLIENT INFO: the connection the command ran on, as one line of text / parsed.
command<std::string> client_info();
command<client_fields> client_info_parsed();
/// CLIENT LIST: every client connection, one line of text each / parsed, one map per client.
/// Both a type and ids throw `errc::invalid_argument`; an unknown type throws `reply_error`.
command<std::string> client_list(const client_list_options& opts = {});
command<std::vector<client_fields>> client_list_parsed(const client_list_options& opts = {});
/// MEMORY USAGE: bytes the key and its value take, or nullopt if the key does not exist.
/// `samples` is how many elements of a nested value are sampled (0: all; nullopt: Redis's
/// default); a negative count throws `errc::invalid_argument`.
command<std::optional<long long>> memory_usage(std::string_view key, std::optional<long long> samples = std::nullopt);
/// SLOWLOG GET: the newest `count` entries, newest first (nullopt: Redis's default of 10;
/// -1: all). A count below -1 throws `errc::invalid_argument`.
command<std::vector<slowlog_entry>> slowlog_get(std::optional<long long> count = std::nullopt);
/// SLOWLOG LEN: how many entries the slow log holds.
command<long long> slowlog_len();
/// SLOWLOG RESET: empties the slow log.
command<void> slowlog_reset();

}  // namespace cmd

/// The connection and server commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class server_commands {
public:
    auto ping() { return run(cmd::ping()); }
    auto echo(std::string_view message) { return run(cmd::echo(message)); }
    auto dbsize() { return run(cmd::dbsize()); }
    auto flushdb(bool async = false) { return run(cmd::flushdb(async)); }
    auto flushall(bool async = false) { return run(cmd::flushall(async)); }
    auto swapdb(int db1, int db2) { return run(cmd::swapdb(db1, db2)); }
    auto info(std::string_view section = {}) { return run(cmd::info(section)); }
    auto info(std::span<const std::string_view> sections) { return run(cmd::info(sections)); }
    auto info(std::initializer_list<std::string_view> sections) { return run(cmd::info(sections)); }
    auto info_sections(std::string_view section = {}) { return run(cmd::info_sections(section)); }
    auto info_sections(std::span<const std::string_view> sections) { return run(cmd::info_sections(sections)); }
    auto info_sections(std::initializer_list<std::string_view> sections) {
        return run(cmd::info_sections(sections));
    }
    auto time() { return run(cmd::time()); }
    auto lastsave() { return run(cmd::lastsave()); }
    auto save() { return run(cmd::save()); }
    auto bgsave(bool schedule = false) { return run(cmd::bgsave(schedule)); }
    auto bgrewriteaof() { return run(cmd::bgrewriteaof()); }
    auto config_get(std::string_view pattern) { return run(cmd::config_get(pattern)); }
    auto config_get(std::span<const std::string_view> patterns) { return run(cmd::config_get(patterns)); }
    auto config_get(std::initializer_list<std::string_view> patterns) { return run(cmd::config_get(patterns)); }
    auto config_set(std::string_view parameter, std::string_view value) {
        return run(cmd::config_set(parameter, value));
    }
    auto config_set(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
        return run(cmd::config_set(pairs));
    }
    auto config_set(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
        return run(cmd::config_set(pairs));
    }
    auto config_resetstat() { return run(cmd::config_resetstat()); }
    auto config_rewrite() { return run(cmd::config_rewrite()); }
    auto command_count() { return run(cmd::command_count()); }
    auto client_id() { return run(cmd::client_id()); }
    auto client_getname() { return run(cmd::client_getname()); }
    auto client_info() { return run(cmd::client_info()); }
    auto client_info_parsed() { return run(cmd::client_info_parsed()); }
    auto client_list(const client_list_options& opts = {}) { return run(cmd::client_list(opts)); }
    auto client_list_parsed(const client_list_options& opts = {}) { return run(cmd::client_list_parsed(opts)); }
    auto memory_usage(std::string_view key, std::optional<long long> samples = std::nullopt) {
        return run(cmd::memory_usage(key, samples));
    }
    auto slowlog_get(std::optional<long long> count = std::nullopt) { return run(cmd::slowlog_get(count)); }
    auto slowlog_len() { return run(cmd::slowlog_len()); }
    auto slowlog_reset() { return run(cmd::slowlog_reset()); }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
