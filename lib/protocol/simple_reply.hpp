// detail::scan_simple_reply — recognises one complete, well-formed top-level reply of the
// four kinds that are not arrays (+status, -error, :integer, $bulk or $-1), without hiredis.
//
// Why: nearly every reply is one of these, and hiredis's reader spends ~300 instructions on
// each (its task stack, a callback per value); recognising one here takes a few dozen, which
// is what a 1,000-command pipeline of GETs needs to keep up with redis-benchmark. Anything
// else (an array, a malformed or suspicious byte, a bulk longer than the limit) is left to
// hiredis, which then reports exactly what it always did: this accepts only what hiredis
// accepts, and reads it as hiredis does (tests/protocol_test.cpp checks both side by side).
#pragma once

#include <cstddef>
#include <cstring>

namespace redpool::detail {

enum class simple_scan {
    complete,    // `simple_reply` describes it, `size` bytes long
    incomplete,  // a simple reply whose rest has not arrived
    other,       // for hiredis: an array, malformed, or over a limit
};

struct simple_reply {
    char kind = 0;               // '+', '-', ':', '$' (a nil bulk: '$' with `nil`)
    bool nil = false;
    const char* text = nullptr;  // the payload of '+', '-' and '$'
    std::size_t text_size = 0;
    long long integer = 0;       // of ':'
    std::size_t size = 0;        // bytes the reply takes, CR LF included
};

namespace simple_scan_detail {

// A line longer than this without its CR LF is left to hiredis, so that a line arriving in
// many small pieces is not searched from its start every time.
constexpr std::size_t longest_pending_line = 4 * 1024;

// The first "\r\n" in [at, end), as hiredis's seekNewline finds it; nullptr if none yet.
inline const char* find_crlf(const char* at, const char* end) noexcept {
    while (at < end) {
        const auto* cr = static_cast<const char*>(std::memchr(at, '\r', static_cast<std::size_t>(end - at)));
        if (cr == nullptr || cr + 1 == end) return nullptr;
        if (cr[1] == '\n') return cr;
        at = cr + 1;
    }
    return nullptr;
}

// A decimal in hiredis's strict form ("0", or an optional '-', a digit 1-9, more digits; within
// long long) and the CR LF after it, at `at`. Complete: `value` is it and `next` the byte after
// the CR LF. Incomplete: `value` is what the digits so far make (a bulk length is checked
// against its limit before its end arrives). Anything else is hiredis's to refuse.
inline simple_scan scan_decimal_line(const char* at, const char* end, long long& value, const char*& next) noexcept {
    const bool negative = at < end && *at == '-';
    const char* p = negative ? at + 1 : at;
    if (p == end) return simple_scan::incomplete;
    const char* const digits = p;
    unsigned long long v = 0;
    if (*p == '0') {
        if (negative) return simple_scan::other;  // "-0"
        ++p;
    } else if (*p >= '1' && *p <= '9') {
        for (; p < end && *p >= '0' && *p <= '9'; ++p) {
            if (p - digits == 19) return simple_scan::other;  // more digits than a long long has
            v = v * 10 + static_cast<unsigned>(*p - '0');
        }
    } else {
        return simple_scan::other;
    }
    // 19 digits cannot overflow 64 bits, but may pass long long's range.
    constexpr unsigned long long most_positive = ~0ull >> 1;
    if (negative ? v > most_positive + 1 : v > most_positive) return simple_scan::other;
    value = negative ? static_cast<long long>(0 - v) : static_cast<long long>(v);
    if (end - p < 2) return p == end || *p == '\r' ? simple_scan::incomplete : simple_scan::other;
    if (p[0] != '\r' || p[1] != '\n') return simple_scan::other;
    next = p + 2;
    return simple_scan::complete;
}

}  // namespace simple_scan_detail

/// Looks at the reply starting at `at` (bytes up to `end` have arrived). A bulk string longer
/// than `max_bulk_length` is `other`, as soon as its length is known. Always inlined: it runs
/// once per reply, and a call costs a fair part of what it does.
[[gnu::always_inline]] inline simple_scan scan_simple_reply(const char* at, const char* end,
                                                            std::size_t max_bulk_length,
                                                            simple_reply& out) noexcept {
    using namespace simple_scan_detail;
    if (at == end) return simple_scan::incomplete;
    const char kind = *at;
    if (kind == '$') {
        long long length = 0;
        const char* body = nullptr;
        const auto digit = [](char c) { return c >= '0' && c <= '9'; };
        const auto too_long = [&] { return length > 0 && static_cast<unsigned long long>(length) > max_bulk_length; };
        if (end - at >= 4 && digit(at[1]) && at[2] == '\r' && at[3] == '\n') {
            // Most bulks are short: a length of one or two digits is read at once.
            length = at[1] - '0';
            body = at + 4;
        } else if (end - at >= 5 && at[1] != '0' && digit(at[1]) && digit(at[2]) && at[3] == '\r' && at[4] == '\n') {
            length = (at[1] - '0') * 10 + (at[2] - '0');
            body = at + 5;
        } else {
            const simple_scan header = scan_decimal_line(at + 1, end, length, body);
            // Checked before the length's end arrives too: a length past the limit is refused
            // as soon as its digits pass it.
            if (too_long()) return simple_scan::other;
            if (header != simple_scan::complete) return header;
        }
        if (too_long()) return simple_scan::other;  // the lengths read at once above
        out.kind = '$';
        out.nil = length < 0;
        if (out.nil) {
            if (length != -1) return simple_scan::other;
            out.size = static_cast<std::size_t>(body - at);
            return simple_scan::complete;
        }
        const auto body_size = static_cast<std::size_t>(length);
        if (static_cast<std::size_t>(end - body) < body_size + 2) return simple_scan::incomplete;
        if (body[body_size] != '\r' || body[body_size + 1] != '\n') return simple_scan::other;
        out.text = body;
        out.text_size = body_size;
        out.size = static_cast<std::size_t>(body + body_size + 2 - at);
        return simple_scan::complete;
    }
    if (kind == ':') {
        const char* next = nullptr;
        const simple_scan line = scan_decimal_line(at + 1, end, out.integer, next);
        if (line != simple_scan::complete) return line;
        out.kind = ':';
        out.nil = false;
        out.size = static_cast<std::size_t>(next - at);
        return simple_scan::complete;
    }
    if (kind != '+' && kind != '-') return simple_scan::other;
    const char* line_end = find_crlf(at + 1, end);
    if (line_end == nullptr) {
        return static_cast<std::size_t>(end - at) > longest_pending_line ? simple_scan::other : simple_scan::incomplete;
    }
    out.kind = kind;
    out.nil = false;
    out.text = at + 1;
    out.text_size = static_cast<std::size_t>(line_end - (at + 1));
    out.size = static_cast<std::size_t>(line_end + 2 - at);
    return simple_scan::complete;
}

}  // namespace redpool::detail
