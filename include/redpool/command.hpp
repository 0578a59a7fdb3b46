// redpool/command.hpp — commands as values: the arguments a command sends, and how its reply
// becomes a typed result. Every typed command is written once, as a factory in
// `namespace redpool::cmd` returning a `command<T>`, and every executor runs the same value:
//
//     redpool::command<long long> c({"INCRBY", "counter", "5"});   // read with from_reply<T>
//     long long n = redis.run(c);                                  // client: a T
//     std::optional<std::string> v = redis.run(redpool::cmd::get("k"));
//
// `client` returns the `T`; pipelines and transactions return a `deferred<T>`; the async
// client completes a token with the `T`.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "redpool/detail/encode.hpp"
#include "redpool/error.hpp"
#include "redpool/reply.hpp"

namespace redpool {

// --- reading replies -------------------------------------------------------------------------

/// How a reply becomes a `T`. redpool defines it for `reply`, `std::string`, `long long`,
/// `double`, `bool`, `void`, `std::chrono` durations, and for `std::optional`, `std::vector`,
/// `std::pair` and `std::unordered_map` of those. To read a type of your own, specialize it:
///
///     template <>
///     struct redpool::reply_converter<point> {
///         static point convert(redpool::reply&& r) {
///             if (r.size() != 2) redpool::throw_unexpected_reply(r, "two numbers");
///             auto xy = redpool::from_reply<std::vector<double>>(std::move(r));
///             return {xy[0], xy[1]};
///         }
///     };
///
/// after which `command<point>`, `command<std::vector<point>>` and
/// `command<std::optional<point>>` work in every executor. A converter throws
/// `redpool::error` with `errc::protocol_error` for a reply of the wrong shape
/// (`throw_unexpected_reply` builds that message; executors add the command's name), and
/// `reply_error` for a server error it meets (the `from_reply` of every type above does).
template <class T, class Enable = void>
struct reply_converter;

/// Converts a reply with `reply_converter<T>`.
template <class T>
T from_reply(reply&& r) {
    return reply_converter<T>::convert(std::move(r));
}

/// Same, from a reply that is kept (its strings are copied rather than moved).
template <class T>
T from_reply(const reply& r) {
    return reply_converter<T>::convert(reply(r));
}

/// Throws `redpool::error` (`errc::protocol_error`): "unexpected <type> reply (expected <wanted>)".
/// A server error reply throws `reply_error` with the server's message instead.
[[noreturn]] void throw_unexpected_reply(const reply& r, std::string_view wanted);

namespace detail {
// The scalar readers every converter is built from (lib/commands/from_reply.cpp).
std::string string_from_reply(reply&& r);
long long integer_from_reply(const reply& r);
double double_from_reply(const reply& r);
bool bool_from_reply(const reply& r);
void any_from_reply(const reply& r);
/// Throws unless `r` is an array (nil counts as an empty one); returns its elements.
std::vector<reply>& array_from_reply(reply& r);
/// Same, and requires an even number of elements: a RESP2 map or a flat list of pairs.
std::vector<reply>& pairs_from_reply(reply& r);
}  // namespace detail

/// The reply as it is; a server error stays data.
template <>
struct reply_converter<reply> {
    static reply convert(reply&& r) { return std::move(r); }
};

/// Bulk strings and status replies (`+OK`, `+PONG`).
template <>
struct reply_converter<std::string> {
    static std::string convert(reply&& r) { return detail::string_from_reply(std::move(r)); }
};

/// Integer replies.
template <>
struct reply_converter<long long> {
    static long long convert(reply&& r) { return detail::integer_from_reply(r); }
};

/// Numbers as bulk strings, exactly as Redis prints them ("3.5", "inf", "-inf"), or integers.
template <>
struct reply_converter<double> {
    static double convert(reply&& r) { return detail::double_from_reply(r); }
};

/// Integer replies: non-zero is true (SISMEMBER, EXPIRE, HSETNX, ...).
template <>
struct reply_converter<bool> {
    static bool convert(reply&& r) { return detail::bool_from_reply(r); }
};

/// Any reply but a server error.
template <>
struct reply_converter<void> {
    static void convert(reply&& r) { detail::any_from_reply(r); }
};

/// An integer reply counting `Period`s (TTL's seconds, PTTL's milliseconds, ...).
template <class Rep, class Period>
struct reply_converter<std::chrono::duration<Rep, Period>> {
    static std::chrono::duration<Rep, Period> convert(reply&& r) {
        return std::chrono::duration<Rep, Period>(static_cast<Rep>(detail::integer_from_reply(r)));
    }
};

/// nil is nullopt; anything else is read as a `T`.
template <class T>
struct reply_converter<std::optional<T>> {
    static std::optional<T> convert(reply&& r) {
        if (r.is_nil()) return std::nullopt;
        return from_reply<T>(std::move(r));
    }
};

/// An array, element by element (nil is an empty vector).
template <class T>
struct reply_converter<std::vector<T>> {
    static std::vector<T> convert(reply&& r) {
        std::vector<reply>& elements = detail::array_from_reply(r);
        std::vector<T> out;
        out.reserve(elements.size());
        for (reply& e : elements) out.push_back(from_reply<T>(std::move(e)));
        return out;
    }
};

/// A two-element array.
template <class A, class B>
struct reply_converter<std::pair<A, B>> {
    static std::pair<A, B> convert(reply&& r) {
        std::vector<reply>& e = detail::array_from_reply(r);
        if (e.size() != 2) throw_unexpected_reply(r, "an array of two elements");
        return {from_reply<A>(std::move(e[0])), from_reply<B>(std::move(e[1]))};
    }
};

/// A RESP2 map: a flat array of keys and values (HGETALL, CONFIG GET, ...).
template <class K, class V>
struct reply_converter<std::unordered_map<K, V>> {
    static std::unordered_map<K, V> convert(reply&& r) {
        std::vector<reply>& e = detail::pairs_from_reply(r);
        std::unordered_map<K, V> out;
        out.reserve(e.size() / 2);
        for (std::size_t i = 0; i < e.size(); i += 2)
            out.insert_or_assign(from_reply<K>(std::move(e[i])), from_reply<V>(std::move(e[i + 1])));
        return out;
    }
};

/// A flat array of pairs as a vector of pairs, in order: ZRANGE ... WITHSCORES, HRANDFIELD ...
/// WITHVALUES.
template <class A, class B>
std::vector<std::pair<A, B>> pairs_from_reply(reply&& r) {
    std::vector<reply>& e = detail::pairs_from_reply(r);
    std::vector<std::pair<A, B>> out;
    out.reserve(e.size() / 2);
    for (std::size_t i = 0; i < e.size(); i += 2)
        out.emplace_back(from_reply<A>(std::move(e[i])), from_reply<B>(std::move(e[i + 1])));
    return out;
}

// --- commands --------------------------------------------------------------------------------

/// Views of a range of strings, for the typed methods' span overloads, which take views so
/// that nothing is copied twice: `redis.del(redpool::views(keys))` for a
/// `std::vector<std::string> keys`. The views live as long as the strings do.
template <class Range>
std::vector<std::string_view> views(const Range& strings) {
    std::vector<std::string_view> out;
    out.reserve(std::size(strings));
    for (const auto& s : strings) out.emplace_back(s);
    return out;
}

namespace detail {

/// A command's arguments in one block: the views, then the request as it goes on the wire
/// (RESP), which the views point into. Encoding once, when the command is built, means sending
/// it is one copy of ready bytes. A short command (GET, SET of a small value) keeps the block
/// inline, so building one allocates nothing; a longer one allocates it once, and a move keeps
/// its views valid.
class argument_block {
public:
    argument_block() noexcept = default;
    /// Inline, and forced so: a factory such as `cmd::get` passes a fixed list whose first
    /// argument is a literal, and the compiler then writes most of the request as constants
    /// (a GET is a few dozen instructions; called through a generic loop, several times that).
    [[gnu::always_inline]] explicit argument_block(std::span<const std::string_view> args) : count_(args.size()) {
        if (args.empty()) return;
        const std::size_t views_size = count_ * sizeof(std::string_view);
        if (const std::size_t bound = short_command_bound(args); bound != 0 && views_size + bound <= inline_size) {
            views_ = reinterpret_cast<std::string_view*>(inline_);
            char* const request = reinterpret_cast<char*>(inline_) + views_size;
            bytes_ = static_cast<std::size_t>(encode_short_command_at(request, args, views_) - request);
        } else {
            encode_long(args);
        }
    }
    argument_block(const argument_block& other);
    argument_block(argument_block&& other) noexcept;
    argument_block& operator=(const argument_block& other);
    argument_block& operator=(argument_block&& other) noexcept;
    ~argument_block() { release(); }

    std::span<const std::string_view> view() const noexcept { return {views_, count_}; }
    /// The arguments encoded as one RESP request.
    std::span<const char> encoded() const noexcept {
        return {reinterpret_cast<const char*>(views_ + count_), bytes_};
    }

private:
    static constexpr std::size_t inline_size = 160;

    // A command that is not short (see short_command_bound), or does not fit inline.
    void encode_long(std::span<const std::string_view> args);
    bool is_inline() const noexcept { return views_ == reinterpret_cast<const std::string_view*>(inline_); }
    void take(argument_block& other) noexcept;
    // Inline: a short command (nearly every one) has nothing to free.
    void release() noexcept {
        if (views_ != nullptr && !is_inline()) ::operator delete(views_);  // string_view is trivially destructible
        views_ = nullptr;
    }

    std::string_view* views_ = nullptr;  // inline_, or an allocation it owns; the request follows views
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;  // of the encoded request
    alignas(std::string_view) unsigned char inline_[inline_size];
};

/// Adds the command's name to a protocol error thrown while reading its reply, then rethrows;
/// other exceptions are rethrown as they are. Call only from a catch block.
[[noreturn]] void rethrow_naming(std::string_view command_name);

}  // namespace detail

/// A command as a value: the arguments it sends (binary-safe, the first one its name) and how
/// its reply becomes a `T`. Copyable and cheap to move; it owns its arguments, so the views it
/// was built from may go away. Run it with `client::run` (or any executor's `run`).
template <class T>
class command {
public:
    using result_type = T;
    /// Turns the reply into a `T`; see `reply_converter`.
    using converter = T (*)(reply&&);

    /// Sends `args` and reads the reply with `from_reply<T>`.
    /// (Forced inline, like `detail::argument_block`'s constructor, so a literal name folds.)
    [[gnu::always_inline]] command(std::initializer_list<std::string_view> args)
        : args_(std::span<const std::string_view>(args.begin(), args.size())) {}
    /// Same, from a sequence built at run time.
    explicit command(std::span<const std::string_view> args) : args_(args) {}
    /// Sends `args` and reads the reply with `convert`.
    command(std::span<const std::string_view> args, converter convert) : args_(args), convert_(convert) {}
    [[gnu::always_inline]] command(std::initializer_list<std::string_view> args, converter convert)
        : args_(std::span<const std::string_view>(args.begin(), args.size())), convert_(convert) {}

    /// A command whose result is known without asking the server (DEL of no keys is 0): it
    /// sends nothing, and executors hand `convert(nil)` to the caller.
    static command answered_locally(converter convert) {
        command c(std::span<const std::string_view>{}, convert);
        c.local_ = true;
        return c;
    }

    /// The arguments, the command's name first.
    std::span<const std::string_view> args() const noexcept { return args_.view(); }
    /// The request as it goes on the wire (a RESP array of bulk strings), encoded once when
    /// the command was built; empty for a command answered locally.
    std::span<const char> wire_bytes() const noexcept { return args_.encoded(); }
    /// The command's name as given (empty for a command answered locally).
    std::string_view name() const noexcept { return args().empty() ? std::string_view() : args()[0]; }
    /// True for a command answered without a round trip (see `answered_locally`).
    bool answered_locally() const noexcept { return local_; }
    /// How the reply becomes a `T` (without naming the command in errors, as `read` does).
    converter reader() const noexcept { return convert_; }

    /// Turns `r` into a `T`. A server error throws `reply_error`; a reply of the wrong shape
    /// throws `redpool::error` (`errc::protocol_error`) naming the command.
    T read(reply&& r) const {
        try {
            return convert_(std::move(r));
        } catch (...) {
            detail::rethrow_naming(name());
        }
    }

private:
    static T read_with_from_reply(reply&& r) { return from_reply<T>(std::move(r)); }

    detail::argument_block args_;
    converter convert_ = &read_with_from_reply;
    bool local_ = false;
};

/// One page of a cursor-based scan (SCAN, HSCAN, SSCAN, ZSCAN): pass `cursor` back for the
/// next page; "0" means the scan is complete.
template <class T>
struct scan_page {
    std::string cursor;
    std::vector<T> items;
};

/// A scan page from its reply: [cursor, [items...]], items read with `read_items`.
template <class T>
scan_page<T> scan_page_from_reply(reply&& r, std::vector<T> (*read_items)(reply&&)) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 2) throw_unexpected_reply(r, "a cursor and an array");
    scan_page<T> page;
    page.cursor = from_reply<std::string>(std::move(e[0]));
    page.items = read_items(std::move(e[1]));
    return page;
}

/// A scan page whose items are read with `from_reply<std::vector<T>>` (SCAN's keys, SSCAN's
/// members).
template <class T>
struct reply_converter<scan_page<T>> {
    static scan_page<T> convert(reply&& r) { return scan_page_from_reply<T>(std::move(r), &from_reply<std::vector<T>>); }
};

}  // namespace redpool
