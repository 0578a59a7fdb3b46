// detail::key_slot — the hash slot (0 to 16383) Redis Cluster keeps a key in: CRC16 (XMODEM:
// polynomial 0x1021, initial 0) of the key, or of its hash tag, modulo 16384. The hash tag is
// what lies between the first '{' and the first '}' after it, when that is not empty, so that
// "{user1000}.following" and "{user1000}.followers" share a slot.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace redpool::detail {

inline constexpr int cluster_slots = 16384;

/// The part of `key` that is hashed: its hash tag if it has a non-empty one, else all of it.
inline std::string_view hash_tag_of(std::string_view key) noexcept {
    const auto* open = static_cast<const char*>(std::memchr(key.data(), '{', key.size()));
    if (open == nullptr) [[likely]] return key;
    const std::size_t after = static_cast<std::size_t>(open - key.data()) + 1;
    const std::size_t close = key.find('}', after);
    if (close == std::string_view::npos || close == after) return key;  // none, or empty: all of it
    return key.substr(after, close - after);
}

/// CRC16/XMODEM of `bytes`, as Redis computes it (src/crc16.c).
std::uint16_t crc16(std::string_view bytes) noexcept;

/// The slot `key` belongs to.
inline int key_slot(std::string_view key) noexcept { return crc16(hash_tag_of(key)) & (cluster_slots - 1); }

}  // namespace redpool::detail
