// redpool::client's hash commands against a real redis-server, checked where it matters through
// the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::expect_error;
using redpool::test::expect_wrongtype;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::server_ran;
using redpool::test::shared_server;

namespace {

using field_map = std::map<std::string, std::string>;

// Every field and value of a hash, read by the admin connection.
field_map admin_hash(const redis_server& server, const std::string& key) {
    auto conn = server.admin();
    field_map out;
    std::string keys = conn.command({"HKEYS", key});
    std::size_t from = 0;
    while (!keys.empty() && from <= keys.size()) {
        std::size_t to = keys.find('\n', from);
        if (to == std::string::npos) to = keys.size();
        std::string field = keys.substr(from, to - from);
        out[field] = conn.command({"HGET", key, field});
        from = to + 1;
    }
    return out;
}

// Every page of an HSCAN, from cursor "0" until the server says it is complete.
field_map scan_all(redpool::client& redis, std::string_view key, const redpool::scan_options& opts = {}) {
    field_map out;
    std::string cursor = "0";
    int pages = 0;
    do {
        auto page = redis.hscan(key, cursor, opts);
        for (auto& [field, value] : page.items) out[field] = value;
        cursor = page.cursor;
        REQUIRE(++pages < 10000);  // a cap that only stops a scan that never ends
    } while (cursor != "0");
    return out;
}

}  // namespace

TEST_CASE("hashes: hset counts only the fields it added", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hset("h", "f", "v1") == 1);
    CHECK(redis.hset("h", "f", "v2") == 0);
    CHECK(server.command({"HGET", "h", "f"}) == "v2");
    CHECK(redis.hset("h", {{"f", "v3"}, {"g", "1"}, {"h", "2"}}) == 2);
    CHECK(admin_hash(server, "h") == field_map{{"f", "v3"}, {"g", "1"}, {"h", "2"}});
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hset of a span sets every pair and rejects an empty list", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    std::vector<std::pair<std::string_view, std::string_view>> pairs{{"a", "1"}, {"b", "2"}};
    CHECK(redis.hset("h", pairs) == 2);
    CHECK(admin_hash(server, "h") == field_map{{"a", "1"}, {"b", "2"}});

    pairs.clear();
    CHECK(expect_error([&] { redis.hset("empty", pairs); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.hset("empty", {}); }).code() == errc::invalid_argument);
    CHECK(server.command({"EXISTS", "empty"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hsetnx sets only a missing field", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hsetnx("h", "f", "first"));
    CHECK_FALSE(redis.hsetnx("h", "f", "second"));
    CHECK(server.command({"HGET", "h", "f"}) == "first");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hget returns nullopt for a missing field or key", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hget("h", "f") == std::nullopt);
    server.command({"HSET", "h", "f", "v", "empty", ""});
    CHECK(redis.hget("h", "f") == "v");
    CHECK(redis.hget("h", "other") == std::nullopt);
    CHECK(redis.hget("h", "empty") == "");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hmget returns nullopt for missing fields, in order", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"HSET", "h", "a", "1", "c", "3"});
    using result = std::vector<std::optional<std::string>>;
    CHECK(redis.hmget("h", {"a", "b", "c"}) == result{"1", std::nullopt, "3"});
    CHECK(redis.hmget("missing", {"a", "b"}) == result{std::nullopt, std::nullopt});
    std::vector<std::string_view> fields{"c", "a"};
    CHECK(redis.hmget("h", fields) == result{"3", "1"});
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hmget of no fields is empty without asking the server", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hmget("h", {}).empty());
    CHECK(redis.hmget("h", std::span<const std::string_view>()).empty());
    CHECK_FALSE(server_ran(server, "hmget"));
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hgetall returns every field and an empty map for a missing key", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hgetall("missing").empty());

    std::unordered_map<std::string, std::string> expected;
    auto admin = server.admin();
    for (int i = 0; i < 100; ++i) {
        std::string field = "field:" + std::to_string(i), value = "value-" + std::to_string(i * 7);
        admin.command({"HSET", "h", field, value});
        expected[field] = value;
    }
    std::unordered_map<std::string, std::string> all = redis.hgetall("h");
    CHECK(all.size() == 100);
    CHECK(all == expected);
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hdel counts the fields it removed and removing the last deletes the key", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"HSET", "h", "a", "1", "b", "2", "c", "3"});
    CHECK(redis.hdel("h", {"a", "missing"}) == 1);
    CHECK(admin_hash(server, "h") == field_map{{"b", "2"}, {"c", "3"}});
    std::vector<std::string_view> rest{"b", "c"};
    CHECK(redis.hdel("h", rest) == 2);
    CHECK(server.command({"EXISTS", "h"}) == "0");
    CHECK(redis.hdel("h", {"b"}) == 0);
    server.command({"HSET", "h", "one", "1"});
    CHECK(redis.hdel("h", "one") == 1);  // a single field
    CHECK(redis.hdel("h", "one") == 0);
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hdel of no fields is 0 without asking the server", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"HSET", "h", "a", "1"});
    CHECK(redis.hdel("h", {}) == 0);
    CHECK(redis.hdel("h", std::span<const std::string_view>()) == 0);
    CHECK_FALSE(server_ran(server, "hdel"));
    CHECK(server.command({"HLEN", "h"}) == "1");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hexists tells a present field from a missing one", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK_FALSE(redis.hexists("h", "f"));
    server.command({"HSET", "h", "f", ""});
    CHECK(redis.hexists("h", "f"));
    CHECK_FALSE(redis.hexists("h", "g"));
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hincrby counts from a missing field and rejects a non-integer", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hincrby("h", "n", 5) == 5);
    CHECK(redis.hincrby("h", "n", -8) == -3);
    CHECK(server.command({"HGET", "h", "n"}) == "-3");

    server.command({"HSET", "h", "text", "abc", "big", "9223372036854775807"});
    auto not_integer = expect_error<redpool::reply_error>([&] { redis.hincrby("h", "text", 1); });
    CHECK(not_integer.prefix() == "ERR");
    auto overflow = expect_error<redpool::reply_error>([&] { redis.hincrby("h", "big", 1); });
    CHECK(overflow.prefix() == "ERR");
    CHECK(server.command({"HGET", "h", "big"}) == "9223372036854775807");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hincrbyfloat keeps decimal precision and rejects infinity", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hincrbyfloat("h", "x", 10.5) == 10.5);
    CHECK(redis.hincrbyfloat("h", "x", 0.1) == 10.6);
    CHECK(server.command({"HGET", "h", "x"}) == "10.6");
    CHECK(redis.hincrbyfloat("h", "x", -20) == Approx(-9.4));
    CHECK(redis.hincrbyfloat("h", "y", 5.0e3) == 5000);
    CHECK(server.command({"HGET", "h", "y"}) == "5000");

    auto infinite = expect_error<redpool::reply_error>(
        [&] { redis.hincrbyfloat("h", "x", std::numeric_limits<double>::infinity()); });
    CHECK(infinite.prefix() == "ERR");
    server.command({"HSET", "h", "text", "abc"});
    CHECK(expect_error<redpool::reply_error>([&] { redis.hincrbyfloat("h", "text", 1); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hkeys and hvals list every field and value, and nothing for a missing key", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hkeys("h").empty());
    CHECK(redis.hvals("h").empty());
    server.command({"HSET", "h", "a", "1", "b", "2", "c", "2"});
    auto keys = redis.hkeys("h");
    CHECK(std::multiset<std::string>(keys.begin(), keys.end()) == std::multiset<std::string>{"a", "b", "c"});
    auto vals = redis.hvals("h");
    CHECK(std::multiset<std::string>(vals.begin(), vals.end()) == std::multiset<std::string>{"1", "2", "2"});
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hlen counts fields and hstrlen measures a value in bytes", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hlen("h") == 0);
    CHECK(redis.hstrlen("h", "f") == 0);
    server.command({"HSET", "h", "f", std::string("a\0bc", 4), "g", "", "h", "\xc3\xa9"});
    CHECK(redis.hlen("h") == 3);
    CHECK(redis.hstrlen("h", "f") == 4);
    CHECK(redis.hstrlen("h", "g") == 0);
    CHECK(redis.hstrlen("h", "h") == 2);
    CHECK(redis.hstrlen("h", "missing") == 0);
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hrandfield picks a field, or nullopt for a missing key", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hrandfield("h") == std::nullopt);
    server.command({"HSET", "h", "a", "1", "b", "2", "c", "3"});
    const std::set<std::string> fields{"a", "b", "c"};
    for (int i = 0; i < 10; ++i) {
        std::optional<std::string> field = redis.hrandfield("h");
        REQUIRE(field.has_value());
        CHECK(fields.count(*field) == 1);
    }
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hrandfield with a count gives distinct fields, or repeats for a negative one", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hrandfield("h", 2).empty());
    server.command({"HSET", "h", "a", "1", "b", "2", "c", "3"});
    const std::set<std::string> fields{"a", "b", "c"};

    auto two = redis.hrandfield("h", 2);
    REQUIRE(two.size() == 2);
    CHECK(two[0] != two[1]);
    for (const auto& f : two) CHECK(fields.count(f) == 1);

    auto all = redis.hrandfield("h", 10);
    CHECK(std::set<std::string>(all.begin(), all.end()) == fields);
    CHECK(all.size() == 3);

    auto repeated = redis.hrandfield("h", -7);
    CHECK(repeated.size() == 7);
    for (const auto& f : repeated) CHECK(fields.count(f) == 1);

    CHECK(redis.hrandfield("h", 0).empty());
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hrandfield_with_values pairs each field with its value", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.hrandfield_with_values("h", 3).empty());
    server.command({"HSET", "h", "a", "1", "b", "2", "c", "3"});
    const field_map hash{{"a", "1"}, {"b", "2"}, {"c", "3"}};

    auto all = redis.hrandfield_with_values("h", 3);
    CHECK(field_map(all.begin(), all.end()) == hash);

    auto repeated = redis.hrandfield_with_values("h", -5);
    CHECK(repeated.size() == 5);
    for (const auto& [field, value] : repeated) {
        REQUIRE(hash.count(field) == 1);
        CHECK(hash.at(field) == value);
    }
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hscan visits every field-value pair of a hash", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto empty = redis.hscan("missing", "0");
    CHECK(empty.cursor == "0");
    CHECK(empty.items.empty());

    // Past hash-max-listpack-entries (512) the hash is a hash table, which HSCAN returns page
    // by page; a small hash comes back whole.
    field_map expected;
    auto admin = server.admin();
    for (int i = 0; i < 1000; ++i) {
        std::string field = "f" + std::to_string(i), value = "v" + std::to_string(i);
        admin.command({"HSET", "h", field, value});
        expected[field] = value;
    }
    REQUIRE(admin.command({"OBJECT", "ENCODING", "h"}) == "hashtable");
    CHECK(redis.hscan("h", "0").cursor != "0");
    CHECK(scan_all(redis, "h") == expected);
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hscan with COUNT examines more per page", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto admin = server.admin();
    for (int i = 0; i < 1000; ++i) admin.command({"HSET", "h", "f" + std::to_string(i), "v"});
    REQUIRE(admin.command({"OBJECT", "ENCODING", "h"}) == "hashtable");
    CHECK(redis.hscan("h", "0").items.size() < 1000);
    redpool::scan_options opts;
    opts.count = 100000;
    auto page = redis.hscan("h", "0", opts);
    CHECK(page.cursor == "0");
    CHECK(page.items.size() == 1000);
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hscan with MATCH yields only the matching fields", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"HSET", "small", "user:1", "a", "user:2", "b", "other", "c"});
    redpool::scan_options opts;
    opts.match = "user:*";
    CHECK(scan_all(redis, "small", opts) == field_map{{"user:1", "a"}, {"user:2", "b"}});

    field_map expected;
    auto admin = server.admin();
    for (int i = 0; i < 300; ++i) {
        admin.command({"HSET", "big", "user:" + std::to_string(i), "u", "item:" + std::to_string(i), "i"});
        expected["user:" + std::to_string(i)] = "u";
    }
    REQUIRE(admin.command({"OBJECT", "ENCODING", "big"}) == "hashtable");
    CHECK(scan_all(redis, "big", opts) == expected);
    opts.match = "nothing:*";
    CHECK(scan_all(redis, "big", opts).empty());
    check_pool_invariants(redis);
}

TEST_CASE("hashes: hscan rejects a TYPE filter before sending", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"HSET", "h", "f", "v"});
    redpool::scan_options opts;
    opts.type = "string";
    CHECK(expect_error([&] { redis.hscan("h", "0", opts); }).code() == errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "hscan"));
    check_pool_invariants(redis);
}

TEST_CASE("hashes: a hash command on a string throws WRONGTYPE", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "s", "v"});
    expect_wrongtype([&] { redis.hset("s", "f", "v"); });
    expect_wrongtype([&] { redis.hset("s", {{"f", "v"}}); });
    expect_wrongtype([&] { redis.hsetnx("s", "f", "v"); });
    expect_wrongtype([&] { redis.hget("s", "f"); });
    expect_wrongtype([&] { redis.hmget("s", {"f"}); });
    expect_wrongtype([&] { redis.hgetall("s"); });
    expect_wrongtype([&] { redis.hdel("s", {"f"}); });
    expect_wrongtype([&] { redis.hexists("s", "f"); });
    expect_wrongtype([&] { redis.hincrby("s", "f", 1); });
    expect_wrongtype([&] { redis.hincrbyfloat("s", "f", 1); });
    expect_wrongtype([&] { redis.hkeys("s"); });
    expect_wrongtype([&] { redis.hvals("s"); });
    expect_wrongtype([&] { redis.hlen("s"); });
    expect_wrongtype([&] { redis.hstrlen("s", "f"); });
    expect_wrongtype([&] { redis.hrandfield("s"); });
    expect_wrongtype([&] { redis.hrandfield("s", 2); });
    expect_wrongtype([&] { redis.hrandfield_with_values("s", 2); });
    expect_wrongtype([&] { redis.hscan("s", "0"); });
    CHECK(server.command({"GET", "s"}) == "v");
    check_pool_invariants(redis);
}

TEST_CASE("hashes: binary keys, fields and values round-trip", "[hashes]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("h\0\r\n", 4);
    const std::string field("f\0g", 3), value("v\0\r\nw", 5);
    const std::string bad_field("\xff\xfe"), bad_value("\xfe\xff\0", 3);

    CHECK(redis.hset(key, {{field, value}, {bad_field, bad_value}}) == 2);
    CHECK(server.command({"HGET", key, field}) == value);
    CHECK(server.command({"HGET", key, bad_field}) == bad_value);
    CHECK(redis.hget(key, field) == value);
    CHECK(redis.hget(key, std::string("f", 1)) == std::nullopt);  // the NUL is part of the field

    using result = std::vector<std::optional<std::string>>;
    CHECK(redis.hmget(key, {bad_field, field}) == result{bad_value, value});
    CHECK(redis.hgetall(key) == std::unordered_map<std::string, std::string>{{field, value}, {bad_field, bad_value}});
    CHECK(scan_all(redis, key) == field_map{{field, value}, {bad_field, bad_value}});
    CHECK(redis.hstrlen(key, field) == 5);
    CHECK(redis.hexists(key, bad_field));
    CHECK(redis.hincrby(key, std::string("n\0", 2), 3) == 3);
    CHECK(redis.hdel(key, {field, std::string("n\0", 2)}) == 2);
    CHECK(admin_hash(server, key) == field_map{{bad_field, bad_value}});
    check_pool_invariants(redis);
}
