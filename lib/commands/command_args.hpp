// detail helpers for building a typed command's arguments.
#pragma once

#include <chrono>
#include <algorithm>
#include <array>
#include <charconv>
#include <forward_list>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "redpool/command.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {

/// The digits of a formatted integer as an argument; valid while `digits` lives.
inline std::string_view view(const fmt::format_int& digits) { return {digits.data(), digits.size()}; }

/// Arguments gathered at run time (options, variadic keys, numbers), then made into a
/// `command<T>`, which copies them: views given to `add` need only outlive `build`. Short
/// commands (SET with its options) stay on the stack; long ones spill to the heap.
class args_builder {
public:
    explicit args_builder(std::string_view name) { push(name); }
    // Moving re-points the views at numbers held inline; a copy could not do it safely.
    args_builder(args_builder&& other) noexcept
        : count_(other.count_),
          spilled_(std::move(other.spilled_)),
          numbers_used_(other.numbers_used_),
          more_numbers_(std::move(other.more_numbers_)) {
        // Only the slots in use hold values; the rest are left unset.
        std::copy_n(other.inline_.begin(), spilled_.empty() ? count_ : 0, inline_.begin());
        std::copy_n(other.inline_numbers_.begin(), numbers_used_, inline_numbers_.begin());
        const char* from = other.inline_numbers_.front().data();
        const char* to = from + sizeof(inline_numbers_);
        auto rebase = [&](std::string_view& v) {
            // std::less: a total order even for pointers into unrelated objects.
            if (!std::less<const char*>()(v.data(), from) && std::less<const char*>()(v.data(), to))
                v = std::string_view(inline_numbers_.front().data() + (v.data() - from), v.size());
        };
        if (spilled_.empty())
            for (std::size_t i = 0; i < count_; ++i) rebase(inline_[i]);
        for (std::string_view& v : spilled_) rebase(v);
    }
    args_builder(const args_builder&) = delete;
    args_builder& operator=(const args_builder&) = delete;
    args_builder& operator=(args_builder&&) = delete;

    args_builder& add(std::string_view arg) {
        push(arg);
        return *this;
    }
    args_builder& add_integer(long long n) {
        char* out = number_slot();
        return add_number(out, fmt::format_to_n(out, number_size, "{}", n).size);
    }
    /// Redis's forms: the shortest text that reads back as the same double; "inf", "-inf".
    args_builder& add_double(double d) {
        char* out = number_slot();
        return add_number(out, fmt::format_to_n(out, number_size, "{}", d).size);
    }
    /// A blocking command's timeout in seconds, as BLPOP and friends take it ("1.5"); zero
    /// means "wait forever". A negative timeout throws `errc::invalid_argument`.
    args_builder& add_timeout_seconds(std::chrono::milliseconds timeout) {
        if (timeout.count() < 0)
            throw error(errc::invalid_argument, fmt::format("{}: negative timeout", view().front()));
        char* out = number_slot();
        auto written = fmt::format_to_n(out, number_size, "{}.{:03}", timeout.count() / 1000, timeout.count() % 1000);
        return add_number(out, written.size);
    }
    args_builder& add_all(std::span<const std::string_view> args) {
        for (std::string_view a : args) push(a);
        return *this;
    }
    args_builder& add_pairs(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
        for (const auto& [a, b] : pairs) {
            push(a);
            push(b);
        }
        return *this;
    }
    std::size_t size() const noexcept { return view().size(); }

    /// Read with `from_reply<T>`.
    template <class T>
    command<T> build() const {
        return command<T>(view());
    }
    template <class T>
    command<T> build(typename command<T>::converter convert) const {
        return command<T>(view(), convert);
    }

private:
    static constexpr std::size_t number_size = 32;  // any long long or shortest double fits

    std::span<const std::string_view> view() const noexcept {
        if (spilled_.empty()) return {inline_.data(), count_};
        return spilled_;
    }
    void push(std::string_view arg) {
        if (spilled_.empty() && count_ < inline_.size()) {
            inline_[count_++] = arg;
            return;
        }
        if (spilled_.empty()) spilled_.assign(inline_.begin(), inline_.begin() + count_);
        spilled_.push_back(arg);
    }
    char* number_slot() {
        if (numbers_used_ < inline_numbers_.size()) return inline_numbers_[numbers_used_++].data();
        return more_numbers_.emplace_front().data();  // a list never moves its elements
    }
    args_builder& add_number(const char* text, std::size_t size) {
        push(std::string_view(text, std::min(size, number_size)));
        return *this;
    }

    std::array<std::string_view, 16> inline_;  // the first count_ are set
    std::size_t count_ = 0;
    std::vector<std::string_view> spilled_;  // every argument, once more than 16
    std::array<std::array<char, number_size>, 4> inline_numbers_;  // the first numbers_used_ are set
    std::size_t numbers_used_ = 0;
    std::forward_list<std::array<char, number_size>> more_numbers_;
};

/// Calls `on(name, value)` for each pair of a flat RESP2 map (XINFO, FUNCTION LIST, ...).
/// Readers pick the names they know and ignore the rest, so fields a newer server adds change
/// nothing.
template <class On>
void for_each_field(reply& r, On&& on) {
    std::vector<reply>& e = pairs_from_reply(r);
    for (std::size_t i = 0; i < e.size(); i += 2) {
        if (!e[i].is_string() && !e[i].is_status()) throw_unexpected_reply(e[i], "a field name");
        on(e[i].as_string(), std::move(e[i + 1]));
    }
}

/// A command on nothing (DEL of no keys, HMGET of no fields, ...), answered without asking the
/// server: `T{}` (0, false, an empty vector).
template <class T>
command<T> answered_empty() {
    return command<T>::answered_locally([](reply&&) { return T{}; });
}

/// An integer, or an integer written as a bulk string (TIME's fields, XPENDING's counts).
inline long long integer_from_text(const reply& r, std::string_view wanted = "an integer") {
    if (r.is_integer()) return r.as_integer();
    if (!r.is_string()) throw_unexpected_reply(r, wanted);
    std::string_view text = r.as_string();
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) throw_unexpected_reply(r, wanted);
    return value;
}

/// The converter of commands that answer `+OK` (MSET, RENAME, ...): anything else throws.
inline void read_ok(reply&& r) {
    if (!r.is_status() || r.as_string() != "OK") throw_unexpected_reply(r, "OK");
}

/// Spans over braced lists, for the initializer_list overloads.
template <class T>
std::span<const T> as_span(std::initializer_list<T> list) noexcept {
    return {list.begin(), list.size()};
}

}  // namespace redpool::detail
