// The connection and server commands: PING, ECHO, DBSIZE, FLUSHDB, INFO, TIME, CONFIG, CLIENT,
// MEMORY USAGE, SLOWLOG, persistence and the rest.
#include "redpool/cmd/server.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using detail::view;
using pair_span = std::span<const std::pair<std::string_view, std::string_view>>;
using std::chrono::system_clock;

std::string pong(reply&& r) {
    if (!r.is_status() || r.as_string() != "PONG") throw_unexpected_reply(r, "PONG");
    return r.take_string();
}

system_clock::time_point time_from_seconds(long long s) {
    return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(std::chrono::seconds(s)));
}

// ["unix seconds", "microseconds"]
system_clock::time_point time_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 2) throw_unexpected_reply(r, "[seconds, microseconds]");
    std::chrono::microseconds us(detail::integer_from_text(e[1], "microseconds as a string"));
    return time_from_seconds(detail::integer_from_text(e[0], "seconds as a string")) +
           std::chrono::duration_cast<system_clock::duration>(us);
}

system_clock::time_point lastsave_from(reply&& r) { return time_from_seconds(detail::integer_from_reply(r)); }

// Calls `line(text)` for each line of `text`, without its "\r\n" or "\n"; empty lines too.
template <class Line>
void for_each_line(std::string_view text, Line line) {
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view one = text.substr(0, end);
        if (!one.empty() && one.back() == '\r') one.remove_suffix(1);
        line(one);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

std::string lower_case(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "# Server\r\nredis_version:7.0.15\r\n...\r\n\r\n# Clients\r\n..."; fields before any header
// (none in practice) go to the section "".
server_info info_from(reply&& r) {
    if (!r.is_string()) throw_unexpected_reply(r, "INFO's text");
    server_info out;
    auto* section = &out[std::string()];
    for_each_line(r.as_string(), [&](std::string_view line) {
        if (line.empty()) return;
        if (line.front() == '#') {
            line.remove_prefix(1);
            while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
            section = &out[lower_case(line)];
            return;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return;
        section->insert_or_assign(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    });
    if (out[std::string()].empty()) out.erase(std::string());
    return out;
}

// "id=3 addr=127.0.0.1:5000 name= ... resp=2": fields split at spaces, each at its first '='.
// Names cannot hold spaces (CLIENT SETNAME refuses them), so a space always ends a field.
client_fields fields_of(std::string_view line) {
    client_fields out;
    while (!line.empty()) {
        std::size_t space = line.find(' ');
        std::string_view field = line.substr(0, space);
        std::size_t eq = field.find('=');
        if (eq != std::string_view::npos)
            out.insert_or_assign(std::string(field.substr(0, eq)), std::string(field.substr(eq + 1)));
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    return out;
}

client_fields client_info_from(reply&& r) {
    if (!r.is_string()) throw_unexpected_reply(r, "CLIENT INFO's text");
    std::string_view text = r.as_string();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    return fields_of(text);
}

std::vector<client_fields> client_list_from(reply&& r) {
    if (!r.is_string()) throw_unexpected_reply(r, "CLIENT LIST's text");
    std::string_view text = r.as_string();
    std::vector<client_fields> out;
    out.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
    for_each_line(text, [&](std::string_view line) {
        if (!line.empty()) out.push_back(fields_of(line));
    });
    return out;
}

// [id, unix seconds, microseconds, [args...], "ip:port", "name"]
slowlog_entry slowlog_entry_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() < 6) throw_unexpected_reply(r, "a slow log entry of six elements");
    slowlog_entry out;
    out.id = detail::integer_from_reply(e[0]);
    out.time = time_from_seconds(detail::integer_from_reply(e[1]));
    out.duration = std::chrono::microseconds(detail::integer_from_reply(e[2]));
    out.args = from_reply<std::vector<std::string>>(std::move(e[3]));
    out.client_address = from_reply<std::string>(std::move(e[4]));
    out.client_name = from_reply<std::string>(std::move(e[5]));
    return out;
}

std::vector<slowlog_entry> slowlog_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    std::vector<slowlog_entry> out;
    out.reserve(e.size());
    for (reply& entry : e) out.push_back(slowlog_entry_from(std::move(entry)));
    return out;
}

args_builder client_list_args(const client_list_options& opts) {
    if (!opts.type.empty() && !opts.ids.empty())
        throw error(errc::invalid_argument, "CLIENT LIST: a type and ids are mutually exclusive");
    args_builder args("CLIENT");
    args.add("LIST");
    if (!opts.type.empty()) args.add("TYPE").add(opts.type);
    if (!opts.ids.empty()) {
        args.add("ID");
        for (long long id : opts.ids) args.add_integer(id);
    }
    return args;
}

// INFO section [section ...]. A space would make Redis read one unknown section, and answer
// nothing, instead of the sections meant.
args_builder info_args(std::span<const std::string_view> sections) {
    args_builder args("INFO");
    for (std::string_view section : sections) {
        if (section.find(' ') != std::string_view::npos)
            throw error(errc::invalid_argument, "INFO: a section name has no spaces: pass each one on its own");
        args.add(section);
    }
    return args;
}

}  // namespace

command<std::string> ping() { return command<std::string>({"PING"}, &pong); }
command<std::string> echo(std::string_view message) { return {"ECHO", message}; }
command<long long> dbsize() { return {"DBSIZE"}; }

command<void> flushdb(bool async) {
    if (async) return command<void>({"FLUSHDB", "ASYNC"}, &detail::read_ok);
    return command<void>({"FLUSHDB"}, &detail::read_ok);
}

command<void> flushall(bool async) {
    if (async) return command<void>({"FLUSHALL", "ASYNC"}, &detail::read_ok);
    return command<void>({"FLUSHALL"}, &detail::read_ok);
}

command<void> swapdb(int db1, int db2) {
    fmt::format_int a(db1), b(db2);
    return command<void>({"SWAPDB", view(a), view(b)}, &detail::read_ok);
}

command<std::string> info(std::string_view section) {
    if (section.empty()) return {"INFO"};
    return info(std::span<const std::string_view>(&section, 1));
}

command<std::string> info(std::span<const std::string_view> sections) {
    return info_args(sections).build<std::string>();
}

command<std::string> info(std::initializer_list<std::string_view> sections) { return info(as_span(sections)); }

command<server_info> info_sections(std::string_view section) {
    if (section.empty()) return command<server_info>({"INFO"}, &info_from);
    return info_sections(std::span<const std::string_view>(&section, 1));
}

command<server_info> info_sections(std::span<const std::string_view> sections) {
    return info_args(sections).build<server_info>(&info_from);
}

command<server_info> info_sections(std::initializer_list<std::string_view> sections) {
    return info_sections(as_span(sections));
}

command<system_clock::time_point> time() { return command<system_clock::time_point>({"TIME"}, &time_from); }

command<system_clock::time_point> lastsave() {
    return command<system_clock::time_point>({"LASTSAVE"}, &lastsave_from);
}

command<void> save() { return command<void>({"SAVE"}, &detail::read_ok); }

command<std::string> bgsave(bool schedule) {
    if (schedule) return {"BGSAVE", "SCHEDULE"};
    return {"BGSAVE"};
}

command<std::string> bgrewriteaof() { return {"BGREWRITEAOF"}; }

command<std::unordered_map<std::string, std::string>> config_get(std::string_view pattern) {
    return {"CONFIG", "GET", pattern};
}

command<std::unordered_map<std::string, std::string>> config_get(std::span<const std::string_view> patterns) {
    if (patterns.empty()) throw error(errc::invalid_argument, "CONFIG GET: no patterns");
    args_builder args("CONFIG");
    return args.add("GET").add_all(patterns).build<std::unordered_map<std::string, std::string>>();
}

command<std::unordered_map<std::string, std::string>> config_get(std::initializer_list<std::string_view> patterns) {
    return config_get(as_span(patterns));
}

command<void> config_set(std::string_view parameter, std::string_view value) {
    return command<void>({"CONFIG", "SET", parameter, value}, &detail::read_ok);
}

command<void> config_set(pair_span pairs) {
    if (pairs.empty()) throw error(errc::invalid_argument, "CONFIG SET: no parameter-value pairs");
    args_builder args("CONFIG");
    return args.add("SET").add_pairs(pairs).build<void>(&detail::read_ok);
}

command<void> config_set(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
    return config_set(as_span(pairs));
}

command<void> config_resetstat() { return command<void>({"CONFIG", "RESETSTAT"}, &detail::read_ok); }
command<void> config_rewrite() { return command<void>({"CONFIG", "REWRITE"}, &detail::read_ok); }

command<long long> command_count() { return {"COMMAND", "COUNT"}; }

command<long long> client_id() { return {"CLIENT", "ID"}; }
command<std::optional<std::string>> client_getname() { return {"CLIENT", "GETNAME"}; }
command<std::string> client_info() { return {"CLIENT", "INFO"}; }
command<client_fields> client_info_parsed() { return command<client_fields>({"CLIENT", "INFO"}, &client_info_from); }

command<std::string> client_list(const client_list_options& opts) {
    return client_list_args(opts).build<std::string>();
}

command<std::vector<client_fields>> client_list_parsed(const client_list_options& opts) {
    return client_list_args(opts).build<std::vector<client_fields>>(&client_list_from);
}

command<std::optional<long long>> memory_usage(std::string_view key, std::optional<long long> samples) {
    if (!samples) return {"MEMORY", "USAGE", key};
    if (*samples < 0) throw error(errc::invalid_argument, "MEMORY USAGE: negative samples");
    fmt::format_int n(*samples);
    return {"MEMORY", "USAGE", key, "SAMPLES", view(n)};
}

command<std::vector<slowlog_entry>> slowlog_get(std::optional<long long> count) {
    if (!count) return command<std::vector<slowlog_entry>>({"SLOWLOG", "GET"}, &slowlog_from);
    if (*count < -1) throw error(errc::invalid_argument, "SLOWLOG GET: count below -1");
    fmt::format_int n(*count);
    return command<std::vector<slowlog_entry>>({"SLOWLOG", "GET", view(n)}, &slowlog_from);
}

command<long long> slowlog_len() { return {"SLOWLOG", "LEN"}; }
command<void> slowlog_reset() { return command<void>({"SLOWLOG", "RESET"}, &detail::read_ok); }

}  // namespace redpool::cmd

namespace redpool::detail {

void register_server_commands(command_registry& r) {
    r.add(cmd::ping());
    r.add(cmd::echo("m"));
    r.add(cmd::dbsize());
    r.add(cmd::flushdb());
    r.add(cmd::flushall());
    r.add(cmd::swapdb(0, 1));
    r.add(cmd::info());
    r.add(cmd::info_sections());
    r.add(cmd::time());
    r.add(cmd::lastsave());
    r.add(cmd::save());
    r.add(cmd::bgsave());
    r.add(cmd::bgrewriteaof());
    r.add(cmd::config_get("*"));
    r.add(cmd::config_set("p", "v"));
    r.add(cmd::config_resetstat());
    r.add(cmd::config_rewrite());
    r.add(cmd::command_count());
    r.add(cmd::client_id());
    r.add(cmd::client_getname());
    r.add(cmd::client_info());
    r.add(cmd::client_list());
    r.add(cmd::memory_usage("k"));
    r.add(cmd::slowlog_get());
    r.add(cmd::slowlog_len());
    r.add(cmd::slowlog_reset());
}

}  // namespace redpool::detail
