#include "lib/cluster/key_slot.hpp"

#include <array>
#include <cstddef>

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

// Slicing: the table is linear over GF(2) (t[x ^ y] == t[x] ^ t[y]), so what a byte does to
// the CRC can be carried forward over the bytes after it. slices[k] is the table carried k
// bytes further: slices[k][x] = (slices[k-1][x] << 8) ^ t[slices[k-1][x] >> 8]. Eight bytes
// b0..b7 after a CRC c then make slices[7][(c >> 8) ^ b0] ^ slices[6][(c & 0xff) ^ b1] ^
// slices[5][b2] ^ ... ^ slices[0][b7]: eight independent lookups instead of a chain of eight
// (keys are mostly 8 to 40 bytes). Checked against the server's CLUSTER KEYSLOT in the tests.
using crc_table = std::array<std::uint16_t, 256>;

// One array, so one base address in the loop.
constexpr std::array<crc_table, 8> make_slices() {
    std::array<crc_table, 8> slices{};
    slices[0] = crc16_table;
    for (std::size_t k = 1; k < slices.size(); ++k) {
        for (unsigned x = 0; x < 256; ++x) {
            const std::uint16_t t = slices[k - 1][x];
            slices[k][x] = static_cast<std::uint16_t>((t << 8) ^ crc16_table[t >> 8]);
        }
    }
    return slices;
}

constexpr std::array<crc_table, 8> slices = make_slices();

}  // namespace

std::uint16_t crc16(std::string_view bytes) noexcept {
    std::uint16_t crc = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    for (; n >= 8; n -= 8, p += 8) {
        crc = static_cast<std::uint16_t>(slices[7][(crc >> 8) ^ p[0]] ^ slices[6][(crc & 0xff) ^ p[1]] ^
                                         slices[5][p[2]] ^ slices[4][p[3]] ^ slices[3][p[4]] ^ slices[2][p[5]] ^
                                         slices[1][p[6]] ^ slices[0][p[7]]);
    }
    if (n >= 4) {
        crc = static_cast<std::uint16_t>(slices[3][(crc >> 8) ^ p[0]] ^ slices[2][(crc & 0xff) ^ p[1]] ^
                                         slices[1][p[2]] ^ slices[0][p[3]]);
        n -= 4;
        p += 4;
    }
    for (; n > 0; --n, ++p) crc = static_cast<std::uint16_t>((crc << 8) ^ crc16_table[(crc >> 8) ^ *p]);
    return crc;
}

}  // namespace redpool::detail
