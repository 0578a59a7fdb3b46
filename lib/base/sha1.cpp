// SHA-1 as FIPS 180-4 §6.1 writes it: pad the message to whole 64-byte blocks (a 1 bit, zeros,
// the length in bits as a big-endian 64-bit number), then run 80 rounds over each block.
#include "lib/base/sha1.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace redpool::detail {
namespace {

using state = std::array<std::uint32_t, 5>;

constexpr state initial_hash{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};

constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

std::uint32_t load_big_endian(const unsigned char* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | std::uint32_t{p[3]};
}

// FIPS 180-4 §6.1.2: the message schedule, then 80 rounds in four groups of 20, each group with
// its own logical function f and constant k.
void compress(state& h, const unsigned char* chunk) noexcept {
    std::array<std::uint32_t, 80> w;
    for (int t = 0; t < 16; ++t) w[t] = load_big_endian(chunk + 4 * t);
    for (int t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; ++t) {
        std::uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);  // Ch
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;  // Parity
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);  // Maj
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;  // Parity
            k = 0xCA62C1D6u;
        }
        const std::uint32_t temp = rotl(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

// The last one or two blocks: the message's tail, the 0x80 byte, zeros, and the bit length in
// the final 8 bytes. A tail of 56 bytes or more leaves no room for the length: two blocks.
void compress_tail(state& h, std::string_view tail, std::uint64_t total_bytes) noexcept {
    std::array<unsigned char, 128> padded{};
    for (std::size_t i = 0; i < tail.size(); ++i) padded[i] = static_cast<unsigned char>(tail[i]);
    padded[tail.size()] = 0x80;
    const std::size_t blocks = tail.size() < 56 ? 1 : 2;
    const std::uint64_t bits = total_bytes * 8;
    for (int i = 0; i < 8; ++i) padded[blocks * 64 - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
    for (std::size_t i = 0; i < blocks; ++i) compress(h, padded.data() + 64 * i);
}

std::string to_hex(const state& h) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(40);
    for (std::uint32_t word : h) {
        for (int shift = 28; shift >= 0; shift -= 4) out += digits[(word >> shift) & 0xF];
    }
    return out;
}

}  // namespace

std::string sha1_hex(std::string_view data) {
    state h = initial_hash;
    const std::size_t whole = data.size() / 64 * 64;
    for (std::size_t offset = 0; offset < whole; offset += 64) {
        compress(h, reinterpret_cast<const unsigned char*>(data.data() + offset));
    }
    compress_tail(h, data.substr(whole), data.size());
    return to_hex(h);
}

}  // namespace redpool::detail
