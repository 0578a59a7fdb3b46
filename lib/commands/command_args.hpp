// detail helpers for building a typed command's arguments without copying them.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace redpool::detail {

/// The digits of a formatted integer as an argument; valid while `digits` lives.
inline std::string_view view(const fmt::format_int& digits) { return {digits.data(), digits.size()}; }

/// `name` followed by every key.
inline std::vector<std::string_view> with_keys(std::string_view name,
                                               std::span<const std::string_view> keys) {
    std::vector<std::string_view> args;
    args.reserve(keys.size() + 1);
    args.push_back(name);
    args.insert(args.end(), keys.begin(), keys.end());
    return args;
}

}  // namespace redpool::detail
