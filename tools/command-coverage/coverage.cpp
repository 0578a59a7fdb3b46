// Command coverage: the server's command list against the registry of typed commands.
#include "tools/command-coverage/coverage.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include <redpool/command.hpp>

namespace redpool::tools {
namespace {

// Walks COMMAND DOCS on the server and flattens it: per command and per subcommand, its
// lower-case name, group, "1"/"0" deprecated, "1"/"0" container. Inside Lua the RESP2 map is a
// flat key/value table, and doc_flags' status replies arrive as {ok = "deprecated"} tables
// (plain strings are accepted too, should a server send bulk strings instead).
constexpr std::string_view docs_script = R"lua(
local function field(doc, key)
  for i = 1, #doc, 2 do
    if doc[i] == key then return doc[i + 1] end
  end
  return nil
end
local function deprecated(doc)
  for _, f in ipairs(field(doc, 'doc_flags') or {}) do
    if f == 'deprecated' or (type(f) == 'table' and f.ok == 'deprecated') then return '1' end
  end
  return '0'
end
local out = {}
local function add(name, doc, container)
  out[#out + 1] = string.lower(name)
  out[#out + 1] = field(doc, 'group') or ''
  out[#out + 1] = deprecated(doc)
  out[#out + 1] = container
end
local docs = redis.call('COMMAND', 'DOCS')
for i = 1, #docs, 2 do
  local subs = field(docs[i + 1], 'subcommands')
  add(docs[i], docs[i + 1], subs and '1' or '0')
  for j = 1, #(subs or {}), 2 do add(subs[j], subs[j + 1], '0') end
end
return out
)lua";

constexpr std::array<std::string_view, 12> groups = {
    "string", "list", "set", "sorted-set", "hash", "stream",
    "hyperloglog", "geo", "bitmap", "generic", "scripting", "pubsub",
};

// Commands that take a connection over, so no factory builds them: redpool::subscriber's
// methods of the same names send them.
constexpr std::array<std::string_view, 6> subscriber_methods = {
    "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
};

// Commands for debugging Redis itself, not for applications.
constexpr std::array<std::string_view, 3> debugging = {"pfdebug", "pfselftest", "script|debug"};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Redis 7.0 spells the group "sorted-set"; accept "sorted_set" as well.
std::string normalized_group(std::string_view g) {
    std::string out = lower(g);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

bool is_container(std::string_view name, std::span<const server_command> server) {
    return std::any_of(server.begin(), server.end(),
                       [&](const server_command& c) { return c.container && c.name == name; });
}

double percent_of(std::size_t part, std::size_t whole) {
    return whole == 0 ? 100.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// Names for the table: a '|' would end a Markdown cell, so subcommands are written the way
// Redis's documentation writes them, "xgroup create".
std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    std::replace(out.begin(), out.end(), '|', ' ');
    return out;
}

}  // namespace

std::vector<server_command> fetch_server_commands(client& c) {
    return parse_server_commands(c.eval(docs_script));
}

std::vector<server_command> parse_server_commands(reply&& r) {
    auto& fields = detail::array_from_reply(r);
    if (fields.size() % 4 != 0) throw_unexpected_reply(r, "four fields per command");
    std::vector<server_command> out;
    out.reserve(fields.size() / 4);
    for (std::size_t i = 0; i < fields.size(); i += 4) {
        for (std::size_t k = i; k < i + 4; ++k) {
            if (!fields[k].is_string()) throw_unexpected_reply(fields[k], "a string field");
        }
        out.push_back({lower(fields[i].as_string()), normalized_group(fields[i + 1].as_string()),
                       fields[i + 2].as_string() == "1", fields[i + 3].as_string() == "1"});
    }
    return out;
}

std::span<const std::string_view> covered_groups() { return groups; }

std::span<const std::string_view> subscriber_commands() { return subscriber_methods; }

bool counted(const server_command& c) {
    if (c.deprecated || c.container) return false;
    if (c.name.ends_with("|help")) return false;
    return std::find(debugging.begin(), debugging.end(), c.name) == debugging.end();
}

std::string command_name(std::span<const std::string> args,
                         std::span<const server_command> server) {
    if (args.empty()) return {};
    std::string name = lower(args[0]);
    if (args.size() >= 2 && is_container(name, server)) name += "|" + lower(args[1]);
    return name;
}

double group_coverage::percent() const noexcept { return percent_of(typed.size(), total()); }

std::size_t coverage_report::typed() const noexcept {
    std::size_t n = 0;
    for (const auto& g : groups) n += g.typed.size();
    return n;
}

std::size_t coverage_report::total() const noexcept {
    std::size_t n = 0;
    for (const auto& g : groups) n += g.total();
    return n;
}

double coverage_report::percent() const noexcept { return percent_of(typed(), total()); }

std::vector<std::string> coverage_report::groups_below(double min_percent) const {
    std::vector<std::string> out;
    for (const auto& g : groups) {
        if (g.percent() < min_percent) out.push_back(g.group);
    }
    return out;
}

coverage_report compute_coverage(std::span<const server_command> server,
                                 std::span<const std::vector<std::string>> registry_entries) {
    std::set<std::string> typed;
    for (const auto& args : registry_entries) {
        auto name = command_name(args, server);
        if (!name.empty()) typed.insert(std::move(name));
    }

    coverage_report report;
    std::map<std::string, std::size_t, std::less<>> index;  // group -> its row
    for (auto g : groups) {
        index.emplace(std::string(g), report.groups.size());
        report.groups.push_back({std::string(g), {}, {}});
    }
    std::set<std::string> known;
    for (const auto& c : server) {
        known.insert(c.name);
        const auto row = index.find(c.group);
        if (row == index.end() || !counted(c)) continue;
        auto& g = report.groups[row->second];
        const bool by_subscriber =
            std::find(subscriber_methods.begin(), subscriber_methods.end(), c.name) != subscriber_methods.end();
        (typed.contains(c.name) || by_subscriber ? g.typed : g.missing).push_back(c.name);
    }
    for (auto& g : report.groups) {
        std::sort(g.typed.begin(), g.typed.end());
        std::sort(g.missing.begin(), g.missing.end());
    }
    for (const auto& name : typed) {
        // A container alone (an entry of one argument, "XGROUP") is no command either.
        if (!known.contains(name) || is_container(name, server)) report.unknown.push_back(name);
    }
    return report;
}

std::string to_markdown(const coverage_report& report) {
    std::string out =
        "| group | typed | total | coverage % | missing commands |\n"
        "|---|---:|---:|---:|---|\n";
    for (const auto& g : report.groups) {
        out += fmt::format("| {} | {} | {} | {:.1f} | {} |\n", g.group, g.typed.size(),
                           g.total(), g.percent(), joined(g.missing));
    }
    out += fmt::format("| **all** | {} | {} | {:.1f} | |\n", report.typed(), report.total(),
                       report.percent());
    if (!report.unknown.empty()) {
        out += fmt::format("\nTyped but unknown to the server: {}\n", joined(report.unknown));
    }
    return out;
}

}  // namespace redpool::tools
