// Typed results from replies.
#include "lib/commands/reply_convert.hpp"

#include <fmt/format.h>

namespace redpool::detail {

reply& check(reply& r) {
    if (r.is_error()) throw reply_error(r.take_string());
    return r;
}

void unexpected_reply(std::string_view command, const reply& r, std::string_view wanted) {
    throw error(errc::protocol_error,
                fmt::format("unexpected {} reply to {} (expected {})", to_string(r.type()), command, wanted));
}

std::optional<std::string> to_optional_string(std::string_view command, reply&& r) {
    check(r);
    if (r.is_nil()) return std::nullopt;
    if (!r.is_string()) unexpected_reply(command, r, "a string or nil");
    return r.take_string();
}

std::string to_string(std::string_view command, reply&& r) {
    check(r);
    if (!r.is_string() && !r.is_status()) unexpected_reply(command, r, "a string");
    return r.take_string();
}

long long to_integer(std::string_view command, const reply& r) {
    if (r.is_error()) throw reply_error(std::string(r.as_string()));
    if (!r.is_integer()) unexpected_reply(command, r, "an integer");
    return r.as_integer();
}

bool to_bool(std::string_view command, const reply& r) { return to_integer(command, r) != 0; }

void expect_ok(std::string_view command, const reply& r) {
    if (r.is_error()) throw reply_error(std::string(r.as_string()));
    if (!r.is_status()) unexpected_reply(command, r, "OK");
}

std::vector<std::optional<std::string>> to_optional_strings(std::string_view command, reply&& r) {
    check(r);
    if (!r.is_array()) unexpected_reply(command, r, "an array");
    std::vector<std::optional<std::string>> out;
    out.reserve(r.size());
    for (auto& element : r.elements()) out.push_back(to_optional_string(command, std::move(element)));
    return out;
}

std::vector<std::string> to_strings(std::string_view command, reply&& r) {
    check(r);
    if (!r.is_array()) unexpected_reply(command, r, "an array");
    std::vector<std::string> out;
    out.reserve(r.size());
    for (auto& element : r.elements()) out.push_back(to_string(command, std::move(element)));
    return out;
}

}  // namespace redpool::detail
