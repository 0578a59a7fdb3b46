// redpool::options: reading a URL, writing one back with the password redacted, and checking
// that every field is in range before a client is built from it.
#include "redpool/options.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <thread>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "lib/net/node_address.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {

using duration = options::duration;
using member = std::variant<std::string options::*, int options::*, bool options::*,
                            std::size_t options::*, duration options::*>;

struct field {
    std::string_view name;
    member value;
};

// The query keys: exactly the field names, in the struct's order, which is also the order
// to_url() writes them in.
constexpr auto fields = std::to_array<field>({
    {"sentinel_master", &options::sentinel_master},
    {"sentinel_username", &options::sentinel_username},
    {"sentinel_password", &options::sentinel_password},
    {"sentinel_replica_only", &options::sentinel_replica_only},
    {"tls", &options::tls},
    {"tls_ca_file", &options::tls_ca_file},
    {"tls_cert_file", &options::tls_cert_file},
    {"tls_key_file", &options::tls_key_file},
    {"tls_server_name", &options::tls_server_name},
    {"tls_insecure_skip_verify", &options::tls_insecure_skip_verify},
    {"client_name", &options::client_name},
    {"dial_timeout", &options::dial_timeout},
    {"read_timeout", &options::read_timeout},
    {"write_timeout", &options::write_timeout},
    {"tcp_keepalive", &options::tcp_keepalive},
    {"tcp_keepalive_count", &options::tcp_keepalive_count},
    {"tcp_user_timeout", &options::tcp_user_timeout},
    {"pool_size", &options::pool_size},
    {"min_idle_conns", &options::min_idle_conns},
    {"max_idle_conns", &options::max_idle_conns},
    {"pool_timeout", &options::pool_timeout},
    {"conn_max_idle_time", &options::conn_max_idle_time},
    {"conn_max_lifetime", &options::conn_max_lifetime},
    {"conn_max_lifetime_jitter", &options::conn_max_lifetime_jitter},
    {"liveness_check_after", &options::liveness_check_after},
    {"pool_fifo", &options::pool_fifo},
    {"reaper_interval", &options::reaper_interval},
    {"multiplex", &options::multiplex},
    {"max_in_flight", &options::max_in_flight},
    {"max_retries", &options::max_retries},
    {"min_retry_backoff", &options::min_retry_backoff},
    {"max_retry_backoff", &options::max_retry_backoff},
    {"health_check_interval", &options::health_check_interval},
    {"lease_warning_after", &options::lease_warning_after},
    {"max_bulk_length", &options::max_bulk_length},
    {"max_array_elements", &options::max_array_elements},
    {"max_reply_depth", &options::max_reply_depth},
    {"db", &options::db},
});

using field_set = std::bitset<fields.size()>;

constexpr std::optional<std::size_t> find_field(std::string_view name) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == name) return i;
    }
    return std::nullopt;
}

constexpr std::size_t db_field = *find_field("db");

// Messages quote only what cannot be the password: callers never pass user info here.
template <typename... Args>
[[noreturn]] void bad_url(fmt::format_string<Args...> format, Args&&... args) {
    throw error(errc::invalid_argument,
                "invalid redis URL: " + fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void require(bool ok, fmt::format_string<Args...> format, Args&&... args) {
    if (!ok) {
        throw error(errc::invalid_argument,
                    "invalid options: " + fmt::format(format, std::forward<Args>(args)...));
    }
}

// --- values: text to field and back -----------------------------------------------------------

template <typename Int>
bool parse_integer(std::string_view text, Int& out) {
    Int value{};
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || stop != end) return false;
    out = value;
    return true;
}

bool parse_value(std::string_view text, int& out) { return parse_integer(text, out); }

bool parse_value(std::string_view text, std::size_t& out) { return parse_integer(text, out); }

bool parse_value(std::string_view text, bool& out) {
    const bool is_true = text == "true" || text == "1";
    if (!is_true && text != "false" && text != "0") return false;
    out = is_true;
    return true;
}

bool parse_value(std::string_view text, std::string& out) {
    out = text;
    return true;
}

// Splits "250ms" into "250" and 1 ms; a bare number is seconds, as in go-redis.
std::pair<std::string_view, double> split_unit(std::string_view text) {
    // "ms" first: it also ends in "s".
    static constexpr std::pair<std::string_view, double> units[] = {
        {"ms", 1.0}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}};
    for (auto [suffix, scale] : units) {
        if (text.ends_with(suffix)) return {text.substr(0, text.size() - suffix.size()), scale};
    }
    return {text, 1e3};
}

bool parse_value(std::string_view text, duration& out) {
    auto [number, scale] = split_unit(text);
    double value = 0;
    const char* end = number.data() + number.size();
    auto [stop, ec] = std::from_chars(number.data(), end, value, std::chars_format::fixed);
    if (number.empty() || ec != std::errc{} || stop != end) return false;
    const double ms = value * scale;
    if (!std::isfinite(ms) || ms < 0) return false;
    // Past ~292 million years it cannot be represented: as long as can be, like duration::max().
    if (ms >= 9e18) {
        out = duration::max();
        return true;
    }
    // Refuse rather than round: "0.0001" rounding to 0 would mean "no limit".
    if (std::abs(ms - std::round(ms)) > 1e-6) return false;
    out = duration(std::llround(ms));
    return true;
}

const char* expected(const int*) { return "an integer"; }
const char* expected(const std::size_t*) { return "a non-negative integer"; }
const char* expected(const bool*) { return "true, false, 1 or 0"; }
const char* expected(const std::string*) { return "text"; }
const char* expected(const duration*) {
    return "a non-negative duration: 250ms, 3s, 1m, 1h or 0.5 (seconds)";
}

bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

std::string percent_encode(std::string_view text, std::string_view keep = "") {
    std::string out;
    for (char c : text) {
        if (is_unreserved(c) || keep.find(c) != std::string_view::npos) {
            out += c;
        } else {
            out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        }
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int high = hex_digit(text[i + 1]);
        const int low = hex_digit(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

// `what` names the part, never its text: the part may be the password.
std::string decode(std::string_view text, std::string_view what) {
    auto decoded = percent_decode(text);
    if (!decoded) bad_url("bad percent-encoding in {}", what);
    return std::move(*decoded);
}

std::string to_text(int value) { return fmt::format("{}", value); }
std::string to_text(std::size_t value) { return fmt::format("{}", value); }
std::string to_text(bool value) { return value ? "true" : "false"; }
std::string to_text(const std::string& value) { return percent_encode(value); }

std::string to_text(duration value) {
    if (value.count() % 1000 == 0) return fmt::format("{}s", value.count() / 1000);
    return fmt::format("{}ms", value.count());
}

// IPv6 literals need brackets so their colons are not read as the port separator.
std::string bracketed(const std::string& host) {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

// --- reading a URL ----------------------------------------------------------------------------

struct url_parts {
    std::string scheme;  // lower case
    std::optional<std::string_view> userinfo;
    std::string_view hostport;
    std::string_view path;
    std::string_view query;
    bool at_after_host = false;
};

bool is_scheme(std::string_view text) {
    auto scheme_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    };
    return !text.empty() && std::isalpha(static_cast<unsigned char>(text[0])) &&
           std::all_of(text.begin(), text.end(), scheme_char);
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// RFC 3986: the authority ends at the first '/' or '?', the user info at its last '@'.
url_parts split_url(std::string_view url) {
    const auto separator = url.find("://");
    if (separator == std::string_view::npos || !is_scheme(url.substr(0, separator))) {
        bad_url("missing scheme (expected redis://host or unix:///path)");
    }
    url_parts parts;
    parts.scheme = lower(url.substr(0, separator));
    const std::string_view rest = url.substr(separator + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const std::string_view tail = rest.substr(authority.size());
    const auto at = authority.rfind('@');
    if (at != std::string_view::npos) parts.userinfo = authority.substr(0, at);
    parts.hostport = at == std::string_view::npos ? authority : authority.substr(at + 1);
    const auto question = tail.find('?');
    parts.path = tail.substr(0, question);
    parts.query = question == std::string_view::npos ? "" : tail.substr(question + 1);
    parts.at_after_host = tail.find('@') != std::string_view::npos;
    return parts;
}

void read_userinfo(std::optional<std::string_view> userinfo, options& o) {
    if (!userinfo) return;
    // A lone "user@" is a user name, as in go-redis; ":password@" is a password alone.
    const auto colon = userinfo->find(':');
    o.username = decode(userinfo->substr(0, colon), "user name");
    if (colon != std::string_view::npos) {
        o.password = decode(userinfo->substr(colon + 1), "password");
    }
}

int parse_port(std::string_view text) {
    int port = 0;
    if (!parse_integer(text, port) || port < 1 || port > 65535) bad_url("bad port {:?}", text);
    return port;
}

void read_host_port(std::string_view hostport, options& o) {
    std::string_view host = hostport;
    std::optional<std::string_view> port;
    if (hostport.starts_with('[')) {
        const auto close = hostport.find(']');
        const bool closed = close != std::string_view::npos && close > 1;
        const std::string_view after = closed ? hostport.substr(close + 1) : "";
        if (!closed || !(after.empty() || after[0] == ':')) bad_url("bad host {:?}", hostport);
        host = hostport.substr(1, close - 1);
        if (!after.empty()) port = after.substr(1);
    } else if (const auto colon = hostport.find(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    // Brackets only enclose an IPv6 address: a host with one left is a typo, and one that
    // to_url() could not write back.
    if (host.find_first_of("[]") != std::string_view::npos) bad_url("bad host {:?}", hostport);
    if (!host.empty()) o.host = host;
    if (port) o.port = parse_port(*port);
}

void read_db_path(std::string_view path, options& o, field_set& seen) {
    if (path.empty() || path == "/") return;
    const std::string_view digits = path.substr(1);
    if (!parse_integer(digits, o.db) || o.db < 0) bad_url("bad db {:?}", digits);
    seen.set(db_field);
}

void read_unix_path(const url_parts& parts, options& o) {
    // Not quoted: without a '/' before it, the password's tail lands here.
    if (!parts.hostport.empty()) bad_url("a unix URL has no host (expected unix:///path)");
    if (parts.path.empty()) bad_url("unix URL without a socket path");
    o.path = decode(parts.path, "socket path");
}

// The one key that may repeat: each names a sentinel.
constexpr std::string_view sentinel_addr_key = "sentinel_addr";

void read_option(std::string_view pair, options& o, field_set& seen) {
    const auto equals = pair.find('=');
    const std::string_view key = pair.substr(0, equals);
    if (key == sentinel_addr_key && equals != std::string_view::npos) {
        o.sentinel_addrs.push_back(decode(pair.substr(equals + 1), "option \"sentinel_addr\""));
        return;
    }
    const auto index = find_field(key);
    if (!index) bad_url("unknown option {:?}", key);
    if (equals == std::string_view::npos) bad_url("option {:?} has no value", key);
    if (seen.test(*index)) bad_url("option {:?} given twice", key);
    seen.set(*index);
    const std::string value = decode(pair.substr(equals + 1), fmt::format("option {:?}", key));
    std::visit(
        [&](auto m) {
            if (!parse_value(value, o.*m)) {
                bad_url("bad value {:?} for option {:?} (expected {})", value, key,
                        expected(&(o.*m)));
            }
        },
        fields[*index].value);
}

void read_query(std::string_view query, options& o, field_set& seen) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        if (amp != 0) read_option(query.substr(0, amp), o, seen);
        query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    }
}

options parse_url(const url_parts& parts) {
    options o;
    field_set seen;
    if (parts.scheme == "redis" || parts.scheme == "rediss") {
        o.tls = parts.scheme == "rediss";
        read_host_port(parts.hostport, o);
        read_db_path(parts.path, o, seen);
    } else if (parts.scheme == "unix") {
        read_unix_path(parts, o);
    } else {
        bad_url("unknown scheme {:?} (expected redis://, rediss:// or unix://)", parts.scheme);
    }
    read_userinfo(parts.userinfo, o);
    read_query(parts.query, o, seen);
    o.validate();
    return o;
}

// --- writing a URL ----------------------------------------------------------------------------

std::string userinfo_for_url(const options& o) {
    if (o.password.empty()) return o.username.empty() ? "" : percent_encode(o.username) + "@";
    return percent_encode(o.username) + ":***@";
}

// Only fields that differ from a default `options`, so the URL stays short and readable.
std::string query_for_url(const options& o, bool with_db, bool tls_in_scheme) {
    const options defaults;
    std::string query;
    for (const field& f : fields) {
        if (f.name == "db" && !with_db) continue;
        if (f.name == "tls" && tls_in_scheme) continue;
        std::visit(
            [&](auto m) {
                if (o.*m == defaults.*m) return;
                query += query.empty() ? "?" : "&";
                const bool secret = f.name == "sentinel_password";
                query += fmt::format("{}={}", f.name, secret ? std::string("***") : to_text(o.*m));
            },
            f.value);
    }
    for (const std::string& sentinel : o.sentinel_addrs) {
        query += query.empty() ? "?" : "&";
        query += fmt::format("{}={}", sentinel_addr_key, percent_encode(sentinel, ":[]"));
    }
    return query;
}

// --- validation -------------------------------------------------------------------------------

// Sentinel addresses are parsed again on every use; here only so a typo fails up front.
void check_sentinels(const options& o) {
    if (o.sentinel_master.empty()) {
        require(o.sentinel_addrs.empty(), "sentinel_addrs given without sentinel_master");
        return;
    }
    require(!o.sentinel_addrs.empty(), "sentinel_master {:?} given without sentinel_addrs", o.sentinel_master);
    require(o.path.empty(), "sentinel_master and a unix socket path are exclusive");
    const bool printable = std::all_of(o.sentinel_master.begin(), o.sentinel_master.end(),
                                       [](char c) { return c >= '!' && c <= '~'; });
    require(printable, "sentinel_master contains a space, newline or other non-printable byte");
    for (const std::string& a : o.sentinel_addrs) detail::parse_node_address(a, "options: sentinel_addrs");
}

void check_address(const options& o) {
    check_sentinels(o);
    if (!o.sentinel_master.empty() || !o.path.empty()) return;
    require(!o.host.empty(), "host is empty");
    require(o.port >= 1 && o.port <= 65535, "port {} is outside 1..65535", o.port);
}

void check_tls(const options& o) {
    const bool any_file = !o.tls_ca_file.empty() || !o.tls_cert_file.empty() || !o.tls_key_file.empty();
    require(o.tls || (!any_file && o.tls_server_name.empty() && !o.tls_insecure_skip_verify),
            "tls_ca_file, tls_cert_file, tls_key_file, tls_server_name or tls_insecure_skip_verify given "
            "without tls (use rediss:// or set tls)");
    require(o.tls_cert_file.empty() == o.tls_key_file.empty(),
            "tls_cert_file and tls_key_file go together (a client certificate needs its key)");
    require(!o.tls || o.path.empty(), "tls with a unix socket path (Redis serves TLS on TCP ports only)");
}

void check_handshake(const options& o) {
    require(o.db >= 0, "db {} is negative", o.db);
    // Redis refuses any byte outside '!'..'~' in CLIENT SETNAME; fail here, not on every dial.
    const bool printable = std::all_of(o.client_name.begin(), o.client_name.end(),
                                       [](char c) { return c >= '!' && c <= '~'; });
    require(printable, "client_name contains a space, newline or other non-printable byte");
}

void check_pool(const options& o) {
    require(o.pool_size >= 1, "pool_size {} is less than 1", o.pool_size);
    require(o.min_idle_conns >= 0 && o.min_idle_conns <= o.pool_size,
            "min_idle_conns {} is outside 0..pool_size ({})", o.min_idle_conns, o.pool_size);
    require(o.max_idle_conns >= 0, "max_idle_conns {} is negative", o.max_idle_conns);
    require(o.tcp_keepalive_count >= 1, "tcp_keepalive_count {} is less than 1",
            o.tcp_keepalive_count);
}

void check_durations(const options& o) {
    for (const field& f : fields) {
        const auto* m = std::get_if<duration options::*>(&f.value);
        if (m) require((o.**m).count() >= 0, "{} is negative ({}ms)", f.name, (o.**m).count());
    }
    // A lifetime shorter than its jitter would make connections that are born expired.
    require(o.conn_max_lifetime.count() == 0 || o.conn_max_lifetime_jitter <= o.conn_max_lifetime,
            "conn_max_lifetime_jitter ({}ms) exceeds conn_max_lifetime ({}ms)",
            o.conn_max_lifetime_jitter.count(), o.conn_max_lifetime.count());
    require(o.min_retry_backoff <= o.max_retry_backoff,
            "min_retry_backoff ({}ms) exceeds max_retry_backoff ({}ms)",
            o.min_retry_backoff.count(), o.max_retry_backoff.count());
}

void check_limits(const options& o) {
    require(o.max_retries >= 0, "max_retries {} is negative", o.max_retries);
    require(o.max_in_flight >= 1, "max_in_flight {} is less than 1", o.max_in_flight);
    require(o.max_reply_depth >= 1 && o.max_reply_depth <= 8,
            "max_reply_depth {} is outside 1..8", o.max_reply_depth);
    require(o.max_bulk_length > 0, "max_bulk_length is 0");
    require(o.max_array_elements > 0, "max_array_elements is 0");
}

}  // namespace

int options::default_pool_size() noexcept {
    const unsigned threads = std::thread::hardware_concurrency();  // 0 when unknown
    return static_cast<int>(std::clamp(10u * threads, 10u, 100'000u));
}

options options::from_url(std::string_view url) {
    const url_parts parts = split_url(url);
    // An '@' past the host means a '/' or '?' inside the password cut the URL short: even a
    // URL that parses would carry part of the password in another field.
    if (parts.at_after_host) {
        bad_url("'@' after the host: percent-encode '@', '/' and '?' in the user name and "
                "password");
    }
    return parse_url(parts);
}

std::string options::to_url() const {
    const char* scheme = !path.empty() ? "unix://" : tls ? "rediss://" : "redis://";
    std::string url = scheme + userinfo_for_url(*this);
    if (path.empty()) {
        url += fmt::format("{}:{}", bracketed(host), port);
        if (db != 0) url += fmt::format("/{}", db);
    } else {
        url += percent_encode(path, "/");
    }
    return url + query_for_url(*this, !path.empty(), path.empty());
}

std::string options::address() const {
    if (!sentinel_master.empty()) return "sentinel:" + sentinel_master;
    if (!path.empty()) return "unix:" + path;
    return fmt::format("{}:{}", bracketed(host), port);
}

void options::validate() const {
    check_address(*this);
    check_tls(*this);
    check_handshake(*this);
    check_pool(*this);
    check_durations(*this);
    check_limits(*this);
}

}  // namespace redpool
