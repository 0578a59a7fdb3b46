// redpool::client's HyperLogLog and bitmap commands against a real redis-server, checked where
// it matters through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::bit_operation;
using redpool::bit_unit;
using redpool::bitfield_offset;
using redpool::bitfield_op;
using redpool::bitfield_overflow;
using redpool::bitfield_type;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::expect_error;
using redpool::test::expect_wrongtype;
using redpool::test::options_for;
using redpool::test::server_ran;
using redpool::test::shared_server;

namespace {

std::string bytes(std::initializer_list<unsigned char> values) { return std::string(values.begin(), values.end()); }

}  // namespace

// --- HyperLogLog -------------------------------------------------------------------------------

TEST_CASE("hyperloglog: pfadd is true only when the estimate changes", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.pfadd("h", {"a", "b", "c"}));
    CHECK_FALSE(redis.pfadd("h", {"a", "b"}));
    std::vector<std::string_view> more{"c", "d"};
    CHECK(redis.pfadd("h", more));
    CHECK(server.command({"PFCOUNT", "h"}) == "4");
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: pfadd of one element adds it, binary-safe", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.pfadd("h", "a"));
    CHECK_FALSE(redis.pfadd("h", "a"));
    CHECK(redis.pfadd("h", std::string("a\0", 2)));
    CHECK(redis.pfadd("h", std::string_view("\xff\xfe")));
    // An empty element is an element, unlike an empty list.
    CHECK(redis.pfadd("h", ""));
    CHECK(server.command({"PFCOUNT", "h"}) == "4");
    const std::string key("k\0", 2);
    CHECK(redis.pfadd(key, "x"));
    CHECK(server.command({"PFCOUNT", key}) == "1");
    // A braced list of one still means the list overload.
    CHECK_FALSE(redis.pfadd("h", {"a"}));
    CHECK(server.command({"PFCOUNT", "h"}) == "4");
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: pfadd of no elements creates an empty HyperLogLog once", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.pfadd("h", {}));
    CHECK(server.command({"EXISTS", "h"}) == "1");
    CHECK(server.command({"PFCOUNT", "h"}) == "0");
    CHECK_FALSE(redis.pfadd("h", std::span<const std::string_view>()));
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: pfcount counts the union of its keys and 0 for a missing one", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"PFADD", "a", "x", "y"});
    server.command({"PFADD", "b", "y", "z"});
    CHECK(redis.pfcount({"a"}) == 2);
    CHECK(redis.pfcount({"a", "b"}) == 3);
    std::vector<std::string_view> keys{"b", "missing"};
    CHECK(redis.pfcount(keys) == 2);
    CHECK(redis.pfcount({"missing"}) == 0);
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: pfcount of no keys is 0 without asking the server", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"PFADD", "a", "x"});
    CHECK(redis.pfcount({}) == 0);
    CHECK(redis.pfcount(std::span<const std::string_view>()) == 0);
    CHECK_FALSE(server_ran(server, "pfcount"));
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: pfmerge stores the union in the destination", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"PFADD", "a", "x", "y"});
    server.command({"PFADD", "b", "y", "z"});
    server.command({"PFADD", "dest", "w"});
    redis.pfmerge("dest", {"a", "b", "missing"});
    CHECK(server.command({"PFCOUNT", "dest"}) == "4");
    CHECK(server.command({"PFCOUNT", "a"}) == "2");

    std::vector<std::string_view> sources{"a"};
    redis.pfmerge("copy", sources);
    CHECK(server.command({"PFCOUNT", "copy"}) == "2");

    redis.pfmerge("new", {});
    CHECK(server.command({"EXISTS", "new"}) == "1");
    CHECK(server.command({"PFCOUNT", "new"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: a HyperLogLog command on another type throws WRONGTYPE", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "list", "x"});
    server.command({"SET", "string", "not a HyperLogLog"});
    server.command({"PFADD", "h", "x"});
    expect_wrongtype([&] { redis.pfadd("list", {"a"}); });
    expect_wrongtype([&] { redis.pfadd("string", {"a"}); });
    expect_wrongtype([&] { redis.pfadd("list", "a"); });
    expect_wrongtype([&] { redis.pfcount({"h", "list"}); });
    expect_wrongtype([&] { redis.pfcount({"string"}); });
    expect_wrongtype([&] { redis.pfmerge("h", {"list"}); });
    expect_wrongtype([&] { redis.pfmerge("list", {"h"}); });
    CHECK(server.command({"GET", "string"}) == "not a HyperLogLog");
    check_pool_invariants(redis);
}

TEST_CASE("hyperloglog: binary keys and elements are counted byte for byte", "[hyperloglog]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("h\0\r\n", 4), other("\xff\xfe"), dest("d\0", 2);
    CHECK(redis.pfadd(key, {"a", std::string("a\0", 2), "\xff\xfe", std::string("\0", 1)}));
    CHECK_FALSE(redis.pfadd(key, {std::string("a\0", 2)}));
    CHECK(redis.pfcount({key}) == 4);
    CHECK(server.command({"PFCOUNT", key}) == "4");
    CHECK(redis.pfadd(other, {"\xfe\xff", "a"}));
    CHECK(redis.pfcount({key, other}) == 5);
    redis.pfmerge(dest, {key, other});
    CHECK(server.command({"PFCOUNT", dest}) == "5");
    check_pool_invariants(redis);
}

// --- bitmaps -----------------------------------------------------------------------------------

TEST_CASE("bitmaps: setbit returns the previous bit and grows the string", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK_FALSE(redis.setbit("b", 7, true));
    CHECK(server.command({"GET", "b"}) == bytes({0x01}));
    CHECK(redis.setbit("b", 7, true));
    CHECK(redis.setbit("b", 7, false));
    CHECK(server.command({"GET", "b"}) == bytes({0x00}));
    CHECK_FALSE(redis.setbit("b", 16, true));
    CHECK(server.command({"GET", "b"}) == bytes({0x00, 0x00, 0x80}));
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: getbit reads false past the end and for a missing key", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK_FALSE(redis.getbit("b", 0));
    server.command({"SET", "b", bytes({0x80, 0x01})});
    CHECK(redis.getbit("b", 0));
    CHECK_FALSE(redis.getbit("b", 1));
    CHECK(redis.getbit("b", 15));
    CHECK_FALSE(redis.getbit("b", 16));
    CHECK_FALSE(redis.getbit("b", 1000000));
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: setbit and getbit reject a negative offset before sending", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(expect_error([&] { redis.setbit("b", -1, true); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.getbit("b", -1); }).code() == errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "setbit"));
    CHECK_FALSE(server_ran(server, "getbit"));
    CHECK(server.command({"EXISTS", "b"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitcount counts set bits in the string, a byte range or a bit range", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.bitcount("b") == 0);
    CHECK(redis.bitcount("b", 0, -1) == 0);
    server.command({"SET", "b", bytes({0xff, 0xf0, 0x00, 0x0f})});
    CHECK(redis.bitcount("b") == 16);
    CHECK(redis.bitcount("b", 0, 0) == 8);
    CHECK(redis.bitcount("b", 0, 0, bit_unit::byte) == 8);
    CHECK(redis.bitcount("b", 1, -1) == 8);
    CHECK(redis.bitcount("b", -1, -1) == 4);
    CHECK(redis.bitcount("b", 0, 3, bit_unit::bit) == 4);
    CHECK(redis.bitcount("b", 4, 11, bit_unit::bit) == 8);
    CHECK(redis.bitcount("b", 12, 15, bit_unit::bit) == 0);
    CHECK(redis.bitcount("b", -4, -1, bit_unit::bit) == 4);
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitpos finds the first set or clear bit, with or without a range", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.bitpos("missing", true) == -1);
    CHECK(redis.bitpos("missing", false) == 0);
    server.command({"SET", "b", bytes({0x00, 0x0f, 0xff})});
    CHECK(redis.bitpos("b", true) == 12);
    CHECK(redis.bitpos("b", false) == 0);
    CHECK(redis.bitpos("b", true, 2) == 16);
    // Without an end the string counts as padded with clear bits; with one it does not.
    CHECK(redis.bitpos("b", false, 2) == 24);
    CHECK(redis.bitpos("b", false, 2, -1) == -1);
    CHECK(redis.bitpos("b", true, 0, 0) == -1);
    CHECK(redis.bitpos("b", true, 0, 0, bit_unit::byte) == -1);
    CHECK(redis.bitpos("b", true, 13, 20, bit_unit::bit) == 13);
    CHECK(redis.bitpos("b", false, 12, 15, bit_unit::bit) == -1);
    CHECK(redis.bitpos("b", false, 8, 15, bit_unit::bit) == 8);
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitop stores AND, OR, XOR and NOT of its keys", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "a", bytes({0xf0, 0x0f})});
    server.command({"SET", "b", bytes({0xff})});
    CHECK(redis.bitop(bit_operation::and_, "and", {"a", "b"}) == 2);
    CHECK(server.command({"GET", "and"}) == bytes({0xf0, 0x00}));
    CHECK(redis.bitop(bit_operation::or_, "or", {"a", "b"}) == 2);
    CHECK(server.command({"GET", "or"}) == bytes({0xff, 0x0f}));
    std::vector<std::string_view> keys{"a", "b"};
    CHECK(redis.bitop(bit_operation::xor_, "xor", keys) == 2);
    CHECK(server.command({"GET", "xor"}) == bytes({0x0f, 0x0f}));
    CHECK(redis.bitop(bit_operation::not_, "not", {"a"}) == 2);
    CHECK(server.command({"GET", "not"}) == bytes({0x0f, 0xf0}));

    // A missing key reads as zero bytes; a result of no bytes deletes the destination.
    CHECK(redis.bitop(bit_operation::and_, "and", {"a", "missing"}) == 2);
    CHECK(server.command({"GET", "and"}) == bytes({0x00, 0x00}));
    CHECK(redis.bitop(bit_operation::or_, "and", {"missing"}) == 0);
    CHECK(server.command({"EXISTS", "and"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitop rejects no source keys and NOT of two before sending", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "a", "x"});
    CHECK(expect_error([&] { redis.bitop(bit_operation::and_, "d", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.bitop(bit_operation::not_, "d", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.bitop(bit_operation::not_, "d", {"a", "a"}); }).code() ==
          errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "bitop"));
    CHECK(server.command({"EXISTS", "d"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitfield sets, gets and increments, each op with its own overflow", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto u8 = bitfield_type::u(8);
    using result = std::vector<std::optional<long long>>;
    CHECK(redis.bitfield("b", {
                                  bitfield_op::set(u8, 0, 255),
                                  bitfield_op::get(u8, 0),
                                  bitfield_op::incrby(u8, 0, 10),
                                  bitfield_op::incrby(u8, 0, 300, bitfield_overflow::fail),
                                  bitfield_op::incrby(u8, 0, 300, bitfield_overflow::sat),
                                  bitfield_op::incrby(u8, 0, 1),  // back to WRAP
                                  bitfield_op::set(u8, 0, -1, bitfield_overflow::fail),
                              }) == result{0, 255, 9, std::nullopt, 255, 0, std::nullopt});
    CHECK(server.command({"GET", "b"}) == bytes({0x00}));
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitfield reads signed fields at bit offsets and field indexes", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto i8 = bitfield_type::i(8);
    using result = std::vector<std::optional<long long>>;
    CHECK(redis.bitfield("b", {bitfield_op::get(i8, bitfield_offset::nth(1))}) == result{0});
    CHECK(redis.bitfield("b", {
                                  bitfield_op::set(i8, bitfield_offset::nth(1), -3),
                                  bitfield_op::get(i8, bitfield_offset::nth(1)),
                                  bitfield_op::get(bitfield_type::u(8), 8),
                                  bitfield_op::incrby(i8, 8, -200),
                                  bitfield_op::incrby(i8, 8, -200, bitfield_overflow::sat),
                                  bitfield_op::get(bitfield_type::i(4), 8),
                              }) == result{0, -3, 253, 53, -128, -8});
    CHECK(server.command({"GET", "b"}) == bytes({0x00, 0x80}));

    std::vector<bitfield_op> ops{bitfield_op::set(bitfield_type::i(64), 0, -1),
                                 bitfield_op::get(bitfield_type::u(63), 0)};
    CHECK(redis.bitfield("wide", ops) == result{0, 0x7fffffffffffffffLL});
    CHECK(redis.bitfield("wide", {}).empty());
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitfield rejects invalid types and negative offsets before sending", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto rejected = [&](bitfield_op op) {
        CHECK(expect_error([&] { redis.bitfield("b", {op}); }).code() == errc::invalid_argument);
    };
    rejected(bitfield_op::get(bitfield_type::u(64), 0));
    rejected(bitfield_op::get(bitfield_type::i(65), 0));
    rejected(bitfield_op::set(bitfield_type::u(0), 0, 1));
    rejected(bitfield_op::incrby(bitfield_type::i(-8), 0, 1));
    rejected(bitfield_op::get(bitfield_type::u(8), -1));
    rejected(bitfield_op::get(bitfield_type::u(8), bitfield_offset::nth(-1)));
    CHECK(expect_error([&] { redis.bitfield_ro("b", {{bitfield_type::u(64), 0}}); }).code() ==
          errc::invalid_argument);
    CHECK(expect_error([&] { redis.bitfield_ro("b", {{bitfield_type::u(8), -8}}); }).code() ==
          errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "bitfield"));
    CHECK_FALSE(server_ran(server, "bitfield_ro"));
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: bitfield_ro reads each field, zero past the end", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.bitfield_ro("missing", {{bitfield_type::u(8), 0}}) == std::vector<long long>{0});
    server.command({"SET", "b", bytes({0x01, 0x02})});
    CHECK(redis.bitfield_ro("b", {
                                     {bitfield_type::u(8), 0},
                                     {bitfield_type::u(8), bitfield_offset::nth(1)},
                                     {bitfield_type::u(16), 0},
                                     {bitfield_type::i(8), 16},
                                     {bitfield_type::i(2), 6},
                                 }) == std::vector<long long>{1, 2, 258, 0, 1});
    std::vector<redpool::bitfield_get> fields{{bitfield_type::i(4), bitfield_offset::nth(3)}};
    CHECK(redis.bitfield_ro("b", fields) == std::vector<long long>{2});
    CHECK(server.command({"GET", "b"}) == bytes({0x01, 0x02}));
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: a bitmap command on a hash throws WRONGTYPE", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"HSET", "h", "f", "v"});
    server.command({"SET", "s", "x"});
    expect_wrongtype([&] { redis.setbit("h", 0, true); });
    expect_wrongtype([&] { redis.getbit("h", 0); });
    expect_wrongtype([&] { redis.bitcount("h"); });
    expect_wrongtype([&] { redis.bitcount("h", 0, -1, bit_unit::bit); });
    expect_wrongtype([&] { redis.bitpos("h", true); });
    expect_wrongtype([&] { redis.bitpos("h", true, 0); });
    expect_wrongtype([&] { redis.bitpos("h", true, 0, -1, bit_unit::bit); });
    expect_wrongtype([&] { redis.bitop(bit_operation::or_, "d", {"s", "h"}); });
    expect_wrongtype([&] { redis.bitfield("h", {bitfield_op::get(bitfield_type::u(8), 0)}); });
    expect_wrongtype([&] { redis.bitfield_ro("h", {{bitfield_type::u(8), 0}}); });
    CHECK(server.command({"EXISTS", "d"}) == "0");
    CHECK(server.command({"HGET", "h", "f"}) == "v");
    check_pool_invariants(redis);
}

TEST_CASE("bitmaps: binary keys and values are read and written bit for bit", "[bitmaps]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("b\0\r\n", 4), dest("d\0", 2);
    server.command({"SET", key, std::string("\xff\xfe\0", 3)});
    CHECK(redis.bitcount(key) == 15);
    CHECK(redis.bitpos(key, false) == 15);
    CHECK_FALSE(redis.getbit(key, 15));
    CHECK(redis.bitfield_ro(key, {{bitfield_type::u(16), 0}}) == std::vector<long long>{0xfffe});
    CHECK(redis.bitop(bit_operation::not_, dest, {key}) == 3);
    CHECK(server.command({"GET", dest}) == bytes({0x00, 0x01, 0xff}));
    CHECK_FALSE(redis.setbit(dest, 0, true));
    CHECK(server.command({"GET", dest}) == bytes({0x80, 0x01, 0xff}));
    check_pool_invariants(redis);
}
