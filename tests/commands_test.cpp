// redpool::client's typed commands (strings, counters, keys, SCAN, server) against a real
// redis-server, checked where it matters through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <optional>
#include <ranges>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::redis_server;
using redpool::test::server_config;
using redpool::test::shared_server;
using redpool::test::admin_integer;
using redpool::test::bad_utf8;
using redpool::test::check_pool_invariants;
using redpool::test::config_guard;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::info_field;
using redpool::test::options_for;
using redpool::test::seconds_since;

static_assert(std::input_iterator<redpool::scan_range::iterator>);
static_assert(std::ranges::input_range<redpool::scan_range>);

namespace {

template <typename Range>
std::set<std::string> collect(Range&& range) {
    std::set<std::string> out;
    for (const std::string& key : range) out.insert(key);
    return out;
}

// A value in another database, read through an admin connection of its own.
std::string admin_in_db(const redis_server& server, const std::string& db, std::initializer_list<std::string> args) {
    auto admin = server.admin();
    admin.command({"SELECT", db});
    return admin.command(std::vector<std::string>(args));
}

const std::string nul_key("k\0ey", 4);
const std::string nul_value("v\0\r\nal", 6);

}  // namespace

// --- strings -----------------------------------------------------------------------------------

TEST_CASE("commands: get returns nullopt for a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.get("missing") == std::nullopt);
    server.command({"SET", "present", "v"});
    CHECK(redis.get("present") == "v");
    check_pool_invariants(redis);
}

TEST_CASE("commands: binary values round-trip through set and get", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string value("a\0b\r\nc\r\n\0", 9);
    const std::string key("k\0\r\n", 4);
    CHECK(redis.set(key, value));
    auto got = redis.get(key);
    REQUIRE(got.has_value());
    CHECK(got->size() == 9);
    CHECK(*got == value);
    CHECK(redis.strlen(key) == 9);
    CHECK(redis.set("empty", ""));
    CHECK(redis.get("empty") == "");
    check_pool_invariants(redis);
}

TEST_CASE("commands: set with NX only sets a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redpool::set_options nx;
    nx.when = redpool::set_options::condition::if_not_exists;
    CHECK(redis.set("k", "first", nx));
    CHECK_FALSE(redis.set("k", "second", nx));
    CHECK(server.command({"GET", "k"}) == "first");
    check_pool_invariants(redis);
}

TEST_CASE("commands: set with XX only overwrites an existing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redpool::set_options xx;
    xx.when = redpool::set_options::condition::if_exists;
    CHECK_FALSE(redis.set("k", "v", xx));
    CHECK(server.command({"EXISTS", "k"}) == "0");
    server.command({"SET", "k", "old"});
    CHECK(redis.set("k", "new", xx));
    CHECK(redis.get("k") == "new");
    check_pool_invariants(redis);
}

TEST_CASE("commands: set with a ttl gives the key a millisecond expiry", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.set("k", "v", 10s));
    auto left = redis.pttl("k");
    CHECK(left > 9s);
    CHECK(left <= 10s);
    long long admin_left = admin_integer(server, {"PTTL", "k"});
    CHECK(admin_left > 9000);
    CHECK(admin_left <= 10000);

    redpool::set_options opts;
    opts.ttl = 1500ms;
    CHECK(redis.set("k2", "v", opts));
    long long ms = admin_integer(server, {"PTTL", "k2"});
    CHECK(ms > 1000);
    CHECK(ms <= 1500);
    check_pool_invariants(redis);
}

TEST_CASE("commands: set with keep_ttl keeps the expiry and without it clears it", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    REQUIRE(redis.set("k", "v1", 100s));
    redpool::set_options keep;
    keep.keep_ttl = true;
    CHECK(redis.set("k", "v2", keep));
    CHECK(redis.get("k") == "v2");
    CHECK(admin_integer(server, {"TTL", "k"}) > 90);
    CHECK(redis.set("k", "v3"));
    CHECK(redis.pttl("k") == -1ms);
    check_pool_invariants(redis);
}

TEST_CASE("commands: set rejects keep_ttl with a ttl and a negative ttl", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redpool::set_options both;
    both.keep_ttl = true;
    both.ttl = 5s;
    CHECK(expect_error([&] { redis.set("k", "v", both); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.set_get("k", "v", both); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.set("k", "v", -1ms); }).code() == errc::invalid_argument);
    CHECK(server.command({"EXISTS", "k"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: set_get returns the previous value", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.set_get("k", "one") == std::nullopt);
    CHECK(redis.set_get("k", "two") == "one");
    CHECK(server.command({"GET", "k"}) == "two");

    redpool::set_options ttl;
    ttl.ttl = 30s;
    CHECK(redis.set_get("k", "three", ttl) == "two");
    CHECK(admin_integer(server, {"TTL", "k"}) > 25);
    check_pool_invariants(redis);
}

TEST_CASE("commands: mget returns nullopt for missing keys, in order", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "a", "1"});
    server.command({"SET", "c", "3"});
    auto values = redis.mget({"a", "b", "c", "a"});
    REQUIRE(values.size() == 4);
    CHECK(values[0] == "1");
    CHECK(values[1] == std::nullopt);
    CHECK(values[2] == "3");
    CHECK(values[3] == "1");

    std::vector<std::string_view> keys{"c", "missing"};
    auto from_span = redis.mget(keys);
    REQUIRE(from_span.size() == 2);
    CHECK(from_span[0] == "3");
    CHECK_FALSE(from_span[1].has_value());
    CHECK(redis.mget(std::span<const std::string_view>()).empty());
    check_pool_invariants(redis);
}

TEST_CASE("commands: mset sets every pair and rejects an empty list", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redis.mset({{"a", "1"}, {"b", "2"}});
    CHECK(server.command({"GET", "a"}) == "1");
    CHECK(server.command({"GET", "b"}) == "2");

    std::vector<std::pair<std::string_view, std::string_view>> pairs{{"c", "3"}, {"a", "overwritten"}};
    redis.mset(pairs);
    CHECK(redis.get("c") == "3");
    CHECK(redis.get("a") == "overwritten");

    auto e = expect_error([&] { redis.mset(std::span<const std::pair<std::string_view, std::string_view>>()); });
    CHECK(e.code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: getdel returns the value and deletes the key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    CHECK(redis.getdel("k") == "v");
    CHECK(server.command({"EXISTS", "k"}) == "0");
    CHECK(redis.getdel("k") == std::nullopt);
    check_pool_invariants(redis);
}

TEST_CASE("commands: getex sets a ttl and persist removes it", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    CHECK(redis.getex("k") == "v");
    CHECK(admin_integer(server, {"PTTL", "k"}) == -1);

    redpool::getex_options ttl;
    ttl.ttl = 20s;
    CHECK(redis.getex("k", ttl) == "v");
    long long ms = admin_integer(server, {"PTTL", "k"});
    CHECK(ms > 19000);
    CHECK(ms <= 20000);

    redpool::getex_options persist;
    persist.persist = true;
    CHECK(redis.getex("k", persist) == "v");
    CHECK(admin_integer(server, {"PTTL", "k"}) == -1);
    CHECK(redis.getex("missing", ttl) == std::nullopt);
    check_pool_invariants(redis);
}

TEST_CASE("commands: getex rejects persist with a ttl and a negative ttl", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    redpool::getex_options both;
    both.ttl = 5s;
    both.persist = true;
    CHECK(expect_error([&] { redis.getex("k", both); }).code() == errc::invalid_argument);
    redpool::getex_options negative;
    negative.ttl = -5s;
    CHECK(expect_error([&] { redis.getex("k", negative); }).code() == errc::invalid_argument);
    CHECK(admin_integer(server, {"PTTL", "k"}) == -1);
    check_pool_invariants(redis);
}

TEST_CASE("commands: append and strlen report the new length", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.strlen("k") == 0);
    CHECK(redis.append("k", "Hello") == 5);
    CHECK(redis.append("k", std::string_view(" \0World", 7)) == 12);
    CHECK(redis.strlen("k") == 12);
    CHECK(redis.get("k") == std::string("Hello \0World", 12));
    check_pool_invariants(redis);
}

TEST_CASE("commands: getrange and setrange use inclusive and negative offsets", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "Hello World"});
    CHECK(redis.getrange("k", 0, 4) == "Hello");
    CHECK(redis.getrange("k", -5, -1) == "World");
    CHECK(redis.getrange("k", 20, 30) == "");
    CHECK(redis.setrange("k", 6, "Redis") == 11);
    CHECK(redis.get("k") == "Hello Redis");
    CHECK(redis.setrange("pad", 3, "x") == 4);
    CHECK(redis.get("pad") == std::string("\0\0\0x", 4));
    check_pool_invariants(redis);
}

TEST_CASE("commands: incr and incrby count up from a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.incr("n") == 1);
    CHECK(redis.incr("n") == 2);
    CHECK(redis.incrby("n", 40) == 42);
    CHECK(redis.incrby("n", -50) == -8);
    CHECK(redis.incrby("big", 9'000'000'000'000'000'000LL) == 9'000'000'000'000'000'000LL);
    CHECK(server.command({"GET", "n"}) == "-8");
    check_pool_invariants(redis);
}

TEST_CASE("commands: incrbyfloat keeps decimal precision", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "f", "10.5"});
    CHECK(redis.incrbyfloat("f", 0.1) == 10.6);
    CHECK(server.command({"GET", "f"}) == "10.6");
    CHECK(redis.incrbyfloat("f", -0.6) == 10.0);
    CHECK(redis.incrbyfloat("g", 1e-7) == 1e-7);
    CHECK(redis.incrbyfloat("h", 2.5e10) == 2.5e10);
    check_pool_invariants(redis);
}

TEST_CASE("commands: decr and decrby count down", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "n", "10"});
    CHECK(redis.decr("n") == 9);
    CHECK(redis.decrby("n", 4) == 5);
    CHECK(redis.decrby("n", -5) == 10);
    CHECK(redis.decr("fresh") == -1);
    check_pool_invariants(redis);
}

TEST_CASE("commands: a counter on a non-integer value throws ERR", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "abc"});
    auto e = expect_error<redpool::reply_error>([&] { redis.incr("k"); });
    CHECK(e.prefix() == "ERR");
    CHECK(e.code() == errc::server_error);
    CHECK(expect_error<redpool::reply_error>([&] { redis.incrbyfloat("k", 1.0); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: a string command on a list throws WRONGTYPE", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "list", "a"});
    auto e = expect_error<redpool::reply_error>([&] { redis.get("list"); });
    CHECK(std::string_view(e.what()).starts_with("WRONGTYPE"));
    CHECK(e.prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.append("list", "x"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.incr("list"); }).prefix() == "WRONGTYPE");
    check_pool_invariants(redis);
}

TEST_CASE("commands: setnx sets only a missing key, binary-safe", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.setnx(nul_key, nul_value));
    CHECK_FALSE(redis.setnx(nul_key, "other"));
    CHECK(redis.get(nul_key) == nul_value);
    server.command({"RPUSH", "list", "a"});
    CHECK_FALSE(redis.setnx("list", "v"));  // a key of any type exists
    CHECK(server.command({"TYPE", "list"}) == "list");
    check_pool_invariants(redis);
}

TEST_CASE("commands: setex and psetex set a value with a ttl and refuse a non-positive one", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redis.setex(nul_key, 100s, nul_value);
    CHECK(server.command({"GET", nul_key}) == nul_value);
    long long left = admin_integer(server, {"TTL", nul_key});
    CHECK(left > 95);
    CHECK(left <= 100);

    redis.psetex("p", 2500ms, bad_utf8);
    CHECK(redis.get("p") == bad_utf8);
    long long ms = admin_integer(server, {"PTTL", "p"});
    CHECK(ms > 2000);
    CHECK(ms <= 2500);

    server.command({"RPUSH", "list", "a"});
    redis.setex("list", 10s, "now a string");  // SETEX overwrites any type
    CHECK(server.command({"GET", "list"}) == "now a string");

    CHECK(expect_error([&] { redis.setex("z", 0s, "v"); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.setex("z", -5s, "v"); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.psetex("z", 0ms, "v"); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.psetex("z", -1ms, "v"); }).code() == errc::invalid_argument);
    CHECK(server.command({"EXISTS", "z"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: msetnx sets every pair or none", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.msetnx({{"a", "1"}, {nul_key, nul_value}}));
    CHECK(server.command({"GET", "a"}) == "1");
    CHECK(server.command({"GET", nul_key}) == nul_value);

    std::vector<std::pair<std::string_view, std::string_view>> pairs{{"b", "2"}, {"a", "overwritten"}};
    CHECK_FALSE(redis.msetnx(pairs));
    CHECK(server.command({"EXISTS", "b"}) == "0");
    CHECK(server.command({"GET", "a"}) == "1");

    auto e = expect_error([&] { redis.msetnx(std::span<const std::pair<std::string_view, std::string_view>>()); });
    CHECK(e.code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: getset returns the previous value and drops the ttl", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.getset(nul_key, "first") == std::nullopt);
    CHECK(server.command({"GET", nul_key}) == "first");
    server.command({"EXPIRE", nul_key, "100"});
    CHECK(redis.getset(nul_key, nul_value) == "first");
    CHECK(redis.get(nul_key) == nul_value);
    CHECK(admin_integer(server, {"TTL", nul_key}) == -1);
    server.command({"RPUSH", "list", "a"});
    CHECK(expect_error<redpool::reply_error>([&] { redis.getset("list", "v"); }).prefix() == "WRONGTYPE");
    check_pool_invariants(redis);
}

TEST_CASE("commands: lcs, lcs_len and lcs_idx describe the longest common subsequence", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "ohmytext", "b", "mynewtext"});
    CHECK(redis.lcs("a", "b") == "mytext");
    CHECK(redis.lcs_len("a", "b") == 6);

    auto idx = redis.lcs_idx("a", "b");
    CHECK(idx.length == 6);
    REQUIRE(idx.matches.size() == 2);
    CHECK(idx.matches[0].first == std::pair<long long, long long>(4, 7));  // "text", last run first
    CHECK(idx.matches[0].second == std::pair<long long, long long>(5, 8));
    CHECK(idx.matches[0].length == 4);
    CHECK(idx.matches[1].first == std::pair<long long, long long>(2, 3));  // "my"
    CHECK(idx.matches[1].second == std::pair<long long, long long>(0, 1));
    CHECK(idx.matches[1].length == 2);

    auto long_runs = redis.lcs_idx("a", "b", 3);
    CHECK(long_runs.length == 6);  // the whole subsequence, short runs included
    REQUIRE(long_runs.matches.size() == 1);
    CHECK(long_runs.matches[0].length == 4);
    CHECK(redis.lcs_idx("a", "b", -1).matches.size() == 2);

    CHECK(redis.lcs("a", "missing") == "");
    CHECK(redis.lcs_len("missing", "other") == 0);
    auto none = redis.lcs_idx("missing", "b");
    CHECK(none.matches.empty());
    CHECK(none.length == 0);

    server.command({"MSET", nul_key, std::string("x\0y\xff", 4), "c", std::string("\0\xff", 2)});
    CHECK(redis.lcs(nul_key, "c") == std::string("\0\xff", 2));
    CHECK(redis.lcs_len(nul_key, "c") == 2);

    server.command({"RPUSH", "list", "a"});
    CHECK(expect_error<redpool::reply_error>([&] { redis.lcs("a", "list"); }).prefix() == "ERR");
    CHECK(expect_error<redpool::reply_error>([&] { redis.lcs_idx("list", "a"); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: mget and mset with binary data, repeated keys and other types", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redis.mset({{nul_key, nul_value}, {bad_utf8, ""}, {"dup", "first"}, {"dup", "last"}});
    CHECK(server.command({"GET", nul_key}) == nul_value);
    CHECK(server.command({"GET", "dup"}) == "last");  // later pairs win
    server.command({"RPUSH", "list", "a"});
    auto values = redis.mget({nul_key, bad_utf8, "list", "missing", nul_key});
    REQUIRE(values.size() == 5);
    CHECK(values[0] == nul_value);
    CHECK(values[1] == "");  // an empty value is not a missing one
    CHECK(values[2] == std::nullopt);  // MGET reads a key of another type as nil
    CHECK(values[3] == std::nullopt);
    CHECK(values[4] == nul_value);
    auto none = redis.mget({"x", "y"});
    REQUIRE(none.size() == 2);
    CHECK_FALSE(none[0].has_value());
    CHECK_FALSE(none[1].has_value());

    redis.mset({{"list", "now a string"}});  // MSET overwrites any type
    CHECK(server.command({"GET", "list"}) == "now a string");
    CHECK(expect_error([&] { redis.mset({}); }).code() == errc::invalid_argument);
    CHECK(redis.mget({}).empty());
    check_pool_invariants(redis);
}

// --- keys --------------------------------------------------------------------------------------

TEST_CASE("commands: del counts the keys it removed", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"});
    CHECK(redis.del("a") == 1);
    CHECK(redis.del("a") == 0);
    CHECK(redis.del({"b", "missing", "c"}) == 2);
    std::vector<std::string_view> keys{"d", "b"};
    CHECK(redis.del(keys) == 1);
    CHECK(redis.del(std::span<const std::string_view>()) == 0);
    CHECK(server.command({"DBSIZE"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: unlink counts the keys it removed", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "1", "b", "2", "c", "3"});
    CHECK(redis.unlink({"a", "b", "x"}) == 2);
    std::vector<std::string_view> keys{"c"};
    CHECK(redis.unlink(keys) == 1);
    CHECK(server.command({"DBSIZE"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: exists counts a key named twice twice", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "1", "b", "2"});
    CHECK(redis.exists({"a"}) == 1);
    CHECK(redis.exists({"a", "b", "c"}) == 2);
    CHECK(redis.exists({"a", "a", "missing"}) == 2);
    std::vector<std::string_view> keys{"x", "y"};
    CHECK(redis.exists(keys) == 0);
    check_pool_invariants(redis);
}

TEST_CASE("commands: expire and ttl, with -1 for no ttl and -2 for no key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    CHECK(redis.ttl("k") == -1s);
    CHECK(redis.ttl("missing") == -2s);
    CHECK(redis.expire("k", 100s));
    CHECK(redis.ttl("k") > 98s);
    CHECK(redis.ttl("k") <= 100s);
    CHECK(admin_integer(server, {"TTL", "k"}) > 98);
    CHECK_FALSE(redis.expire("missing", 100s));
    check_pool_invariants(redis);
}

TEST_CASE("commands: pexpire and pttl work in milliseconds", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    CHECK(redis.pttl("k") == -1ms);
    CHECK(redis.pttl("missing") == -2ms);
    CHECK(redis.pexpire("k", 2500ms));
    auto left = redis.pttl("k");
    CHECK(left > 2000ms);
    CHECK(left <= 2500ms);
    CHECK(admin_integer(server, {"PTTL", "k"}) <= 2500);
    CHECK_FALSE(redis.pexpire("missing", 2500ms));
    check_pool_invariants(redis);
}

TEST_CASE("commands: expireat sets an absolute expiry and a past one deletes", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "k", "v", "old", "v"});
    CHECK(redis.expireat("k", std::chrono::system_clock::now() + 200s));
    long long left = admin_integer(server, {"TTL", "k"});
    CHECK(left > 195);
    CHECK(left <= 201);
    CHECK(redis.expireat("old", std::chrono::system_clock::now() - 10s));
    CHECK(server.command({"EXISTS", "old"}) == "0");
    CHECK_FALSE(redis.expireat("missing", std::chrono::system_clock::now() + 10s));
    check_pool_invariants(redis);
}

TEST_CASE("commands: persist removes a ttl", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v", "EX", "100"});
    CHECK(redis.persist("k"));
    CHECK(redis.ttl("k") == -1s);
    CHECK_FALSE(redis.persist("k"));
    CHECK_FALSE(redis.persist("missing"));
    check_pool_invariants(redis);
}

TEST_CASE("commands: type names each kind of value", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "s", "v"});
    server.command({"RPUSH", "l", "a"});
    server.command({"HSET", "h", "f", "v"});
    server.command({"SADD", "set", "m"});
    CHECK(redis.type("s") == "string");
    CHECK(redis.type("l") == "list");
    CHECK(redis.type("h") == "hash");
    CHECK(redis.type("set") == "set");
    CHECK(redis.type("missing") == "none");
    check_pool_invariants(redis);
}

TEST_CASE("commands: rename moves a key and throws ERR for a missing one", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "1", "b", "2"});
    redis.rename("a", "b");
    CHECK(server.command({"GET", "b"}) == "1");
    CHECK(server.command({"EXISTS", "a"}) == "0");
    auto e = expect_error<redpool::reply_error>([&] { redis.rename("a", "c"); });
    CHECK(e.prefix() == "ERR");
    CHECK(std::string_view(e.what()).starts_with("ERR"));
    check_pool_invariants(redis);
}

TEST_CASE("commands: renamenx does not overwrite an existing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "1", "b", "2"});
    CHECK_FALSE(redis.renamenx("a", "b"));
    CHECK(server.command({"GET", "b"}) == "2");
    CHECK(redis.renamenx("a", "c"));
    CHECK(server.command({"GET", "c"}) == "1");
    CHECK(expect_error<redpool::reply_error>([&] { redis.renamenx("missing", "d"); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: keys returns every key matching the pattern", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "user:1", "a", "user:2", "b", "order:1", "c"});
    auto users = redis.keys("user:*");
    CHECK(std::set<std::string>(users.begin(), users.end()) == std::set<std::string>{"user:1", "user:2"});
    CHECK(redis.keys("*").size() == 3);
    CHECK(redis.keys("nothing*").empty());
    check_pool_invariants(redis);
}

TEST_CASE("commands: expire and pexpire conditions NX, XX, GT and LT", "[commands]") {
    using cond = redpool::expire_condition;
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, "v"});
    CHECK_FALSE(redis.expire(nul_key, 100s, cond::if_has_expiry));
    CHECK_FALSE(redis.expire(nul_key, 100s, cond::if_later));  // no expiry counts as infinite
    CHECK(admin_integer(server, {"TTL", nul_key}) == -1);
    CHECK(redis.expire(nul_key, 100s, cond::if_sooner));
    CHECK(admin_integer(server, {"TTL", nul_key}) > 95);
    CHECK_FALSE(redis.expire(nul_key, 50s, cond::if_no_expiry));
    CHECK(redis.expire(nul_key, 200s, cond::if_later));
    CHECK(admin_integer(server, {"TTL", nul_key}) > 195);
    CHECK_FALSE(redis.expire(nul_key, 300s, cond::if_sooner));
    CHECK(redis.expire(nul_key, 150s, cond::if_sooner));
    CHECK(admin_integer(server, {"TTL", nul_key}) <= 150);
    CHECK(redis.expire(nul_key, 120s, cond::if_has_expiry));
    CHECK(admin_integer(server, {"TTL", nul_key}) <= 120);
    CHECK(redis.expire(nul_key, 130s, cond::always));
    CHECK(admin_integer(server, {"TTL", nul_key}) > 125);

    server.command({"SET", "p", "v"});
    CHECK(redis.pexpire("p", 90'000ms, cond::if_no_expiry));
    CHECK_FALSE(redis.pexpire("p", 80'000ms, cond::if_later));
    CHECK(redis.pexpire("p", 80'000ms, cond::if_sooner));
    long long ms = admin_integer(server, {"PTTL", "p"});
    CHECK(ms > 75'000);
    CHECK(ms <= 80'000);
    CHECK_FALSE(redis.pexpire("missing", 1000ms, cond::always));
    CHECK_FALSE(redis.expire("missing", 10s, cond::if_no_expiry));

    auto bogus = static_cast<cond>(42);
    CHECK(expect_error([&] { redis.expire("p", 10s, bogus); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: expireat, pexpireat, expiretime and pexpiretime use epoch times", "[commands]") {
    using cond = redpool::expire_condition;
    using std::chrono::system_clock;
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, "v"});
    CHECK(redis.expiretime(nul_key) == -1s);
    CHECK(redis.pexpiretime(nul_key) == -1ms);
    CHECK(redis.expiretime("missing") == -2s);
    CHECK(redis.pexpiretime("missing") == -2ms);

    // Whole seconds from now, plus half a second.
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch());
    const std::chrono::milliseconds at_ms = now_s + 1000s + 500ms;
    const system_clock::time_point at(at_ms);
    CHECK(redis.pexpireat(nul_key, at));
    CHECK(redis.pexpiretime(nul_key) == at_ms);
    CHECK(admin_integer(server, {"PEXPIRETIME", nul_key}) == at_ms.count());
    CHECK(redis.expiretime(nul_key) == now_s + 1001s);  // rounded to the nearest second

    CHECK(redis.expireat(nul_key, at));  // EXPIREAT drops the fraction
    CHECK(redis.pexpiretime(nul_key) == now_s + 1000s);

    CHECK_FALSE(redis.expireat(nul_key, at + 100s, cond::if_sooner));
    CHECK_FALSE(redis.pexpireat(nul_key, at - 100s, cond::if_later));
    CHECK(redis.pexpiretime(nul_key) == now_s + 1000s);
    CHECK(redis.expireat(nul_key, at + 100s, cond::if_later));
    CHECK(redis.expiretime(nul_key) == now_s + 1100s);
    CHECK(redis.pexpireat(nul_key, at, cond::if_has_expiry));
    CHECK(redis.pexpiretime(nul_key) == at_ms);
    CHECK_FALSE(redis.pexpireat(nul_key, at, cond::if_no_expiry));

    server.command({"SET", "plain", "v"});
    CHECK_FALSE(redis.expireat("plain", at, cond::if_has_expiry));
    CHECK(redis.expireat("plain", at, cond::if_no_expiry));
    CHECK(admin_integer(server, {"EXPIRETIME", "plain"}) == (now_s + 1000s).count());
    CHECK(redis.pexpireat("plain", system_clock::now() - 10s));  // the past deletes
    CHECK(server.command({"EXISTS", "plain"}) == "0");
    CHECK_FALSE(redis.pexpireat("missing", at));
    check_pool_invariants(redis);
}

TEST_CASE("commands: copy copies a value, into another database or over an existing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, nul_value});
    CHECK(redis.copy(nul_key, bad_utf8));
    CHECK(server.command({"GET", bad_utf8}) == nul_value);
    CHECK(server.command({"GET", nul_key}) == nul_value);

    server.command({"SET", "dst", "old"});
    CHECK_FALSE(redis.copy(nul_key, "dst"));
    CHECK(server.command({"GET", "dst"}) == "old");
    CHECK(redis.copy(nul_key, "dst", {.replace = true}));
    CHECK(server.command({"GET", "dst"}) == nul_value);

    server.command({"RPUSH", "list", "a", "b"});
    CHECK(redis.copy("list", "list2"));
    CHECK(redis.type("list2") == "list");
    CHECK(server.command({"LRANGE", "list2", "0", "-1"}) == "a\nb");

    CHECK(redis.copy(nul_key, "elsewhere", {.db = 1}));
    CHECK(admin_in_db(server, "1", {"GET", "elsewhere"}) == nul_value);
    CHECK(server.command({"EXISTS", "elsewhere"}) == "0");
    CHECK_FALSE(redis.copy(nul_key, "elsewhere", {.db = 1}));
    CHECK(redis.copy("dst", "elsewhere", {.db = 1, .replace = true}));

    CHECK_FALSE(redis.copy("missing", "x"));
    CHECK(server.command({"EXISTS", "x"}) == "0");
    CHECK(expect_error<redpool::reply_error>([&] { redis.copy(nul_key, nul_key); }).prefix() == "ERR");
    CHECK(expect_error<redpool::reply_error>([&] { redis.copy(nul_key, "y", {.db = 9999}); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: move moves a key to another database unless it is there", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, nul_value});
    CHECK(redis.move(nul_key, 1));
    CHECK(server.command({"EXISTS", nul_key}) == "0");
    CHECK(admin_in_db(server, "1", {"GET", nul_key}) == nul_value);
    CHECK_FALSE(redis.move(nul_key, 1));  // no longer here

    server.command({"SET", nul_key, "here"});
    CHECK_FALSE(redis.move(nul_key, 1));  // already there
    CHECK(server.command({"GET", nul_key}) == "here");
    CHECK(admin_in_db(server, "1", {"GET", nul_key}) == nul_value);
    CHECK(expect_error<redpool::reply_error>([&] { redis.move(nul_key, 9999); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: touch counts the keys that exist", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", nul_key, "1", bad_utf8, "2"});
    server.command({"RPUSH", "list", "a"});
    CHECK(redis.touch({nul_key, bad_utf8, "list", "missing"}) == 3);
    std::vector<std::string_view> keys{"missing", nul_key, nul_key};
    CHECK(redis.touch(keys) == 2);
    CHECK(redis.touch(std::span<const std::string_view>()) == 0);
    CHECK(redis.touch({}) == 0);
    check_pool_invariants(redis);
}

TEST_CASE("commands: randomkey returns nullopt for an empty database", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.randomkey() == std::nullopt);
    server.command({"SET", nul_key, "v"});
    CHECK(redis.randomkey() == nul_key);
    check_pool_invariants(redis);
}

TEST_CASE("commands: object encoding, refcount, idletime and freq, nullopt for a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", nul_key, "text", "n", "12345"});
    server.command({"HSET", "h", "f", "v"});
    CHECK(redis.object_encoding(nul_key) == "embstr");
    CHECK(redis.object_encoding("n") == "int");
    CHECK(redis.object_encoding("h") == "listpack");
    CHECK(redis.object_encoding("missing") == std::nullopt);
    CHECK(redis.object_refcount(nul_key) == 1);
    CHECK(redis.object_refcount("missing") == std::nullopt);

    auto idle = redis.object_idletime(nul_key);
    REQUIRE(idle.has_value());
    CHECK(*idle >= 0s);
    CHECK(*idle < 3600s);
    CHECK(redis.object_idletime("missing") == std::nullopt);
    // Without an LFU policy there is no frequency to report.
    CHECK(expect_error<redpool::reply_error>([&] { redis.object_freq(nul_key); }).prefix() == "ERR");

    config_guard lfu(server, "maxmemory-policy", "allkeys-lfu");
    auto freq = redis.object_freq(nul_key);
    REQUIRE(freq.has_value());
    CHECK(*freq >= 0);
    CHECK(*freq <= 255);
    CHECK(redis.object_freq("missing") == std::nullopt);
    CHECK(expect_error<redpool::reply_error>([&] { redis.object_idletime(nul_key); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: dump and restore round-trip a value with its options", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.dump("missing") == std::nullopt);
    server.command({"SET", nul_key, nul_value});
    server.command({"RPUSH", "list", bad_utf8, "b"});
    auto payload = redis.dump(nul_key);
    REQUIRE(payload.has_value());
    auto list_payload = redis.dump("list");
    REQUIRE(list_payload.has_value());

    redis.restore("copy", 0ms, *payload);
    CHECK(server.command({"GET", "copy"}) == nul_value);
    CHECK(admin_integer(server, {"PTTL", "copy"}) == -1);
    redis.restore("list2", 0ms, *list_payload);
    CHECK(server.command({"LRANGE", "list2", "0", "-1"}) == bad_utf8 + "\nb");

    auto busy = expect_error<redpool::reply_error>([&] { redis.restore("copy", 0ms, *list_payload); });
    CHECK(busy.prefix() == "BUSYKEY");
    redis.restore("copy", 50s, *list_payload, {.replace = true});
    CHECK(redis.type("copy") == "list");
    long long ms = admin_integer(server, {"PTTL", "copy"});
    CHECK(ms > 45'000);
    CHECK(ms <= 50'000);

    const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()) + 1000s;
    redis.restore("abs", at, *payload, {.absolute_ttl = true});
    CHECK(redis.pexpiretime("abs") == at);

    redis.restore("idle", 0ms, *payload, {.idle_time = 1000s});
    auto idle = redis.object_idletime("idle");
    REQUIRE(idle.has_value());
    CHECK(*idle >= 1000s);
    CHECK(*idle < 1000s + 3600s);

    {
        config_guard lfu(server, "maxmemory-policy", "allkeys-lfu");
        redis.restore("freq", 0ms, *payload, {.frequency = 100});
        CHECK(redis.object_freq("freq") == 100);
    }

    auto garbage = expect_error<redpool::reply_error>([&] { redis.restore("bad", 0ms, "not a payload"); });
    CHECK(garbage.prefix() == "ERR");
    auto invalid = [&](const redpool::restore_options& opts, std::chrono::milliseconds ttl = 0ms) {
        return expect_error([&] { redis.restore("x", ttl, *payload, opts); }).code();
    };
    CHECK(invalid({}, -1ms) == errc::invalid_argument);
    CHECK(invalid({.idle_time = 5s, .frequency = 5}) == errc::invalid_argument);
    CHECK(invalid({.idle_time = -5s}) == errc::invalid_argument);
    CHECK(invalid({.frequency = 256}) == errc::invalid_argument);
    CHECK(invalid({.frequency = -1}) == errc::invalid_argument);
    CHECK(server.command({"EXISTS", "x", "bad"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: sort and sort_ro with BY, LIMIT, GET, DESC and ALPHA", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using values = std::vector<std::optional<std::string>>;
    server.command({"RPUSH", "nums", "3", "1", "2", "10"});
    CHECK(redis.sort("nums") == values{"1", "2", "3", "10"});
    CHECK(redis.sort_ro("nums") == values{"1", "2", "3", "10"});
    CHECK(redis.sort("nums", {.descending = true}) == values{"10", "3", "2", "1"});
    CHECK(redis.sort("nums", {.alpha = true}) == values{"1", "10", "2", "3"});
    CHECK(redis.sort("nums", {.limit = {{1, 2}}}) == values{"2", "3"});
    CHECK(redis.sort_ro("nums", {.limit = {{0, 1}}, .descending = true}) == values{"10"});
    CHECK(redis.sort("nums", {.limit = redpool::sort_options::window{.offset = 1}}) == values{"2", "3", "10"});

    server.command({"MSET", "weight_1", "30", "weight_2", "20", "weight_3", "10", "weight_10", "0"});
    CHECK(redis.sort("nums", {.by = "weight_*"}) == values{"10", "3", "2", "1"});
    CHECK(redis.sort("nums", {.by = "nosort"}) == values{"3", "1", "2", "10"});

    server.command({"SET", "name_1", "one"});
    server.command({"HSET", "obj_3", "f", nul_value});
    auto got = redis.sort("nums", {.get = {"#", "name_*", "obj_*->f"}});
    CHECK(got == values{"1", "one", std::nullopt, "2", std::nullopt, std::nullopt,
                        "3", std::nullopt, nul_value, "10", std::nullopt, std::nullopt});

    CHECK(redis.sort_store("nums", "sorted", {.descending = true}) == 4);
    CHECK(server.command({"LRANGE", "sorted", "0", "-1"}) == "10\n3\n2\n1");
    CHECK(redis.sort_store("missing", "sorted") == 0);
    CHECK(server.command({"EXISTS", "sorted"}) == "0");
    CHECK(redis.sort("missing").empty());

    server.command({"SADD", "bin", std::string("b\0a", 3), "c", "a"});
    CHECK(redis.sort("bin", {.alpha = true}) == values{"a", std::string("b\0a", 3), "c"});
    CHECK(expect_error<redpool::reply_error>([&] { redis.sort("bin"); }).prefix() == "ERR");  // not numbers
    server.command({"RPUSH", "raw", bad_utf8, nul_value});
    CHECK(redis.sort("raw", {.by = "nosort"}) == values{bad_utf8, nul_value});

    server.command({"SET", "str", "v"});
    CHECK(expect_error<redpool::reply_error>([&] { redis.sort("str"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sort_ro("str"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sort_store("str", "d"); }).prefix() == "WRONGTYPE");
    check_pool_invariants(redis);
}

TEST_CASE("commands: migrate moves keys to another server, with COPY, REPLACE and AUTH", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redis_server dest(server_config{.password = "dest-secret", .extra_config = {"user alice on >alice-pw ~* +@all"}});
    const redpool::migrate_options auth{.password = "dest-secret"};
    const int port = dest.port();

    // The refusals first: Redis keeps its connection to the destination for later MIGRATEs,
    // and one that authenticated once would stay authenticated.
    server.command({"SET", "k", "v"});
    auto no_auth = expect_error<redpool::reply_error>([&] { redis.migrate("127.0.0.1", port, "k", 0, 2000ms); });
    CHECK(no_auth.prefix() == "ERR");
    CHECK(std::string_view(no_auth.what()).find("NOAUTH") != std::string_view::npos);
    CHECK(server.command({"GET", "k"}) == "v");
    auto refused = expect_error<redpool::reply_error>(
        [&] { redis.migrate("127.0.0.1", port, "k", 0, 2000ms, {.password = "wrong-password-x"}); });
    CHECK(std::string_view(refused.what()).find("wrong-password-x") == std::string_view::npos);
    CHECK(server.command({"GET", "k"}) == "v");
    CHECK(dest.command({"EXISTS", "k"}) == "0");

    server.command({"SET", nul_key, nul_value});
    CHECK(redis.migrate("127.0.0.1", port, nul_key, 0, 2000ms, auth));
    CHECK(server.command({"EXISTS", nul_key}) == "0");
    CHECK(dest.command({"GET", nul_key}) == nul_value);
    CHECK_FALSE(redis.migrate("127.0.0.1", port, nul_key, 0, 2000ms, auth));  // NOKEY

    server.command({"SET", nul_key, "again"});
    auto busy = expect_error<redpool::reply_error>([&] { redis.migrate("127.0.0.1", port, nul_key, 0, 2000ms, auth); });
    CHECK(busy.prefix() == "ERR");  // the destination's error, wrapped
    CHECK(std::string_view(busy.what()).find("BUSYKEY") != std::string_view::npos);
    CHECK(server.command({"GET", nul_key}) == "again");
    redpool::migrate_options copy_replace = auth;
    copy_replace.copy = true;
    copy_replace.replace = true;
    CHECK(redis.migrate("127.0.0.1", port, nul_key, 0, 2000ms, copy_replace));
    CHECK(server.command({"GET", nul_key}) == "again");  // COPY keeps it here
    CHECK(dest.command({"GET", nul_key}) == "again");

    server.command({"MSET", "a", "1", "b", "2"});
    const redpool::migrate_options alice{.username = "alice", .password = "alice-pw"};
    CHECK(redis.migrate("127.0.0.1", port, {"a", "b", "missing"}, 1, 2000ms, alice));
    CHECK(server.command({"EXISTS", "a", "b"}) == "0");
    CHECK(admin_in_db(dest, "1", {"MGET", "a", "b"}) == "1\n2");
    std::vector<std::string_view> none{"missing", "absent"};
    CHECK_FALSE(redis.migrate("127.0.0.1", port, none, 0, 2000ms, auth));
    CHECK_FALSE(redis.migrate("127.0.0.1", port, std::span<const std::string_view>(), 0, 2000ms, auth));

    auto negative = expect_error([&] { redis.migrate("127.0.0.1", port, "k", 0, -1ms, auth); });
    CHECK(negative.code() == errc::invalid_argument);
    auto no_password = expect_error([&] { redis.migrate("127.0.0.1", port, "k", 0, 1000ms, {.username = "alice"}); });
    CHECK(no_password.code() == errc::invalid_argument);
    CHECK(std::string_view(no_password.what()).find("alice") == std::string_view::npos);
    check_pool_invariants(redis);
}

TEST_CASE("commands: wait returns how many replicas acknowledged, 0 without any", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.wait(0, 100ms) == 0);
    CHECK(redis.wait(1, 100ms) == 0);  // blocks for the timeout, then counts none
    CHECK(expect_error([&] { redis.wait(0, -1ms); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.wait(-1, 100ms); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

// --- scan --------------------------------------------------------------------------------------

TEST_CASE("commands: scan with MATCH and COUNT collects exactly the matching keys", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    std::set<std::string> expected;
    for (int batch = 0; batch < 10; ++batch) {
        std::vector<std::string> mset{"MSET"};
        for (int i = batch * 100; i < (batch + 1) * 100; ++i) {
            std::string key = (i % 10 == 0 ? "match:" : "other:") + std::to_string(i);
            if (i % 10 == 0) expected.insert(key);
            mset.push_back(key);
            mset.push_back("v");
        }
        server.admin().command(mset);
    }
    REQUIRE(redis.dbsize() == 1000);
    CHECK(collect(redis.scan({.match = "match:*", .count = 10})) == expected);
    CHECK(collect(redis.scan({.count = 100})).size() == 1000);
    check_pool_invariants(redis);
}

TEST_CASE("commands: scan skips empty batches to reach a lone match", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    std::vector<std::string> mset{"MSET"};
    for (int i = 0; i < 1000; ++i) {
        mset.push_back("filler:" + std::to_string(i));
        mset.push_back("v");
    }
    mset.push_back("needle");
    mset.push_back("v");
    server.admin().command(mset);
    CHECK(collect(redis.scan({.match = "needle", .count = 5})) == std::set<std::string>{"needle"});
    CHECK(collect(redis.scan({.match = "absent*", .count = 5})).empty());
    check_pool_invariants(redis);
}

TEST_CASE("commands: scan with a TYPE filter yields only that type", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "s1", "v", "s2", "v"});
    server.command({"RPUSH", "l1", "a"});
    server.command({"RPUSH", "l2", "a"});
    server.command({"HSET", "h", "f", "v"});
    CHECK(collect(redis.scan({.type = "list"})) == std::set<std::string>{"l1", "l2"});
    CHECK(collect(redis.scan({.match = "s*", .type = "string"})) == std::set<std::string>{"s1", "s2"});
    CHECK(collect(redis.scan({.type = "zset"})).empty());
    check_pool_invariants(redis);
}

TEST_CASE("commands: one key at a time for exists, unlink and touch; a negative SCAN COUNT is refused",
          "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, "v"});
    CHECK(redis.exists(nul_key) == 1);
    CHECK(redis.exists("missing") == 0);
    CHECK(redis.touch(nul_key) == 1);
    CHECK(redis.unlink(nul_key) == 1);
    CHECK(server.command({"EXISTS", nul_key}) == "0");
    CHECK(redis.exists({"missing"}) == 0);  // a braced list still picks the list overload
    auto negative = expect_error([&] { redis.scan("0", {.count = -1}); });
    CHECK(negative.code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: scan of an empty database yields nothing", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto range = redis.scan();
    CHECK(range.begin() == std::default_sentinel);
    CHECK(std::ranges::distance(redis.scan()) == 0);
    check_pool_invariants(redis);
}

TEST_CASE("commands: scan iterator dereferences and advances by hand", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "only", "v"});
    auto range = redis.scan();
    auto it = range.begin();
    REQUIRE(it != std::default_sentinel);
    CHECK(*it == "only");
    CHECK(it->size() == 4);
    it++;
    CHECK(it == std::default_sentinel);
    check_pool_invariants(redis);
}

// --- server ------------------------------------------------------------------------------------

TEST_CASE("commands: ping answers PONG", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.ping() == "PONG");
    check_pool_invariants(redis);
}

TEST_CASE("commands: echo returns binary data unchanged", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string message("bin\0ary\r\n\xff", 11);
    CHECK(redis.echo(message) == message);
    CHECK(redis.echo("") == "");
    check_pool_invariants(redis);
}

TEST_CASE("commands: dbsize counts keys and flushdb empties the database", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.dbsize() == 0);
    server.command({"MSET", "a", "1", "b", "2", "c", "3"});
    CHECK(redis.dbsize() == 3);
    redis.flushdb();
    CHECK(redis.dbsize() == 0);
    CHECK(server.command({"DBSIZE"}) == "0");
    server.command({"SET", "a", "1"});
    redis.flushdb(true);
    CHECK(server.command({"DBSIZE"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: info returns the requested section", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto section = redis.info("server");
    CHECK(section.find("redis_version") != std::string::npos);
    CHECK(section.find("# Server") != std::string::npos);
    CHECK(section.find("# Memory") == std::string::npos);
    CHECK(redis.info().find("# Memory") != std::string::npos);
    check_pool_invariants(redis);
}

TEST_CASE("commands: time reads the server's clock to the microsecond", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto admin_seconds = [&] {
        std::string rendered = server.command({"TIME"});  // "seconds\nmicroseconds"
        return std::chrono::seconds(std::stoll(rendered.substr(0, rendered.find('\n'))));
    };
    const auto before = admin_seconds();
    const auto t = redis.time().time_since_epoch();
    const auto after = admin_seconds();
    CHECK(t >= before);
    CHECK(t < after + 1s);
    const auto local = std::chrono::system_clock::now().time_since_epoch();
    CHECK(t > local - 3600s);  // the same machine's clock: a cap against a unit error only
    CHECK(t < local + 3600s);
    check_pool_invariants(redis);
}

TEST_CASE("commands: info_sections parses INFO into lower-case sections", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, "v"});
    auto all = redis.info_sections();
    for (const char* name : {"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"})
        CHECK(all.count(name) == 1);
    CHECK(all.count("Server") == 0);
    CHECK(all.count("") == 0);
    CHECK(all["server"]["redis_version"] == info_field(server, "server", "redis_version"));
    CHECK(all["server"]["tcp_port"] == std::to_string(server.port()));
    CHECK(all["keyspace"]["db0"].starts_with("keys=1,"));  // the text after the first ':'
    CHECK(all["replication"]["role"] == "master");

    auto one = redis.info_sections("server");
    CHECK(one.size() == 1);
    CHECK(one.count("server") == 1);
    redis.echo("counted");
    auto commands = redis.info_sections("commandstats");
    REQUIRE(commands.count("commandstats") == 1);
    CHECK(commands["commandstats"]["cmdstat_echo"].starts_with("calls=1,"));
    CHECK(redis.info_sections("no-such-section").empty());

    auto two = redis.info_sections({"server", "clients"});
    CHECK(two.size() == 2);
    CHECK(two.count("server") == 1);
    CHECK(two.count("clients") == 1);
    CHECK(redis.info({"server", "clients"}).find("# Clients") != std::string::npos);
    CHECK(expect_error([&] { redis.info_sections("server clients"); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.info({"server clients"}); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: config_get matches patterns and config_set sets all or none", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    config_guard keep_len(server, "slowlog-max-len", "128");
    config_guard keep_latency(server, "latency-monitor-threshold", "0");

    auto one = redis.config_get("slowlog-max-len");
    CHECK(one == std::unordered_map<std::string, std::string>{{"slowlog-max-len", "128"}});
    auto matched = redis.config_get("slowlog-*");
    CHECK(matched.count("slowlog-max-len") == 1);
    CHECK(matched.count("slowlog-log-slower-than") == 1);
    CHECK(redis.config_get("no-such-parameter*").empty());
    auto two = redis.config_get({"slowlog-max-len", "latency-monitor-threshold"});
    CHECK(two.size() == 2);
    CHECK(two["latency-monitor-threshold"] == "0");
    CHECK(expect_error([&] { redis.config_get(std::span<const std::string_view>()); }).code() ==
          errc::invalid_argument);

    redis.config_set("slowlog-max-len", "200");
    CHECK(server.command({"CONFIG", "GET", "slowlog-max-len"}) == "slowlog-max-len\n200");
    redis.config_set({{"slowlog-max-len", "300"}, {"latency-monitor-threshold", "5"}});
    CHECK(server.command({"CONFIG", "GET", "slowlog-max-len"}) == "slowlog-max-len\n300");
    CHECK(server.command({"CONFIG", "GET", "latency-monitor-threshold"}) == "latency-monitor-threshold\n5");

    CHECK(expect_error<redpool::reply_error>([&] { redis.config_set("no-such-parameter", "1"); }).prefix() == "ERR");
    std::vector<std::pair<std::string_view, std::string_view>> half_bad{{"slowlog-max-len", "400"},
                                                                        {"no-such-parameter", "1"}};
    CHECK(expect_error<redpool::reply_error>([&] { redis.config_set(half_bad); }).prefix() == "ERR");
    CHECK(server.command({"CONFIG", "GET", "slowlog-max-len"}) == "slowlog-max-len\n300");
    CHECK(expect_error<redpool::reply_error>([&] { redis.config_set("slowlog-max-len", "not a number"); })
              .prefix() == "ERR");
    auto empty = expect_error(
        [&] { redis.config_set(std::span<const std::pair<std::string_view, std::string_view>>()); });
    CHECK(empty.code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: config_resetstat clears the command statistics", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redis.echo("counted");
    CHECK(info_field(server, "commandstats", "cmdstat_echo").starts_with("calls=1,"));
    redis.config_resetstat();
    CHECK(info_field(server, "commandstats", "cmdstat_echo") == "");
    check_pool_invariants(redis);
}

TEST_CASE("commands: config_rewrite writes the running configuration to the file", "[commands]") {
    redis_server scratch;
    redpool::client redis(options_for(scratch));
    redis.config_set("slowlog-max-len", "345");
    redis.config_rewrite();
    const std::string path = info_field(scratch, "server", "config_file");
    REQUIRE_FALSE(path.empty());
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    CHECK(text.str().find("slowlog-max-len 345") != std::string::npos);
    check_pool_invariants(redis);
}

TEST_CASE("commands: command_count counts the server's commands", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const long long n = redis.command_count();
    CHECK(n == admin_integer(server, {"COMMAND", "COUNT"}));
    CHECK(n > 100);
    check_pool_invariants(redis);
}

TEST_CASE("commands: client_id, client_info and client_getname describe the pooled connection", "[commands]") {
    auto& server = shared_server();
    auto opts = options_for(server);
    opts.pool_size = 1;  // every call on the same connection
    redpool::client redis(opts);
    const long long id = redis.client_id();
    CHECK(redis.client_id() == id);
    CHECK(redis.client_getname() == std::nullopt);

    const std::string text = redis.client_info();
    CHECK(text.starts_with("id=" + std::to_string(id) + " "));
    CHECK(text.find("cmd=client|info") != std::string::npos);
    auto fields = redis.client_info_parsed();
    CHECK(fields["id"] == std::to_string(id));
    CHECK(fields["name"] == "");
    CHECK(fields["db"] == "0");
    CHECK(fields["cmd"] == "client|info");
    CHECK(fields["resp"] == "2");  // the last field, before the line's end
    check_pool_invariants(redis);

    auto named_opts = options_for(server);
    named_opts.client_name = "pooled-name";
    redpool::client named(named_opts);
    CHECK(named.client_getname() == "pooled-name");
    CHECK(named.client_info_parsed()["name"] == "pooled-name");
    check_pool_invariants(named);
}

TEST_CASE("commands: client_list and client_list_parsed list the connections, filtered", "[commands]") {
    auto& server = shared_server();
    auto opts = options_for(server);
    opts.pool_size = 1;
    opts.client_name = "listed";
    redpool::client redis(opts);
    const long long id = redis.client_id();

    const std::string text = redis.client_list();
    CHECK(text.find("id=" + std::to_string(id) + " ") != std::string::npos);
    auto all = redis.client_list_parsed();
    auto mine = std::find_if(all.begin(), all.end(), [&](auto& c) { return c["id"] == std::to_string(id); });
    REQUIRE(mine != all.end());
    CHECK((*mine)["name"] == "listed");
    CHECK((*mine)["cmd"] == "client|list");
    CHECK(text.ends_with("\n"));

    auto only = redis.client_list_parsed({.ids = {id}});
    REQUIRE(only.size() == 1);
    CHECK(only[0]["id"] == std::to_string(id));
    CHECK(redis.client_list_parsed({.ids = {id + 100000}}).empty());
    CHECK(redis.client_list({.ids = {id + 100000}}) == "");
    CHECK(redis.client_list_parsed({.type = "pubsub"}).empty());
    auto normal = redis.client_list_parsed({.type = "normal"});
    CHECK(std::any_of(normal.begin(), normal.end(), [&](auto& c) { return c["id"] == std::to_string(id); }));
    auto both = expect_error([&] { redis.client_list({.type = "normal", .ids = {id}}); });
    CHECK(both.code() == errc::invalid_argument);
    CHECK(expect_error<redpool::reply_error>([&] { redis.client_list({.type = "bogus"}); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: memory_usage reports a key's bytes, nullopt for a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, std::string(1000, 'x')});
    auto bytes = redis.memory_usage(nul_key);
    REQUIRE(bytes.has_value());
    CHECK(*bytes >= 1000);
    CHECK(redis.memory_usage("missing") == std::nullopt);
    server.command({"RPUSH", "list", "a", "b", "c"});
    auto all = redis.memory_usage("list", 0);
    REQUIRE(all.has_value());
    CHECK(*all > 0);
    CHECK(redis.memory_usage("list", 1).has_value());
    CHECK(expect_error([&] { redis.memory_usage("list", -1); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("commands: slowlog_get, slowlog_len and slowlog_reset", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    {
        config_guard log_everything(server, "slowlog-log-slower-than", "0");
        redis.slowlog_reset();
        redis.echo(nul_value);
        redis.set(bad_utf8, "v");
        CHECK(redis.slowlog_len() >= 2);

        auto entries = redis.slowlog_get(-1);
        REQUIRE(entries.size() >= 3);
        auto set = std::find_if(entries.begin(), entries.end(), [](auto& e) { return e.args.at(0) == "SET"; });
        auto echo = std::find_if(entries.begin(), entries.end(), [](auto& e) { return e.args.at(0) == "ECHO"; });
        REQUIRE(set != entries.end());
        REQUIRE(echo != entries.end());
        CHECK(set < echo);  // newest first
        CHECK(set->id > echo->id);
        CHECK(set->args == std::vector<std::string>{"SET", bad_utf8, "v"});
        CHECK(echo->args == std::vector<std::string>{"ECHO", nul_value});
        CHECK(echo->client_address.starts_with("127.0.0.1:"));
        CHECK(echo->client_name == "");
        const auto now = std::chrono::system_clock::now();
        CHECK(echo->time > now - 3600s);
        CHECK(echo->time < now + 3600s);

        CHECK(redis.slowlog_get(1).size() == 1);
        for (int i = 0; i < 12; ++i) redis.echo("filler");
        CHECK(redis.slowlog_get().size() == 10);  // Redis's default count
        CHECK(redis.slowlog_get(0).empty());
        CHECK(expect_error([&] { redis.slowlog_get(-2); }).code() == errc::invalid_argument);
    }
    redis.slowlog_reset();
    CHECK(redis.slowlog_len() == 0);
    CHECK(redis.slowlog_get().empty());
    check_pool_invariants(redis);
}

TEST_CASE("commands: save, bgsave, bgrewriteaof and lastsave", "[commands]") {
    redis_server scratch;
    redpool::client redis(options_for(scratch));
    auto last = redis.lastsave();
    CHECK(last.time_since_epoch() == std::chrono::seconds(admin_integer(scratch, {"LASTSAVE"})));

    redis.set("k", "v");
    CHECK(info_field(scratch, "persistence", "rdb_changes_since_last_save") == "1");
    redis.save();
    CHECK(info_field(scratch, "persistence", "rdb_changes_since_last_save") == "0");
    CHECK(redis.lastsave() >= last);
    CHECK(redis.lastsave().time_since_epoch() == std::chrono::seconds(admin_integer(scratch, {"LASTSAVE"})));

    auto idle = [&] {
        return info_field(scratch, "persistence", "rdb_bgsave_in_progress") == "0" &&
               info_field(scratch, "persistence", "aof_rewrite_in_progress") == "0" &&
               info_field(scratch, "persistence", "aof_rewrite_scheduled") == "0";
    };
    redis.set("k", "v2");
    CHECK(redis.bgsave() == "Background saving started");
    REQUIRE(eventually(idle, 30s));
    CHECK(info_field(scratch, "persistence", "rdb_changes_since_last_save") == "0");
    CHECK(info_field(scratch, "persistence", "rdb_last_bgsave_status") == "ok");

    CHECK(redis.bgrewriteaof().starts_with("Background append only file rewriting"));
    CHECK(redis.bgsave(true).starts_with("Background saving"));  // started, or scheduled after the rewrite
    REQUIRE(eventually(idle, 30s));
    CHECK(info_field(scratch, "persistence", "aof_last_bgrewrite_status") == "ok");
    check_pool_invariants(redis);
}

TEST_CASE("commands: flushall empties every database", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, "v"});
    admin_in_db(server, "1", {"SET", "k", "v"});
    redis.flushall();
    CHECK(server.command({"DBSIZE"}) == "0");
    CHECK(admin_in_db(server, "1", {"DBSIZE"}) == "0");

    server.command({"SET", "a", "v"});
    admin_in_db(server, "2", {"SET", "b", "v"});
    redis.flushall(true);
    CHECK(server.command({"DBSIZE"}) == "0");
    CHECK(admin_in_db(server, "2", {"DBSIZE"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("commands: swapdb exchanges two databases", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", nul_key, nul_value});
    admin_in_db(server, "1", {"SET", "other", "v"});
    redis.swapdb(0, 1);
    CHECK(redis.exists({nul_key}) == 0);
    CHECK(redis.get("other") == "v");
    CHECK(admin_in_db(server, "1", {"GET", nul_key}) == nul_value);
    redis.swapdb(1, 0);
    CHECK(redis.get(nul_key) == nul_value);
    CHECK(expect_error<redpool::reply_error>([&] { redis.swapdb(0, 9999); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("commands: hscan, sscan and zscan iterate a whole key lazily, page by page", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    // Past the listpack limits (512 and 128 entries), so the server answers in several pages.
    std::map<std::string, std::string> fields;
    std::set<std::string> members;
    std::map<std::string, double> scored;
    for (int i = 0; i < 700; ++i) {
        const std::string name = "m" + std::to_string(i) + std::string("\0x", 2);
        fields[name] = "v" + std::to_string(i);
        members.insert(name);
        scored[name] = i + 0.5;
        server.command({"HSET", "h", name, fields[name]});
        server.command({"SADD", "s", name});
        server.command({"ZADD", "z", std::to_string(i) + ".5", name});
    }
    std::map<std::string, std::string> seen_fields;
    int pages_before = static_cast<int>(redpool::test::command_calls(server, "hscan"));
    for (const auto& [field, value] : redis.hscan("h", {.count = 50})) seen_fields[field] = value;
    CHECK(seen_fields == fields);
    CHECK(redpool::test::command_calls(server, "hscan") - pages_before > 1);  // lazily, several pages

    std::set<std::string> seen_members;
    for (const std::string& m : redis.sscan("s", {.count = 50})) seen_members.insert(m);
    CHECK(seen_members == members);

    std::map<std::string, double> seen_scored;
    for (const auto& [member, score] : redis.zscan("z", {.count = 50})) seen_scored[member] = score;
    CHECK(seen_scored == scored);

    std::set<std::string> matched;
    for (const std::string& m : redis.sscan("s", {.match = std::string("m1?\0x", 5)})) matched.insert(m.substr(0, 3));
    CHECK(matched == std::set<std::string>{"m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17", "m18", "m19"});

    auto none = redis.sscan("missing");
    CHECK(none.begin() == none.end());
    auto typed = redis.hscan("h", {.type = "string"});
    CHECK(expect_error([&] { typed.begin(); }).code() == errc::invalid_argument);
    auto page = redis.hscan("h", "0", {.count = 10});  // the one-page form is still there
    CHECK_FALSE(page.items.empty());
    server.command({"SET", "str", "v"});
    auto wrong = redis.zscan("str");
    CHECK(expect_error<redpool::reply_error>([&] { wrong.begin(); }).prefix() == "WRONGTYPE");
    check_pool_invariants(redis);
}
