// The commands that change or take over a connection's session.
#include "lib/commands/command_traits.hpp"

#include <algorithm>
#include <cctype>

namespace redpool::detail {
namespace {

bool equals_nocase(std::string_view a, std::string_view upper) {
    return a.size() == upper.size() &&
           std::equal(a.begin(), a.end(), upper.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == y;
           });
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> upper) {
    return std::any_of(upper.begin(), upper.end(), [&](std::string_view u) { return equals_nocase(name, u); });
}

session_effect client_subcommand(std::span<const std::string_view> args) {
    if (args.size() < 2) return session_effect::none;
    if (equals_nocase(args[1], "REPLY")) return session_effect::refused;  // replies stop coming
    if (is_one_of(args[1], {"TRACKING", "SETNAME", "NO-EVICT", "NO-TOUCH", "SETINFO"})) {
        return session_effect::taints;
    }
    return session_effect::none;
}

}  // namespace

session_effect session_effect_of(std::span<const std::string_view> args) noexcept {
    if (args.empty()) return session_effect::none;
    const std::string_view name = args[0];
    // Dispatch on the length first: GET, SET, INCR, HGET ... are decided without comparing.
    switch (name.size()) {
        case 4:
            if (equals_nocase(name, "AUTH")) return session_effect::taints;
            if (is_one_of(name, {"QUIT", "SYNC"})) return session_effect::refused;
            break;
        case 5:
            if (is_one_of(name, {"MULTI", "WATCH"})) return session_effect::taints;
            if (is_one_of(name, {"RESET", "HELLO", "PSYNC"})) return session_effect::refused;
            break;
        case 6:
            if (equals_nocase(name, "SELECT")) return session_effect::taints;
            if (equals_nocase(name, "CLIENT")) return client_subcommand(args);
            break;
        case 7:
            if (equals_nocase(name, "MONITOR")) return session_effect::refused;
            break;
        case 8:
            if (equals_nocase(name, "READONLY")) return session_effect::taints;
            break;
        case 9:
            if (equals_nocase(name, "READWRITE")) return session_effect::taints;
            if (equals_nocase(name, "SUBSCRIBE")) return session_effect::refused;
            break;
        case 10:
            if (is_one_of(name, {"PSUBSCRIBE", "SSUBSCRIBE"})) return session_effect::refused;
            break;
        default:
            break;
    }
    return session_effect::none;
}

bool may_retry_error_reply(std::span<const std::string_view> args) noexcept {
    return args.empty() || !is_one_of(args[0], {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL",
                                                "FCALL_RO", "EXEC"});
}

}  // namespace redpool::detail
