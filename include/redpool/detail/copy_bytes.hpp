// redpool/detail/copy_bytes.hpp — not part of the API: memcpy for the small sizes of requests
// and their arguments, without a call into libc. Public only because commands encode their
// arguments inline when they are built (redpool/detail/encode.hpp); a batch appends each
// encoded request with it too (lib/base/pod_list.hpp).
#pragma once

#include <cstddef>
#include <cstring>

namespace redpool::detail {

/// Copies `n` bytes. Up to 64 bytes (a command's name, a key, a small value, a whole short
/// request) are two or more overlapping fixed-size copies, which the compiler turns into plain
/// moves: two of 1 to 8 bytes for up to 16, 16-byte pieces (the last ending at `n`) for 17 to
/// 64. Larger copies call memcpy, whose cost is then the copy's own.
[[gnu::always_inline]] inline void copy_bytes(char* to, const char* from, std::size_t n) noexcept {
    if (n > 16) {
        if (n > 64) {
            std::memcpy(to, from, n);
            return;
        }
        std::memcpy(to, from, 16);
        if (n > 32) std::memcpy(to + 16, from + 16, 16);
        if (n > 48) std::memcpy(to + 32, from + 32, 16);
        std::memcpy(to + n - 16, from + n - 16, 16);
    } else if (n >= 8) {
        std::memcpy(to, from, 8);
        std::memcpy(to + n - 8, from + n - 8, 8);
    } else if (n >= 4) {
        std::memcpy(to, from, 4);
        std::memcpy(to + n - 4, from + n - 4, 4);
    } else if (n >= 2) {
        std::memcpy(to, from, 2);
        std::memcpy(to + n - 2, from + n - 2, 2);
    } else if (n == 1) {
        *to = *from;
    }
}

}  // namespace redpool::detail
