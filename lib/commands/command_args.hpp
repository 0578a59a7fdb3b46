// detail helpers for building a typed command's arguments.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "redpool/command.hpp"

namespace redpool::detail {

/// The digits of a formatted integer as an argument; valid while `digits` lives.
inline std::string_view view(const fmt::format_int& digits) { return {digits.data(), digits.size()}; }

/// Arguments gathered at run time (options, variadic keys, numbers), then made into a
/// `command<T>`, which copies them: views given to `add` need only outlive `build`.
class args_builder {
public:
    explicit args_builder(std::string_view name) { args_.push_back(name); }

    args_builder& add(std::string_view arg) {
        args_.push_back(arg);
        return *this;
    }
    args_builder& add_integer(long long n) {
        numbers_.push_back(fmt::format_int(n).str());
        args_.push_back(numbers_.back());
        return *this;
    }
    /// Redis's forms: the shortest text that reads back as the same double; "inf", "-inf".
    args_builder& add_double(double d) {
        numbers_.push_back(fmt::format("{}", d));
        args_.push_back(numbers_.back());
        return *this;
    }
    args_builder& add_all(std::span<const std::string_view> args) {
        args_.insert(args_.end(), args.begin(), args.end());
        return *this;
    }
    args_builder& add_pairs(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
        for (const auto& [a, b] : pairs) {
            args_.push_back(a);
            args_.push_back(b);
        }
        return *this;
    }
    std::size_t size() const noexcept { return args_.size(); }

    /// Read with `from_reply<T>`.
    template <class T>
    command<T> build() const {
        return command<T>(std::span<const std::string_view>(args_));
    }
    template <class T>
    command<T> build(typename command<T>::converter convert) const {
        return command<T>(std::span<const std::string_view>(args_), convert);
    }

private:
    std::vector<std::string_view> args_;
    std::deque<std::string> numbers_;  // a deque never moves its elements, so views stay valid
};

/// Spans over braced lists, for the initializer_list overloads.
template <class T>
std::span<const T> as_span(std::initializer_list<T> list) noexcept {
    return {list.begin(), list.size()};
}

}  // namespace redpool::detail
