// detail::request_views — the arguments of a request encoded by redpool (`*N\r\n` then `$len\r\n
// arg\r\n` N times), as views into it. An async operation keeps only its encoded bytes; a
// command that needs a connection of its own runs through client_core, which takes both.
#pragma once

#include <charconv>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "redpool/error.hpp"

namespace redpool::detail {

inline std::vector<std::string_view> request_views(std::span<const char> wire) {
    const std::string_view in(wire.data(), wire.size());
    std::size_t at = 0;
    // "<prefix><digits>\r\n" at `at`, the number; throws on anything else (never for our own).
    const auto read_count = [&](char prefix) {
        std::size_t n = 0;
        const auto end = in.find("\r\n", at);
        if (at >= in.size() || in[at] != prefix || end == std::string_view::npos ||
            std::from_chars(in.data() + at + 1, in.data() + end, n).ptr != in.data() + end) {
            throw error(errc::invalid_argument, "malformed request");
        }
        at = end + 2;
        return n;
    };
    std::vector<std::string_view> args;
    const std::size_t count = read_count('*');
    args.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t size = read_count('$');
        if (size > in.size() - at || in.size() - at - size < 2) throw error(errc::invalid_argument, "malformed request");
        args.push_back(in.substr(at, size));
        at += size + 2;
    }
    return args;
}

}  // namespace redpool::detail
