// detail helpers that turn a reply into a typed command's result, throwing reply_error for a
// server error and redpool::error (protocol_error) for a reply of an unexpected type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/error.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

/// Throws `reply_error` if `r` is a server error; returns `r` otherwise.
reply& check(reply& r);

/// Throws protocol_error naming `command` and what was expected.
[[noreturn]] void unexpected_reply(std::string_view command, const reply& r, std::string_view wanted);

/// nil -> nullopt, string -> its bytes.
std::optional<std::string> to_optional_string(std::string_view command, reply&& r);
/// string or status -> its bytes.
std::string to_string(std::string_view command, reply&& r);
/// integer -> its value.
long long to_integer(std::string_view command, const reply& r);
/// integer 0/1 -> bool.
bool to_bool(std::string_view command, const reply& r);
/// status OK -> nothing; anything else throws.
void expect_ok(std::string_view command, const reply& r);
/// array of strings / nils -> optionals.
std::vector<std::optional<std::string>> to_optional_strings(std::string_view command, reply&& r);
/// array of strings -> strings.
std::vector<std::string> to_strings(std::string_view command, reply&& r);

}  // namespace redpool::detail
