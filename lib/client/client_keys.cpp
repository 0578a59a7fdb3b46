// redpool::client's keyspace commands: DEL, EXISTS, expiry, RENAME, KEYS, and the lazy SCAN.
#include <array>

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/reply_convert.hpp"
#include "redpool/client.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {

using detail::view;
using detail::with_keys;

std::span<const std::string_view> as_span(std::initializer_list<std::string_view> keys) {
    return {keys.begin(), keys.size()};
}

}  // namespace

long long client::del(std::string_view key) { return detail::to_integer("DEL", command({"DEL", key})); }

long long client::del(std::span<const std::string_view> keys) {
    if (keys.empty()) return 0;  // DEL with no key is a server error; nothing to remove
    return detail::to_integer("DEL", command(with_keys("DEL", keys)));
}

long long client::del(std::initializer_list<std::string_view> keys) { return del(as_span(keys)); }

long long client::unlink(std::span<const std::string_view> keys) {
    if (keys.empty()) return 0;
    return detail::to_integer("UNLINK", command(with_keys("UNLINK", keys)));
}

long long client::unlink(std::initializer_list<std::string_view> keys) { return unlink(as_span(keys)); }

long long client::exists(std::span<const std::string_view> keys) {
    if (keys.empty()) return 0;
    return detail::to_integer("EXISTS", command(with_keys("EXISTS", keys)));
}

long long client::exists(std::initializer_list<std::string_view> keys) { return exists(as_span(keys)); }

bool client::expire(std::string_view key, std::chrono::seconds ttl) {
    fmt::format_int s(ttl.count());
    return detail::to_bool("EXPIRE", command({"EXPIRE", key, view(s)}));
}

bool client::pexpire(std::string_view key, std::chrono::milliseconds ttl) {
    fmt::format_int ms(ttl.count());
    return detail::to_bool("PEXPIRE", command({"PEXPIRE", key, view(ms)}));
}

bool client::expireat(std::string_view key, std::chrono::system_clock::time_point when) {
    auto since_epoch = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch());
    fmt::format_int s(since_epoch.count());
    return detail::to_bool("EXPIREAT", command({"EXPIREAT", key, view(s)}));
}

std::chrono::seconds client::ttl(std::string_view key) {
    return std::chrono::seconds(detail::to_integer("TTL", command({"TTL", key})));
}

std::chrono::milliseconds client::pttl(std::string_view key) {
    return std::chrono::milliseconds(detail::to_integer("PTTL", command({"PTTL", key})));
}

bool client::persist(std::string_view key) {
    return detail::to_bool("PERSIST", command({"PERSIST", key}));
}

std::string client::type(std::string_view key) { return detail::to_string("TYPE", command({"TYPE", key})); }

void client::rename(std::string_view key, std::string_view new_key) {
    detail::expect_ok("RENAME", command({"RENAME", key, new_key}));
}

bool client::renamenx(std::string_view key, std::string_view new_key) {
    return detail::to_bool("RENAMENX", command({"RENAMENX", key, new_key}));
}

std::vector<std::string> client::keys(std::string_view pattern) {
    return detail::to_strings("KEYS", command({"KEYS", pattern}));
}

scan_range client::scan(scan_options opts) { return scan_range(*this, std::move(opts)); }

// --- scan_range ------------------------------------------------------------------------------

scan_range::iterator::iterator(scan_range* range) : range_(range) { settle(); }

scan_range::iterator& scan_range::iterator::operator++() {
    ++index_;
    settle();
    return *this;
}

// SCAN may answer a batch with no keys and a non-zero cursor, so keep fetching until there is
// a key to show or the scan is over.
void scan_range::iterator::settle() {
    while (index_ >= range_->keys_.size()) {
        if (!range_->fetch()) {
            range_ = nullptr;
            return;
        }
        index_ = 0;
    }
}

// client::command is private, so the range goes through exec and checks the reply itself.
bool scan_range::fetch() {
    if (started_ && cursor_ == "0") return false;
    fmt::format_int count(options_.count);
    std::array<std::string_view, 8> args{"SCAN", cursor_};
    std::size_t size = 2;
    if (!options_.match.empty()) {
        args[size++] = "MATCH";
        args[size++] = options_.match;
    }
    if (options_.count > 0) {
        args[size++] = "COUNT";
        args[size++] = view(count);
    }
    if (!options_.type.empty()) {
        args[size++] = "TYPE";
        args[size++] = options_.type;
    }
    reply r = client_->exec(std::span<const std::string_view>(args.data(), size));
    detail::check(r);
    if (!r.is_array() || r.size() != 2 || !r[0].is_string())
        detail::unexpected_reply("SCAN", r, "[cursor, keys]");
    cursor_ = r.elements()[0].take_string();
    keys_ = detail::to_strings("SCAN", std::move(r.elements()[1]));
    started_ = true;
    return true;
}

}  // namespace redpool
