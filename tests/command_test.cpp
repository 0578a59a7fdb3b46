// redpool::command<T> and from_reply<T>: conversions on replies built by hand, a command's
// arguments as a value, and user-defined commands and result types through client::run against
// a real server.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using Catch::Matchers::Contains;
using redpool::errc;
using redpool::from_reply;
using redpool::reply;
using redpool::test::check_pool_invariants;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::shared_server;

namespace {

struct point {
    double x = 0;
    double y = 0;
};

reply strings(std::initializer_list<const char*> items) {
    std::vector<reply> elements;
    for (const char* s : items) elements.push_back(reply::make_string(s));
    return reply::make_array(std::move(elements));
}

}  // namespace

// A user's own result type, read through the documented extension point.
template <>
struct redpool::reply_converter<point> {
    static point convert(redpool::reply&& r) {
        if (r.size() != 2) redpool::throw_unexpected_reply(r, "two numbers");
        auto xy = redpool::from_reply<std::vector<double>>(std::move(r));
        return {xy[0], xy[1]};
    }
};

TEST_CASE("from_reply: scalars read their own reply types and refuse others with protocol_error",
          "[command]") {
    CHECK(from_reply<std::string>(reply::make_string(std::string("a\0b", 3))) == std::string("a\0b", 3));
    CHECK(from_reply<std::string>(reply::make_status("OK")) == "OK");
    CHECK(from_reply<long long>(reply::make_integer(-7)) == -7);
    CHECK(from_reply<bool>(reply::make_integer(1)));
    CHECK_FALSE(from_reply<bool>(reply::make_integer(0)));
    // Only integers: a nil or a +QUEUED where a count was due is not a silent false or true.
    CHECK(expect_error([] { from_reply<bool>(reply::make_status("QUEUED")); }).code() == errc::protocol_error);
    CHECK(expect_error([] { from_reply<bool>(reply()); }).code() == errc::protocol_error);
    CHECK(from_reply<std::chrono::seconds>(reply::make_integer(5)) == std::chrono::seconds(5));

    CHECK(expect_error([] { from_reply<long long>(reply::make_string("1")); }).code() == errc::protocol_error);
    CHECK(expect_error([] { from_reply<std::string>(reply::make_integer(1)); }).code() == errc::protocol_error);
    CHECK(expect_error([] { from_reply<std::string>(reply()); }).code() == errc::protocol_error);
    CHECK_THAT(expect_error([] { from_reply<std::string>(strings({"a"})); }).what(),
               Contains("unexpected array reply (expected a string)"));
}

TEST_CASE("from_reply: doubles are read exactly, infinities included", "[command]") {
    CHECK(from_reply<double>(reply::make_string("0.1")) == 0.1);
    CHECK(from_reply<double>(reply::make_string("1.0000000000000001e-300")) == 1.0000000000000001e-300);
    CHECK(from_reply<double>(reply::make_string("inf")) == std::numeric_limits<double>::infinity());
    CHECK(from_reply<double>(reply::make_string("-inf")) == -std::numeric_limits<double>::infinity());
    CHECK(from_reply<double>(reply::make_string("+3")) == 3.0);
    CHECK(from_reply<double>(reply::make_integer(42)) == 42.0);
    for (const char* bad : {"", "1.5x", "abc", "+"}) {
        INFO(bad);
        CHECK(expect_error([&] { from_reply<double>(reply::make_string(bad)); }).code() == errc::protocol_error);
    }
}

TEST_CASE("from_reply: a server error anywhere in a reply is reply_error with its message", "[command]") {
    auto e = expect_error<redpool::reply_error>([] { from_reply<long long>(reply::make_error("WRONGTYPE no")); });
    CHECK(e.prefix() == "WRONGTYPE");
    std::vector<reply> mixed;
    mixed.push_back(reply::make_integer(1));
    mixed.push_back(reply::make_error("ERR inner"));
    auto inner = expect_error<redpool::reply_error>(
        [&] { from_reply<std::vector<long long>>(reply::make_array(std::move(mixed))); });
    CHECK(std::string(inner.what()) == "ERR inner");
    // reply itself keeps errors as data.
    CHECK(from_reply<reply>(reply::make_error("ERR x")).is_error());
}

TEST_CASE("from_reply: optionals, vectors, pairs and maps nest", "[command]") {
    CHECK(from_reply<std::optional<std::string>>(reply()) == std::nullopt);
    CHECK(from_reply<std::optional<std::string>>(reply::make_string("v")) == "v");

    std::vector<reply> e;
    e.push_back(reply::make_string("a"));
    e.push_back(reply());
    auto optionals = from_reply<std::vector<std::optional<std::string>>>(reply::make_array(std::move(e)));
    REQUIRE(optionals.size() == 2);
    CHECK(optionals[0] == "a");
    CHECK(optionals[1] == std::nullopt);

    CHECK(from_reply<std::vector<std::string>>(reply()).empty());  // nil array: empty
    auto kv = from_reply<std::pair<std::string, std::string>>(strings({"k", "v"}));
    CHECK(kv == std::pair<std::string, std::string>("k", "v"));
    CHECK(expect_error([] { from_reply<std::pair<std::string, std::string>>(strings({"k"})); }).code() ==
          errc::protocol_error);

    auto map = from_reply<std::unordered_map<std::string, std::string>>(strings({"f1", "v1", "f2", "v2"}));
    CHECK(map == std::unordered_map<std::string, std::string>{{"f1", "v1"}, {"f2", "v2"}});
    CHECK(expect_error([] { from_reply<std::unordered_map<std::string, std::string>>(strings({"f1"})); })
              .code() == errc::protocol_error);

    auto scored = redpool::pairs_from_reply<std::string, double>(strings({"m1", "1.5", "m2", "-inf"}));
    REQUIRE(scored.size() == 2);
    CHECK(scored[0] == std::pair<std::string, double>("m1", 1.5));
    CHECK(scored[1].second == -std::numeric_limits<double>::infinity());

    const reply kept = strings({"x"});
    CHECK(from_reply<std::vector<std::string>>(kept) == std::vector<std::string>{"x"});
    CHECK(kept[0].as_string() == "x");  // the const overload copies, leaving the reply intact
}

TEST_CASE("from_reply: a user's reply_converter composes with vectors and optionals", "[command]") {
    std::vector<reply> points;
    points.push_back(strings({"1.5", "2"}));
    points.push_back(reply());
    auto read = from_reply<std::vector<std::optional<point>>>(reply::make_array(std::move(points)));
    REQUIRE(read.size() == 2);
    REQUIRE(read[0].has_value());
    CHECK(read[0]->x == 1.5);
    CHECK(read[0]->y == 2.0);
    CHECK_FALSE(read[1].has_value());
    CHECK(expect_error([] { from_reply<point>(strings({"1"})); }).code() == errc::protocol_error);
}

TEST_CASE("command: each way of building one encodes the same request", "[command]") {
    // Short (written in one pass inline), fitting inline only by its exact size (five 9-byte
    // arguments: 80 bytes of views and 155 of request, where the one-pass bound says 164), and
    // long (allocated): the request is the RESP encoding of the arguments, and the views point
    // into it.
    const std::string nine(9, 'n');
    const std::string long_value(300, 'l');
    const std::vector<std::vector<std::string_view>> cases = {
        {"GET", "k"},
        {nine, nine, nine, nine, nine},
        {"SET", "k", long_value},
        {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"},  // ten arguments: not short
    };
    for (const auto& args : cases) {
        const redpool::command<redpool::reply> c{std::span<const std::string_view>(args)};
        std::string expected = "*" + std::to_string(args.size()) + "\r\n";
        for (auto a : args) expected += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
        CHECK(std::string_view(c.wire_bytes().data(), c.wire_bytes().size()) == expected);
        REQUIRE(c.args().size() == args.size());
        for (std::size_t i = 0; i < args.size(); ++i) {
            CHECK(c.args()[i] == args[i]);
            CHECK(c.args()[i].data() >= c.wire_bytes().data());
            CHECK(c.args()[i].data() + c.args()[i].size() <= c.wire_bytes().data() + c.wire_bytes().size());
        }
        const redpool::command<redpool::reply> copy = c;  // encoded again from the views
        CHECK(std::string_view(copy.wire_bytes().data(), copy.wire_bytes().size()) == expected);
    }
    const redpool::command<redpool::reply> empty{std::span<const std::string_view>()};
    CHECK(empty.wire_bytes().empty());
    CHECK(empty.args().empty());
}

TEST_CASE("command: owns its arguments, and copies and moves keep them", "[command]") {
    std::string key("k\0ey", 4);
    redpool::command<long long> original({"INCRBY", key, "5"});
    key.assign("changed");  // the command copied the bytes
    auto expect_args = [](const redpool::command<long long>& c) {
        REQUIRE(c.args().size() == 3);
        CHECK(c.args()[0] == "INCRBY");
        CHECK(c.args()[1] == std::string_view("k\0ey", 4));
        CHECK(c.args()[2] == "5");
        CHECK(c.name() == "INCRBY");
    };
    expect_args(original);
    redpool::command<long long> copy = original;
    expect_args(copy);
    redpool::command<long long> moved = std::move(copy);
    expect_args(moved);
    copy = moved;  // assigning to a moved-from command
    expect_args(copy);
    expect_args(original);
    CHECK(copy.args()[1].data() != original.args()[1].data());

    // A long command keeps its arguments in an allocation of its own: moves and copies too.
    const std::string big(300, 'x');
    redpool::command<long long> long_one({"APPEND", "k", big});
    redpool::command<long long> long_moved = std::move(long_one);
    redpool::command<long long> long_copy = long_moved;
    for (const auto* c : {&long_moved, &long_copy}) {
        REQUIRE(c->args().size() == 3);
        CHECK(c->args()[2] == big);
    }
    CHECK(long_copy.args()[2].data() != long_moved.args()[2].data());
    long_copy = std::move(long_moved);  // an allocation replacing an allocation
    CHECK(long_copy.args()[2] == big);
    long_copy = original;  // an inline block replacing an allocation
    expect_args(long_copy);

    redpool::command<long long> empty_args({});
    CHECK(empty_args.args().empty());
    CHECK(empty_args.wire_bytes().empty());
    CHECK(redpool::cmd::get("k").args().size() == 2);
}

TEST_CASE("command: its request is encoded once, and its arguments are views into it", "[command]") {
    auto bytes = [](const auto& c) { return std::string(c.wire_bytes().data(), c.wire_bytes().size()); };
    const auto get = redpool::cmd::get("key");
    CHECK(bytes(get) == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
    for (std::size_t i = 0; i < get.args().size(); ++i) {
        CHECK(get.args()[i].data() >= get.wire_bytes().data());
        CHECK(get.args()[i].data() + get.args()[i].size() <= get.wire_bytes().data() + get.wire_bytes().size());
    }
    // Inline and allocated blocks alike: a copy and a move carry the same request, and the
    // views follow the bytes they were moved with.
    const std::string big(300, 'v');
    for (const std::string& value : {std::string("small"), big}) {
        redpool::command<bool> set({"SET", "k", value});
        const std::string expected = bytes(set);
        CHECK(expected == fmt::format("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n{}\r\n", value.size(), value));
        redpool::command<bool> copy = set;
        redpool::command<bool> moved = std::move(set);
        for (const auto* c : {&copy, &moved}) {
            CHECK(bytes(*c) == expected);
            CHECK(c->args()[2] == value);
            CHECK(c->args()[2].data() > c->wire_bytes().data());
            CHECK(c->args()[2].data() < c->wire_bytes().data() + c->wire_bytes().size());
        }
    }
}

TEST_CASE("views: a vector of strings goes to the span overloads", "[command]") {
    std::vector<std::string> keys{"a", std::string("b\0c", 3)};
    auto del = redpool::cmd::del(redpool::views(keys));
    REQUIRE(del.args().size() == 3);
    CHECK(del.args()[2] == std::string_view("b\0c", 3));
    CHECK(redpool::views(std::vector<std::string>{}).empty());
}

TEST_CASE("command: a factory builds the arguments Redis expects", "[command]") {
    redpool::set_options opts;
    opts.ttl = std::chrono::seconds(10);
    opts.when = redpool::set_options::condition::if_not_exists;
    auto set = redpool::cmd::set("k", "v", opts);
    std::vector<std::string> args(set.args().begin(), set.args().end());
    CHECK(args == std::vector<std::string>{"SET", "k", "v", "NX", "PX", "10000"});
    auto del = redpool::cmd::del(std::initializer_list<std::string_view>{});
    CHECK(del.answered_locally());
    CHECK(del.read(reply()) == 0);
}

TEST_CASE("client::run: a user's command gives its typed result, errors throw", "[command]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));

    redpool::command<long long> incr({"INCRBY", "counter", "5"});
    CHECK(redis.run(incr) == 5);
    CHECK(redis.run(incr) == 10);  // a command is a value: run it again

    server.command({"RPUSH", "p", "1.5", "-2"});
    CHECK(redis.run(redpool::command<std::vector<double>>({"LRANGE", "p", "0", "-1"})) ==
          std::vector<double>{1.5, -2});
    point p = redis.run(redpool::command<point>({"LRANGE", "p", "0", "-1"}));
    CHECK(p.x == 1.5);
    CHECK(p.y == -2);

    // A server error throws reply_error; a reply of the wrong shape names the command.
    auto wrong = expect_error<redpool::reply_error>(
        [&] { redis.run(redpool::command<long long>({"INCRBY", "p", "1"})); });
    CHECK(wrong.prefix() == "WRONGTYPE");
    auto shape = expect_error([&] { redis.run(redpool::command<long long>({"LRANGE", "p", "0", "-1"})); });
    CHECK(shape.code() == errc::protocol_error);
    CHECK_THAT(shape.what(), Contains("LRANGE: unexpected array reply (expected an integer)"));
    // A command without arguments is refused before any connection is used.
    CHECK(expect_error([&] { redis.run(redpool::command<reply>({})); }).code() == errc::invalid_argument);
    // The connection that carried the mis-shaped reply was read in full: the next call is fine.
    CHECK(redis.run(redpool::cmd::get("counter")) == "10");
    check_pool_invariants(redis);
}

TEST_CASE("client: replies nested 8 deep are read by default; max_reply_depth 7 refuses them", "[command]") {
    auto& server = shared_server();
    // COMMAND INFO of a container command nests 8 levels: its subcommands' key specs.
    redpool::client redis(options_for(server));
    redpool::reply info = redis.exec({"COMMAND", "INFO", "XGROUP"});
    REQUIRE(info.is_array());
    CHECK(info.size() == 1);
    check_pool_invariants(redis);

    auto opts = options_for(server);
    opts.max_reply_depth = 7;
    redpool::client shallow(opts);
    CHECK(expect_error([&] { shallow.exec({"COMMAND", "INFO", "XGROUP"}); }).code() == errc::protocol_error);
    CHECK(shallow.get("k") == std::nullopt);  // the connection with the bad reply was dropped
    check_pool_invariants(shallow);
}
