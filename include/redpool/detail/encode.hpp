// redpool/detail/encode.hpp — not part of the API: RESP requests (`*N\r\n$len\r\narg\r\n...`),
// written in place. Public only because `command` encodes its arguments inline when it is built
// (see `detail::argument_block`): encoding is most of the cost of building a command.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>

#include "redpool/detail/copy_bytes.hpp"

namespace redpool::detail::encoding {

inline std::size_t decimal_digits(std::size_t n) noexcept {
    if (n < 10) return 1;
    if (n < 100) return 2;
    std::size_t digits = 3;
    for (n /= 1000; n != 0; n /= 10) ++digits;
    return digits;
}

// "<type><n>\r\n". One and two digits (an argument count, a key's length) are written directly;
// to_chars is several times slower for them.
[[gnu::always_inline]] inline char* put_header(char* at, char type, std::size_t n) noexcept {
    at[0] = type;
    if (n < 10) {
        at[1] = static_cast<char>('0' + n);
        at += 2;
    } else if (n < 100) {
        at[1] = static_cast<char>('0' + n / 10);
        at[2] = static_cast<char>('0' + n % 10);
        at += 3;
    } else {
        at = std::to_chars(at + 1, at + 21, n).ptr;
    }
    std::memcpy(at, "\r\n", 2);
    return at + 2;
}

// "$<n>\r\n<arg>\r\n" at `at`, pointing `*view` at the argument's bytes there unless `view` is
// null; returns the end.
[[gnu::always_inline]] inline char* put_argument(char* at, std::string_view arg, std::string_view* view) noexcept {
    at = put_header(at, '$', arg.size());
    copy_bytes(at, arg.data(), arg.size());
    if (view != nullptr) *view = std::string_view(at, arg.size());
    at += arg.size();
    std::memcpy(at, "\r\n", 2);
    return at + 2;
}

}  // namespace redpool::detail::encoding

namespace redpool::detail {

/// The exact number of bytes `encode_command_at` writes for `args`.
inline std::size_t encoded_size(std::span<const std::string_view> args) noexcept {
    std::size_t size = 3 + encoding::decimal_digits(args.size());
    for (auto arg : args) size += 5 + encoding::decimal_digits(arg.size()) + arg.size();
    return size;
}

/// Most commands are a few short arguments: a name, a key, a small value. For fewer than 10
/// arguments each under 100 bytes, every length has one or two digits, so the request is
/// bounded without counting them and can be written in one pass (`encode_short_command_at`).
/// Returns that bound, or 0 for any other command.
inline std::size_t short_command_bound(std::span<const std::string_view> args) noexcept {
    if (args.size() >= 10) return 0;
    std::size_t bound = 4 + 7 * args.size();  // "*N\r\n", then "$NN\r\n" and "\r\n" around each argument
#pragma GCC unroll 9
    for (auto arg : args) {
        if (arg.size() >= 100) return 0;
        bound += arg.size();
    }
    return bound;
}

/// Writes a command that `short_command_bound` accepted at `out` (room for the bound), as
/// `encode_command_at` does, and returns the end of what it wrote. The same writing, unrolled,
/// and told the caller's promise (under 10 arguments, each under 100 bytes): with it, the code
/// for three-digit lengths is seen to be dead where a command is built from a long argument.
[[gnu::always_inline]] inline char* encode_short_command_at(char* out, std::span<const std::string_view> args,
                                                            std::string_view* views) noexcept {
    if (args.size() >= 10) __builtin_unreachable();
    char* at = encoding::put_header(out, '*', args.size());
#pragma GCC unroll 9
    for (auto arg : args) {
        if (arg.size() >= 100) __builtin_unreachable();
        at = encoding::put_argument(at, arg, views != nullptr ? views++ : nullptr);
    }
    return at;
}

/// Writes `args` as one RESP command at `out` (`encoded_size(args)` bytes) and, when `views`
/// is not null, points `views[i]` at argument i's bytes inside what it wrote, so a command
/// keeps its arguments and its request in one copy.
inline void encode_command_at(char* out, std::span<const std::string_view> args,
                              std::string_view* views) noexcept {
    char* at = encoding::put_header(out, '*', args.size());
    for (auto arg : args) at = encoding::put_argument(at, arg, views != nullptr ? views++ : nullptr);
}

}  // namespace redpool::detail
