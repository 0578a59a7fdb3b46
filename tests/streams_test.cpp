// redpool::client's stream commands against a real redis-server: XADD and reading, trimming,
// blocking reads, consumer groups (pending lists, claiming) and XINFO, checked where it matters
// through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::stream_entry;
using redpool::test::admin_integer;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::config_guard;
using redpool::test::expect_error;
using redpool::test::expect_wrongtype;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::server_ran;
using redpool::test::shared_server;
using redpool::test::wait_for_blocked_clients;

namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> ids_of(const std::vector<stream_entry>& entries) {
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.id);
    return ids;
}

// Adds an entry to `key` when it goes: declared after a thread blocked reading `key`, it frees
// the thread before it is joined, even when a failed REQUIRE leaves the test early.
struct release_on_exit {
    const redis_server& server;
    std::string key;
    bool armed = true;
    ~release_on_exit() {
        if (armed) server.command({"XADD", key, "*", "release", "1"});
    }
};

// A stream `key` with entries 1-0 .. n-0 (field "n", value the number).
void add_numbered(const redis_server& server, const std::string& key, int n) {
    for (int i = 1; i <= n; ++i) server.command({"XADD", key, std::to_string(i) + "-0", "n", std::to_string(i)});
}

}  // namespace

// --- adding and reading ----------------------------------------------------------------------

TEST_CASE("streams: xadd returns the id and xrange reads the entries back in order", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string first = redis.xadd("s", "*", {{"a", "1"}, {"b", "2"}});
    CHECK(first.find('-') != std::string::npos);
    CHECK(redis.xadd("s", "99999999999999-5", {{"c", "3"}}) == "99999999999999-5");
    CHECK(redis.xlen("s") == 2);
    CHECK(admin_integer(server, {"XLEN", "s"}) == 2);

    const std::vector<stream_entry> all = redis.xrange("s", "-", "+");
    REQUIRE(all.size() == 2);
    CHECK(all[0] == stream_entry{first, {{"a", "1"}, {"b", "2"}}});
    CHECK(all[1] == stream_entry{"99999999999999-5", {{"c", "3"}}});
    CHECK(ids_of(redis.xrange("s", "-", "+", 1)) == std::vector<std::string>{first});
    CHECK(ids_of(redis.xrange("s", "(" + first, "+")) == std::vector<std::string>{"99999999999999-5"});
    CHECK(ids_of(redis.xrevrange("s", "+", "-")) == std::vector<std::string>{"99999999999999-5", first});
    CHECK(ids_of(redis.xrevrange("s", "+", "-", 1)) == std::vector<std::string>{"99999999999999-5"});
    CHECK(redis.xrange("missing", "-", "+").empty());
    CHECK(redis.xrevrange("missing", "+", "-").empty());
    CHECK(redis.xlen("missing") == 0);

    // An id not above the stream's last one is the server's error.
    auto e = expect_error<redpool::reply_error>([&] { redis.xadd("s", "1-1", {{"x", "y"}}); });
    CHECK(e.prefix() == "ERR");
    CHECK(expect_error([&] { redis.xadd("s", "*", {}); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("streams: binary keys, fields and values round-trip", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("s\0\xff", 3);
    const std::string field("f\0\r\n", 4);
    const std::string value("\xff\xfe\0v", 4);
    const std::vector<std::pair<std::string_view, std::string_view>> pairs{{field, value}, {"", ""}};
    const std::string id = redis.xadd(key, "*", std::span(pairs));
    const auto entries = redis.xrange(key, "-", "+");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].id == id);
    CHECK(entries[0].fields == fields{{field, value}, {"", ""}});
    CHECK(entries[0].fields[0].first.size() == 4);
    CHECK(entries[0].fields[0].second.size() == 4);
    CHECK(admin_integer(server, {"XLEN", key}) == 1);
    CHECK(admin_integer(server, {"XLEN", "s"}) == 0);  // the key was not cut at its NUL
    check_pool_invariants(redis);
}

TEST_CASE("streams: xadd_nomkstream adds nothing to a missing stream", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.xadd_nomkstream("s", "*", {{"a", "1"}}) == std::nullopt);
    CHECK(server.command({"EXISTS", "s"}) == "0");
    server.command({"XADD", "s", "1-0", "a", "1"});
    CHECK(redis.xadd_nomkstream("s", "2-0", {{"a", "2"}}) == "2-0");
    redpool::stream_trim trim;
    trim.max_len = 1;
    CHECK(redis.xadd_nomkstream("s", "3-0", {{"a", "3"}}, trim) == "3-0");
    CHECK(ids_of(redis.xrange("s", "-", "+")) == std::vector<std::string>{"3-0"});
    check_pool_invariants(redis);
}

TEST_CASE("streams: xdel deletes the entries that exist", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    CHECK(redis.xdel("s", {"1-0", "3-0", "9-0"}) == 2);
    CHECK(ids_of(redis.xrange("s", "-", "+")) == std::vector<std::string>{"2-0"});
    const std::vector<std::string_view> ids{"2-0"};
    CHECK(redis.xdel("s", std::span(ids)) == 1);
    CHECK(admin_integer(server, {"XLEN", "s"}) == 0);
    CHECK(redis.xdel("missing", {"1-0"}) == 0);
    check_pool_invariants(redis);
}

TEST_CASE("streams: xdel of one id deletes that entry", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 2);
    const std::string id = "2-0";
    CHECK(redis.xdel("s", id) == 1);  // a std::string: the single-id overload
    CHECK(redis.xdel("s", "2-0") == 0);
    CHECK(ids_of(redis.xrange("s", "-", "+")) == std::vector<std::string>{"1-0"});
    CHECK(admin_integer(server, {"XLEN", "s"}) == 1);
    const std::string key("s\0\xff", 3);
    add_numbered(server, key, 1);
    CHECK(redis.xdel(key, "1-0") == 1);
    CHECK(admin_integer(server, {"XLEN", key}) == 0);
    CHECK(admin_integer(server, {"XLEN", "s"}) == 1);  // the key was not cut at its NUL
    check_pool_invariants(redis);
}

TEST_CASE("streams: xdel and xack of no ids answer 0 without sending anything", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 1);
    server.command({"XGROUP", "CREATE", "s", "g", "0"});
    server.command({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
    CHECK(redis.xdel("s", {}) == 0);
    const std::vector<std::string_view> none;
    CHECK(redis.xdel("s", std::span(none)) == 0);
    CHECK(redis.xack("s", "g", {}) == 0);
    CHECK(redis.xack("s", "g", std::span(none)) == 0);
    CHECK(redpool::cmd::xdel("s", {}).answered_locally());
    CHECK(redpool::cmd::xack("s", "g", {}).answered_locally());
    CHECK_FALSE(server_ran(server, "xdel"));
    CHECK_FALSE(server_ran(server, "xack"));
    CHECK(admin_integer(server, {"XLEN", "s"}) == 1);
    CHECK(server.command({"XPENDING", "s", "g"}).rfind("1\n", 0) == 0);
    check_pool_invariants(redis);
}

// --- trimming ----------------------------------------------------------------------------------

TEST_CASE("streams: xadd and xtrim trim by MAXLEN and MINID", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 5);

    redpool::stream_trim keep3;
    keep3.max_len = 3;
    CHECK(redis.xadd("s", "6-0", {{"n", "6"}}, keep3) == "6-0");
    CHECK(ids_of(redis.xrange("s", "-", "+")) == std::vector<std::string>{"4-0", "5-0", "6-0"});

    redpool::stream_trim from5;
    from5.min_id = "5-0";
    CHECK(redis.xtrim("s", from5) == 1);
    CHECK(ids_of(redis.xrange("s", "-", "+")) == std::vector<std::string>{"5-0", "6-0"});

    redpool::stream_trim keep0;
    keep0.max_len = 0;
    CHECK(redis.xtrim("s", keep0) == 2);
    CHECK(admin_integer(server, {"XLEN", "s"}) == 0);
    CHECK(redis.xtrim("missing", keep0) == 0);
    check_pool_invariants(redis);
}

TEST_CASE("streams: approximate trimming evicts whole nodes, at most LIMIT entries", "[streams]") {
    auto& server = shared_server();
    // Approximate trimming evicts whole nodes only, which the default of 100 entries a node
    // makes invisible on small streams.
    config_guard small_nodes(server, "stream-node-max-entries", "2");
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 9);  // nodes [1,2] [3,4] [5,6] [7,8] [9]

    redpool::stream_trim approx;
    approx.max_len = 4;
    approx.approximate = true;
    approx.limit = 2;
    CHECK(redis.xtrim("s", approx) == 2);  // one node, though two would fit under MAXLEN
    approx.limit.reset();
    CHECK(redis.xtrim("s", approx) == 2);  // the node [3,4]; [5,6] would leave 3 < 4
    CHECK(ids_of(redis.xrange("s", "-", "+", 1)) == std::vector<std::string>{"5-0"});

    redpool::stream_trim approx_min;
    approx_min.min_id = "8-0";
    approx_min.approximate = true;
    CHECK(redis.xtrim("s", approx_min) == 2);  // [5,6]; [7,8] holds an id to keep
    approx_min.approximate = false;
    CHECK(redis.xtrim("s", approx_min) == 1);  // exactly: 7-0 too
    CHECK(admin_integer(server, {"XLEN", "s"}) == 2);

    redpool::stream_trim approx_add;
    approx_add.max_len = 1;
    approx_add.approximate = true;
    approx_add.limit = 0;  // no limit
    CHECK(redis.xadd("s", "10-0", {{"n", "10"}}, approx_add) == "10-0");
    // The node [8] went; [9,10] stays whole, one entry more than exact trimming keeps.
    CHECK(ids_of(redis.xrange("s", "-", "+")) == std::vector<std::string>{"9-0", "10-0"});
    check_pool_invariants(redis);
}

TEST_CASE("streams: invalid trimming throws before anything is sent", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"XADD", "s", "1-0", "a", "1"});
    auto invalid = [&](const redpool::stream_trim& t) {
        CHECK(expect_error([&] { redis.xtrim("s", t); }).code() == errc::invalid_argument);
        CHECK(expect_error([&] { redis.xadd("s", "*", {{"a", "2"}}, t); }).code() == errc::invalid_argument);
    };
    invalid({.max_len = 1, .min_id = "1-0"});
    invalid({.max_len = -1});
    invalid({.max_len = 1, .limit = 5});  // LIMIT needs `~`
    invalid({.max_len = 1, .approximate = true, .limit = -1});
    invalid({.limit = 5});
    invalid({.approximate = true});  // `~` with no threshold would be dropped
    invalid({.approximate = true, .limit = 5});
    CHECK(expect_error([&] { redis.xtrim("s", {}); }).code() == errc::invalid_argument);
    CHECK(admin_integer(server, {"XLEN", "s"}) == 1);
    CHECK_FALSE(server_ran(server, "xtrim"));
    CHECK(command_calls(server, "xadd") == 1);
    check_pool_invariants(redis);
}

// --- XREAD -------------------------------------------------------------------------------------

TEST_CASE("streams: xread returns the entries after each stream's id", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "a", 3);
    add_numbered(server, "b", 1);

    auto got = redis.xread({{"a", "1-0"}, {"b", "0"}, {"missing", "0"}});
    REQUIRE(got.size() == 2);
    CHECK(got[0].key == "a");
    CHECK(ids_of(got[0].entries) == std::vector<std::string>{"2-0", "3-0"});
    CHECK(got[0].entries[0].fields == fields{{"n", "2"}});
    CHECK(got[1].key == "b");
    CHECK(ids_of(got[1].entries) == std::vector<std::string>{"1-0"});

    redpool::xread_options one;
    one.count = 1;
    const std::vector<std::pair<std::string_view, std::string_view>> streams{{"a", "0"}};
    got = redis.xread(std::span(streams), one);
    REQUIRE(got.size() == 1);
    CHECK(ids_of(got[0].entries) == std::vector<std::string>{"1-0"});

    CHECK(redis.xread({{"a", "3-0"}, {"b", "$"}}).empty());
    CHECK(expect_error([&] { redis.xread({}); }).code() == errc::invalid_argument);
    redpool::xread_options negative;
    negative.block = -1ms;
    CHECK(expect_error([&] { redis.xread({{"a", "$"}}, negative); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("streams: xread with a short block returns empty when nothing arrives", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 1);
    redpool::xread_options opts;
    opts.block = 50ms;
    CHECK(redis.xread({{"s", "$"}, {"missing", "$"}}, opts).empty());
    check_pool_invariants(redis);
}

TEST_CASE("streams: a block longer than read_timeout does not end in a read timeout", "[streams]") {
    auto& server = shared_server();
    auto o = options_for(server);
    // Redis ends a block on its next event-loop tick (up to 100 ms late at hz 10): the read
    // timeout leaves it room, and is still far shorter than the block.
    o.read_timeout = 300ms;
    redpool::client redis(o);
    redpool::xread_options opts;
    opts.block = 1s;  // the read deadline is block + read_timeout
    CHECK(redis.xread({{"s", "$"}}, opts).empty());
    server.command({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
    redpool::xreadgroup_options group_opts;
    group_opts.block = 1s;
    CHECK(redis.xreadgroup("g", "c", {{"s", ">"}}, group_opts).empty());
    CHECK(redis.pool_stats().total_conns == 1);  // no connection was dropped for a timeout
    check_pool_invariants(redis);
}

TEST_CASE("streams: a blocking xread receives an entry added from another connection", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    std::optional<std::vector<redpool::stream_entries>> got;
    std::jthread reader([&] {
        redpool::xread_options opts;
        opts.block = 0ms;  // for ever: the entry below (or the release) ends it
        got = redis.xread({{"s", "$"}}, opts);
    });
    {
        release_on_exit release{server, "s"};
        REQUIRE(wait_for_blocked_clients(server, 1));
        server.command({"XADD", "s", "7-0", "k", "v"});
        reader.join();
        release.armed = false;
    }
    REQUIRE(got.has_value());
    REQUIRE(got->size() == 1);
    CHECK((*got)[0].key == "s");
    REQUIRE((*got)[0].entries.size() == 1);
    CHECK((*got)[0].entries[0] == stream_entry{"7-0", {{"k", "v"}}});
    check_pool_invariants(redis);
}

// --- consumer groups ---------------------------------------------------------------------------

TEST_CASE("streams: xgroup_create makes groups that xreadgroup reads and xack acknowledges", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);

    redis.xgroup_create("s", "g", "0");
    auto busy = expect_error<redpool::reply_error>([&] { redis.xgroup_create("s", "g", "0"); });
    CHECK(busy.prefix() == "BUSYGROUP");
    expect_error<redpool::reply_error>([&] { redis.xgroup_create("missing", "g", "$"); });
    redis.xgroup_create("new", "g", "$", {.mkstream = true, .entries_read = 0});
    CHECK(server.command({"TYPE", "new"}) == "stream");

    redpool::xreadgroup_options two;
    two.count = 2;
    auto got = redis.xreadgroup("g", "alice", {{"s", ">"}}, two);
    REQUIRE(got.size() == 1);
    CHECK(got[0].key == "s");
    CHECK(ids_of(got[0].entries) == std::vector<std::string>{"1-0", "2-0"});
    got = redis.xreadgroup("g", "bob", {{"s", ">"}, {"new", ">"}});
    REQUIRE(got.size() == 1);
    CHECK(ids_of(got[0].entries) == std::vector<std::string>{"3-0"});
    CHECK(redis.xreadgroup("g", "bob", {{"s", ">"}}).empty());

    // History: a consumer's own pending entries.
    got = redis.xreadgroup("g", "alice", {{"s", "0"}});
    REQUIRE(got.size() == 1);
    CHECK(ids_of(got[0].entries) == std::vector<std::string>{"1-0", "2-0"});
    CHECK(got[0].entries[1].fields == fields{{"n", "2"}});

    CHECK(redis.xack("s", "g", {"1-0", "3-0", "9-0"}) == 2);
    const std::vector<std::string_view> ids{"2-0", "2-0"};
    CHECK(redis.xack("s", "g", std::span(ids)) == 1);
    CHECK(server.command({"XPENDING", "s", "g"}).rfind("0\n", 0) == 0);

    auto nogroup = expect_error<redpool::reply_error>([&] { redis.xreadgroup("nope", "c", {{"s", ">"}}); });
    CHECK(nogroup.prefix() == "NOGROUP");
    CHECK(redis.xgroup_destroy("s", "g"));
    CHECK_FALSE(redis.xgroup_destroy("s", "g"));
    check_pool_invariants(redis);
}

TEST_CASE("streams: xack of one id acknowledges that entry", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("s\0\xff", 3);
    add_numbered(server, key, 2);
    server.command({"XGROUP", "CREATE", key, "g", "0"});
    server.command({"XREADGROUP", "GROUP", "g", "c", "STREAMS", key, ">"});
    const std::string id = "1-0";
    CHECK(redis.xack(key, "g", id) == 1);  // a std::string: the single-id overload
    CHECK(redis.xack(key, "g", "1-0") == 0);
    CHECK(redis.xack(key, "nope", "2-0") == 0);
    auto pending = redis.xpending(key, "g", "-", "+", 10);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].id == "2-0");
    check_pool_invariants(redis);
}

TEST_CASE("streams: xreadgroup with NOACK leaves nothing pending", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 2);
    redis.xgroup_create("s", "g", "0");
    redpool::xreadgroup_options opts;
    opts.no_ack = true;
    auto got = redis.xreadgroup("g", "c", {{"s", ">"}}, opts);
    REQUIRE(got.size() == 1);
    CHECK(got[0].entries.size() == 2);
    CHECK(redis.xpending("s", "g").count == 0);
    check_pool_invariants(redis);
}

TEST_CASE("streams: xreadgroup re-reads an entry deleted while pending with no fields", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 2);
    redis.xgroup_create("s", "g", "0");
    redis.xreadgroup("g", "c", {{"s", ">"}});
    server.command({"XDEL", "s", "1-0"});
    auto got = redis.xreadgroup("g", "c", {{"s", "0"}});
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].entries.size() == 2);
    CHECK(got[0].entries[0] == stream_entry{"1-0", {}});
    CHECK(got[0].entries[1] == stream_entry{"2-0", {{"n", "2"}}});
    check_pool_invariants(redis);
}

TEST_CASE("streams: xreadgroup with a short block returns empty when nothing arrives", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
    redpool::xreadgroup_options opts;
    opts.block = 50ms;
    CHECK(redis.xreadgroup("g", "c", {{"s", ">"}}, opts).empty());
    check_pool_invariants(redis);
}

TEST_CASE("streams: a blocking xreadgroup receives an entry added from another connection", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
    std::vector<redpool::stream_entries> got;
    std::jthread reader([&] {
        redpool::xreadgroup_options opts;
        opts.block = 30s;  // far longer than read_timeout (3 s): the deadline follows BLOCK
        got = redis.xreadgroup("g", "c", {{"s", ">"}}, opts);
    });
    {
        release_on_exit release{server, "s"};
        REQUIRE(wait_for_blocked_clients(server, 1));
        server.command({"XADD", "s", "5-0", "k", "v"});
        reader.join();
        release.armed = false;
    }
    REQUIRE(got.size() == 1);
    CHECK(got[0].entries == std::vector<stream_entry>{{"5-0", {{"k", "v"}}}});
    CHECK(redis.xpending("s", "g").count == 1);
    check_pool_invariants(redis);
}

TEST_CASE("streams: xgroup setid, createconsumer and delconsumer", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    redis.xgroup_create("s", "g", "$");
    CHECK(redis.xreadgroup("g", "c", {{"s", ">"}}).empty());
    redis.xgroup_setid("s", "g", "1-0");
    auto got = redis.xreadgroup("g", "c", {{"s", ">"}});
    REQUIRE(got.size() == 1);
    CHECK(ids_of(got[0].entries) == std::vector<std::string>{"2-0", "3-0"});
    redis.xgroup_setid("s", "g", "0", 0);
    auto groups = redis.xinfo_groups("s");
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].last_delivered_id == "0-0");
    CHECK(groups[0].entries_read == 0);

    CHECK(redis.xgroup_createconsumer("s", "g", "idle"));
    CHECK_FALSE(redis.xgroup_createconsumer("s", "g", "idle"));
    CHECK(redis.xgroup_delconsumer("s", "g", "c") == 2);  // its two pending entries went with it
    CHECK(redis.xgroup_delconsumer("s", "g", "idle") == 0);
    CHECK(redis.xinfo_consumers("s", "g").empty());
    CHECK(redis.xpending("s", "g").count == 0);
    expect_error<redpool::reply_error>([&] { redis.xgroup_setid("s", "nope", "0"); });
    check_pool_invariants(redis);
}

TEST_CASE("streams: xpending summarizes and lists the pending entries", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    redis.xgroup_create("s", "g", "0");

    auto empty = redis.xpending("s", "g");
    CHECK(empty.count == 0);
    CHECK(empty.smallest_id == std::nullopt);
    CHECK(empty.greatest_id == std::nullopt);
    CHECK(empty.consumers.empty());
    CHECK(redis.xpending("s", "g", "-", "+", 10).empty());

    redpool::xreadgroup_options one;
    one.count = 1;
    redis.xreadgroup("g", "alice", {{"s", ">"}}, one);
    redis.xreadgroup("g", "bob", {{"s", ">"}});
    redis.xreadgroup("g", "bob", {{"s", "0"}});  // re-delivered: 2 deliveries each

    auto summary = redis.xpending("s", "g");
    CHECK(summary.count == 3);
    CHECK(summary.smallest_id == "1-0");
    CHECK(summary.greatest_id == "3-0");
    REQUIRE(summary.consumers.size() == 2);
    CHECK(summary.consumers[0].name == "alice");
    CHECK(summary.consumers[0].pending == 1);
    CHECK(summary.consumers[1].name == "bob");
    CHECK(summary.consumers[1].pending == 2);

    auto entries = redis.xpending("s", "g", "-", "+", 10);
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].id == "1-0");
    CHECK(entries[0].consumer == "alice");
    CHECK(entries[0].deliveries == 1);
    CHECK(entries[0].idle < 1h);
    CHECK(entries[2].id == "3-0");
    CHECK(entries[2].consumer == "bob");
    CHECK(entries[2].deliveries == 2);

    CHECK(redis.xpending("s", "g", "(1-0", "+", 1).at(0).id == "2-0");
    auto bobs = redis.xpending("s", "g", "-", "+", 10, {.consumer = "bob"});
    CHECK(bobs.size() == 2);
    CHECK(redis.xpending("s", "g", "-", "+", 10, {.consumer = "nobody"}).empty());
    CHECK(redis.xpending("s", "g", "-", "+", 10, {.min_idle = 1h}).empty());

    auto nogroup = expect_error<redpool::reply_error>([&] { redis.xpending("s", "nope"); });
    CHECK(nogroup.prefix() == "NOGROUP");
    check_pool_invariants(redis);
}

TEST_CASE("streams: xclaim hands pending entries to another consumer", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 4);
    redis.xgroup_create("s", "g", "0");
    redpool::xreadgroup_options three;
    three.count = 3;
    redis.xreadgroup("g", "alice", {{"s", ">"}}, three);

    // Nothing has been idle for an hour.
    CHECK(redis.xclaim("s", "g", "bob", 1h, {"1-0"}).empty());

    redpool::xclaim_options opts;
    opts.idle = 1h;
    opts.retry_count = 7;
    auto claimed = redis.xclaim("s", "g", "bob", 0ms, {"1-0", "9-0"}, opts);
    CHECK(claimed == std::vector<stream_entry>{{"1-0", {{"n", "1"}}}});
    auto pending = redis.xpending("s", "g", "1-0", "1-0", 1);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].consumer == "bob");
    CHECK(pending[0].deliveries == 7);
    CHECK(pending[0].idle >= 1h);

    redpool::xclaim_options at;
    at.time = std::chrono::system_clock::now() - 2h;
    const std::vector<std::string_view> ids{"2-0"};
    CHECK(redis.xclaim_justid("s", "g", "carol", 0ms, std::span(ids), at) == std::vector<std::string>{"2-0"});
    pending = redis.xpending("s", "g", "2-0", "2-0", 1);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].consumer == "carol");
    CHECK(pending[0].deliveries == 1);  // JUSTID leaves the count alone
    CHECK(pending[0].idle >= 2h);

    // FORCE claims an entry that was never delivered.
    CHECK(redis.xclaim_justid("s", "g", "carol", 0ms, {"4-0"}).empty());
    redpool::xclaim_options force;
    force.force = true;
    CHECK(redis.xclaim("s", "g", "carol", 0ms, {"4-0"}, force).size() == 1);
    CHECK(redis.xpending("s", "g").count == 4);

    // A deleted entry is dropped from the pending list and not returned.
    server.command({"XDEL", "s", "3-0"});
    CHECK(redis.xclaim("s", "g", "bob", 0ms, {"3-0"}).empty());
    CHECK(redis.xpending("s", "g").count == 3);
    CHECK(expect_error([&] { redis.xclaim("s", "g", "bob", 0ms, {}); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("streams: xclaim with both idle and time throws before anything is sent", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 1);
    server.command({"XGROUP", "CREATE", "s", "g", "0"});
    server.command({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
    redpool::xclaim_options both;
    both.idle = 1h;
    both.time = std::chrono::system_clock::now() - 2h;
    CHECK(expect_error([&] { redis.xclaim("s", "g", "bob", 0ms, {"1-0"}, both); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.xclaim_justid("s", "g", "bob", 0ms, {"1-0"}, both); }).code() ==
          errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "xclaim"));
    auto pending = redis.xpending("s", "g", "-", "+", 1);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].consumer == "alice");
    check_pool_invariants(redis);
}

TEST_CASE("streams: xautoclaim pages through the pending list and reports deleted entries", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    redis.xgroup_create("s", "g", "0");
    redis.xreadgroup("g", "alice", {{"s", ">"}});
    server.command({"XDEL", "s", "2-0"});

    auto page = redis.xautoclaim("s", "g", "bob", 0ms, "0-0", 1);
    CHECK(page.next_start_id == "2-0");
    CHECK(page.claimed == std::vector<stream_entry>{{"1-0", {{"n", "1"}}}});
    CHECK(page.deleted_ids.empty());

    auto ids = redis.xautoclaim_justid("s", "g", "bob", 0ms, page.next_start_id);
    CHECK(ids.next_start_id == "0-0");
    CHECK(ids.claimed == std::vector<std::string>{"3-0"});
    CHECK(ids.deleted_ids == std::vector<std::string>{"2-0"});

    auto none = redis.xautoclaim("s", "g", "carol", 1h, "0-0");
    CHECK(none.next_start_id == "0-0");
    CHECK(none.claimed.empty());
    auto summary = redis.xpending("s", "g");
    CHECK(summary.count == 2);
    REQUIRE(summary.consumers.size() == 1);
    CHECK(summary.consumers[0].name == "bob");
    check_pool_invariants(redis);
}

// --- counts ------------------------------------------------------------------------------------

TEST_CASE("streams: a negative count throws before anything is sent, 0 sends no COUNT", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    server.command({"XGROUP", "CREATE", "s", "g", "0"});
    auto refused = [](auto body) { CHECK(expect_error(body).code() == errc::invalid_argument); };
    refused([&] { redis.xrange("s", "-", "+", -1); });
    refused([&] { redis.xrevrange("s", "+", "-", -1); });
    refused([&] { redis.xread({{"s", "0"}}, {.count = -1}); });
    refused([&] { redis.xreadgroup("g", "c", {{"s", ">"}}, {.count = -1}); });
    refused([&] { redis.xautoclaim("s", "g", "c", 0ms, "0-0", -1); });
    refused([&] { redis.xautoclaim_justid("s", "g", "c", 0ms, "0-0", -1); });
    refused([&] { redis.xpending("s", "g", "-", "+", -1); });
    for (const char* name : {"xrange", "xrevrange", "xread", "xreadgroup", "xautoclaim", "xpending"})
        CHECK_FALSE(server_ran(server, name));
    CHECK(server.command({"XPENDING", "s", "g"}).rfind("0\n", 0) == 0);  // nothing was read

    // 0: no COUNT, so every entry (where Redis's own COUNT 0 of XRANGE would return none).
    CHECK(redis.xrange("s", "-", "+", 0).size() == 3);
    CHECK(redis.xrevrange("s", "+", "-", 0).size() == 3);
    auto got = redis.xread({{"s", "0"}}, {.count = 0});
    REQUIRE(got.size() == 1);
    CHECK(got[0].entries.size() == 3);
    got = redis.xreadgroup("g", "c", {{"s", ">"}}, {.count = 0});
    REQUIRE(got.size() == 1);
    CHECK(got[0].entries.size() == 3);
    // XAUTOCLAIM refuses COUNT 0; none sent is the server's default of 100.
    CHECK(redis.xautoclaim_justid("s", "g", "d", 0ms, "0-0", 0).claimed.size() == 3);
    // XPENDING's count is required: 0 is sent, and lists nothing.
    CHECK(redis.xpending("s", "g", "-", "+", 0).empty());
    CHECK(redis.xpending("s", "g", "-", "+", 3).size() == 3);
    check_pool_invariants(redis);
}

// --- XSETID and XINFO --------------------------------------------------------------------------

TEST_CASE("streams: xinfo_stream reports the stream, xsetid changes its ids", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    server.command({"XDEL", "s", "1-0"});
    server.command({"XGROUP", "CREATE", "s", "g", "0"});

    auto info = redis.xinfo_stream("s");
    CHECK(info.length == 2);
    CHECK(info.radix_tree_keys >= 1);
    CHECK(info.radix_tree_nodes >= 1);
    CHECK(info.last_generated_id == "3-0");
    CHECK(info.max_deleted_entry_id == "1-0");
    CHECK(info.entries_added == 3);
    CHECK(info.recorded_first_entry_id == "2-0");
    CHECK(info.groups == 1);
    CHECK(info.first_entry == stream_entry{"2-0", {{"n", "2"}}});
    CHECK(info.last_entry == stream_entry{"3-0", {{"n", "3"}}});

    auto e = expect_error<redpool::reply_error>([&] { redis.xsetid("s", "2-5"); });
    CHECK(e.prefix() == "ERR");  // below the last entry
    redis.xsetid("s", "10-0", {.entries_added = 20, .max_deleted_id = "5-0"});
    server.command({"XTRIM", "s", "MAXLEN", "0"});
    info = redis.xinfo_stream("s");
    CHECK(info.length == 0);
    CHECK(info.last_generated_id == "10-0");
    CHECK(info.entries_added == 20);
    CHECK(info.max_deleted_entry_id == "5-0");
    CHECK(info.first_entry == std::nullopt);
    CHECK(info.last_entry == std::nullopt);
    redis.xsetid("s", "11-0");
    CHECK(redis.xinfo_stream("s").last_generated_id == "11-0");

    expect_error<redpool::reply_error>([&] { redis.xsetid("s", "12-0", {.max_deleted_id = "13-0"}); });
    CHECK(redis.xinfo_stream("s").last_generated_id == "11-0");
    expect_error<redpool::reply_error>([&] { redis.xinfo_stream("missing"); });
    check_pool_invariants(redis);
}

TEST_CASE("streams: xinfo_groups and xinfo_consumers describe the groups", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_numbered(server, "s", 3);
    CHECK(redis.xinfo_groups("s").empty());
    redis.xgroup_create("s", "g1", "0");
    redis.xgroup_create("s", "g2", "$");
    redpool::xreadgroup_options two;
    two.count = 2;
    redis.xreadgroup("g1", "alice", {{"s", ">"}}, two);
    redis.xgroup_createconsumer("s", "g1", "bob");

    auto groups = redis.xinfo_groups("s");
    REQUIRE(groups.size() == 2);
    CHECK(groups[0].name == "g1");
    CHECK(groups[0].consumers == 2);
    CHECK(groups[0].pending == 2);
    CHECK(groups[0].last_delivered_id == "2-0");
    CHECK(groups[0].entries_read == 2);
    CHECK(groups[0].lag == 1);
    CHECK(groups[1].name == "g2");
    CHECK(groups[1].consumers == 0);
    CHECK(groups[1].last_delivered_id == "3-0");
    CHECK(groups[1].lag == 0);

    auto consumers = redis.xinfo_consumers("s", "g1");
    REQUIRE(consumers.size() == 2);
    CHECK(consumers[0].name == "alice");
    CHECK(consumers[0].pending == 2);
    CHECK(consumers[0].idle < 1h);
    CHECK(consumers[1].name == "bob");
    CHECK(consumers[1].pending == 0);
    // `inactive` is reported from Redis 7.2 on.
    const bool has_inactive = server.command({"INFO", "server"}).find("redis_version:7.0.") == std::string::npos;
    CHECK(consumers[0].inactive.has_value() == has_inactive);

    auto nogroup = expect_error<redpool::reply_error>([&] { redis.xinfo_consumers("s", "nope"); });
    CHECK(nogroup.prefix() == "NOGROUP");
    expect_error<redpool::reply_error>([&] { redis.xinfo_groups("missing"); });
    check_pool_invariants(redis);
}

// --- arguments -------------------------------------------------------------------------------

namespace {

std::vector<std::string> args_of(const auto& command) {
    return {command.args().begin(), command.args().end()};
}

}  // namespace

TEST_CASE("streams: factories send options in Redis's order, BLOCK in whole milliseconds", "[streams]") {
    using V = std::vector<std::string>;
    namespace cmd = redpool::cmd;
    CHECK(args_of(cmd::xadd("s", "*", {{"f", "v"}}, {.max_len = 5, .approximate = true, .limit = 10})) ==
          V{"XADD", "s", "MAXLEN", "~", "5", "LIMIT", "10", "*", "f", "v"});
    CHECK(args_of(cmd::xadd_nomkstream("s", "1-0", {{"f", "v"}}, {.min_id = "0-9"})) ==
          V{"XADD", "s", "NOMKSTREAM", "MINID", "=", "0-9", "1-0", "f", "v"});
    CHECK(args_of(cmd::xread({{"a", "0"}, {"b", "$"}}, {.count = 3, .block = 1500ms})) ==
          V{"XREAD", "COUNT", "3", "BLOCK", "1500", "STREAMS", "a", "b", "0", "$"});
    CHECK(args_of(cmd::xreadgroup("g", "c", {{"a", ">"}}, {.count = 1, .block = 0ms, .no_ack = true})) ==
          V{"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "0", "NOACK", "STREAMS", "a", ">"});
    CHECK(args_of(cmd::xpending("s", "g", "-", "+", 5, {.min_idle = 100ms, .consumer = "c"})) ==
          V{"XPENDING", "s", "g", "IDLE", "100", "-", "+", "5", "c"});
    CHECK(args_of(cmd::xclaim("s", "g", "c", 10ms, {"1-0"}, {.idle = 5ms, .retry_count = 2, .force = true})) ==
          V{"XCLAIM", "s", "g", "c", "10", "1-0", "IDLE", "5", "RETRYCOUNT", "2", "FORCE"});
    CHECK(args_of(cmd::xautoclaim_justid("s", "g", "c", 10ms, "0-0", 7)) ==
          V{"XAUTOCLAIM", "s", "g", "c", "10", "0-0", "COUNT", "7", "JUSTID"});
    // A count of 0 sends no COUNT.
    CHECK(args_of(cmd::xrange("s", "-", "+", 0)) == V{"XRANGE", "s", "-", "+"});
    CHECK(args_of(cmd::xrevrange("s", "+", "-", 2)) == V{"XREVRANGE", "s", "+", "-", "COUNT", "2"});
    CHECK(args_of(cmd::xread({{"a", "0"}}, {.count = 0})) == V{"XREAD", "STREAMS", "a", "0"});
    CHECK(args_of(cmd::xautoclaim("s", "g", "c", 0ms, "0-0", 0)) == V{"XAUTOCLAIM", "s", "g", "c", "0", "0-0"});
    CHECK(args_of(cmd::xpending("s", "g", "-", "+", 0)) == V{"XPENDING", "s", "g", "-", "+", "0"});
    // The single-id overloads, and a braced list still taking the list overload.
    CHECK(args_of(cmd::xack("s", "g", "1-0")) == V{"XACK", "s", "g", "1-0"});
    CHECK(args_of(cmd::xack("s", "g", {"1-0", "2-0"})) == V{"XACK", "s", "g", "1-0", "2-0"});
    CHECK(args_of(cmd::xdel("s", "1-0")) == V{"XDEL", "s", "1-0"});
    CHECK(args_of(cmd::xdel("s", {"1-0"})) == V{"XDEL", "s", "1-0"});
}

// --- errors ------------------------------------------------------------------------------------

TEST_CASE("streams: commands on a key of another type throw WRONGTYPE", "[streams]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "str", "v"});
    expect_wrongtype([&] { redis.xadd("str", "*", {{"a", "1"}}); });
    expect_wrongtype([&] { redis.xrange("str", "-", "+"); });
    expect_wrongtype([&] { redis.xrevrange("str", "+", "-"); });
    expect_wrongtype([&] { redis.xlen("str"); });
    expect_wrongtype([&] { redis.xread({{"str", "0"}}); });
    expect_wrongtype([&] { redis.xdel("str", {"1-0"}); });
    expect_wrongtype([&] { redis.xtrim("str", {.max_len = 1}); });
    expect_wrongtype([&] { redis.xinfo_stream("str"); });
    expect_wrongtype([&] { redis.xgroup_create("str", "g", "$"); });
    CHECK(server.command({"GET", "str"}) == "v");
    check_pool_invariants(redis);
}
