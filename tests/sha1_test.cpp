// detail::sha1_hex, redpool::script's digest: the FIPS 180-4 / RFC 3174 test vectors, messages
// whose length puts the padding at each block boundary, and the digests a real redis-server
// computes (SCRIPT LOAD) for scripts of every length up to three blocks.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

#include "lib/base/sha1.hpp"
#include "tests/support/redis_server.hpp"

using redpool::detail::sha1_hex;
using redpool::test::shared_server;

namespace {

// Bytes 0, 1, 2, ... wrapping at 256: every byte value, NUL and high bytes included.
std::string counting_bytes(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 256);
    return out;
}

}  // namespace

TEST_CASE("sha1: the FIPS 180-4 and RFC 3174 test vectors", "[sha1]") {
    CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    // 448 bits: the message fills a block up to the length field, so padding takes a second.
    CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(sha1_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                   "mnopqrstnopqrstu") == "a49b2446a02c645bf419f995b67091253a04a259");
    CHECK(sha1_hex(std::string(1'000'000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    std::string repeated;
    for (int i = 0; i < 10; ++i) repeated += "0123456701234567012345670123456701234567012345670123456701234567";
    CHECK(sha1_hex(repeated) == "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

TEST_CASE("sha1: lengths at the padding boundaries", "[sha1]") {
    // 55 bytes is the longest tail whose 0x80 and 8-byte length fit in its block; 56 to 63 need
    // a second block; 64 is a whole block and a block of padding alone. Digests from OpenSSL.
    struct vector {
        std::size_t length;
        const char* of_x;         // `length` times 'x'
        const char* of_counting;  // counting_bytes(length)
    };
    const vector vectors[] = {
        {55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1", "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"},
        {56, "901305367c259952f4e7af8323f480d59f81335b", "636e2ec698dac903498e648bd2f3af641d3c88cb"},
        {57, "025ecbd5d70f8fb3c5457cd96bab13fda305dc59", "7cb1330f35244b57437539253304ea78a6b7c443"},
        {63, "0ddc4e0cccd9a12850deb5abb0853a4425559fec", "6d942da0c4392b123528f2905c713a3ce28364bd"},
        {64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163", "c6138d514ffa2135bfce0ed0b8fac65669917ec7"},
        {65, "78c741ddc482e4cdf8c474a0876347a0905b6233", "69bd728ad6e13cd76ff19751fde427b00e395746"},
        {119, "4300320394f7ee239bcdce7d3b8bcee173a0cd5c", "41c89d06001bab4ab78736b44efe7ce18ce6ae08"},
        {120, "ceb2821639c4b6dcb10bce0e522ca2e608ce056d", "d3dbd653bd8597b7475321b60a36891278e6a04a"},
        {128, "150fa3fbdc899bd0b8f95a9fb6027f564d953762", "e6434bc401f98603d7eda504790c98c67385d535"},
    };
    for (const auto& v : vectors) {
        INFO("length " << v.length);
        CHECK(sha1_hex(std::string(v.length, 'x')) == v.of_x);
        CHECK(sha1_hex(counting_bytes(v.length)) == v.of_counting);
    }
    CHECK(sha1_hex(counting_bytes(256)) == "4916d6bdb7f78e6803698cab32d1586ea457dfc8");
}

TEST_CASE("sha1: the digest is 40 lower-case hex digits", "[sha1]") {
    for (std::size_t n : {0, 1, 55, 56, 64, 1000}) {
        const std::string digest = sha1_hex(counting_bytes(n));
        REQUIRE(digest.size() == 40);
        CHECK(digest.find_first_not_of("0123456789abcdef") == std::string::npos);
    }
}

TEST_CASE("sha1: equals the SHA-1 Redis computes for scripts of every length up to three blocks", "[sha1]") {
    auto admin = shared_server().admin();
    // "return '...'" from 9 to 199 bytes: every tail length and the boundaries of three blocks.
    for (std::size_t n = 0; n <= 190; ++n) {
        const std::string source = "return '" + std::string(n, 'y') + "'";
        INFO("script of " << source.size() << " bytes");
        CHECK(sha1_hex(source) == admin.command({"SCRIPT", "LOAD", source}));
    }
    // Bytes above 127 and a newline, as real scripts hold.
    for (const std::string& source : {std::string("return 'caf\xc3\xa9 \xff\xfe'"),
                                     std::string("local x = 1\nreturn redis.call('GET', KEYS[1])\n"),
                                     std::string("return redis.call('INCRBY', KEYS[1], ARGV[1])")}) {
        INFO(source);
        CHECK(sha1_hex(source) == admin.command({"SCRIPT", "LOAD", source}));
    }
    admin.command({"SCRIPT", "FLUSH", "SYNC"});
}
