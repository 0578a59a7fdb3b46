// redpool::client's list commands against a real redis-server: pushes and pops, ranges,
// LINSERT/LREM/LTRIM/LPOS, LMOVE/LMPOP and the blocking pops (timeouts, data already there,
// data arriving from another connection while blocked, blocks longer than read_timeout),
// checked where it matters through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::insert_position;
using redpool::list_end;
using redpool::test::bad_utf8;
using redpool::test::check_pool_invariants;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::server_ran;
using redpool::test::shared_server;
using redpool::test::wait_for_blocked_clients;
using redpool::test::with_nul;

namespace {

using strings = std::vector<std::string>;

const std::string nul_key("list\0key", 8);

// The admin connection renders an array as its elements on separate lines.
std::string lines(const strings& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : "\n") + items[i];
    return out;
}

std::string admin_range(const redis_server& server, const std::string& key) {
    return server.command({"LRANGE", key, "0", "-1"});
}

// From another thread: once a client is blocked on the server, waits `delay` and runs `args`
// on an admin connection, so the data arrives while the blocking command waits for it (or
// after a while regardless, so nothing hangs). `saw_block()` joins the thread and says whether
// the client really was blocked when the data came.
class run_when_blocked {
public:
    run_when_blocked(const redis_server& server, std::vector<std::string> args, std::chrono::milliseconds delay = 0ms)
        : thread_([this, &server, args = std::move(args), delay] {
              blocked_ = wait_for_blocked_clients(server, 1);
              std::this_thread::sleep_for(delay);
              server.admin().command(args);
          }) {}

    bool saw_block() {
        thread_.join();
        return blocked_;
    }

private:
    std::atomic<bool> blocked_{false};
    std::jthread thread_;  // last, so it starts once blocked_ exists
};

// A client whose read_timeout is shorter than the blocks the tests ask for.
redpool::options short_read_timeout(const redis_server& server) {
    auto o = options_for(server);
    o.read_timeout = 200ms;
    return o;
}

}  // namespace

// --- pushes ------------------------------------------------------------------------------------

TEST_CASE("lists: lpush and rpush add values at either end and return the length", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.rpush("l", {"b", "c"}) == 2);
    CHECK(redis.lpush("l", {"a", "z"}) == 4);  // each value in turn at the head: z, a, b, c
    CHECK(admin_range(server, "l") == lines({"z", "a", "b", "c"}));

    const std::vector<std::string_view> more{"d", "e"};
    CHECK(redis.rpush("l", more) == 6);
    CHECK(redis.lpush("l", std::span<const std::string_view>(more).first(1)) == 7);
    CHECK(admin_range(server, "l") == lines({"d", "z", "a", "b", "c", "d", "e"}));

    CHECK(expect_error([&] { redis.lpush("l", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.rpush("l", std::span<const std::string_view>()); }).code() ==
          errc::invalid_argument);
    CHECK(server.command({"LLEN", "l"}) == "7");
    check_pool_invariants(redis);
}

TEST_CASE("lists: single-value pushes add one value at either end", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lpushx("l", "x") == 0);  // no list: nothing created
    CHECK(redis.rpushx("l", "x") == 0);
    CHECK(server.command({"EXISTS", "l"}) == "0");

    CHECK(redis.rpush("l", "b") == 1);
    CHECK(redis.lpush("l", with_nul) == 2);
    CHECK(redis.rpush("l", std::string("c")) == 3);
    CHECK(redis.lpushx("l", "a") == 4);
    CHECK(redis.rpushx("l", bad_utf8) == 5);
    CHECK(admin_range(server, "l") == lines({"a", with_nul, "b", "c", bad_utf8}));
    CHECK(redis.lpush("l", {"one"}) == 6);  // a braced list still picks the list form
    CHECK(server.command({"LINDEX", "l", "0"}) == "one");
    check_pool_invariants(redis);
}

TEST_CASE("lists: binary keys and values round-trip through pushes and pops", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.rpush(nul_key, {with_nul, bad_utf8, ""}) == 3);
    CHECK(server.command({"LINDEX", nul_key, "0"}) == with_nul);
    CHECK(server.command({"LINDEX", nul_key, "1"}) == bad_utf8);
    CHECK(redis.lrange(nul_key, 0, -1) == strings{with_nul, bad_utf8, ""});
    CHECK(redis.lindex(nul_key, 1) == bad_utf8);
    CHECK(redis.lpos(nul_key, bad_utf8) == 1);
    CHECK(redis.lpop(nul_key) == with_nul);
    CHECK(redis.rpop(nul_key) == std::string());
    CHECK(redis.lpop(nul_key, 5) == strings{bad_utf8});
    CHECK(server.command({"EXISTS", nul_key}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("lists: lpushx and rpushx push only onto an existing list", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lpushx("l", {"a"}) == 0);
    CHECK(redis.rpushx("l", {"a"}) == 0);
    CHECK(server.command({"EXISTS", "l"}) == "0");

    server.command({"RPUSH", "l", "m"});
    CHECK(redis.lpushx("l", {"b", "a"}) == 3);
    const std::vector<std::string_view> tail{"y", "z"};
    CHECK(redis.rpushx("l", tail) == 5);
    CHECK(admin_range(server, "l") == lines({"a", "b", "m", "y", "z"}));
    CHECK(expect_error([&] { redis.lpushx("l", {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.rpushx("l", {}); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

// --- pops --------------------------------------------------------------------------------------

TEST_CASE("lists: lpop and rpop return one element, or nullopt for a missing key", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lpop("missing") == std::nullopt);
    CHECK(redis.rpop("missing") == std::nullopt);

    server.command({"RPUSH", "l", "a", "b", "c"});
    CHECK(redis.lpop("l") == "a");
    CHECK(redis.rpop("l") == "c");
    CHECK(admin_range(server, "l") == "b");
    CHECK(redis.rpop("l") == "b");
    CHECK(server.command({"EXISTS", "l"}) == "0");  // the last pop deleted the key
    CHECK(redis.lpop("l") == std::nullopt);
    check_pool_invariants(redis);
}

TEST_CASE("lists: lpop and rpop with a count return up to count elements in pop order", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lpop("missing", 2).empty());
    CHECK(redis.rpop("missing", 2).empty());

    server.command({"RPUSH", "l", "a", "b", "c", "d", "e"});
    CHECK(redis.lpop("l", 2) == strings{"a", "b"});
    CHECK(redis.rpop("l", 2) == strings{"e", "d"});
    CHECK(redis.lpop("l", 0).empty());
    CHECK(admin_range(server, "l") == "c");
    CHECK(redis.rpop("l", 10) == strings{"c"});
    CHECK(server.command({"EXISTS", "l"}) == "0");

    server.command({"RPUSH", "l", "a"});
    CHECK(expect_error([&] { redis.lpop("l", -1); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.rpop("l", -1); }).code() == errc::invalid_argument);
    CHECK(server.command({"LLEN", "l"}) == "1");
    check_pool_invariants(redis);
}

// --- reading -----------------------------------------------------------------------------------

TEST_CASE("lists: lrange, llen and lindex read ranges and indexes from either end", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lrange("missing", 0, -1).empty());
    CHECK(redis.llen("missing") == 0);
    CHECK(redis.lindex("missing", 0) == std::nullopt);

    server.command({"RPUSH", "l", "a", "b", "c", "d"});
    CHECK(redis.llen("l") == 4);
    CHECK(redis.lrange("l", 0, -1) == strings{"a", "b", "c", "d"});
    CHECK(redis.lrange("l", 1, 2) == strings{"b", "c"});
    CHECK(redis.lrange("l", -2, -1) == strings{"c", "d"});
    CHECK(redis.lrange("l", 2, 100) == strings{"c", "d"});
    CHECK(redis.lrange("l", 5, 10).empty());
    CHECK(redis.lrange("l", 3, 1).empty());
    CHECK(redis.lindex("l", 0) == "a");
    CHECK(redis.lindex("l", -1) == "d");
    CHECK(redis.lindex("l", 4) == std::nullopt);
    CHECK(redis.lindex("l", -5) == std::nullopt);
    check_pool_invariants(redis);
}

// --- changing elements -------------------------------------------------------------------------

TEST_CASE("lists: lset replaces an element and throws for a missing key or a bad index", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "l", "a", "b", "c"});
    redis.lset("l", 1, with_nul);
    redis.lset("l", -1, "z");
    CHECK(admin_range(server, "l") == lines({"a", with_nul, "z"}));

    auto missing = expect_error<redpool::reply_error>([&] { redis.lset("missing", 0, "v"); });
    CHECK(std::string_view(missing.what()).find("no such key") != std::string_view::npos);
    auto range = expect_error<redpool::reply_error>([&] { redis.lset("l", 3, "v"); });
    CHECK(std::string_view(range.what()).find("index out of range") != std::string_view::npos);
    CHECK(server.command({"EXISTS", "missing"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("lists: linsert puts a value before or after the pivot, -1 without one", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.linsert("missing", insert_position::before, "a", "x") == 0);
    CHECK(server.command({"EXISTS", "missing"}) == "0");

    server.command({"RPUSH", "l", "a", "b", "a"});
    CHECK(redis.linsert("l", insert_position::before, "a", "x") == 4);  // the first "a" only
    CHECK(redis.linsert("l", insert_position::after, "b", "y") == 5);
    CHECK(redis.linsert("l", insert_position::after, "nope", "z") == -1);
    CHECK(redis.linsert("l", insert_position::after, bad_utf8, "z") == -1);
    CHECK(admin_range(server, "l") == lines({"x", "a", "b", "y", "a"}));
    CHECK(redis.linsert("l", insert_position::after, "y", with_nul) == 6);
    CHECK(server.command({"LINDEX", "l", "4"}) == with_nul);
    check_pool_invariants(redis);
}

TEST_CASE("lists: lrem removes matches from the head, the tail, or everywhere", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lrem("missing", 0, "a") == 0);

    server.command({"RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"});
    CHECK(redis.lrem("l", 1, "a") == 1);  // from the head
    CHECK(admin_range(server, "l") == lines({"b", "a", "c", "a", "b", "a"}));
    CHECK(redis.lrem("l", -2, "a") == 2);  // from the tail
    CHECK(admin_range(server, "l") == lines({"b", "a", "c", "b"}));
    CHECK(redis.lrem("l", 0, "b") == 2);  // all of them
    CHECK(admin_range(server, "l") == lines({"a", "c"}));
    CHECK(redis.lrem("l", 0, "zz") == 0);
    check_pool_invariants(redis);
}

TEST_CASE("lists: ltrim keeps a range and deletes the list when the range is empty", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    redis.ltrim("missing", 0, 1);
    CHECK(server.command({"EXISTS", "missing"}) == "0");

    server.command({"RPUSH", "l", "a", "b", "c", "d", "e"});
    redis.ltrim("l", 1, -2);
    CHECK(admin_range(server, "l") == lines({"b", "c", "d"}));
    redis.ltrim("l", -2, -1);
    CHECK(admin_range(server, "l") == lines({"c", "d"}));
    redis.ltrim("l", 5, 10);
    CHECK(server.command({"EXISTS", "l"}) == "0");
    check_pool_invariants(redis);
}

// --- LPOS --------------------------------------------------------------------------------------

TEST_CASE("lists: lpos finds one match by rank and within maxlen, nullopt for none", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lpos("missing", "a") == std::nullopt);

    server.command({"RPUSH", "l", "a", "b", "c", "a", "b", "a"});
    CHECK(redis.lpos("l", "a") == 0);
    CHECK(redis.lpos("l", "b") == 1);
    CHECK(redis.lpos("l", "zz") == std::nullopt);

    redpool::lpos_options second;
    second.rank = 2;
    CHECK(redis.lpos("l", "a", second) == 3);
    redpool::lpos_options last;
    last.rank = -1;
    CHECK(redis.lpos("l", "a", last) == 5);
    last.rank = -3;
    CHECK(redis.lpos("l", "a", last) == 0);
    last.rank = -4;
    CHECK(redis.lpos("l", "a", last) == std::nullopt);

    redpool::lpos_options near;
    near.max_len = 2;
    CHECK(redis.lpos("l", "c", near) == std::nullopt);  // c is the third element
    near.max_len = 3;
    CHECK(redis.lpos("l", "c", near) == 2);
    near.rank = -1;
    near.max_len = 2;
    CHECK(redis.lpos("l", "b", near) == 4);  // from the tail: a, b
    check_pool_invariants(redis);
}

TEST_CASE("lists: lpos with braced default options still finds one match", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "l", "x", "a", "a"});
    // `{}` is lpos_options, never a count: the single-match form answers with an index.
    static_assert(std::is_same_v<decltype(redis.lpos("l", "a", {})), std::optional<long long>>);
    static_assert(
        std::is_same_v<decltype(redpool::cmd::lpos("l", "a", {})), redpool::command<std::optional<long long>>>);
    CHECK(redis.lpos("l", "a", {}) == 1);
    CHECK(redis.lpos("l", "zz", {}) == std::nullopt);
    check_pool_invariants(redis);
}

TEST_CASE("lists: lpos with a count lists the matches' indexes", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lpos_count("missing", "a", 0).empty());

    server.command({"RPUSH", "l", "a", "b", "c", "a", "b", "a"});
    CHECK(redis.lpos_count("l", "a", 0) == std::vector<long long>{0, 3, 5});
    CHECK(redis.lpos_count("l", "a", 2) == std::vector<long long>{0, 3});
    CHECK(redis.lpos_count("l", "zz", 0).empty());

    redpool::lpos_options from_tail;
    from_tail.rank = -1;
    CHECK(redis.lpos_count("l", "a", 0, from_tail) == std::vector<long long>{5, 3, 0});
    redpool::lpos_options second;
    second.rank = 2;
    second.max_len = 5;
    CHECK(redis.lpos_count("l", "a", 0, second) == std::vector<long long>{3});
    check_pool_invariants(redis);
}

TEST_CASE("lists: lpos rejects a zero rank and negative counts before sending", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "l", "a"});
    redpool::lpos_options zero_rank;
    zero_rank.rank = 0;
    CHECK(expect_error([&] { redis.lpos("l", "a", zero_rank); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.lpos_count("l", "a", 1, zero_rank); }).code() == errc::invalid_argument);
    redpool::lpos_options negative_len;
    negative_len.max_len = -1;
    CHECK(expect_error([&] { redis.lpos("l", "a", negative_len); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.lpos_count("l", "a", -1); }).code() == errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "lpos"));
    check_pool_invariants(redis);
}

// --- moving between lists ----------------------------------------------------------------------

TEST_CASE("lists: lmove moves an element between any ends, nullopt from an empty source", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lmove("missing", "dst", list_end::left, list_end::right) == std::nullopt);
    CHECK(server.command({"EXISTS", "dst"}) == "0");

    server.command({"RPUSH", "src", "a", "b", "c", "d"});
    CHECK(redis.lmove("src", "dst", list_end::left, list_end::right) == "a");
    CHECK(redis.lmove("src", "dst", list_end::right, list_end::right) == "d");
    CHECK(redis.lmove("src", "dst", list_end::left, list_end::left) == "b");
    CHECK(redis.lmove("src", "dst", list_end::right, list_end::left) == "c");
    CHECK(admin_range(server, "dst") == lines({"c", "b", "a", "d"}));
    CHECK(server.command({"EXISTS", "src"}) == "0");

    CHECK(redis.lmove("dst", "dst", list_end::left, list_end::right) == "c");  // rotates
    CHECK(admin_range(server, "dst") == lines({"b", "a", "d", "c"}));
    check_pool_invariants(redis);
}

TEST_CASE("lists: lmpop pops from the first non-empty list, nullopt if all are empty", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.lmpop({"a", "b"}, list_end::left) == std::nullopt);

    server.command({"RPUSH", "b", "1", "2", "3"});
    server.command({"RPUSH", "c", "x"});
    auto popped = redis.lmpop({"a", "b", "c"}, list_end::left);
    REQUIRE(popped.has_value());
    CHECK(popped->first == "b");
    CHECK(popped->second == strings{"1"});

    const std::vector<std::string_view> keys{"a", "b", "c"};
    popped = redis.lmpop(keys, list_end::right, 5);
    REQUIRE(popped.has_value());
    CHECK(popped->first == "b");
    CHECK(popped->second == strings{"3", "2"});
    CHECK(server.command({"EXISTS", "b"}) == "0");

    popped = redis.lmpop(keys, list_end::right, 2);
    REQUIRE(popped.has_value());
    CHECK(popped->first == "c");
    CHECK(popped->second == strings{"x"});

    CHECK(expect_error([&] { redis.lmpop({}, list_end::left); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.lmpop({"a"}, list_end::left, 0); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("lists: list commands on a string throw WRONGTYPE", "[lists]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "s", "v"});
    auto e = expect_error<redpool::reply_error>([&] { redis.lpush("s", {"x"}); });
    CHECK(e.prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.rpush("s", {"x"}); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.lpop("s"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.rpop("s", 2); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.lrange("s", 0, -1); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.llen("s"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.lindex("s", 0); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] {
              redis.linsert("s", insert_position::after, "a", "b");
          }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.lpos("s", "v"); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] {
              redis.lmove("s", "d", list_end::left, list_end::left);
          }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.lmpop({"s"}, list_end::left); }).prefix() == "WRONGTYPE");
    CHECK(expect_error<redpool::reply_error>([&] { redis.blpop({"s"}, 100ms); }).prefix() == "WRONGTYPE");
    CHECK(server.command({"GET", "s"}) == "v");
    check_pool_invariants(redis);
}

// --- blocking pops -----------------------------------------------------------------------------

TEST_CASE("lists: blpop and brpop return nullopt when nothing arrives in time", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.blpop({"a", "b"}, 100ms) == std::nullopt);
    const std::vector<std::string_view> keys{"a"};
    CHECK(redis.brpop(keys, 100ms) == std::nullopt);
    CHECK(server.command({"EXISTS", "a", "b"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("lists: blpop and brpop return what is already there at once", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "b", "1", "2", "3"});
    server.command({"RPUSH", nul_key, with_nul});
    CHECK(redis.blpop({"a", "b"}, 5s) == std::pair<std::string, std::string>("b", "1"));
    CHECK(redis.brpop({"a", "b"}, 5s) == std::pair<std::string, std::string>("b", "3"));
    CHECK(admin_range(server, "b") == "2");
    CHECK(redis.brpop({"a", nul_key}, 0ms) == std::pair<std::string, std::string>(nul_key, with_nul));
    check_pool_invariants(redis);
}

TEST_CASE("lists: blpop and brpop return data pushed by another client while they wait", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    {
        run_when_blocked pusher(server, {"RPUSH", "b", "x", "y"});
        CHECK(redis.blpop({"a", "b"}, 10s) == std::pair<std::string, std::string>("b", "x"));
        CHECK(pusher.saw_block());
    }
    CHECK(admin_range(server, "b") == "y");
    server.command({"DEL", "b"});
    {
        run_when_blocked pusher(server, {"RPUSH", "a", "p", "q"});
        CHECK(redis.brpop({"a", "b"}, 10s) == std::pair<std::string, std::string>("a", "q"));
        CHECK(pusher.saw_block());
    }
    CHECK(admin_range(server, "a") == "p");
    check_pool_invariants(redis);
}

TEST_CASE("lists: blpop waits longer than read_timeout without a read timeout", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(short_read_timeout(server));
    // Nothing arrives: the server answers nil after the 500 ms block, not a read timeout at 200.
    CHECK(redis.blpop({"a"}, 500ms) == std::nullopt);
    CHECK(redis.brpop({"a"}, 500ms) == std::nullopt);
    {
        // Data arriving after read_timeout has passed, during a longer block.
        run_when_blocked pusher(server, {"RPUSH", "a", "late"}, 400ms);
        CHECK(redis.blpop({"a"}, 10s) == std::pair<std::string, std::string>("a", "late"));
        CHECK(pusher.saw_block());
    }
    {
        // A zero timeout waits for ever: no read deadline at all.
        run_when_blocked pusher(server, {"RPUSH", "a", "later"}, 400ms);
        CHECK(redis.brpop({"a"}, 0ms) == std::pair<std::string, std::string>("a", "later"));
        CHECK(pusher.saw_block());
    }
    check_pool_invariants(redis);
}

TEST_CASE("lists: blmove moves at once, after a wait, or returns nullopt on timeout", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(short_read_timeout(server));
    CHECK(redis.blmove("src", "dst", list_end::left, list_end::right, 100ms) == std::nullopt);
    CHECK(redis.blmove("src", "dst", list_end::right, list_end::left, 500ms) == std::nullopt);
    CHECK(server.command({"EXISTS", "dst"}) == "0");

    server.command({"RPUSH", "src", "a", "b"});
    CHECK(redis.blmove("src", "dst", list_end::right, list_end::left, 5s) == "b");
    CHECK(redis.blmove("src", "dst", list_end::left, list_end::left, 5s) == "a");
    CHECK(admin_range(server, "dst") == lines({"a", "b"}));
    {
        run_when_blocked pusher(server, {"RPUSH", "src", with_nul}, 300ms);
        CHECK(redis.blmove("src", "dst", list_end::left, list_end::right, 10s) == with_nul);
        CHECK(pusher.saw_block());
    }
    CHECK(admin_range(server, "dst") == lines({"a", "b", with_nul}));
    CHECK(server.command({"EXISTS", "src"}) == "0");
    check_pool_invariants(redis);
}

TEST_CASE("lists: blmpop pops at once, after a wait, or returns nullopt on timeout", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(short_read_timeout(server));
    CHECK(redis.blmpop({"a", "b"}, list_end::left, 100ms) == std::nullopt);
    // BLMPOP keeps its timeout first: a 500 ms block is still not a read timeout.
    CHECK(redis.blmpop({"a", "b"}, list_end::right, 500ms, 2) == std::nullopt);

    server.command({"RPUSH", "b", "1", "2", "3"});
    auto popped = redis.blmpop({"a", "b"}, list_end::right, 5s, 2);
    REQUIRE(popped.has_value());
    CHECK(popped->first == "b");
    CHECK(popped->second == strings{"3", "2"});
    {
        run_when_blocked pusher(server, {"RPUSH", "a", "x", "y", "z"}, 300ms);
        const std::vector<std::string_view> keys{"a", "c"};
        popped = redis.blmpop(keys, list_end::left, 10s, 2);
        CHECK(pusher.saw_block());
    }
    REQUIRE(popped.has_value());
    CHECK(popped->first == "a");
    CHECK(popped->second == strings{"x", "y"});
    CHECK(admin_range(server, "a") == "z");
    CHECK(admin_range(server, "b") == "1");
    check_pool_invariants(redis);
}

TEST_CASE("lists: blocking pops reject no keys, a bad count and a negative timeout", "[lists][blocking]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"RPUSH", "a", "v"});
    CHECK(expect_error([&] { redis.blpop({}, 100ms); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.brpop({"a"}, -1ms); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.blmove("a", "b", list_end::left, list_end::left, -1ms); }).code() ==
          errc::invalid_argument);
    CHECK(expect_error([&] { redis.blmpop({}, list_end::left, 100ms); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.blmpop({"a"}, list_end::left, 100ms, 0); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.blmpop({"a"}, list_end::left, -1ms); }).code() == errc::invalid_argument);
    const std::string stats = server.command({"INFO", "commandstats"});  // nothing was sent
    CHECK(stats.find("cmdstat_bl") == std::string::npos);
    CHECK(stats.find("cmdstat_br") == std::string::npos);
    CHECK(admin_range(server, "a") == "v");
    check_pool_invariants(redis);
}

// --- command values ----------------------------------------------------------------------------

TEST_CASE("lists: the cmd factories send Redis's syntax", "[lists]") {
    auto args = [](const auto& c) {
        return std::vector<std::string>(c.args().begin(), c.args().end());
    };
    CHECK(args(redpool::cmd::lpop("k", 3)) == strings{"LPOP", "k", "3"});
    CHECK(args(redpool::cmd::linsert("k", insert_position::after, "p", "v")) ==
          strings{"LINSERT", "k", "AFTER", "p", "v"});
    redpool::lpos_options o;
    o.rank = -2;
    o.max_len = 10;
    CHECK(args(redpool::cmd::lpos_count("k", "e", 0, o)) ==
          strings{"LPOS", "k", "e", "RANK", "-2", "MAXLEN", "10", "COUNT", "0"});
    CHECK(args(redpool::cmd::lpos("k", "e")) == strings{"LPOS", "k", "e"});
    CHECK(args(redpool::cmd::lmove("a", "b", list_end::right, list_end::left)) ==
          strings{"LMOVE", "a", "b", "RIGHT", "LEFT"});
    CHECK(args(redpool::cmd::lmpop({"a", "b"}, list_end::left, 3)) ==
          strings{"LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"});
    CHECK(args(redpool::cmd::blpop({"a", "b"}, 1500ms)) == strings{"BLPOP", "a", "b", "1.500"});
    CHECK(args(redpool::cmd::blmove("a", "b", list_end::left, list_end::right, 0ms)) ==
          strings{"BLMOVE", "a", "b", "LEFT", "RIGHT", "0.000"});
    CHECK(args(redpool::cmd::blmpop({"a"}, list_end::right, 250ms)) ==
          strings{"BLMPOP", "0.250", "1", "a", "RIGHT"});
}
