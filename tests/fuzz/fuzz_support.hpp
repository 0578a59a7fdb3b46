// What the fuzz targets share: reading parameters off the front of an input, a small
// deterministic random source, and failing an oracle loudly (libFuzzer keeps the input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "redpool/error.hpp"
#include "redpool/reply.hpp"

namespace redpool::fuzz {

/// Prints why the oracle failed and aborts, which libFuzzer reports as a crash.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
    std::fprintf(stderr, "\nFUZZ ORACLE FAILED: %s\n", fmt::format(format, std::forward<Args>(args)...).c_str());
    std::fflush(stderr);
    std::abort();
}

/// Takes parameters from the front of the input; past its end every value is 0.
class input_reader {
public:
    input_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
    std::size_t remaining() const { return size_ - at_; }
    /// The next `n` bytes (fewer at the end).
    std::string_view take(std::size_t n) {
        n = n < remaining() ? n : remaining();
        std::string_view out(reinterpret_cast<const char*>(data_ + at_), n);
        at_ += n;
        return out;
    }
    std::string_view rest() { return take(remaining()); }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

/// xorshift32: the same seed gives the same chunking, so a crash reproduces.
class rng {
public:
    explicit rng(std::uint32_t seed) : state_(seed | 1u) {}
    std::uint32_t next() {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        return state_;
    }
    /// Uniform enough in [low, high].
    std::size_t between(std::size_t low, std::size_t high) { return low + next() % (high - low + 1); }

private:
    std::uint32_t state_;
};

/// The error's errc, after checking that it is one of redpool's.
inline errc code_of(const error& e) {
    if (e.code().category() != category()) {
        fail("redpool::error in category {}: {}", e.code().category().name(), e.what());
    }
    return static_cast<errc>(e.code().value());
}

/// An errc as its number, for failure messages.
inline int number(errc e) { return static_cast<int>(e); }

/// A short description of a reply, for failure messages.
inline std::string describe(const reply& r) {
    std::string text = fmt::format("{}", r);
    return text.size() > 300 ? text.substr(0, 300) + "..." : text;
}

/// Equality read through the public accessors only, plus operator== (which must agree).
inline bool same_reply(const reply& a, const reply& b) {
    bool same = a.type() == b.type() && a.size() == b.size();
    if (same) {
        switch (a.type()) {
            case reply_type::status:
            case reply_type::error:
            case reply_type::string: same = a.as_string() == b.as_string(); break;
            case reply_type::integer: same = a.as_integer() == b.as_integer(); break;
            case reply_type::array:
                for (std::size_t i = 0; same && i < a.size(); ++i) same = same_reply(a.elements()[i], b.elements()[i]);
                break;
            case reply_type::nil: break;
        }
    }
    if (same != (a == b)) fail("operator== says {} for {} and {}", a == b, describe(a), describe(b));
    return same;
}

}  // namespace redpool::fuzz
