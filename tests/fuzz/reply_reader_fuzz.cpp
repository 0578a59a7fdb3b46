// reply_reader_fuzz — detail::reply_reader fed arbitrary bytes, whole and in random chunks.
//
// Input: 4 header bytes, then the byte stream.
//   [0] bits 0-2 max_bulk_length, bits 3-5 max_array_elements (tables below),
//       bit 6 the chunked reader parses with hiredis only, bit 7 it drains with next_into
//   [1] bits 0-2 max_depth - 1, bits 3-5 the largest chunk (table below)
//   [2..3] seed of the chunk sizes and of how many replies each next_into asks for
//
// Oracles:
//   - Every input gives replies, or a redpool::error in redpool's category; no other exception,
//     crash or hang.
//   - Fed in chunks, with replies asked for after every chunk, the stream gives the same replies
//     and the same end (the same errc after the same number of replies, or the same answer from
//     has_buffered_bytes) as fed whole to a default reader.
//   - A RESP3 type byte (% ~ _ # , ( = > |) where the stream starts is a protocol_error.
//   - A failed reader stays failed: next() and feed() throw the same errc again.
//   - A stream read completely, with nothing left over, is followed by "+NEXT\r\n" as one more
//     status reply "NEXT", with nothing buffered after it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/protocol/protocol.hpp"
#include "redpool/error.hpp"
#include "redpool/reply.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using redpool::errc;
using redpool::reply;
using redpool::reply_type;
using redpool::detail::reply_limits;
using redpool::detail::reply_parsing;
using redpool::detail::reply_reader;
using namespace redpool::fuzz;

constexpr std::size_t bulk_limits[] = {1, 3, 10, 64, 100, 1000, 65536, 512u * 1024 * 1024};
constexpr std::size_t array_limits[] = {1, 2, 5, 16, 100, std::size_t{1} << 28, 3, 1000};
constexpr std::size_t chunk_limits[] = {1, 2, 3, 5, 8, 17, 64, 4096};

struct setup {
    reply_limits limits{};
    reply_parsing parsing = reply_parsing::simple_replies_here;
    bool drain_with_next_into = false;
    std::size_t max_chunk = 1;
    std::uint32_t seed = 0;
};

// How reading a stream ended: `replies`, then `error` (if any) or `buffered` bytes left over.
struct outcome {
    std::vector<reply> replies;
    std::optional<errc> error;
    std::string error_text;
    bool buffered = false;
};

setup read_setup(input_reader& in) {
    setup s;
    const std::uint8_t flags = in.byte();
    const std::uint8_t sizes = in.byte();
    s.limits.max_bulk_length = bulk_limits[flags & 7];
    s.limits.max_array_elements = array_limits[(flags >> 3) & 7];
    s.parsing = (flags & 0x40) != 0 ? reply_parsing::hiredis_only : reply_parsing::simple_replies_here;
    s.drain_with_next_into = (flags & 0x80) != 0;
    s.limits.max_depth = 1 + (sizes & 7);
    s.max_chunk = chunk_limits[(sizes >> 3) & 7];
    s.seed = in.u16();
    return s;
}

// Checks what no reply may be: elements on anything but an array.
void check_shape(const reply& r) {
    if (r.type() != reply_type::array && r.size() != 0) {
        fail("a {} reply with {} elements", to_string(r.type()), r.size());
    }
    for (const reply& e : r.elements()) check_shape(e);
}

void record_error(outcome& out, const redpool::error& e) {
    out.error = code_of(e);
    out.error_text = e.what();
}

// A failed reader must keep failing with the same code, on next() and on feed().
void check_stays_failed(reply_reader& reader, errc code) {
    if (!reader.failed()) fail("reader threw errc {} but failed() is false", number(code));
    reply r;
    try {
        reader.next(r);
        fail("next() after errc {} did not throw", number(code));
    } catch (const redpool::error& e) {
        if (code_of(e) != code) fail("next() after errc {} threw errc {}", number(code), number(code_of(e)));
    }
    try {
        reader.feed("+OK\r\n", 5);
        fail("feed() after errc {} did not throw", number(code));
    } catch (const redpool::error& e) {
        if (code_of(e) != code) fail("feed() after errc {} threw errc {}", number(code), number(code_of(e)));
    }
}

// The reference: the whole stream at once, one next() per reply, on a default reader.
outcome read_whole(reply_reader& reader, std::string_view stream) {
    outcome out;
    try {
        reader.feed(stream.data(), stream.size());
        reply r;
        while (reader.next(r)) {
            check_shape(r);
            out.replies.push_back(std::move(r));
        }
        out.buffered = reader.has_buffered_bytes();
    } catch (const redpool::error& e) {
        record_error(out, e);
    }
    return out;
}

// Takes every reply the reader has ready, one next() at a time into a reused reply (as a
// connection does), or in batches of a random size with next_into.
void drain(reply_reader& reader, const setup& s, rng& random, outcome& out) {
    if (!s.drain_with_next_into) {
        reply r;
        while (reader.next(r)) {
            check_shape(r);
            out.replies.push_back(r);
        }
        return;
    }
    std::vector<reply> batch(random.between(1, 4));
    for (;;) {
        const std::size_t n = reader.next_into(std::span<reply>(batch));
        if (n > batch.size()) fail("next_into returned {} for {} slots", n, batch.size());
        for (std::size_t i = 0; i < n; ++i) {
            check_shape(batch[i]);
            out.replies.push_back(batch[i]);
        }
        if (n == 0) return;
    }
}

outcome read_chunked(reply_reader& reader, std::string_view stream, const setup& s) {
    outcome out;
    rng random(s.seed);
    try {
        std::size_t at = 0;
        while (at < stream.size()) {
            // Now and then an empty feed, which must change nothing.
            const std::size_t n = random.next() % 16 == 0 ? 0 : random.between(1, s.max_chunk);
            const std::size_t size = std::min(n, stream.size() - at);
            reader.feed(stream.data() + at, size);
            at += size;
            drain(reader, s, random, out);
        }
        drain(reader, s, random, out);
        out.buffered = reader.has_buffered_bytes();
    } catch (const redpool::error& e) {
        record_error(out, e);
    }
    return out;
}

std::string describe_end(const outcome& o) {
    if (o.error) return fmt::format("errc {} ({}) after {} replies", number(*o.error), o.error_text, o.replies.size());
    return fmt::format("{} replies, buffered={}", o.replies.size(), o.buffered);
}

bool same_outcome(const outcome& whole, const outcome& chunked) {
    if (whole.replies.size() != chunked.replies.size() || whole.error != chunked.error) return false;
    for (std::size_t i = 0; i < whole.replies.size(); ++i) {
        if (!same_reply(whole.replies[i], chunked.replies[i])) return false;
    }
    return whole.error || whole.buffered == chunked.buffered;
}

void compare(const outcome& whole, const outcome& chunked, const setup& s) {
    const std::size_t common = std::min(whole.replies.size(), chunked.replies.size());
    for (std::size_t i = 0; i < common; ++i) {
        if (!same_reply(whole.replies[i], chunked.replies[i])) {
            fail("reply {} differs: whole {} chunked {}", i, describe(whole.replies[i]), describe(chunked.replies[i]));
        }
    }
    if (!same_outcome(whole, chunked)) {
        fail("whole: {}; chunked (max chunk {}, {}, {}): {}", describe_end(whole), s.max_chunk,
             s.parsing == reply_parsing::hiredis_only ? "hiredis only" : "simple replies here",
             s.drain_with_next_into ? "next_into" : "next", describe_end(chunked));
    }
}

// hiredis 0.14.1 reads RESP2 only: a RESP3 type byte where a reply starts is a protocol error.
void check_resp3_refused(std::string_view stream, const outcome& whole) {
    constexpr std::string_view resp3_types = "%~_#,(=>|";
    if (stream.empty() || resp3_types.find(stream[0]) == std::string_view::npos) return;
    if (!whole.replies.empty() || whole.error != errc::protocol_error) {
        fail("a stream starting with RESP3 type {:?} gave {}", stream[0], describe_end(whole));
    }
}

// After a stream read to its end, one more reply must come out whole and alone.
void check_next_reply_follows(reply_reader& reader) {
    reader.feed("+NEXT\r\n", 7);
    reply r = reply::make_integer(7);  // not nil, so that a reply left unset shows
    if (!reader.next(r)) fail("no reply for +NEXT after a complete stream");
    if (!r.is_status() || r.as_string() != "NEXT") fail("+NEXT after a complete stream read as {}", describe(r));
    if (reader.next(r)) fail("a second reply after +NEXT: {}", describe(r));
    if (reader.has_buffered_bytes()) fail("bytes buffered after +NEXT");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input_reader in(data, size);
    const setup s = read_setup(in);
    const std::string_view stream = in.rest();

    reply_reader whole_reader(s.limits);
    const outcome whole = read_whole(whole_reader, stream);
    check_resp3_refused(stream, whole);
    reply_reader chunked_reader(s.limits, s.parsing);
    const outcome chunked = read_chunked(chunked_reader, stream, s);
    compare(whole, chunked, s);

    if (whole.error) {
        check_stays_failed(whole_reader, *whole.error);
        check_stays_failed(chunked_reader, *chunked.error);
    } else if (!whole.buffered) {
        check_next_reply_follows(whole_reader);
        check_next_reply_follows(chunked_reader);
    }
    return 0;
}
