// redpool::client's string and counter commands: GET/SET and friends, MGET/MSET, INCR/DECR.
#include <array>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/reply_convert.hpp"
#include "redpool/client.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {

using detail::view;
using detail::with_keys;


void validate(const set_options& opts) {
    if (opts.ttl.count() < 0) throw error(errc::invalid_argument, "SET: negative ttl");
    if (opts.keep_ttl && opts.ttl.count() > 0)
        throw error(errc::invalid_argument, "SET: keep_ttl and a ttl are mutually exclusive");
}

// SET key value [NX|XX] [PX ms | KEEPTTL] [GET]. Not copyable: `args()` points into `ms_`.
class set_command {
public:
    set_command(std::string_view key, std::string_view value, const set_options& opts, bool get)
        : ms_(opts.ttl.count()) {
        validate(opts);
        push("SET");
        push(key);
        push(value);
        if (opts.when == set_options::condition::if_not_exists) push("NX");
        if (opts.when == set_options::condition::if_exists) push("XX");
        if (opts.ttl.count() > 0) {
            push("PX");
            push(view(ms_));
        }
        if (opts.keep_ttl) push("KEEPTTL");
        if (get) push("GET");
    }
    set_command(const set_command&) = delete;
    set_command& operator=(const set_command&) = delete;

    std::span<const std::string_view> args() const { return {args_.data(), size_}; }

private:
    void push(std::string_view arg) { args_[size_++] = arg; }

    fmt::format_int ms_;
    std::array<std::string_view, 7> args_{};
    std::size_t size_ = 0;
};


}  // namespace

std::optional<std::string> client::get(std::string_view key) {
    return detail::to_optional_string("GET", command({"GET", key}));
}

bool client::set(std::string_view key, std::string_view value, const set_options& opts) {
    set_command cmd(key, value, opts, false);
    reply r = command(cmd.args());
    if (r.is_nil()) return false;  // the NX/XX condition was not met
    detail::expect_ok("SET", r);
    return true;
}

bool client::set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
    set_options opts;
    opts.ttl = ttl;
    return set(key, value, opts);
}

std::optional<std::string> client::set_get(std::string_view key, std::string_view value,
                                           const set_options& opts) {
    set_command cmd(key, value, opts, true);
    return detail::to_optional_string("SET", command(cmd.args()));
}

std::vector<std::optional<std::string>> client::mget(std::span<const std::string_view> keys) {
    if (keys.empty()) return {};  // MGET with no key is a server error; nothing to fetch
    return detail::to_optional_strings("MGET", command(with_keys("MGET", keys)));
}

std::vector<std::optional<std::string>> client::mget(std::initializer_list<std::string_view> keys) {
    return mget(std::span<const std::string_view>(keys.begin(), keys.size()));
}

void client::mset(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
    if (pairs.empty()) throw error(errc::invalid_argument, "MSET: no key-value pairs");
    std::vector<std::string_view> args;
    args.reserve(pairs.size() * 2 + 1);
    args.push_back("MSET");
    for (const auto& [key, value] : pairs) {
        args.push_back(key);
        args.push_back(value);
    }
    detail::expect_ok("MSET", command(args));
}

void client::mset(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
    mset(std::span<const std::pair<std::string_view, std::string_view>>(pairs.begin(), pairs.size()));
}

std::optional<std::string> client::getdel(std::string_view key) {
    return detail::to_optional_string("GETDEL", command({"GETDEL", key}));
}

std::optional<std::string> client::getex(std::string_view key, const getex_options& opts) {
    if (opts.ttl.count() < 0) throw error(errc::invalid_argument, "GETEX: negative ttl");
    if (opts.persist && opts.ttl.count() > 0)
        throw error(errc::invalid_argument, "GETEX: persist and a ttl are mutually exclusive");
    fmt::format_int ms(opts.ttl.count());
    std::array<std::string_view, 4> args{"GETEX", key};
    std::size_t size = 2;
    if (opts.ttl.count() > 0) {
        args[size++] = "PX";
        args[size++] = view(ms);
    } else if (opts.persist) {
        args[size++] = "PERSIST";
    }
    return detail::to_optional_string("GETEX", command(std::span<const std::string_view>(args.data(), size)));
}

long long client::append(std::string_view key, std::string_view value) {
    return detail::to_integer("APPEND", command({"APPEND", key, value}));
}

long long client::strlen(std::string_view key) {
    return detail::to_integer("STRLEN", command({"STRLEN", key}));
}

std::string client::getrange(std::string_view key, long long start, long long end) {
    fmt::format_int from(start), to(end);
    return detail::to_string("GETRANGE", command({"GETRANGE", key, view(from), view(to)}));
}

long long client::setrange(std::string_view key, long long offset, std::string_view value) {
    fmt::format_int at(offset);
    return detail::to_integer("SETRANGE", command({"SETRANGE", key, view(at), value}));
}

long long client::incr(std::string_view key) {
    return detail::to_integer("INCR", command({"INCR", key}));
}

long long client::incrby(std::string_view key, long long increment) {
    fmt::format_int by(increment);
    return detail::to_integer("INCRBY", command({"INCRBY", key, view(by)}));
}

double client::incrbyfloat(std::string_view key, double increment) {
    // fmt's shortest round-trip form, so 0.1 goes out as "0.1", not 0.1000000000000000055.
    std::string by = fmt::format("{}", increment);
    reply r = command({"INCRBYFLOAT", key, by});
    if (!r.is_string()) detail::unexpected_reply("INCRBYFLOAT", r, "a number as a string");
    std::string_view text = r.as_string();
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        detail::unexpected_reply("INCRBYFLOAT", r, "a number as a string");
    return value;
}

long long client::decr(std::string_view key) {
    return detail::to_integer("DECR", command({"DECR", key}));
}

long long client::decrby(std::string_view key, long long decrement) {
    fmt::format_int by(decrement);
    return detail::to_integer("DECRBY", command({"DECRBY", key, view(by)}));
}

}  // namespace redpool
