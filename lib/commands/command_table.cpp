// The command table, and the lookups over it.
#include "lib/commands/command_table.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "lib/base/deadline.hpp"
#include "lib/protocol/refusals.hpp"

namespace redpool::detail {
namespace {

using std::chrono::milliseconds;
using enum reply_count;
using enum session_effect;
using enum block_timeout;

// Sorted by name length, then name (checked below), so a lookup only looks at the names of
// its own length. Subcommand entries of one command are next to each other.
constexpr command_info table[] = {
    {"AUTH", {}, one, changed},
    {"EVAL", {}, one, none, not_blocking, false},
    {"EXEC", {}, one, none, not_blocking, false},
    {"QUIT", {}, one, taken_over},
    {"SYNC", {}, several, taken_over},
    {"WAIT", {}, one, none, last_arg_ms},
    {"BLPOP", {}, one, none, last_arg_seconds},
    {"BRPOP", {}, one, none, last_arg_seconds},
    {"FCALL", {}, one, none, not_blocking, false},
    {"HELLO", {}, one, taken_over},
    {"MULTI", {}, one, changed},
    {"PSYNC", {}, several, taken_over},
    {"RESET", {}, one, taken_over},
    {"WATCH", {}, one, changed},
    {"XREAD", {}, one, none, block_option_ms},
    {"ASKING", {}, one, changed},  // applies to whatever command comes next on the connection
    {"BLMOVE", {}, one, none, last_arg_seconds},
    {"BLMPOP", {}, one, none, first_arg_seconds},
    {"BZMPOP", {}, one, none, first_arg_seconds},
    {"CLIENT", "CACHING", one, changed},  // likewise
    {"CLIENT", "KILL", one, changed},     // may have killed this very connection
    {"CLIENT", "NO-EVICT", one, changed},
    {"CLIENT", "NO-TOUCH", one, changed},
    {"CLIENT", "REPLY", several, taken_over},
    {"CLIENT", "SETINFO", one, changed},
    {"CLIENT", "SETNAME", one, changed},
    {"CLIENT", "TRACKING", one, changed},
    {"SCRIPT", "DEBUG", one, changed},  // later EVALs on the connection would be debugged
    {"SELECT", {}, one, changed},
    {"DISCARD", {}, one, none},  // listed so batches can refuse it: it ends a MULTI
    {"EVALSHA", {}, one, none, not_blocking, false},
    {"EVAL_RO", {}, one, none, not_blocking, false},
    {"MONITOR", {}, several, taken_over},
    {"UNWATCH", {}, one, none},  // listed so transactions can refuse it
    {"WAITAOF", {}, one, none, last_arg_ms},
    {"BZPOPMAX", {}, one, none, last_arg_seconds},
    {"BZPOPMIN", {}, one, none, last_arg_seconds},
    {"FCALL_RO", {}, one, none, not_blocking, false},
    {"READONLY", {}, one, changed},
    {"READWRITE", {}, one, changed},
    {"SUBSCRIBE", {}, several, taken_over},
    {"BRPOPLPUSH", {}, one, none, last_arg_seconds},
    {"EVALSHA_RO", {}, one, none, not_blocking, false},
    {"PSUBSCRIBE", {}, several, taken_over},
    {"SSUBSCRIBE", {}, several, taken_over},
    {"XREADGROUP", {}, one, none, block_option_ms},
    // One reply per channel, even on a connection that never subscribed.
    {"UNSUBSCRIBE", {}, several},
    {"PUNSUBSCRIBE", {}, several},
    {"SUNSUBSCRIBE", {}, several},
};

constexpr bool sorted_by_length_then_name() {
    for (std::size_t i = 1; i < std::size(table); ++i) {
        const auto& a = table[i - 1];
        const auto& b = table[i];
        if (a.name.size() > b.name.size()) return false;
        if (a.name.size() == b.name.size() && a.name > b.name) return false;
    }
    return true;
}
static_assert(sorted_by_length_then_name(), "keep the table sorted by name length, then name");

constexpr std::size_t longest_name = 12;

struct index_range {
    std::uint8_t first = 0;
    std::uint8_t last = 0;  // one past
};

static_assert(longest_name + 1 == std::tuple_size_v<decltype(command_table::first_letters)>);

// The table's entries for each name length.
constexpr std::array<index_range, longest_name + 1> by_length = [] {
    std::array<index_range, longest_name + 1> ranges{};
    for (std::size_t i = 0; i < std::size(table); ++i) {
        auto& r = ranges[table[i].name.size()];
        if (r.first == r.last) r.first = static_cast<std::uint8_t>(i);
        r.last = static_cast<std::uint8_t>(i + 1);
    }
    return ranges;
}();

// The one case-insensitive compare: `upper` is already upper case.
constexpr bool equals_upper(std::string_view text, std::string_view upper) noexcept {
    if (text.size() != upper.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c != upper[i]) return false;
    }
    return true;
}

// A number as Redis reads a block time: strtold over the whole text, no leading space (its
// string2ld). Anything Redis accepts ("+5", "1e1", "0x1p3") is read here too, so a block the
// server will honour never ends early in a read_timeout. Milliseconds, which Redis reads as
// integers, are read the same way: the server refuses at once what only strtold accepts.
std::optional<long double> parse_number(std::string_view text) noexcept {
    char buf[64];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    if (std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    char* end = nullptr;
    errno = 0;
    const long double value = std::strtold(buf, &end);
    if (end != buf + text.size() || errno == ERANGE || std::isnan(value)) return std::nullopt;
    return value;
}

// A block time in seconds (`ms_per_unit` 1000) or milliseconds (1), saturating at
// milliseconds::max(); nullopt if it is not a non-negative number.
std::optional<milliseconds> parse_block_time(std::string_view text, long double ms_per_unit) noexcept {
    const auto value = parse_number(text);
    if (!value || !(*value >= 0)) return std::nullopt;
    const long double ms = *value * ms_per_unit;
    if (ms >= static_cast<long double>(milliseconds::max().count())) return milliseconds::max();
    return milliseconds(static_cast<milliseconds::rep>(std::ceil(ms)));
}

// XREAD's BLOCK option, among the options before STREAMS. XREADGROUP's options start after
// GROUP <group> <consumer>, whose names may be anything, BLOCK and STREAMS included.
std::optional<milliseconds> block_option(std::span<const std::string_view> args) noexcept {
    const std::size_t first = args.size() > 3 && equals_upper(args[1], "GROUP") ? 4 : 1;
    for (std::size_t i = first; i + 1 < args.size(); ++i) {
        if (equals_upper(args[i], "STREAMS")) break;  // keys and ids follow; no options
        if (equals_upper(args[i], "BLOCK")) return parse_block_time(args[i + 1], 1);
    }
    return std::nullopt;
}

std::optional<milliseconds> block_time(block_timeout where, std::span<const std::string_view> args) noexcept {
    if (args.size() < 2) return std::nullopt;
    switch (where) {
        case not_blocking: return std::nullopt;
        case last_arg_seconds: return parse_block_time(args.back(), 1000);
        case first_arg_seconds: return parse_block_time(args[1], 1000);
        case last_arg_ms: return parse_block_time(args.back(), 1);
        case block_option_ms: return block_option(args);
    }
    return std::nullopt;
}

}  // namespace

namespace command_table {

constexpr command_info ordinary{};

constexpr std::array<std::uint32_t, longest_name + 1> first_letters = [] {
    std::array<std::uint32_t, longest_name + 1> letters{};
    for (const command_info& c : table) letters[c.name.size()] |= 1u << (c.name[0] - 'A');
    return letters;
}();

const command_info& find(std::span<const std::string_view> args) noexcept {
    if (args.empty() || args[0].size() > longest_name) return ordinary;
    const auto [first, last] = by_length[args[0].size()];
    for (std::size_t i = first; i < last; ++i) {
        const command_info& c = table[i];
        if (!equals_upper(args[0], c.name)) continue;
        if (c.subcommand.empty()) return c;
        if (args.size() > 1 && equals_upper(args[1], c.subcommand)) return c;
    }
    return ordinary;
}

milliseconds blocking_read_timeout(const command_info& c, std::span<const std::string_view> args,
                                   milliseconds read_timeout) noexcept {
    const auto block = block_time(c.timeout, args);
    if (!block) return read_timeout;  // malformed: the server answers with an error at once
    if (block->count() == 0 || read_timeout.count() == 0) return milliseconds::zero();  // forever
    // Redis times a block out on its timer, which runs hz times a second (1 at the least), so
    // the reply to a block that expired may come up to a second late.
    constexpr milliseconds server_timer_slack{1000};
    return saturating_sum(saturating_sum(*block, server_timer_slack), read_timeout);
}

}  // namespace command_table

bool is_not_executed_reply(std::string_view message) noexcept {
    const std::string_view word = message.substr(0, message.find(' '));
    for (std::string_view refusal :
         {"LOADING", "MASTERDOWN", "TRYAGAIN", "READONLY", "CLUSTERDOWN", "NOREPLICAS"}) {
        if (word == refusal) return true;
    }
    return is_max_clients_reply(message);
}

}  // namespace redpool::detail
