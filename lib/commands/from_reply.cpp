// The scalar reply readers every `reply_converter` is built from, and a command's arguments
// kept in one allocation.
#include <charconv>
#include <cstring>
#include <new>
#include <utility>

#include <fmt/format.h>

#include "redpool/detail/encode.hpp"
#include "redpool/command.hpp"

namespace redpool {

void throw_unexpected_reply(const reply& r, std::string_view wanted) {
    if (r.is_error()) throw reply_error(std::string(r.as_string()));
    throw error(errc::protocol_error, fmt::format("unexpected {} reply (expected {})", to_string(r.type()), wanted));
}

namespace detail {

std::string string_from_reply(reply&& r) {
    if (!r.is_string() && !r.is_status()) throw_unexpected_reply(r, "a string");
    return r.take_string();
}

long long integer_from_reply(const reply& r) {
    if (!r.is_integer()) throw_unexpected_reply(r, "an integer");
    return r.as_integer();
}

// Redis prints doubles as "%.17g" or as "inf"/"-inf"; std::from_chars reads both exactly.
double double_from_reply(const reply& r) {
    if (r.is_integer()) return static_cast<double>(r.as_integer());
    if (!r.is_string() && !r.is_status()) throw_unexpected_reply(r, "a number");
    std::string_view text = r.as_string();
    const char* first = text.data();
    const char* last = first + text.size();
    if (first != last && *first == '+') ++first;  // from_chars takes no leading '+'
    double value = 0;
    auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last || first == last) throw_unexpected_reply(r, "a number");
    return value;
}

bool bool_from_reply(const reply& r) { return integer_from_reply(r) != 0; }

void any_from_reply(const reply& r) {
    if (r.is_error()) throw_unexpected_reply(r, "");
}

std::vector<reply>& array_from_reply(reply& r) {
    if (!r.is_array() && !r.is_nil()) throw_unexpected_reply(r, "an array");
    return r.elements();
}

std::vector<reply>& pairs_from_reply(reply& r) {
    std::vector<reply>& e = array_from_reply(r);
    if (e.size() % 2 != 0) throw_unexpected_reply(r, "an array of pairs");
    return e;
}

void rethrow_naming(std::string_view command_name) {
    try {
        throw;
    } catch (const reply_error&) {
        throw;
    } catch (const error& e) {
        if (e.code() != errc::protocol_error || command_name.empty()) throw;
        throw error(e.code(), fmt::format("{}: {}", command_name, e.what()), e.outcome_unknown());
    }
}

// --- argument_block ------------------------------------------------------------------------

void argument_block::encode_long(std::span<const std::string_view> args) {
    if (args.empty()) return;
    bytes_ = encoded_size(args);
    const std::size_t size = count_ * sizeof(std::string_view) + bytes_;
    void* block = size <= inline_size ? static_cast<void*>(inline_) : ::operator new(size);
    views_ = static_cast<std::string_view*>(block);
    encode_command_at(reinterpret_cast<char*>(views_ + count_), args, views_);
}

argument_block::argument_block(const argument_block& other) : argument_block(other.view()) {}

argument_block::argument_block(argument_block&& other) noexcept { take(other); }

argument_block& argument_block::operator=(const argument_block& other) {
    if (this != &other) *this = argument_block(other);
    return *this;
}

argument_block& argument_block::operator=(argument_block&& other) noexcept {
    if (this != &other) {
        release();
        take(other);
    }
    return *this;
}

// An allocated block changes owner as it is; an inline one is copied, and its views re-pointed
// at this block's bytes.
void argument_block::take(argument_block& other) noexcept {
    count_ = std::exchange(other.count_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
    if (!other.is_inline()) {
        views_ = std::exchange(other.views_, nullptr);
        return;
    }
    views_ = reinterpret_cast<std::string_view*>(inline_);
    const char* from = reinterpret_cast<const char*>(other.views_ + count_);
    char* to = reinterpret_cast<char*>(views_ + count_);
    if (bytes_ > 0) std::memcpy(to, from, bytes_);
    for (std::size_t i = 0; i < count_; ++i)
        new (views_ + i) std::string_view(to + (other.views_[i].data() - from), other.views_[i].size());
    other.views_ = nullptr;
}

}  // namespace detail
}  // namespace redpool
