// Where each blocking command keeps its timeout, and in which unit.
#include "lib/commands/blocking_commands.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace redpool::detail {
namespace {

using duration = options::duration;

bool equals_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == y;
           });
}

// "1.5" seconds (or milliseconds when `scale` is 1) as a duration; nullopt if not a number.
std::optional<duration> parse_timeout(std::string_view text, double scale_to_ms) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
    return duration(static_cast<duration::rep>(value * scale_to_ms + 0.999));
}

enum class timeout_at { none, last_arg_seconds, first_arg_seconds, last_arg_ms, block_option_ms };

timeout_at where_is_timeout(std::string_view name) {
    static constexpr std::pair<std::string_view, timeout_at> table[] = {
        {"BLPOP", timeout_at::last_arg_seconds},    {"BRPOP", timeout_at::last_arg_seconds},
        {"BRPOPLPUSH", timeout_at::last_arg_seconds}, {"BLMOVE", timeout_at::last_arg_seconds},
        {"BZPOPMIN", timeout_at::last_arg_seconds}, {"BZPOPMAX", timeout_at::last_arg_seconds},
        {"BLMPOP", timeout_at::first_arg_seconds},  {"BZMPOP", timeout_at::first_arg_seconds},
        {"WAIT", timeout_at::last_arg_ms},          {"WAITAOF", timeout_at::last_arg_ms},
        {"XREAD", timeout_at::block_option_ms},     {"XREADGROUP", timeout_at::block_option_ms},
    };
    for (auto [command, where] : table) {
        if (equals_nocase(name, command)) return where;
    }
    return timeout_at::none;
}

std::optional<duration> block_option(std::span<const std::string_view> args) {
    for (std::size_t i = 1; i + 1 < args.size(); ++i) {
        if (equals_nocase(args[i], "STREAMS")) break;  // keys and ids follow; no options
        if (equals_nocase(args[i], "BLOCK")) return parse_timeout(args[i + 1], 1);
    }
    return std::nullopt;
}

std::optional<duration> block_time(std::span<const std::string_view> args) {
    switch (where_is_timeout(args[0])) {
        case timeout_at::none: return std::nullopt;
        case timeout_at::last_arg_seconds: return parse_timeout(args.back(), 1000);
        case timeout_at::first_arg_seconds:
            return args.size() > 1 ? parse_timeout(args[1], 1000) : std::nullopt;
        case timeout_at::last_arg_ms: return parse_timeout(args.back(), 1);
        case timeout_at::block_option_ms: return block_option(args);
    }
    return std::nullopt;
}

}  // namespace

duration read_timeout_for(std::span<const std::string_view> args, duration read_timeout) {
    // Cheap filter first: every blocking command starts with B, W or X.
    if (args.size() < 2 || args[0].empty()) return read_timeout;
    const char first = static_cast<char>(std::toupper(static_cast<unsigned char>(args[0][0])));
    if (first != 'B' && first != 'W' && first != 'X') return read_timeout;
    auto block = block_time(args);
    if (!block) return read_timeout;
    if (block->count() == 0 || read_timeout.count() == 0) return duration::zero();  // forever
    return *block + read_timeout;
}

}  // namespace redpool::detail
