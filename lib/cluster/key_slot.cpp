#include "lib/cluster/key_slot.hpp"

#include <array>

namespace redpool::detail {
namespace {

// The table of CRC16/XMODEM for every byte value, built at compile time from the polynomial.
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
    std::array<std::uint16_t, 256> table{};
    for (unsigned byte = 0; byte < 256; ++byte) {
        std::uint16_t crc = static_cast<std::uint16_t>(byte << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
        }
        table[byte] = crc;
    }
    return table;
}

constexpr std::array<std::uint16_t, 256> crc16_table = make_crc16_table();

}  // namespace

std::string_view hash_tag_of(std::string_view key) noexcept {
    const std::size_t open = key.find('{');
    if (open == std::string_view::npos) return key;
    const std::size_t close = key.find('}', open + 1);
    if (close == std::string_view::npos || close == open + 1) return key;  // none, or empty: all of it
    return key.substr(open + 1, close - open - 1);
}

std::uint16_t crc16(std::string_view bytes) noexcept {
    std::uint16_t crc = 0;
    for (const char c : bytes) {
        const auto index = static_cast<unsigned char>((crc >> 8) ^ static_cast<unsigned char>(c));
        crc = static_cast<std::uint16_t>((crc << 8) ^ crc16_table[index]);
    }
    return crc;
}

}  // namespace redpool::detail
