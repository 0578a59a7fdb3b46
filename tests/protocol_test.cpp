// The RESP encoder and the hiredis-based reply builder, fed bytes with no socket.
#include <catch2/catch.hpp>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "lib/protocol/protocol.hpp"
#include "redpool/error.hpp"
#include "tests/support/alloc_failure.hpp"

using redpool::errc;
using redpool::reply;
using redpool::reply_type;
using redpool::detail::encode_command;
using redpool::detail::reply_limits;
using redpool::detail::reply_reader;
using redpool::detail::write_buffer;

namespace {

constexpr reply_limits default_limits{512u * 1024 * 1024, std::size_t{1} << 28, 8};

std::string encode(std::vector<std::string_view> args) {
    write_buffer out;
    encode_command(out, args);
    return std::string(out.data(), out.size());
}

// Feeds `bytes` in one go and returns every complete reply.
std::vector<reply> parse_all(std::string_view bytes, reply_limits limits = default_limits) {
    reply_reader reader(limits);
    reader.feed(bytes.data(), bytes.size());
    std::vector<reply> out;
    reply r;
    while (reader.next(r)) out.push_back(std::move(r));
    return out;
}

reply parse_one(std::string_view bytes) {
    auto replies = parse_all(bytes);
    REQUIRE(replies.size() == 1);
    return replies[0];
}

errc parse_error(std::string_view bytes, reply_limits limits = default_limits) {
    try {
        parse_all(bytes, limits);
    } catch (const redpool::error& e) {
        return static_cast<errc>(e.code().value());
    }
    FAIL("no error for " << bytes);
    return errc::io_error;
}

}  // namespace

TEST_CASE("protocol: a command is encoded as a RESP array of bulk strings", "[protocol]") {
    CHECK(encode({"GET", "key"}) == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
    CHECK(encode({"PING"}) == "*1\r\n$4\r\nPING\r\n");
    CHECK(encode({}) == "*0\r\n");  // no arguments: an empty array, as the general encoder writes it
}

TEST_CASE("protocol: arguments are binary-safe, empty or long", "[protocol]") {
    std::string binary("a\0b\r\nc", 6);
    CHECK(encode({"SET", binary, ""}) ==
          std::string("*3\r\n$3\r\nSET\r\n$6\r\na\0b\r\nc\r\n$0\r\n\r\n", 31));
    std::string big(123456, 'x');
    auto bytes = encode({"SET", "k", big});
    CHECK(bytes.find("$123456\r\n") != std::string::npos);
    CHECK(bytes.size() == 4 + 9 + 7 + 9 + big.size() + 2);
}

TEST_CASE("protocol: lengths of every digit count are encoded exactly, in the size announced", "[protocol]") {
    for (std::size_t n : {0, 1, 9, 10, 15, 16, 17, 99, 100, 101, 999, 1000, 9999, 10000, 123456}) {
        const std::string arg(n, 'a');
        std::vector<std::string_view> args{"SET", arg};
        const std::string expected = "*2\r\n$3\r\nSET\r\n$" + std::to_string(n) + "\r\n" + arg + "\r\n";
        CHECK(encode(args) == expected);
        CHECK(redpool::detail::encoded_size(args) == expected.size());
        std::string at(expected.size() + 1, '#');  // one byte past the end must stay untouched
        std::string_view views[2];
        redpool::detail::encode_command_at(at.data(), args, views);
        CHECK(at == expected + "#");
        CHECK(views[0] == "SET");
        CHECK(views[1] == arg);
        CHECK(views[1].data() == at.data() + expected.size() - 2 - n);
    }
    std::vector<std::string_view> many(12, "x");  // a two-digit argument count
    CHECK(encode(many).starts_with("*12\r\n$1\r\nx\r\n"));
}

TEST_CASE("protocol: a short command written in one pass matches the general encoding", "[protocol]") {
    using redpool::detail::encode_short_command_at;
    using redpool::detail::short_command_bound;
    std::uint64_t state = 42;
    auto next_random = [&](std::size_t bound) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::size_t>((state >> 33) % bound);
    };
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::string> owned(1 + next_random(9));
        for (auto& arg : owned) arg.assign(next_random(4) == 0 ? 90 + next_random(10) : next_random(20), 'k');
        const std::vector<std::string_view> args(owned.begin(), owned.end());
        const std::size_t bound = short_command_bound(args);
        REQUIRE(bound >= redpool::detail::encoded_size(args));
        std::string general(redpool::detail::encoded_size(args), '#');
        std::vector<std::string_view> general_views(args.size());
        redpool::detail::encode_command_at(general.data(), args, general_views.data());
        std::string one_pass(bound + 1, '#');  // one byte past the bound must stay untouched
        std::vector<std::string_view> views(args.size());
        const char* end = encode_short_command_at(one_pass.data(), args, views.data());
        REQUIRE(std::string_view(one_pass.data(), static_cast<std::size_t>(end - one_pass.data())) == general);
        CHECK(one_pass.back() == '#');
        for (std::size_t i = 0; i < args.size(); ++i) {
            CHECK(views[i] == args[i]);
            CHECK(views[i].data() - one_pass.data() == general_views[i].data() - general.data());
        }
    }
    // Ten arguments, or one of 100 bytes, take the general path.
    const std::vector<std::string_view> ten(10, "x");
    CHECK(short_command_bound(ten) == 0);
    const std::string hundred(100, 'v');
    CHECK(short_command_bound(std::vector<std::string_view>{"SET", "k", hundred}) == 0);
    CHECK(short_command_bound(std::vector<std::string_view>{"SET", "k", std::string_view(hundred).substr(1)}) != 0);
}

TEST_CASE("protocol: the request buffer grows by doubling, keeps its bytes, and gives back what it outgrew", "[protocol]") {
    write_buffer out;  // a pod_list<char, 256>
    CHECK(out.empty());
    out.append("ab", 2);
    const char* first = out.data();
    out.append(nullptr, 0);  // nothing to copy: allowed
    CHECK(out.data() == first);
    const std::string big(1000, 'x');
    out.append(big.data(), big.size());  // past 256: one growth to 1,024, the bytes kept
    REQUIRE(out.size() == 1002);
    CHECK(std::string_view(out.data(), 2) == "ab");
    CHECK(std::string_view(out.data() + 2, 1000) == big);
    CHECK(out.append_in_place("cd", 2));  // room left in 1,024
    CHECK_FALSE(out.append_in_place(big.data(), big.size()));  // no room: nothing appended
    CHECK(out.size() == 1004);
    out.discard_front(1002);
    CHECK(std::string_view(out.data(), out.size()) == "cd");
    out.discard_front(10);  // more than there is: empty
    CHECK(out.empty());
    out.append("ef", 2);
    const char* kept = out.data();
    out.clear(4096);  // under the limit: the memory stays
    out.append("gh", 2);
    CHECK(out.data() == kept);
    out.clear(16);  // over it: given back
    CHECK(out.data() == nullptr);
    out.append("ij", 2);
    write_buffer moved(std::move(out));
    CHECK(std::string_view(moved.data(), moved.size()) == "ij");
    CHECK(out.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty, with no memory
    CHECK(out.data() == nullptr);
    out.append("kl", 2);  // and usable
    CHECK(std::string_view(out.data(), out.size()) == "kl");
}

// append_in_place copies with detail::copy_bytes: overlapping fixed-size pieces up to 64 bytes
// (1-8 byte pairs up to 16, then 16-byte pieces), memcpy beyond. Every size on both sides of
// each of those bounds lands byte for byte.
TEST_CASE("protocol: appending in place copies every size exactly, next to what is there", "[protocol]") {
    std::string source(80, '\0');
    for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>('A' + i % 50);
    for (std::size_t n = 0; n <= source.size(); ++n) {
        write_buffer out;
        const std::string filler(200, '#');  // so that a byte left uncopied shows
        out.append(filler.data(), filler.size());
        out.clear();
        out.append("<", 1);
        REQUIRE(out.append_in_place(source.data(), n));
        REQUIRE(out.append_in_place(">", 1));
        REQUIRE(out.size() == n + 2);
        CHECK(std::string_view(out.data(), out.size()) == "<" + source.substr(0, n) + ">");
    }
}

TEST_CASE("protocol: commands append to one buffer, in order", "[protocol]") {
    write_buffer out;
    std::vector<std::string_view> a{"INCR", "n"};
    for (int i = 0; i < 100; ++i) encode_command(out, a);
    std::string one = encode({"INCR", "n"});
    CHECK(out.size() == 100 * one.size());
    CHECK(std::string(out.data(), one.size()) == one);
}

TEST_CASE("protocol: every reply type is built", "[protocol]") {
    CHECK(parse_one("+OK\r\n") == reply::make_status("OK"));
    CHECK(parse_one("-ERR bad thing\r\n") == reply::make_error("ERR bad thing"));
    CHECK(parse_one(":-42\r\n").as_integer() == -42);
    CHECK(parse_one("$5\r\nhello\r\n") == reply::make_string("hello"));
    CHECK(parse_one("$0\r\n\r\n") == reply::make_string(""));
    CHECK(parse_one("$-1\r\n").is_nil());
    CHECK(parse_one("*-1\r\n").is_nil());
    auto empty = parse_one("*0\r\n");
    CHECK(empty.is_array());
    CHECK(empty.size() == 0);
}

TEST_CASE("protocol: a reply read into a reply that held another keeps nothing of it", "[protocol]") {
    reply_reader reader(default_limits);
    const std::string stream = "*2\r\n:1\r\n$1\r\na\r\n$3\r\nabc\r\n:7\r\n+OK\r\n$-1\r\n*1\r\n:2\r\n-ERR x\r\n";
    reader.feed(stream.data(), stream.size());
    reply r;
    std::vector<reply> got;
    while (reader.next(r)) got.push_back(r);  // the same `r` every time
    const std::vector<reply> fresh = parse_all(stream);
    REQUIRE(got.size() == 7);
    CHECK(got == fresh);
    CHECK(got[1] == reply::make_string("abc"));
    CHECK(got[2].as_integer() == 7);
    CHECK(got[4].is_nil());
    CHECK(got[6] == reply::make_error("ERR x"));
    // A reply still incomplete leaves `out` as it was.
    reply kept = reply::make_string("kept");
    reader.feed("$5\r\nhel", 7);
    CHECK_FALSE(reader.next(kept));
    CHECK(kept == reply::make_string("kept"));
    reader.feed("lo\r\n", 4);
    REQUIRE(reader.next(kept));
    CHECK(kept == reply::make_string("hello"));
}

TEST_CASE("protocol: next_into fills places in order, as many as have arrived", "[protocol]") {
    reply_reader reader(default_limits);
    const std::string stream = ":1\r\n*2\r\n$1\r\na\r\n:2\r\n$3\r\nabc\r\n$5\r\nhel";
    reader.feed(stream.data(), stream.size());
    std::vector<reply> places(5);
    CHECK(reader.next_into(std::span<reply>(places).first(2)) == 2);  // no more than asked
    CHECK(places[0].as_integer() == 1);
    REQUIRE(places[1].is_array());
    CHECK(places[1].elements()[1].as_integer() == 2);
    CHECK(reader.next_into(std::span<reply>(places).subspan(2)) == 1);  // the last one is partial
    CHECK(places[2] == reply::make_string("abc"));
    CHECK(places[3].is_nil());
    reader.feed("lo\r\n", 4);
    CHECK(reader.next_into(std::span<reply>(places).subspan(3)) == 1);
    CHECK(places[3] == reply::make_string("hello"));
}

TEST_CASE("protocol: next_into returns the replies before a malformed one, then throws", "[protocol]") {
    for (const std::string bad : {"?what\r\n", "$99999999999\r\n"}) {
        reply_limits small = default_limits;
        small.max_bulk_length = 1000;
        reply_reader reader(small);
        const std::string stream = ":1\r\n+OK\r\n" + bad;
        reader.feed(stream.data(), stream.size());
        std::vector<reply> places(4);
        CHECK(reader.next_into(places) == 2);  // the good ones first: nothing is lost or shifted
        CHECK(places[0].as_integer() == 1);
        CHECK(places[1] == reply::make_status("OK"));
        CHECK_THROWS_AS(reader.next_into(places), redpool::error);
        CHECK(reader.failed());
        CHECK_THROWS_AS(reader.next_into(places), redpool::error);  // and stays failed
    }
}

TEST_CASE("protocol: nested arrays keep every element in place", "[protocol]") {
    auto r = parse_one("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n+x\r\n$-1\r\n");
    REQUIRE(r.is_array());
    REQUIRE(r.size() == 3);
    CHECK(r[0].as_integer() == 1);
    REQUIRE(r[1].size() == 2);
    CHECK(r[1][0].as_string() == "a");
    CHECK(r[1][1][0] == reply::make_status("x"));
    CHECK(r[2].is_nil());
}

TEST_CASE("protocol: integers at the limits of long long are exact", "[protocol]") {
    CHECK(parse_one(":9223372036854775807\r\n").as_integer() == LLONG_MAX);
    CHECK(parse_one(":-9223372036854775808\r\n").as_integer() == LLONG_MIN);
}

TEST_CASE("protocol: bulk strings carry NUL and CR LF bytes", "[protocol]") {
    std::string value("\0\r\n$3\r\n*1\r\n", 12);
    std::string wire = "$12\r\n" + value + "\r\n";
    CHECK(parse_one(wire).as_string() == value);
}

TEST_CASE("protocol: a stream fed one byte at a time gives the same replies", "[protocol]") {
    std::string wire = "+OK\r\n*2\r\n$3\r\nfoo\r\n:7\r\n$-1\r\n-WRONGTYPE no\r\n";
    auto expected = parse_all(wire);
    REQUIRE(expected.size() == 4);
    reply_reader reader(default_limits);
    std::vector<reply> got;
    reply r;
    for (char c : wire) {
        reader.feed(&c, 1);
        while (reader.next(r)) got.push_back(std::move(r));
    }
    CHECK(got == expected);
    CHECK_FALSE(reader.has_buffered_bytes());
}

TEST_CASE("protocol: a stream split at every offset gives the same replies", "[protocol]") {
    std::string wire = "*3\r\n$5\r\nhello\r\n*1\r\n:12345\r\n+PONG\r\n$4\r\nab\r\n\r\n";
    auto expected = parse_all(wire);
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        reply_reader reader(default_limits);
        std::vector<reply> got;
        reply r;
        reader.feed(wire.data(), cut);
        while (reader.next(r)) got.push_back(std::move(r));
        reader.feed(wire.data() + cut, wire.size() - cut);
        while (reader.next(r)) got.push_back(std::move(r));
        INFO("cut at " << cut);
        CHECK(got == expected);
    }
}

TEST_CASE("protocol: a partial reply is reported as buffered, a complete one is not", "[protocol]") {
    reply_reader reader(default_limits);
    reply r;
    reader.feed("$5\r\nhel", 7);
    CHECK_FALSE(reader.next(r));
    CHECK(reader.has_buffered_bytes());
    reader.feed("lo\r\n", 4);
    CHECK(reader.next(r));
    CHECK(r.as_string() == "hello");
    CHECK_FALSE(reader.has_buffered_bytes());
}

TEST_CASE("protocol: the reply after any reply is never shifted (desync oracle)", "[protocol]") {
    const std::vector<std::string> samples = {
        "+OK\r\n", ":0\r\n", "$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "-ERR x\r\n",
        "*2\r\n*1\r\n$1\r\n\n\r\n:5\r\n", "$6\r\n+NEXT\r\r\n"};
    for (const auto& sample : samples) {
        auto replies = parse_all(sample + "+NEXT\r\n");
        INFO(sample);
        REQUIRE(replies.size() == 2);
        CHECK(replies[1] == reply::make_status("NEXT"));
    }
}

TEST_CASE("protocol: a bulk length over the limit fails at its header, before the body", "[protocol]") {
    reply_limits limits = default_limits;
    limits.max_bulk_length = 1024;
    CHECK(parse_error("$1025\r\n", limits) == errc::reply_too_large);
    CHECK(parse_error("$2147483647\r\n") == errc::reply_too_large);
    // Dripped digit by digit: judged when its line ends, whatever the split (the fuzzer's
    // oracle), and never more than 19 digits are held waiting for that.
    auto drip = [&](const std::string& header) -> std::pair<std::size_t, errc> {
        reply_reader reader(limits);
        reply r;
        for (std::size_t i = 0; i < header.size(); ++i) {
            reader.feed(&header[i], 1);
            try {
                reader.next(r);
            } catch (const redpool::error& e) {
                CHECK(reader.failed());
                return {i, static_cast<errc>(e.code().value())};
            }
        }
        return {header.size(), errc{}};
    };
    CHECK(drip("$99999") == std::pair<std::size_t, errc>{6, errc{}});  // no line end yet: waits
    CHECK(drip("$99999\r") == std::pair<std::size_t, errc>{7, errc{}});  // a CR alone ends no line
    CHECK(drip("$99999\r\n") == std::pair<std::size_t, errc>{7, errc::reply_too_large});
    CHECK(drip("$99999\rx") == std::pair<std::size_t, errc>{7, errc::protocol_error});
    // 19 nines already exceed LLONG_MAX: malformed at once.
    CHECK(drip("$" + std::string(30, '9')) == std::pair<std::size_t, errc>{19, errc::protocol_error});
    CHECK(drip("$" + std::string(30, '1')) == std::pair<std::size_t, errc>{20, errc::protocol_error});
    // Malformed lengths are protocol errors split or whole, as hiredis says of them whole.
    for (const std::string& bad :
         std::vector<std::string>{"$500x\r\n", "$0600\r\n", "$500\rx\r\n", "$" + std::string(20, '9') + "\r\n"}) {
        INFO(bad);
        CHECK(drip(bad).second == errc::protocol_error);
        CHECK(parse_error(bad, limits) == errc::protocol_error);
    }
}

TEST_CASE("protocol: an array header claiming 2^31 elements allocates nothing ahead", "[protocol]") {
    reply_limits limits = default_limits;
    limits.max_array_elements = INT_MAX;
    reply_reader reader(limits);
    reply r;
    const std::size_t before = redpool::test::allocated_bytes();
    reader.feed("*2147483647\r\n:1\r\n", 17);
    CHECK_FALSE(reader.next(r));
    CHECK(redpool::test::allocated_bytes() - before < 4096);
    CHECK(parse_error("*4294967295\r\n") == errc::protocol_error);
}

TEST_CASE("protocol: an array over max_array_elements is refused", "[protocol]") {
    reply_limits limits = default_limits;
    limits.max_array_elements = 3;
    CHECK(parse_all("*3\r\n:1\r\n:2\r\n:3\r\n", limits).size() == 1);
    CHECK(parse_error("*4\r\n", limits) == errc::reply_too_large);
}

TEST_CASE("protocol: nesting deeper than the limit is a protocol error", "[protocol]") {
    auto nested = [](int depth) {
        std::string s;
        for (int i = 0; i < depth; ++i) s += "*1\r\n";
        return s + ":1\r\n";
    };
    CHECK(parse_all(nested(8)).size() == 1);
    CHECK(parse_error(nested(9)) == errc::protocol_error);     // our max_reply_depth of 8
    CHECK(parse_error(nested(10000)) == errc::protocol_error);
    reply_limits shallow = default_limits;
    shallow.max_depth = 2;
    CHECK(parse_all(nested(2), shallow).size() == 1);
    CHECK(parse_error(nested(3), shallow) == errc::protocol_error);
}

TEST_CASE("protocol: malformed replies are protocol errors", "[protocol]") {
    CHECK(parse_error("!oops\r\n") == errc::protocol_error);
    CHECK(parse_error("%1\r\n+a\r\n+b\r\n") == errc::protocol_error);  // RESP3 map on RESP2
    CHECK(parse_error(">2\r\n+a\r\n+b\r\n") == errc::protocol_error);  // RESP3 push
    CHECK(parse_error(":12a\r\n") == errc::protocol_error);
    CHECK(parse_error(":99999999999999999999\r\n") == errc::protocol_error);  // overflow
    CHECK(parse_error("$99999999999999999999\r\n") == errc::protocol_error);  // overflow
    CHECK(parse_error("$-2\r\n") == errc::protocol_error);
    CHECK(parse_error("$x\r\n") == errc::protocol_error);
}

TEST_CASE("protocol: after an error the reader stays failed and yields nothing more", "[protocol]") {
    reply_reader reader(default_limits);
    reply r;
    reader.feed("!bad\r\n+OK\r\n", 11);
    CHECK_THROWS_AS(reader.next(r), redpool::error);
    CHECK(reader.failed());
    CHECK_THROWS_AS(reader.next(r), redpool::error);
    CHECK_THROWS_AS(reader.feed("+OK\r\n", 5), redpool::error);
}

TEST_CASE("protocol: a 1 MiB bulk string with every byte value survives intact", "[protocol]") {
    std::string value(1 << 20, '\0');
    for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 7);
    std::string wire = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    reply_reader reader(default_limits);
    reply r;
    for (std::size_t at = 0; at < wire.size(); at += 65536) {
        reader.feed(wire.data() + at, std::min<std::size_t>(65536, wire.size() - at));
    }
    REQUIRE(reader.next(r));
    CHECK(r.as_string() == value);
}

TEST_CASE("protocol: running out of memory while building a reply fails the reader, never hiredis",
          "[protocol]") {
    // Every allocation the reader makes for this reply fails in turn: it throws std::bad_alloc
    // out of next(), not through hiredis's C frames, and the reader stays failed.
    const std::string wire = "*3\r\n$5\r\nhello\r\n*1\r\n:42\r\n+" + std::string(100, 's') + "\r\n";
    int failures = 0;
    for (long n = 0;; ++n) {
        reply_reader reader(default_limits);
        reader.feed(wire.data(), wire.size());
        reply r;
        bool done = false;
        const bool threw = redpool::test::with_allocation_failing(n, [&] { done = reader.next(r); });
        if (!threw) {
            REQUIRE(done);
            CHECK(r.elements().size() == 3);
            break;
        }
        ++failures;
        CHECK(reader.failed());
        CHECK_THROWS(reader.next(r));
    }
    CHECK(failures == 3);  // the two arrays and the long status allocate; "hello" is short
}

// --- replies read without hiredis (scan_simple_reply) ------------------------------------------

namespace {

// What a reader made of a stream: the replies, then the error that ended it, if one did.
struct outcome {
    std::vector<reply> replies;
    std::string error;  // "code: message"; empty if none

    bool operator==(const outcome&) const = default;
};

// Feeds `wire` in the pieces `cuts` says (offsets), reading after each piece with next_into
// into `places` places at a time.
outcome read_stream(redpool::detail::reply_parsing parsing, const std::string& wire,
                    const std::vector<std::size_t>& cuts, std::size_t places, reply_limits limits = default_limits) {
    reply_reader reader(limits, parsing);
    outcome result;
    std::vector<reply> slots(places);
    std::size_t from = 0;
    try {
        for (std::size_t i = 0; i <= cuts.size(); ++i) {
            const std::size_t to = i < cuts.size() ? cuts[i] : wire.size();
            reader.feed(wire.data() + from, to - from);
            from = to;
            for (std::size_t got; (got = reader.next_into(slots)) > 0;) {
                for (std::size_t k = 0; k < got; ++k) result.replies.push_back(std::move(slots[k]));
            }
        }
    } catch (const redpool::error& e) {
        result.error = std::to_string(e.code().value()) + ": " + e.what();
    }
    return result;
}

const std::vector<std::string> simple_samples = {
    "+OK\r\n", "+\r\n", "+a\rb\nc\r\n", "-ERR wrong\r\n", "-\r\n", ":0\r\n", ":-1\r\n", ":42\r\n",
    ":9223372036854775807\r\n", ":-9223372036854775808\r\n", "$0\r\n\r\n", "$-1\r\n", "$3\r\nxxx\r\n",
    "$4\r\n\r\n\r\n\r\n", "$5\r\n\r\r\r\n\r\n", "$9\r\n123456789\r\n", "$10\r\n0123456789\r\n",
    "$16\r\n0123456789abcdef\r\n", "$99\r\n" + std::string(99, 'n') + "\r\n", "$100\r\n" + std::string(100, 'h') + "\r\n",
    "$40\r\n" + std::string(40, 'v') + "\r\n", "+" + std::string(5000, 's') + "\r\n",
};
const std::vector<std::string> array_samples = {
    "*0\r\n", "*-1\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "*1\r\n*1\r\n+x\r\n", "*3\r\n$-1\r\n-e\r\n$2\r\nab\r\n",
};
// Each ends a stream: hiredis refuses it (or, for the last ones, max_bulk_length does).
const std::vector<std::string> bad_samples = {
    ":01\r\n", ":-0\r\n", ":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":\r\n", ":1a\r\n",
    ": 1\r\n", "$-2\r\n", "$01\r\nx\r\n", "$1\rx\r\n", "$12\rxxxxxxxxxxxx\r\n", "$1a\r\nx\r\n", "$1\r\nxyz\r\n", "$-1x\r\n", "$+1\r\nx\r\n", "!x\r\n", "\r\n",
    "$2000\r\n", "$99999999999999999999999\r\n",
};

}  // namespace

TEST_CASE("protocol: simple replies read here match hiredis's reading, split anywhere", "[protocol]") {
    using redpool::detail::reply_parsing;
    reply_limits limits = default_limits;
    limits.max_bulk_length = 1000;
    std::uint64_t seed = 0x9e3779b97f4a7c15ull;
    auto next_random = [&](std::size_t bound) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return static_cast<std::size_t>(seed % bound);
    };
    int streams_with_errors = 0;
    for (int round = 0; round < 3000; ++round) {
        // Now and then a limit under the samples' lengths, so short bulks meet it too.
        limits.max_bulk_length = round % 4 == 0 ? 2 + next_random(40) : 1000;
        std::string wire;
        const std::size_t count = 1 + next_random(12);
        for (std::size_t i = 0; i < count; ++i) {
            wire += next_random(4) == 0 ? array_samples[next_random(array_samples.size())]
                                        : simple_samples[next_random(simple_samples.size())];
        }
        if (next_random(3) == 0) wire += bad_samples[next_random(bad_samples.size())] + "+AFTER\r\n";
        std::vector<std::size_t> cuts;
        for (std::size_t at = next_random(12); at < wire.size(); at += 1 + next_random(40)) cuts.push_back(at);
        const std::size_t places = 1 + next_random(8);
        const outcome ours = read_stream(reply_parsing::simple_replies_here, wire, cuts, places, limits);
        const outcome theirs = read_stream(reply_parsing::hiredis_only, wire, cuts, places, limits);
        INFO("round " << round);
        REQUIRE(ours == theirs);
        if (!ours.error.empty()) ++streams_with_errors;
    }
    CHECK(streams_with_errors > 500);  // the refusals were exercised, not only good streams
}

TEST_CASE("protocol: every malformed simple reply fails as hiredis fails it, whole or dripped", "[protocol]") {
    using redpool::detail::reply_parsing;
    reply_limits limits = default_limits;
    limits.max_bulk_length = 1000;
    for (const auto& bad : bad_samples) {
        const std::string wire = "+OK\r\n" + bad + "+AFTER\r\n";
        std::vector<std::size_t> every_byte;
        for (std::size_t at = 1; at < wire.size(); ++at) every_byte.push_back(at);
        for (const auto& cuts : {std::vector<std::size_t>{}, every_byte}) {
            const outcome ours = read_stream(reply_parsing::simple_replies_here, wire, cuts, 4, limits);
            INFO(bad << " in " << (cuts.empty() ? "one piece" : "single bytes"));
            CHECK(ours == read_stream(reply_parsing::hiredis_only, wire, cuts, 4, limits));
            CHECK_FALSE(ours.error.empty());
            REQUIRE_FALSE(ours.replies.empty());
            CHECK(ours.replies[0] == reply::make_status("OK"));  // what came before is kept
        }
    }
}

TEST_CASE("protocol: after an array, the simple replies in the same bytes are still read in order",
          "[protocol]") {
    reply_reader reader(default_limits);
    const std::string wire = "$3\r\none\r\n*2\r\n:1\r\n:2\r\n$3\r\ntwo\r\n:3\r\n";
    reader.feed(wire.data(), wire.size());
    std::vector<reply> places(8);
    REQUIRE(reader.next_into(places) == 4);
    CHECK(places[0] == reply::make_string("one"));
    CHECK(places[1] == reply::make_array({reply::make_integer(1), reply::make_integer(2)}));
    CHECK(places[2] == reply::make_string("two"));
    CHECK(places[3] == reply::make_integer(3));
    CHECK_FALSE(reader.has_buffered_bytes());
    reader.feed("+back\r\n", 7);  // hiredis is drained: read here again
    reply r;
    REQUIRE(reader.next(r));
    CHECK(r == reply::make_status("back"));
}

TEST_CASE("protocol: running out of memory building a simple reply fails the reader after the replies before it",
          "[protocol]") {
    const std::string wire = ":7\r\n+" + std::string(100, 's') + "\r\n:8\r\n";
    reply_reader reader(default_limits);
    reader.feed(wire.data(), wire.size());
    std::vector<reply> places(3);
    std::size_t got = 0;
    // The long status is the only reply that allocates.
    const bool threw = redpool::test::with_allocation_failing(0, [&] { got = reader.next_into(places); });
    CHECK_FALSE(threw);
    CHECK(got == 1);  // the integer before it
    CHECK(places[0].as_integer() == 7);
    CHECK(reader.failed());
    CHECK_THROWS_AS(reader.next_into(places), std::bad_alloc);
}

TEST_CASE("protocol: running out of memory while buffering fed bytes fails the reader", "[protocol]") {
    reply_reader reader(default_limits);
    const std::string big = "$5000\r\n" + std::string(5000, 'b') + "\r\n";
    const bool threw = redpool::test::with_allocation_failing(0, [&] { reader.feed(big.data(), big.size()); });
    CHECK(threw);
    CHECK(reader.failed());  // the bytes are lost: nothing after them could be trusted
    std::vector<reply> places(1);
    CHECK_THROWS_AS(reader.next_into(places), std::bad_alloc);
}
