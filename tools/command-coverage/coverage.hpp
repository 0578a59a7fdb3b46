// Command coverage: which of a Redis server's commands redpool types, group by group. The
// server says which commands exist (COMMAND DOCS, read through a Lua script); the library's own
// registry (detail::typed_commands) says which have a factory. Nothing is listed by hand but the
// six subscribing commands, which redpool::subscriber sends rather than a factory.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redpool/client.hpp>

namespace redpool::tools {

/// One command or subcommand as the server documents it.
struct server_command {
    /// Lower case; a subcommand is named `container|sub`, e.g. `xgroup|create`.
    std::string name;
    /// The server's group, e.g. `hash`, `sorted-set`, `generic`.
    std::string group;
    /// Its doc flags say "deprecated" (e.g. HMSET, GEORADIUS).
    bool deprecated = false;
    /// It only holds subcommands (e.g. XGROUP, OBJECT, SCRIPT).
    bool container = false;
};

/// Every command and subcommand `c`'s server knows. COMMAND DOCS nests deeper than a reply may
/// (hiredis and the reply depth cap), so a Lua script walks it on the server and returns a flat
/// array of (name, group, deprecated, container) fields. Throws what `c.run` throws.
std::vector<server_command> fetch_server_commands(client& c);

/// Reads the script's flat array (four strings per command) into commands.
/// Throws `redpool::error` (`errc::protocol_error`) for a reply of another shape.
std::vector<server_command> parse_server_commands(reply&& r);

/// The groups covered, in report order (server group names: `string`, ..., `scripting`,
/// `pubsub`).
std::span<const std::string_view> covered_groups();

/// The commands typed as `redpool::subscriber`'s methods rather than by a factory (SUBSCRIBE,
/// UNSUBSCRIBE and their pattern and shard forms, which take a connection over): they count as
/// typed whatever the registry holds.
std::span<const std::string_view> subscriber_commands();

/// Whether `c` counts toward its group's total: neither deprecated, nor a container (its
/// subcommands count instead), nor a HELP subcommand, nor a debugging command (PFDEBUG,
/// PFSELFTEST, SCRIPT DEBUG).
bool counted(const server_command& c);

/// The server name of a registry entry (the arguments a factory builds): `args[0]` in lower
/// case, or `args[0]|args[1]` when the server lists `args[0]` as a container. Empty for an
/// empty entry.
std::string command_name(std::span<const std::string> args,
                         std::span<const server_command> server);

/// One group's result. Names are sorted.
struct group_coverage {
    std::string group;
    std::vector<std::string> typed;
    std::vector<std::string> missing;

    std::size_t total() const noexcept { return typed.size() + missing.size(); }
    /// typed / total in percent; 100 for an empty group.
    double percent() const noexcept;
};

struct coverage_report {
    /// One per covered group, in `covered_groups()` order.
    std::vector<group_coverage> groups;
    /// Registry names that are no command of the server (a typo in a factory, a command newer
    /// than the server, a container without its subcommand), sorted.
    std::vector<std::string> unknown;

    std::size_t typed() const noexcept;
    std::size_t total() const noexcept;
    double percent() const noexcept;
    /// The groups below `min_percent`.
    std::vector<std::string> groups_below(double min_percent) const;
};

/// Compares the server's commands with the registry's entries.
coverage_report compute_coverage(std::span<const server_command> server,
                                 std::span<const std::vector<std::string>> registry_entries);

/// A Markdown table: group | typed | total | coverage % | missing commands, one row per group
/// and an overall row; then the unknown registry names, if any. Subcommands are written
/// "xgroup create" there, since a '|' would end a cell.
std::string to_markdown(const coverage_report& report);

}  // namespace redpool::tools
