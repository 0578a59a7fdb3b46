// detail: what a command does to the pooled connection it runs on, and whether its error
// reply can be trusted to mean "not executed". The pool shares connections between callers, so
// a command that changes a connection's session (SELECT, MULTI, SUBSCRIBE ...) must not leave
// that change behind for the next caller.
#pragma once

#include <span>
#include <string_view>

namespace redpool::detail {

enum class session_effect {
    none,     ///< leaves the connection as it found it
    taints,   ///< changes session state (SELECT, MULTI, WATCH, AUTH, ...): close after use
    refused,  ///< turns the connection into something else (SUBSCRIBE, MONITOR, ...): refuse
};

/// How `args` affects the connection it runs on. Case-insensitive; cheap for common commands.
session_effect session_effect_of(std::span<const std::string_view> args) noexcept;

/// Whether a "not executed" error reply (LOADING, TRYAGAIN, ...) to `args` may be retried. Not
/// for scripts, functions and EXEC: their error text is the script's, and the writes before it
/// have already happened.
bool may_retry_error_reply(std::span<const std::string_view> args) noexcept;

}  // namespace redpool::detail
