// redpool::client's sorted-set commands against a real redis-server: every option, nil and empty
// results, exact scores (inf, -inf, 0.1, 1e-300), blocking pops, WRONGTYPE and binary data,
// checked where it matters through the fixture's independent admin connection.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::bad_utf8;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::expect_error;
using redpool::test::expect_wrongtype;
using redpool::test::options_for;
using redpool::test::shared_server;
using redpool::test::wait_for_blocked_clients;
using redpool::test::with_nul;

namespace {

using scored = std::vector<std::pair<std::string, double>>;
using by = redpool::zrange_options::range_by;
using aggregate = redpool::zcombine_options::aggregate_by;

constexpr double inf = std::numeric_limits<double>::infinity();

redpool::zadd_options zadd_when(redpool::zadd_options::condition when) {
    redpool::zadd_options o;
    o.when = when;
    return o;
}

redpool::zadd_options zadd_only_if(redpool::zadd_options::comparison only_if, bool changed = false) {
    redpool::zadd_options o;
    o.only_if = only_if;
    o.changed = changed;
    return o;
}

redpool::zrange_options range(by b, bool rev = false, std::optional<redpool::zrange_limit> limit = std::nullopt) {
    redpool::zrange_options o;
    o.by = b;
    o.rev = rev;
    o.limit = limit;
    return o;
}

redpool::zcombine_options combine(std::vector<double> weights, aggregate a = aggregate::sum) {
    redpool::zcombine_options o;
    o.weights = std::move(weights);
    o.aggregate = a;
    return o;
}

std::error_code local_error(auto body) { return expect_error(body).code(); }

}  // namespace

// --- adding and scores -----------------------------------------------------------------------

TEST_CASE("sorted sets: zadd adds members and counts only the new ones", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.zadd("z", {{"a", 1}, {"b", 2.5}}) == 2);
    CHECK(server.command({"ZSCORE", "z", "b"}) == "2.5");
    CHECK(redis.zadd("z", {{"a", 10}, {"c", 3}}) == 1);  // a updated, c added
    CHECK(server.command({"ZSCORE", "z", "a"}) == "10");

    std::vector<std::pair<std::string_view, double>> members{{"d", -1}, {"e", 0}};
    CHECK(redis.zadd("z", members) == 2);
    CHECK(server.command({"ZCARD", "z"}) == "5");
    CHECK(redis.run(redpool::cmd::zadd("z", {{"f", 6}})) == 1);

    CHECK(local_error([&] { redis.zadd("z", std::span<const std::pair<std::string_view, double>>()); }) ==
          errc::invalid_argument);
    CHECK(local_error([&] { redis.zadd("z", {{"nan", std::nan("")}}); }) == errc::invalid_argument);
    CHECK(server.command({"ZSCORE", "z", "nan"}) == "(nil)");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zadd with NX only adds and with XX only updates", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using condition = redpool::zadd_options::condition;
    server.command({"ZADD", "z", "1", "a"});

    CHECK(redis.zadd("z", {{"a", 5}, {"b", 2}}, zadd_when(condition::if_not_exists)) == 1);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "1");
    CHECK(server.command({"ZSCORE", "z", "b"}) == "2");

    CHECK(redis.zadd("z", {{"a", 5}, {"c", 3}}, zadd_when(condition::if_exists)) == 0);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "5");
    CHECK(server.command({"ZSCORE", "z", "c"}) == "(nil)");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zadd with GT or LT moves scores one way and CH counts changes", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using comparison = redpool::zadd_options::comparison;
    using condition = redpool::zadd_options::condition;
    server.command({"ZADD", "z", "5", "a", "5", "b"});

    CHECK(redis.zadd("z", {{"a", 7}, {"b", 3}}, zadd_only_if(comparison::greater, true)) == 1);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "7");
    CHECK(server.command({"ZSCORE", "z", "b"}) == "5");

    CHECK(redis.zadd("z", {{"a", 9}, {"b", 1}, {"new", 0}}, zadd_only_if(comparison::less)) == 1);  // no CH
    CHECK(server.command({"ZSCORE", "z", "a"}) == "7");
    CHECK(server.command({"ZSCORE", "z", "b"}) == "1");
    CHECK(server.command({"ZSCORE", "z", "new"}) == "0");

    redpool::zadd_options ch;
    ch.changed = true;
    CHECK(redis.zadd("z", {{"a", 7}, {"b", 2}, {"c", 3}}, ch) == 2);  // b changed, c added, a as it was

    auto nx_gt = zadd_only_if(comparison::greater);
    nx_gt.when = condition::if_not_exists;
    CHECK(local_error([&] { redis.zadd("z", {{"x", 1}}, nx_gt); }) == errc::invalid_argument);
    CHECK(server.command({"ZSCORE", "z", "x"}) == "(nil)");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zadd_incr returns the new score and nullopt when a condition blocks it", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using condition = redpool::zadd_options::condition;
    using comparison = redpool::zadd_options::comparison;

    CHECK(redis.zadd_incr("z", "a", 1.5) == 1.5);
    CHECK(redis.zadd_incr("z", "a", 2) == 3.5);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "3.5");

    CHECK(redis.zadd_incr("z", "a", 1, zadd_when(condition::if_not_exists)) == std::nullopt);
    CHECK(redis.zadd_incr("z", "b", 1, zadd_when(condition::if_exists)) == std::nullopt);
    CHECK(server.command({"ZSCORE", "z", "b"}) == "(nil)");
    CHECK(redis.zadd_incr("z", "a", -1, zadd_only_if(comparison::greater)) == std::nullopt);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "3.5");
    CHECK(redis.zadd_incr("z", "a", -1, zadd_only_if(comparison::less)) == 2.5);

    CHECK(local_error([&] { redis.zadd_incr("z", "a", std::nan("")); }) == errc::invalid_argument);
    // CH would be ignored with INCR (the reply is the score): refused rather than dropped.
    CHECK(local_error([&] { redis.zadd_incr("z", "a", 1, zadd_only_if(comparison::any, true)); }) ==
          errc::invalid_argument);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "2.5");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: scores round-trip exactly, inf, -inf, 0.1 and 1e-300 included", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const double tiny = std::numeric_limits<double>::denorm_min();
    const double huge = std::numeric_limits<double>::max();
    const double third = 1.0 / 3.0;
    CHECK(redis.zadd("z", {{"inf", inf}, {"-inf", -inf}, {"0.1", 0.1}, {"1e-300", 1e-300}, {"tiny", tiny},
                           {"huge", huge}, {"third", third}, {"sum", 0.1 + 0.2}}) == 8);
    CHECK(server.command({"ZSCORE", "z", "inf"}) == "inf");
    CHECK(server.command({"ZSCORE", "z", "-inf"}) == "-inf");

    CHECK(redis.zscore("z", "inf") == inf);
    CHECK(redis.zscore("z", "-inf") == -inf);
    CHECK(redis.zscore("z", "0.1") == 0.1);
    CHECK(redis.zscore("z", "1e-300") == 1e-300);
    CHECK(redis.zscore("z", "tiny") == tiny);
    CHECK(redis.zscore("z", "huge") == huge);
    CHECK(redis.zscore("z", "third") == third);
    CHECK(redis.zscore("z", "sum") == 0.1 + 0.2);

    CHECK(redis.zrange_with_scores("z", 0, -1) == scored{{"-inf", -inf},
                                                         {"tiny", tiny},
                                                         {"1e-300", 1e-300},
                                                         {"0.1", 0.1},
                                                         {"sum", 0.1 + 0.2},
                                                         {"third", third},
                                                         {"huge", huge},
                                                         {"inf", inf}});

    // Scores written by someone else, in Redis's own %.17g text, read back exactly too.
    server.command({"ZADD", "y", "0.1", "a", "1e-300", "b", "-inf", "c"});
    CHECK(redis.zmscore("y", {"a", "b", "c"}) == std::vector<std::optional<double>>{0.1, 1e-300, -inf});
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zscore and zmscore return nullopt for missing members and keys", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a", "2", "b"});
    CHECK(redis.zscore("z", "a") == 1.0);
    CHECK(redis.zscore("z", "missing") == std::nullopt);
    CHECK(redis.zscore("nokey", "a") == std::nullopt);

    CHECK(redis.zmscore("z", {"b", "missing", "a"}) == std::vector<std::optional<double>>{2.0, std::nullopt, 1.0});
    std::vector<std::string_view> members{"missing", "b"};
    CHECK(redis.zmscore("nokey", members) == std::vector<std::optional<double>>{std::nullopt, std::nullopt});
    CHECK(command_calls(server, "zmscore") == 2);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zmscore of no members is empty, answered without a round trip", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a"});
    CHECK(redis.zmscore("z", {}).empty());
    CHECK(redis.zmscore("z", std::span<const std::string_view>()).empty());
    CHECK(redpool::cmd::zmscore("z", {}).answered_locally());
    CHECK(command_calls(server, "zmscore") == 0);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zincrby adds to a score, a new member starting at 0", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.zincrby("z", 2.5, "a") == 2.5);
    CHECK(redis.zincrby("z", -0.5, "a") == 2.0);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "2");
    CHECK(redis.zincrby("z", inf, "a") == inf);
    // inf + -inf is NaN, which Redis refuses.
    CHECK(expect_error<redpool::reply_error>([&] { redis.zincrby("z", -inf, "a"); }).prefix() == "ERR");
    CHECK(local_error([&] { redis.zincrby("z", std::nan(""), "a"); }) == errc::invalid_argument);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "inf");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zrem removes members and counts the ones it found", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    CHECK(redis.zrem("z", {"a", "missing"}) == 1);
    std::vector<std::string_view> members{"b", "c"};
    CHECK(redis.zrem("z", members) == 2);
    CHECK(server.command({"EXISTS", "z"}) == "0");  // the last member took the key with it
    CHECK(redis.zrem("z", {"a"}) == 0);
    CHECK(command_calls(server, "zrem") == 3);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zrem of no members is 0, answered without a round trip", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a"});
    CHECK(redis.zrem("z", {}) == 0);
    CHECK(redis.zrem("z", std::span<const std::string_view>()) == 0);
    CHECK(redpool::cmd::zrem("z", {}).answered_locally());
    CHECK(command_calls(server, "zrem") == 0);
    CHECK(server.command({"ZSCORE", "z", "a"}) == "1");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: single-member zrem removes one member", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.zrem("nokey", "a") == 0);
    server.command({"ZADD", "z", "1", "a", "2", with_nul, "3", "\xff\xfe"});
    CHECK(redis.zrem("z", with_nul) == 1);
    CHECK(redis.zrem("z", with_nul) == 0);
    CHECK(redis.zrem("z", std::string("\xff\xfe")) == 1);
    CHECK(server.command({"ZRANGE", "z", "0", "-1"}) == "a");
    CHECK(redis.zrem("z", {"a"}) == 1);  // a braced list still picks the list form
    CHECK(server.command({"EXISTS", "z"}) == "0");
    CHECK(command_calls(server, "zrem") == 5);
    check_pool_invariants(redis);
}

// --- size, ranks, counts ---------------------------------------------------------------------

TEST_CASE("sorted sets: zcard, zcount and zlexcount count members within bounds", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.zcard("z") == 0);
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
    CHECK(redis.zcard("z") == 4);
    CHECK(redis.zcount("z", "-inf", "+inf") == 4);
    CHECK(redis.zcount("z", "2", "3") == 2);
    CHECK(redis.zcount("z", "(2", "3") == 1);
    CHECK(redis.zcount("z", "(1", "(4") == 2);
    CHECK(redis.zcount("nokey", "-inf", "+inf") == 0);

    server.command({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
    CHECK(redis.zlexcount("lex", "-", "+") == 4);
    CHECK(redis.zlexcount("lex", "[b", "[c") == 2);
    CHECK(redis.zlexcount("lex", "(b", "+") == 2);
    CHECK(expect_error<redpool::reply_error>([&] { redis.zlexcount("lex", "b", "c"); }).prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zrank and zrevrank return nullopt for a missing member", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    CHECK(redis.zrank("z", "a") == 0);
    CHECK(redis.zrank("z", "c") == 2);
    CHECK(redis.zrevrank("z", "a") == 2);
    CHECK(redis.zrevrank("z", "c") == 0);
    CHECK(redis.zrank("z", "missing") == std::nullopt);
    CHECK(redis.zrevrank("nokey", "a") == std::nullopt);
    check_pool_invariants(redis);
}

// --- ranges ----------------------------------------------------------------------------------

TEST_CASE("sorted sets: zrange by rank, score and lex, reversed and limited", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using strings = std::vector<std::string>;
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});

    CHECK(redis.zrange("z", 0, -1) == strings{"a", "b", "c", "d"});
    CHECK(redis.zrange("z", 1, 2) == strings{"b", "c"});
    CHECK(redis.zrange("z", -2, -1) == strings{"c", "d"});
    CHECK(redis.zrange("z", "0", "1", range(by::index, true)) == strings{"d", "c"});
    CHECK(redis.zrange("z", 5, 10).empty());
    CHECK(redis.zrange("nokey", 0, -1).empty());

    CHECK(redis.zrange("z", "(1", "3", range(by::score)) == strings{"b", "c"});
    CHECK(redis.zrange("z", "+inf", "(2", range(by::score, true)) == strings{"d", "c"});
    CHECK(redis.zrange("z", "-inf", "+inf", range(by::score, false, redpool::zrange_limit{1, 2})) ==
          strings{"b", "c"});
    CHECK(redis.zrange("z", "-inf", "+inf", range(by::score, false, redpool::zrange_limit{2, -1})) ==
          strings{"c", "d"});

    server.command({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
    CHECK(redis.zrange("lex", "[b", "(d", range(by::lex)) == strings{"b", "c"});
    CHECK(redis.zrange("lex", "+", "-", range(by::lex, true, redpool::zrange_limit{0, 2})) == strings{"d", "c"});

    CHECK(local_error([&] { redis.zrange("z", "0", "-1", range(by::index, false, redpool::zrange_limit{0, 1})); }) ==
          errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zrange_with_scores returns members with their scores", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1.5", "a", "2", "b", "-3", "c"});

    CHECK(redis.zrange_with_scores("z", 0, -1) == scored{{"c", -3}, {"a", 1.5}, {"b", 2}});
    CHECK(redis.zrange_with_scores("z", 0, 0) == scored{{"c", -3}});
    CHECK(redis.zrange_with_scores("z", "1", "+inf", range(by::score, false, redpool::zrange_limit{1, 5})) ==
          scored{{"b", 2}});
    CHECK(redis.zrange_with_scores("z", "0", "1", range(by::index, true)) == scored{{"b", 2}, {"a", 1.5}});
    CHECK(redis.zrange_with_scores("nokey", 0, -1).empty());

    CHECK(local_error([&] { redis.zrange_with_scores("z", "-", "+", range(by::lex)); }) == errc::invalid_argument);
    CHECK(local_error([&] {
              redis.zrange_with_scores("z", "0", "1", range(by::index, false, redpool::zrange_limit{0, 1}));
          }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zrangestore stores a range and counts its members", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    CHECK(redis.zrangestore("dst", "z", 0, 1) == 2);
    CHECK(server.command({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}) == "a\n1\nb\n2");

    CHECK(redis.zrangestore("dst", "z", "+inf", "2", range(by::score, true, redpool::zrange_limit{0, 1})) == 1);
    CHECK(server.command({"ZRANGE", "dst", "0", "-1"}) == "c");

    CHECK(redis.zrangestore("dst", "z", 10, 20) == 0);
    CHECK(server.command({"EXISTS", "dst"}) == "0");
    CHECK(local_error([&] { redis.zrangestore("dst", "z", "0", "1", range(by::index, false, redpool::zrange_limit{})); }) ==
          errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zremrangebyscore, zremrangebyrank and zremrangebylex remove ranges", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
    CHECK(redis.zremrangebyscore("z", "(1", "2") == 1);
    CHECK(server.command({"ZRANGE", "z", "0", "-1"}) == "a\nc\nd\ne");
    CHECK(redis.zremrangebyrank("z", -2, -1) == 2);
    CHECK(server.command({"ZRANGE", "z", "0", "-1"}) == "a\nc");
    CHECK(redis.zremrangebyscore("nokey", "-inf", "+inf") == 0);

    server.command({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
    CHECK(redis.zremrangebylex("lex", "[b", "(d") == 2);
    CHECK(server.command({"ZRANGE", "lex", "0", "-1"}) == "a\nd");
    CHECK(redis.zremrangebylex("lex", "-", "+") == 2);
    CHECK(server.command({"EXISTS", "lex"}) == "0");
    check_pool_invariants(redis);
}

// --- popping ---------------------------------------------------------------------------------

TEST_CASE("sorted sets: zpopmin and zpopmax pop the lowest and highest members", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});

    auto low = redis.zpopmin("z");
    REQUIRE(low.has_value());
    CHECK(*low == std::pair<std::string, double>{"a", 1});
    auto high = redis.zpopmax("z");
    REQUIRE(high.has_value());
    CHECK(*high == std::pair<std::string, double>{"e", 5});

    CHECK(redis.zpopmin("z", 2) == scored{{"b", 2}, {"c", 3}});
    CHECK(redis.zpopmax("z", 5) == scored{{"d", 4}});
    CHECK(server.command({"EXISTS", "z"}) == "0");

    CHECK(redis.zpopmin("z") == std::nullopt);
    CHECK(redis.zpopmax("z") == std::nullopt);
    CHECK(redis.zpopmin("z", 3).empty());
    CHECK(redis.zpopmax("z", 0).empty());
    CHECK(local_error([&] { redis.zpopmin("z", -1); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zpopmax("z", -1); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: bzpopmin and bzpopmax time out with nullopt on empty keys", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.bzpopmin({"none", "nothing"}, 50ms) == std::nullopt);
    std::vector<std::string_view> keys{"none"};
    CHECK(redis.bzpopmax(keys, 50ms) == std::nullopt);

    CHECK(local_error([&] { redis.bzpopmin({"z"}, -1ms); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.bzpopmax(std::span<const std::string_view>(), 1s); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: bzpopmin and bzpopmax return members pushed beforehand", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "second", "1", "a", "2", "b", "inf", "c"});

    auto low = redis.bzpopmin({"empty", "second"}, 5s);
    REQUIRE(low.has_value());
    CHECK(low->key == "second");
    CHECK(low->member == "a");
    CHECK(low->score == 1);

    // A zero timeout waits forever; with a member there it returns at once.
    auto high = redis.bzpopmax({"second"}, 0ms);
    REQUIRE(high.has_value());
    CHECK(high->key == "second");
    CHECK(high->member == "c");
    CHECK(high->score == inf);
    CHECK(server.command({"ZRANGE", "second", "0", "-1"}) == "b");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: bzpopmax wakes up for a member added while it waits", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    std::atomic<bool> blocked{false};
    std::jthread pusher([&server, &blocked] {
        // Push once the pop is blocked (or after a while regardless, so nothing hangs).
        blocked = wait_for_blocked_clients(server, 1);
        server.command({"ZADD", "late", "7", "m"});
    });
    auto got = redis.bzpopmax({"late"}, 30s);
    pusher.join();
    CHECK(blocked);  // the member came while the pop waited
    REQUIRE(got.has_value());
    CHECK(got->key == "late");
    CHECK(got->member == "m");
    CHECK(got->score == 7);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zmpop pops from the first non-empty key, from either side", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using side = redpool::zpop_side;
    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});

    auto low = redis.zmpop({"empty", "z"}, side::min);
    REQUIRE(low.has_value());
    CHECK(low->first == "z");
    CHECK(low->second == scored{{"a", 1}});

    std::vector<std::string_view> keys{"z"};
    auto high = redis.zmpop(keys, side::max, 2);
    REQUIRE(high.has_value());
    CHECK(high->first == "z");
    CHECK(high->second == scored{{"d", 4}, {"c", 3}});
    CHECK(server.command({"ZRANGE", "z", "0", "-1"}) == "b");

    CHECK(redis.zmpop({"empty", "nothing"}, side::min, 10) == std::nullopt);
    CHECK(local_error([&] { redis.zmpop({"z"}, side::min, 0); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zmpop(std::span<const std::string_view>(), side::min); }) == errc::invalid_argument);
    CHECK(server.command({"ZCARD", "z"}) == "1");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: bzmpop times out with nullopt and returns members pushed beforehand", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using side = redpool::zpop_side;
    CHECK(redis.bzmpop({"empty"}, side::min, 50ms) == std::nullopt);

    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    auto got = redis.bzmpop({"empty", "z"}, side::max, 5s, 2);
    REQUIRE(got.has_value());
    CHECK(got->first == "z");
    CHECK(got->second == scored{{"c", 3}, {"b", 2}});
    auto rest = redis.bzmpop({"z"}, side::min, 0ms);
    REQUIRE(rest.has_value());
    CHECK(rest->second == scored{{"a", 1}});
    CHECK(server.command({"EXISTS", "z"}) == "0");

    CHECK(local_error([&] { redis.bzmpop({"z"}, side::min, -5ms); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.bzmpop({"z"}, side::min, 1s, 0); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

// --- random members --------------------------------------------------------------------------

TEST_CASE("sorted sets: zrandmember returns nullopt, distinct members or repeats", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.zrandmember("z") == std::nullopt);
    CHECK(redis.zrandmember("z", 3).empty());
    CHECK(redis.zrandmember_with_scores("z", 3).empty());

    server.command({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    const std::set<std::string> all{"a", "b", "c"};
    auto one = redis.zrandmember("z");
    REQUIRE(one.has_value());
    CHECK(all.count(*one) == 1);

    auto distinct = redis.zrandmember("z", 10);
    CHECK(std::set<std::string>(distinct.begin(), distinct.end()) == all);
    CHECK(distinct.size() == 3);
    auto repeated = redis.zrandmember("z", -7);
    CHECK(repeated.size() == 7);
    for (const auto& m : repeated) CHECK(all.count(m) == 1);

    auto with_scores = redis.zrandmember_with_scores("z", 2);
    REQUIRE(with_scores.size() == 2);
    CHECK(with_scores[0].first != with_scores[1].first);
    for (const auto& [member, score] : with_scores) CHECK(redis.zscore("z", member) == score);
    CHECK(redis.zrandmember_with_scores("z", -5).size() == 5);
    check_pool_invariants(redis);
}

// --- combining sets --------------------------------------------------------------------------

TEST_CASE("sorted sets: zunion and zinter combine scores with weights and aggregates", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using strings = std::vector<std::string>;
    server.command({"ZADD", "x", "1", "a", "2", "b"});
    server.command({"ZADD", "y", "10", "b", "20", "c"});

    CHECK(redis.zunion({"x", "y"}) == strings{"a", "b", "c"});
    CHECK(redis.zunion_with_scores({"x", "y"}) == scored{{"a", 1}, {"b", 12}, {"c", 20}});
    CHECK(redis.zunion_with_scores({"x", "y"}, combine({3, 1})) == scored{{"a", 3}, {"b", 16}, {"c", 20}});
    CHECK(redis.zunion_with_scores({"x", "y"}, combine({}, aggregate::min)) == scored{{"a", 1}, {"b", 2}, {"c", 20}});
    CHECK(redis.zunion_with_scores({"x", "y", "nokey"}, combine({}, aggregate::max)) ==
          scored{{"a", 1}, {"b", 10}, {"c", 20}});

    CHECK(redis.zinter({"x", "y"}) == strings{"b"});
    CHECK(redis.zinter_with_scores({"x", "y"}) == scored{{"b", 12}});
    std::vector<std::string_view> keys{"x", "y"};
    CHECK(redis.zinter_with_scores(keys, combine({0.5, -1}, aggregate::max)) == scored{{"b", 1}});
    CHECK(redis.zinter(keys, combine({1, 1}, aggregate::min)) == strings{"b"});
    CHECK(redis.zinter({"x", "nokey"}).empty());

    CHECK(local_error([&] { redis.zunion({"x", "y"}, combine({1})); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zinter_with_scores({"x"}, combine({std::nan("")})); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zunion(std::span<const std::string_view>()); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zinter_with_scores(std::span<const std::string_view>()); }) ==
          errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zdiff keeps the first key's members that no other key has", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    using strings = std::vector<std::string>;
    server.command({"ZADD", "x", "1", "a", "2", "b", "3", "c"});
    server.command({"ZADD", "y", "10", "b"});

    CHECK(redis.zdiff({"x", "y"}) == strings{"a", "c"});
    CHECK(redis.zdiff_with_scores({"x", "y", "nokey"}) == scored{{"a", 1}, {"c", 3}});
    std::vector<std::string_view> keys{"y", "x"};
    CHECK(redis.zdiff(keys).empty());
    CHECK(redis.zdiff({"nokey", "x"}).empty());
    CHECK(local_error([&] { redis.zdiff_with_scores(std::span<const std::string_view>()); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zunionstore, zinterstore and zdiffstore store their results", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "x", "1", "a", "2", "b"});
    server.command({"ZADD", "y", "10", "b", "20", "c"});

    CHECK(redis.zunionstore("u", {"x", "y"}, combine({2, 1})) == 3);
    CHECK(server.command({"ZRANGE", "u", "0", "-1", "WITHSCORES"}) == "a\n2\nb\n14\nc\n20");
    CHECK(redis.zinterstore("i", {"x", "y"}, combine({}, aggregate::max)) == 1);
    CHECK(server.command({"ZRANGE", "i", "0", "-1", "WITHSCORES"}) == "b\n10");
    std::vector<std::string_view> keys{"x", "y"};
    CHECK(redis.zdiffstore("d", keys) == 1);
    CHECK(server.command({"ZRANGE", "d", "0", "-1", "WITHSCORES"}) == "a\n1");

    // An empty result deletes the destination.
    CHECK(redis.zinterstore("u", {"x", "nokey"}) == 0);
    CHECK(server.command({"EXISTS", "u"}) == "0");

    CHECK(local_error([&] { redis.zunionstore("u", {"x"}, combine({1, 2})); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zdiffstore("u", std::span<const std::string_view>()); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: zintercard counts the intersection, stopping at a limit", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"ZADD", "x", "1", "a", "2", "b", "3", "c"});
    server.command({"ZADD", "y", "1", "a", "2", "b", "3", "c", "4", "d"});
    CHECK(redis.zintercard({"x", "y"}) == 3);
    CHECK(redis.zintercard({"x", "y"}, 2) == 2);
    std::vector<std::string_view> keys{"x", "nokey"};
    CHECK(redis.zintercard(keys) == 0);
    CHECK(local_error([&] { redis.zintercard({"x"}, -1); }) == errc::invalid_argument);
    CHECK(local_error([&] { redis.zintercard(std::span<const std::string_view>()); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

// --- scanning --------------------------------------------------------------------------------

TEST_CASE("sorted sets: zscan pages through every member with its score", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    // Enough members that the set is a skiplist and ZSCAN really pages.
    std::vector<std::string> names;
    for (int i = 0; i < 300; ++i) names.push_back((i % 3 == 0 ? "match:" : "other:") + std::to_string(i));
    std::vector<std::pair<std::string_view, double>> members;
    for (int i = 0; i < 300; ++i) members.emplace_back(names[i], i + 0.25);
    REQUIRE(redis.zadd("z", members) == 300);

    redpool::scan_options opts;
    opts.match = "match:*";
    opts.count = 20;
    std::set<std::pair<std::string, double>> seen;
    std::string cursor = "0";
    int pages = 0;
    do {
        auto page = redis.zscan("z", cursor, opts);
        for (auto& item : page.items) seen.insert(std::move(item));
        cursor = page.cursor;
        REQUIRE(++pages < 1000);
    } while (cursor != "0");
    CHECK(pages > 1);
    REQUIRE(seen.size() == 100);
    for (int i = 0; i < 300; i += 3) CHECK(seen.count({"match:" + std::to_string(i), i + 0.25}) == 1);

    auto empty = redis.zscan("nokey", "0");
    CHECK(empty.cursor == "0");
    CHECK(empty.items.empty());

    redpool::scan_options typed;
    typed.type = "zset";
    CHECK(local_error([&] { redis.zscan("z", "0", typed); }) == errc::invalid_argument);
    redpool::scan_options negative;
    negative.count = -1;
    CHECK(local_error([&] { redis.zscan("z", "0", negative); }) == errc::invalid_argument);
    check_pool_invariants(redis);
}

// --- errors and binary data ------------------------------------------------------------------

TEST_CASE("sorted sets: sorted-set commands on a string throw WRONGTYPE", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "s", "v"});
    expect_wrongtype([&] { redis.zadd("s", {{"a", 1}}); });
    expect_wrongtype([&] { redis.zadd_incr("s", "a", 1); });
    expect_wrongtype([&] { redis.zscore("s", "a"); });
    expect_wrongtype([&] { redis.zcard("s"); });
    expect_wrongtype([&] { redis.zrange("s", 0, -1); });
    expect_wrongtype([&] { redis.zrange_with_scores("s", 0, -1); });
    expect_wrongtype([&] { redis.zpopmin("s"); });
    expect_wrongtype([&] { redis.bzpopmin({"s"}, 50ms); });
    expect_wrongtype([&] { redis.zmpop({"s"}, redpool::zpop_side::max); });
    expect_wrongtype([&] { redis.zunion_with_scores({"s"}); });
    expect_wrongtype([&] { redis.zscan("s", "0"); });
    CHECK(server.command({"GET", "s"}) == "v");
    check_pool_invariants(redis);
}

TEST_CASE("sorted sets: binary keys and members round-trip", "[sorted_sets]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("z\0key\r\n", 7);
    // Equal scores, so the members are in lex order too.
    CHECK(redis.zadd(key, {{with_nul, 1}, {bad_utf8, 1}}) == 2);
    CHECK(server.command({"ZSCORE", key, with_nul}) == "1");
    CHECK(redis.zscore(key, with_nul) == 1.0);
    CHECK(redis.zscore(key, "a") == std::nullopt);  // the member is not cut at its NUL

    CHECK(redis.zrange_with_scores(key, 0, -1) == scored{{with_nul, 1}, {bad_utf8, 1}});
    CHECK(redis.zrange(key, "[" + with_nul, "+", range(by::lex)) == std::vector<std::string>{with_nul, bad_utf8});
    CHECK(redis.zrank(key, bad_utf8) == 1);

    auto popped = redis.bzpopmax({"other", key}, 1s);
    REQUIRE(popped.has_value());
    CHECK(popped->key == key);
    CHECK(popped->member == bad_utf8);
    CHECK(redis.zrem(key, {with_nul}) == 1);
    CHECK(server.command({"EXISTS", key}) == "0");
    check_pool_invariants(redis);
}
