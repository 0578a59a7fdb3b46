// redpool::reply: accessors, type checks, equality and formatting.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "redpool/error.hpp"
#include "redpool/reply.hpp"

using redpool::errc;
using redpool::reply;
using redpool::reply_type;

TEST_CASE("reply: accessors return what the reply holds", "[reply]") {
    auto s = reply::make_string("v");
    CHECK(s.type() == reply_type::string);
    CHECK(s.is_string());
    CHECK(s.as_string() == "v");
    auto i = reply::make_integer(7);
    CHECK(i.is_integer());
    CHECK(i.as_integer() == 7);
    reply nil;
    CHECK(nil.is_nil());
    CHECK(nil.size() == 0);
    auto e = reply::make_error("ERR x");
    CHECK(e.is_error());
    CHECK(e.as_string() == "ERR x");
}

TEST_CASE("reply: an accessor for the wrong type throws invalid_argument", "[reply]") {
    auto i = reply::make_integer(1);
    try {
        (void)i.as_string();
        FAIL("as_string on an integer did not throw");
    } catch (const redpool::error& e) {
        CHECK(e.code() == errc::invalid_argument);
        CHECK(std::string(e.what()).find("integer") != std::string::npos);
    }
    CHECK_THROWS_AS(reply::make_string("x").as_integer(), redpool::error);
    CHECK_THROWS_AS(reply()[0], redpool::error);
    auto a = reply::make_array({reply::make_integer(1)});
    CHECK_THROWS_AS(a[1], redpool::error);
    CHECK(a[0].as_integer() == 1);
}

TEST_CASE("reply: equality compares type and contents deeply", "[reply]") {
    auto a = reply::make_array({reply::make_string("x"), reply::make_integer(1)});
    auto b = reply::make_array({reply::make_string("x"), reply::make_integer(1)});
    auto c = reply::make_array({reply::make_string("x"), reply::make_integer(2)});
    CHECK(a == b);
    CHECK_FALSE(a == c);
    CHECK_FALSE(reply::make_status("OK") == reply::make_string("OK"));
}

TEST_CASE("reply: take_string moves the bytes out", "[reply]") {
    auto r = reply::make_string(std::string(100, 'z'));
    auto s = r.take_string();
    CHECK(s == std::string(100, 'z'));
}

TEST_CASE("reply: formats like redis-cli, escaping binary bytes", "[reply]") {
    CHECK(fmt::format("{}", reply()) == "(nil)");
    CHECK(fmt::format("{}", reply::make_status("OK")) == "OK");
    CHECK(fmt::format("{}", reply::make_error("ERR no")) == "(error) ERR no");
    CHECK(fmt::format("{}", reply::make_integer(-3)) == "(integer) -3");
    CHECK(fmt::format("{}", reply::make_string(std::string("a\0\"\n", 4))) == "\"a\\x00\\\"\\n\"");
    auto arr = reply::make_array({reply::make_string("x"), reply::make_array({})});
    CHECK(fmt::format("{}", arr) == "[\"x\", []]");
}

// The special members are written out (the elements live in a union, so that destroying a
// reply without elements is inline): each must copy, move and replace the whole value.
TEST_CASE("reply: copies are deep, moves empty the source, assignment replaces every part", "[reply]") {
    const auto nested = reply::make_array(
        {reply::make_string(std::string(40, 'a')), reply::make_array({reply::make_integer(5), reply::make_status("OK")})});

    reply copy(nested);
    CHECK(copy == nested);
    copy.elements()[1].elements()[0] = reply::make_integer(6);
    CHECK(nested[1][0].as_integer() == 5);  // the copy shares nothing

    reply moved(std::move(copy));
    CHECK(moved.is_array());
    CHECK(moved[1][0].as_integer() == 6);
    CHECK(copy.size() == 0);  // NOLINT(bugprone-use-after-move): a moved-from vector is empty
    CHECK(copy.elements().capacity() == 0);

    // An array replaced by a long string, and back: type, text and elements all change.
    reply r = nested;
    r = reply::make_string(std::string(50, 's'));
    CHECK(r.is_string());
    CHECK(r.size() == 0);
    CHECK(r.as_string() == std::string(50, 's'));
    r = nested;
    CHECK(r == nested);
    const reply integer = reply::make_integer(-9);
    r = integer;
    CHECK(r.as_integer() == -9);
    CHECK(r.size() == 0);

    // Self-assignment keeps the value.
    r = nested;
    const reply& same = r;
    r = same;
    CHECK(r == nested);

    // Destroying an array whose elements were cleared (memory kept, no elements) and one whose
    // elements were moved away: both must give back exactly what they hold (ASan checks).
    reply cleared = nested;
    cleared.elements().clear();
    CHECK(cleared.elements().capacity() != 0);
    reply emptied = nested;
    std::vector<reply> taken = std::move(emptied.elements());
    CHECK(taken.size() == 2);
}

// Replacing a reply with one of its own elements: assigning the elements destroys the one
// assigned from, so everything else must be read from it before (ASan checks).
TEST_CASE("reply: a reply can be replaced by one of its own elements, copied or moved", "[reply]") {
    const auto tree = reply::make_array(
        {reply::make_array({reply::make_string(std::string(30, 'd')), reply::make_integer(4)}), reply::make_integer(2)});
    reply r = tree;
    r = std::move(r.elements()[0]);
    CHECK(r.is_array());
    REQUIRE(r.size() == 2);
    CHECK(r[0].as_string() == std::string(30, 'd'));
    r = std::move(r.elements()[1]);
    CHECK(r.is_integer());
    CHECK(r.as_integer() == 4);
    CHECK(r.size() == 0);

    reply c = tree;
    c = c[0];  // a copy of an element, over the array holding it
    CHECK(c == tree[0]);
    c = c[1];
    CHECK(c.as_integer() == 4);
}
