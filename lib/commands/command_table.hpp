// detail::command_table — everything redpool knows about particular Redis commands, in one
// table: how many replies a command gets, what it does to the session of the connection it runs
// on, where a blocking command keeps its block time, and whether its error replies can be
// trusted to mean "not executed".
//
// The pool shares connections between callers, so this is what keeps one caller's command from
// leaving anything behind for the next: a reply that arrives after the caller has gone, a
// selected database, an open MULTI. A command not in the table is ordinary: one reply, no
// session effect, no block time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

namespace redpool::detail {

/// How many replies a request gets.
enum class reply_count : std::uint8_t {
    one,
    /// One per argument (UNSUBSCRIBE a b), a stream (MONITOR, SYNC) or none at all (CLIENT
    /// REPLY OFF): a pooled connection could hand a late one to the next caller.
    several,
};

/// What a command leaves behind on the connection it ran on.
enum class session_effect : std::uint8_t {
    none,
    /// Changes the session (SELECT, MULTI, WATCH, AUTH, ASKING ...): close after use.
    changed,
    /// Makes the connection something else (SUBSCRIBE, MONITOR, RESET, HELLO ...): refuse.
    taken_over,
};

/// Where a blocking command keeps how long it may block.
enum class block_timeout : std::uint8_t {
    not_blocking,
    last_arg_seconds,   ///< BLPOP k1 k2 5
    first_arg_seconds,  ///< BLMPOP 5 2 k1 k2 LEFT
    last_arg_ms,        ///< WAIT 1 500
    block_option_ms,    ///< XREAD BLOCK 500 STREAMS s $
};

struct command_info {
    std::string_view name;        ///< upper case
    std::string_view subcommand;  ///< upper case; empty: the entry covers every subcommand
    reply_count replies = reply_count::one;
    session_effect effect = session_effect::none;
    block_timeout timeout = block_timeout::not_blocking;
    /// False where an error reply's text is not the server's own verdict on this command
    /// (a script's `redis.error_reply`, EXEC's queued commands): "LOADING" there proves nothing.
    bool error_may_mean_not_executed = true;
};

namespace command_table {

/// Bit `L` (0 for A ... 25 for Z) of entry `n` is set when the table has a command of `n`
/// letters whose name starts with letter L, in either case. Every command runs past this, and
/// nearly all (GET, SET, INCR, HGET ...) stop here without a call or a compare.
extern const std::array<std::uint32_t, 13> first_letters;
extern const command_info ordinary;

/// The table's entry for `args`, looked up in full.
const command_info& find(std::span<const std::string_view> args) noexcept;
/// read_timeout_for's part for a blocking command.
std::chrono::milliseconds blocking_read_timeout(const command_info& c, std::span<const std::string_view> args,
                                                std::chrono::milliseconds read_timeout) noexcept;

}  // namespace command_table

/// The table's entry for `args` (matched case-insensitively, by name and where it matters by
/// subcommand), or an ordinary command's entry.
inline const command_info& command_info_of(std::span<const std::string_view> args) noexcept {
    if (args.empty() || args[0].empty() || args[0].size() >= command_table::first_letters.size()) {
        return command_table::ordinary;
    }
    const unsigned letter = (static_cast<unsigned char>(args[0][0]) | 0x20u) - 'a';
    if (letter >= 26 || ((command_table::first_letters[args[0].size()] >> letter) & 1u) == 0) {
        return command_table::ordinary;
    }
    return command_table::find(args);
}

/// Whether the command must not run on a shared pooled connection: it gets several replies or
/// takes the connection over.
inline bool needs_own_connection(const command_info& c) noexcept {
    return c.replies != reply_count::one || c.effect == session_effect::taken_over;
}

/// The read timeout for `args`: `read_timeout` for ordinary commands; block time + one second
/// (the server's timer may end a block that late) + `read_timeout` for blocking ones; zero (no limit) for those that block forever, or when
/// `read_timeout` is zero. Saturates rather than overflows.
inline std::chrono::milliseconds read_timeout_for(const command_info& c, std::span<const std::string_view> args,
                                                  std::chrono::milliseconds read_timeout) noexcept {
    if (c.timeout == block_timeout::not_blocking) return read_timeout;
    return command_table::blocking_read_timeout(c, args, read_timeout);
}

/// Whether an error reply means the server refused the command without executing it, so it may
/// be retried: LOADING, MASTERDOWN, TRYAGAIN, READONLY, CLUSTERDOWN, NOREPLICAS, and "max
/// number of clients reached".
bool is_not_executed_reply(std::string_view message) noexcept;

}  // namespace redpool::detail
