// redpool::client's set commands against a real redis-server: members in and out,
// membership, random members, set algebra (read and stored), SINTERCARD, SMOVE and SSCAN,
// checked where it matters through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::errc;
using redpool::test::bad_utf8;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::shared_server;
using redpool::test::with_nul;

namespace {

using members = std::set<std::string>;

const std::string nul_key("set\0key", 7);

members as_set(const std::vector<std::string>& v) { return members(v.begin(), v.end()); }

bool admin_has(const redis_server& server, const std::string& key, const std::string& member) {
    return server.command({"SISMEMBER", key, member}) == "1";
}

std::string admin_card(const redis_server& server, const std::string& key) {
    return server.command({"SCARD", key});
}

}  // namespace

// --- members in and out ------------------------------------------------------------------------

TEST_CASE("sets: sadd counts new members and smembers, scard and sismember read them", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.smembers("missing").empty());
    CHECK(redis.scard("missing") == 0);
    CHECK_FALSE(redis.sismember("missing", "a"));

    CHECK(redis.sadd("s", {"a", "b", "a"}) == 2);
    const std::vector<std::string_view> more{"b", "c"};
    CHECK(redis.sadd("s", more) == 1);
    CHECK(admin_card(server, "s") == "3");
    CHECK(admin_has(server, "s", "c"));
    CHECK(as_set(redis.smembers("s")) == members{"a", "b", "c"});
    CHECK(redis.scard("s") == 3);
    CHECK(redis.sismember("s", "a"));
    CHECK_FALSE(redis.sismember("s", "z"));

    CHECK(expect_error([&] { redis.sadd("s", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.sadd("s", std::span<const std::string_view>()); }).code() ==
          errc::invalid_argument);
    CHECK(command_calls(server, "sadd") == 2);  // the two that had members
    check_pool_invariants(redis);
}

TEST_CASE("sets: binary keys and members round-trip", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.sadd(nul_key, {with_nul, bad_utf8, ""}) == 3);
    CHECK(admin_has(server, nul_key, with_nul));
    CHECK(admin_has(server, nul_key, bad_utf8));
    CHECK_FALSE(admin_has(server, nul_key, "a"));
    CHECK(as_set(redis.smembers(nul_key)) == members{with_nul, bad_utf8, ""});
    CHECK(redis.sismember(nul_key, with_nul));
    CHECK(redis.smismember(nul_key, {bad_utf8, "a", ""}) == std::vector<bool>{true, false, true});
    CHECK(redis.srem(nul_key, {with_nul}) == 1);
    CHECK(redis.smove(nul_key, "other", bad_utf8));
    CHECK(admin_has(server, "other", bad_utf8));
    CHECK(redis.spop(nul_key) == std::string());
    CHECK(server.command({"EXISTS", nul_key}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("sets: srem removes members and counts those that were there", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.srem("missing", {"a"}) == 0);

    server.command({"SADD", "s", "a", "b", "c"});
    CHECK(redis.srem("s", {"a", "z"}) == 1);
    const std::vector<std::string_view> rest{"b", "c"};
    CHECK(redis.srem("s", rest) == 2);
    CHECK(server.command({"EXISTS", "s"}) == "0");  // the last member removed the key
    CHECK(command_calls(server, "srem") == 3);
    check_pool_invariants(redis);
}

TEST_CASE("sets: srem of no members is 0, answered without a round trip", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SADD", "s", "a"});
    CHECK(redis.srem("s", {}) == 0);
    CHECK(redis.srem("s", std::span<const std::string_view>()) == 0);
    CHECK(redpool::cmd::srem("s", {}).answered_locally());
    CHECK(command_calls(server, "srem") == 0);
    CHECK(admin_has(server, "s", "a"));
    check_pool_invariants(redis);
}

TEST_CASE("sets: single-member sadd and srem add and remove one member", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.srem("missing", "a") == 0);
    CHECK(redis.sadd("s", "a") == 1);
    CHECK(redis.sadd("s", "a") == 0);
    CHECK(redis.sadd("s", with_nul) == 1);
    CHECK(redis.sadd("s", std::string(bad_utf8)) == 1);
    CHECK(admin_card(server, "s") == "3");
    CHECK(admin_has(server, "s", with_nul));
    CHECK(redis.srem("s", with_nul) == 1);
    CHECK(redis.srem("s", "z") == 0);
    CHECK_FALSE(admin_has(server, "s", with_nul));
    CHECK(admin_has(server, "s", bad_utf8));
    CHECK(redis.sadd("s", {"solo"}) == 1);  // a braced list still picks the list form
    CHECK(admin_has(server, "s", "solo"));
    CHECK(command_calls(server, "sadd") == 5);
    CHECK(command_calls(server, "srem") == 3);
    check_pool_invariants(redis);
}

TEST_CASE("sets: smismember answers for each member in order", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.smismember("missing", {"a", "b"}) == std::vector<bool>{false, false});

    server.command({"SADD", "s", "a", "c"});
    CHECK(redis.smismember("s", {"a", "b", "c", "a"}) == std::vector<bool>{true, false, true, true});
    const std::vector<std::string_view> one{"c"};
    CHECK(redis.smismember("s", one) == std::vector<bool>{true});
    CHECK(command_calls(server, "smismember") == 3);
    check_pool_invariants(redis);
}

TEST_CASE("sets: smismember of no members is empty, answered without a round trip", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SADD", "s", "a"});
    CHECK(redis.smismember("s", {}).empty());
    CHECK(redis.smismember("s", std::span<const std::string_view>()).empty());
    CHECK(redpool::cmd::smismember("s", {}).answered_locally());
    CHECK(command_calls(server, "smismember") == 0);
    check_pool_invariants(redis);
}

// --- random members ----------------------------------------------------------------------------

TEST_CASE("sets: spop removes one random member, or nullopt for a missing key", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.spop("missing") == std::nullopt);

    server.command({"SADD", "s", "a", "b"});
    auto first = redis.spop("s");
    REQUIRE(first.has_value());
    CHECK((*first == "a" || *first == "b"));
    CHECK_FALSE(admin_has(server, "s", *first));
    CHECK(admin_card(server, "s") == "1");
    auto second = redis.spop("s");
    REQUIRE(second.has_value());
    CHECK(members{*first, *second} == members{"a", "b"});
    CHECK(redis.spop("s") == std::nullopt);
    check_pool_invariants(redis);
}

TEST_CASE("sets: spop with a count removes up to count distinct members", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.spop("missing", 3).empty());

    server.command({"SADD", "s", "a", "b", "c", "d"});
    CHECK(redis.spop("s", 0).empty());
    auto popped = redis.spop("s", 3);
    CHECK(popped.size() == 3);
    CHECK(as_set(popped).size() == 3);
    CHECK(admin_card(server, "s") == "1");
    for (const auto& m : popped) CHECK_FALSE(admin_has(server, "s", m));
    auto last = redis.spop("s", 10);
    REQUIRE(last.size() == 1);
    popped.push_back(last[0]);
    CHECK(as_set(popped) == members{"a", "b", "c", "d"});
    CHECK(server.command({"EXISTS", "s"}) == "0");

    server.command({"SADD", "s", "a"});
    CHECK(expect_error([&] { redis.spop("s", -1); }).code() == errc::invalid_argument);
    CHECK(admin_card(server, "s") == "1");
    check_pool_invariants(redis);
}

TEST_CASE("sets: srandmember returns members without removing them, repeats for a negative count", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.srandmember("missing") == std::nullopt);
    CHECK(redis.srandmember("missing", 3).empty());
    CHECK(redis.srandmember("missing", -3).empty());

    server.command({"SADD", "s", "a", "b", "c"});
    const members all{"a", "b", "c"};
    auto one = redis.srandmember("s");
    REQUIRE(one.has_value());
    CHECK(all.count(*one) == 1);

    auto distinct = redis.srandmember("s", 2);
    CHECK(distinct.size() == 2);
    CHECK(as_set(distinct).size() == 2);
    CHECK(as_set(redis.srandmember("s", 10)) == all);  // capped at the set's size, no repeats
    CHECK(redis.srandmember("s", 10).size() == 3);
    CHECK(redis.srandmember("s", 0).empty());

    auto repeated = redis.srandmember("s", -7);  // exactly 7, so some repeat
    CHECK(repeated.size() == 7);
    for (const auto& m : repeated) CHECK(all.count(m) == 1);
    CHECK(admin_card(server, "s") == "3");
    check_pool_invariants(redis);
}

// --- set algebra -------------------------------------------------------------------------------

TEST_CASE("sets: sinter, sunion and sdiff combine sets, a missing key being empty", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SADD", "x", "a", "b", "c"});
    server.command({"SADD", "y", "b", "c", "d"});
    server.command({"SADD", "z", "c", "e"});

    CHECK(as_set(redis.sinter({"x", "y"})) == members{"b", "c"});
    CHECK(as_set(redis.sinter({"x", "y", "z"})) == members{"c"});
    CHECK(redis.sinter({"x", "missing"}).empty());
    CHECK(as_set(redis.sunion({"x", "y", "z"})) == members{"a", "b", "c", "d", "e"});
    CHECK(as_set(redis.sunion({"missing", "z"})) == members{"c", "e"});
    CHECK(as_set(redis.sdiff({"x", "y"})) == members{"a"});
    CHECK(as_set(redis.sdiff({"y", "x", "z"})) == members{"d"});
    CHECK(as_set(redis.sdiff({"x", "missing"})) == members{"a", "b", "c"});
    CHECK(redis.sdiff({"missing", "x"}).empty());

    const std::vector<std::string_view> keys{"x", "z"};
    CHECK(as_set(redis.sinter(keys)) == members{"c"});
    CHECK(as_set(redis.sunion(keys)) == members{"a", "b", "c", "e"});
    CHECK(as_set(redis.sdiff(keys)) == members{"a", "b"});

    CHECK(expect_error([&] { redis.sinter({}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.sunion({}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.sdiff(std::span<const std::string_view>()); }).code() ==
          errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sets: sinterstore, sunionstore and sdiffstore store the result and return its size", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SADD", "x", "a", "b", "c"});
    server.command({"SADD", "y", "b", "c", "d"});

    CHECK(redis.sinterstore("inter", {"x", "y"}) == 2);
    CHECK(server.command({"SMISMEMBER", "inter", "b", "c", "a"}) == "1\n1\n0");
    CHECK(redis.sunionstore("union", {"x", "y"}) == 4);
    CHECK(admin_card(server, "union") == "4");
    const std::vector<std::string_view> keys{"y", "x"};
    CHECK(redis.sdiffstore("diff", keys) == 1);
    CHECK(server.command({"SMEMBERS", "diff"}) == "d");

    // The destination is replaced, whatever it held; an empty result deletes it.
    server.command({"SET", "dest", "a string"});
    CHECK(redis.sunionstore("dest", {"x"}) == 3);
    CHECK(server.command({"TYPE", "dest"}) == "set");
    CHECK(redis.sinterstore("dest", {"x", "missing"}) == 0);
    CHECK(server.command({"EXISTS", "dest"}) == "0");
    CHECK(redis.sdiffstore("x", {"x", "y"}) == 1);  // a source may be the destination
    CHECK(server.command({"SMEMBERS", "x"}) == "a");

    CHECK(expect_error([&] { redis.sinterstore("d", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.sunionstore("d", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.sdiffstore("d", {}); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sets: sintercard counts the intersection, stopping at limit", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.sintercard({"missing"}) == 0);

    server.command({"SADD", "x", "a", "b", "c", "d"});
    server.command({"SADD", "y", "b", "c", "d", "e"});
    CHECK(redis.sintercard({"x", "y"}) == 3);
    CHECK(redis.sintercard({"x", "y"}, 2) == 2);
    CHECK(redis.sintercard({"x", "y"}, 10) == 3);
    CHECK(redis.sintercard({"x", "y"}, 0) == 3);  // 0: no limit
    const std::vector<std::string_view> keys{"x", "y", "missing"};
    CHECK(redis.sintercard(keys) == 0);
    CHECK(redis.sintercard(std::span<const std::string_view>(keys).first(1)) == 4);

    CHECK(expect_error([&] { redis.sintercard({}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.sintercard({"x"}, -1); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

// --- moving and scanning -----------------------------------------------------------------------

TEST_CASE("sets: smove moves a member and returns false when it is not in the source", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK_FALSE(redis.smove("missing", "dst", "a"));
    CHECK(server.command({"EXISTS", "dst"}) == "0");

    server.command({"SADD", "src", "a", "b"});
    server.command({"SADD", "dst", "b"});
    CHECK(redis.smove("src", "dst", "a"));
    CHECK_FALSE(admin_has(server, "src", "a"));
    CHECK(admin_has(server, "dst", "a"));
    CHECK_FALSE(redis.smove("src", "dst", "z"));
    CHECK(redis.smove("src", "dst", "b"));  // already in dst: only removed from src
    CHECK(server.command({"EXISTS", "src"}) == "0");
    CHECK(admin_card(server, "dst") == "2");
    check_pool_invariants(redis);
}

TEST_CASE("sets: sscan pages through every member, with MATCH and COUNT", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto empty = redis.sscan("missing", "0");
    CHECK(empty.cursor == "0");
    CHECK(empty.items.empty());

    // Enough members for a hashtable encoding, so the scan takes several pages.
    std::vector<std::string> args{"SADD", "s"};
    members expected;
    for (int i = 0; i < 300; ++i) {
        args.push_back((i % 2 == 0 ? "even:" : "odd:") + std::to_string(i));
        expected.insert(args.back());
    }
    server.admin().command(args);
    args.resize(2);
    args.push_back(with_nul);
    server.admin().command(args);
    expected.insert(with_nul);

    members seen;
    std::string cursor = "0";
    int pages = 0;
    redpool::scan_options small;
    small.count = 10;
    do {
        auto page = redis.sscan("s", cursor, small);
        seen.insert(page.items.begin(), page.items.end());
        cursor = page.cursor;
        REQUIRE(++pages < 10000);
    } while (cursor != "0");
    CHECK(seen == expected);
    CHECK(pages > 1);

    redpool::scan_options odd;
    odd.match = "odd:*";
    odd.count = 1000;
    members matched;
    cursor = "0";
    do {
        auto page = redis.sscan("s", cursor, odd);
        matched.insert(page.items.begin(), page.items.end());
        cursor = page.cursor;
    } while (cursor != "0");
    CHECK(matched.size() == 150);
    for (const auto& m : matched) CHECK(m.starts_with("odd:"));
    check_pool_invariants(redis);
}

TEST_CASE("sets: sscan rejects scan_options' TYPE filter and a negative COUNT", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SADD", "s", "a"});
    redpool::scan_options typed;
    typed.type = "string";
    CHECK(expect_error([&] { redis.sscan("s", "0", typed); }).code() == errc::invalid_argument);
    redpool::scan_options negative;
    negative.count = -1;
    CHECK(expect_error([&] { redis.sscan("s", "0", negative); }).code() == errc::invalid_argument);
    CHECK(command_calls(server, "sscan") == 0);
    CHECK(redis.sscan("s", "0").items == std::vector<std::string>{"a"});
    check_pool_invariants(redis);
}

TEST_CASE("sets: set commands on a string throw WRONGTYPE", "[sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "str", "v"});
    server.command({"SADD", "s", "a"});
    auto e = expect_error<redpool::reply_error>([&] { redis.sadd("str", {"x"}); });
    CHECK(e.prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.srem("str", {"x"}); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.smembers("str"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sismember("str", "v"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.smismember("str", {"v"}); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.scard("str"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.spop("str"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.srandmember("str", 2); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sinter({"s", "str"}); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sunionstore("d", {"str"}); }).prefix() ==
          "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sintercard({"str"}); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.smove("s", "str", "a"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.sscan("str", "0"); }).prefix() == "WRONGTYPE");
    CHECK(server.command({"GET", "str"}) == "v");
    CHECK(admin_has(server, "s", "a"));  // the failed SMOVE moved nothing
    CHECK(server.command({"EXISTS", "d"}) == "0");
    check_pool_invariants(redis);
}
