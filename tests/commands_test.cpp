// redpool::client's typed commands (strings, counters, keys, SCAN, server) against a real
// redis-server, checked where it matters through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <chrono>
#include <iterator>
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
using redpool::test::shared_server;
using redpool::test::check_pool_invariants;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::seconds_since;

static_assert(std::input_iterator<redpool::scan_range::iterator>);
static_assert(std::ranges::input_range<redpool::scan_range>);

namespace {

long long admin_integer(const redis_server& server, std::initializer_list<std::string> args) {
    return std::stoll(server.command(args));
}

template <typename Range>
std::set<std::string> collect(Range&& range) {
    std::set<std::string> out;
    for (const std::string& key : range) out.insert(key);
    return out;
}

}  // namespace

// --- strings -----------------------------------------------------------------------------------

TEST_CASE("commands: get returns nullopt for a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.get("missing") == std::nullopt);
    server.command({"SET", "present", "v"});
    CHECK(redis.get("present") == "v");
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
}

TEST_CASE("commands: set with NX only sets a missing key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redpool::set_options nx;
    nx.when = redpool::set_options::condition::if_not_exists;
    CHECK(redis.set("k", "first", nx));
    CHECK_FALSE(redis.set("k", "second", nx));
    CHECK(server.command({"GET", "k"}) == "first");
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
}

TEST_CASE("commands: getdel returns the value and deletes the key", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    CHECK(redis.getdel("k") == "v");
    CHECK(server.command({"EXISTS", "k"}) == "0");
    CHECK(redis.getdel("k") == std::nullopt);
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
}

TEST_CASE("commands: append and strlen report the new length", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.strlen("k") == 0);
    CHECK(redis.append("k", "Hello") == 5);
    CHECK(redis.append("k", std::string_view(" \0World", 7)) == 12);
    CHECK(redis.strlen("k") == 12);
    CHECK(redis.get("k") == std::string("Hello \0World", 12));
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
}

TEST_CASE("commands: decr and decrby count down", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "n", "10"});
    CHECK(redis.decr("n") == 9);
    CHECK(redis.decrby("n", 4) == 5);
    CHECK(redis.decrby("n", -5) == 10);
    CHECK(redis.decr("fresh") == -1);
}

TEST_CASE("commands: a counter on a non-integer value throws ERR", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "abc"});
    auto e = expect_error<redpool::reply_error>([&] { redis.incr("k"); });
    CHECK(e.prefix() == "ERR");
    CHECK(e.code() == errc::server_error);
    CHECK(expect_error<redpool::reply_error>([&] { redis.incrbyfloat("k", 1.0); }).prefix() == "ERR");
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
}

TEST_CASE("commands: unlink counts the keys it removed", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "a", "1", "b", "2", "c", "3"});
    CHECK(redis.unlink({"a", "b", "x"}) == 2);
    std::vector<std::string_view> keys{"c"};
    CHECK(redis.unlink(keys) == 1);
    CHECK(server.command({"DBSIZE"}) == "0");
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
}

TEST_CASE("commands: persist removes a ttl", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v", "EX", "100"});
    CHECK(redis.persist("k"));
    CHECK(redis.ttl("k") == -1s);
    CHECK_FALSE(redis.persist("k"));
    CHECK_FALSE(redis.persist("missing"));
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
}

TEST_CASE("commands: keys returns every key matching the pattern", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"MSET", "user:1", "a", "user:2", "b", "order:1", "c"});
    auto users = redis.keys("user:*");
    CHECK(std::set<std::string>(users.begin(), users.end()) == std::set<std::string>{"user:1", "user:2"});
    CHECK(redis.keys("*").size() == 3);
    CHECK(redis.keys("nothing*").empty());
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
}

TEST_CASE("commands: scan of an empty database yields nothing", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto range = redis.scan();
    CHECK(range.begin() == std::default_sentinel);
    CHECK(std::ranges::distance(redis.scan()) == 0);
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
}

// --- server ------------------------------------------------------------------------------------

TEST_CASE("commands: ping answers PONG", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.ping() == "PONG");
}

TEST_CASE("commands: echo returns binary data unchanged", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string message("bin\0ary\r\n\xff", 11);
    CHECK(redis.echo(message) == message);
    CHECK(redis.echo("") == "");
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
}

TEST_CASE("commands: info returns the requested section", "[commands]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto section = redis.info("server");
    CHECK(section.find("redis_version") != std::string::npos);
    CHECK(section.find("# Server") != std::string::npos);
    CHECK(section.find("# Memory") == std::string::npos);
    CHECK(redis.info().find("# Memory") != std::string::npos);
}
