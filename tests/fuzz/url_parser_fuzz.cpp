// url_parser_fuzz — options::from_url on any bytes, and to_url() read back.
//
// Oracles:
//   - from_url gives options, or a redpool::error with errc::invalid_argument; nothing else.
//   - Its message never shows the URL's password (user info after the first ':', when 6 bytes
//     or more): the message must not change when the password's bytes do (a plain
//     substring test would also flag a password that happens to be words of the message).
//   - to_url() depends on the passwords only through whether they are empty: it writes `***`.
//   - from_url(to_url(o)) succeeds and gives o again, field by field, except the passwords,
//     which come back as "***" (to_url masks them); its to_url() is the same URL.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "redpool/error.hpp"
#include "redpool/options.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using redpool::errc;
using redpool::options;
using namespace redpool::fuzz;

// Where the password is in `url`, read by RFC 3986 as from_url documents it: the authority
// after "://" ends at the first '/' or '?', the user info at its last '@', the user name at the
// user info's first ':'.
struct password_span {
    std::size_t at = 0;
    std::size_t size = 0;
};

std::optional<password_span> find_password(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    const std::size_t authority_at = scheme_end + 3;
    const std::string_view authority = url.substr(authority_at, url.find_first_of("/?", authority_at) - authority_at);
    const std::size_t at_sign = authority.rfind('@');
    if (at_sign == std::string_view::npos) return std::nullopt;
    const std::size_t colon = authority.substr(0, at_sign).find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return password_span{authority_at + colon + 1, at_sign - colon - 1};
}

// The URL with each byte of the password changed ('Q', or 'R' for a 'Q'), except those that
// shape a URL (% : @ / ?) and the two after a '%', so that the URL splits as before and the
// password's percent-encoding is as valid (or not) as it was.
std::string with_other_password(std::string_view url, password_span span) {
    std::string out(url);
    for (std::size_t i = span.at; i < span.at + span.size; ++i) {
        char& c = out[i];
        if (c == '%') {
            i += 2;
        } else if (std::string_view(":@/?").find(c) == std::string_view::npos) {
            c = c == 'Q' ? 'R' : 'Q';
        }
    }
    return out;
}

std::string error_message(std::string_view url) {
    try {
        options::from_url(url);
    } catch (const redpool::error& e) {
        return e.what();
    }
    return "(no error)";
}

// A message that contains the password may still not be quoting it: the password's bytes can
// also be the message's own words, or another part of the URL. So the test is whether the
// message changes with the password: it must not.
void check_message_hides_password(std::string_view url, const std::string& message) {
    const auto span = find_password(url);
    if (!span || span->size < 6) return;
    const std::string other = with_other_password(url, *span);
    if (other != url && error_message(other) != message) {
        fail("the error message depends on the password {:?}: {:?}, with another password {:?}",
             url.substr(span->at, span->size), message, error_message(other));
    }
}

std::optional<options> parse(std::string_view url) {
    try {
        return options::from_url(url);
    } catch (const redpool::error& e) {
        if (code_of(e) != errc::invalid_argument) fail("from_url threw errc {}: {}", number(code_of(e)), e.what());
        check_message_hides_password(url, e.what());
        return std::nullopt;
    }
}

std::string masked(const std::string& secret) { return secret.empty() ? "" : "***"; }

// Every field from_url can set, compared one by one; passwords as to_url writes them.
void check_same_options(const options& a, const options& b, const std::string& url) {
    auto same = [&](const char* name, const auto& x, const auto& y) {
        if (!(x == y)) fail("{} differs after reading back {:?}", name, url);
    };
    same("host", a.host, b.host);
    same("port", a.port, b.port);
    same("path", a.path, b.path);
    same("sentinel_master", a.sentinel_master, b.sentinel_master);
    same("sentinel_addrs", a.sentinel_addrs, b.sentinel_addrs);
    same("sentinel_username", a.sentinel_username, b.sentinel_username);
    same("sentinel_password", masked(a.sentinel_password), b.sentinel_password);
    same("sentinel_replica_only", a.sentinel_replica_only, b.sentinel_replica_only);
    same("tls", a.tls, b.tls);
    same("tls_ca_file", a.tls_ca_file, b.tls_ca_file);
    same("tls_cert_file", a.tls_cert_file, b.tls_cert_file);
    same("tls_key_file", a.tls_key_file, b.tls_key_file);
    same("tls_server_name", a.tls_server_name, b.tls_server_name);
    same("tls_insecure_skip_verify", a.tls_insecure_skip_verify, b.tls_insecure_skip_verify);
    same("username", a.username, b.username);
    same("password", masked(a.password), b.password);
    same("db", a.db, b.db);
    same("client_name", a.client_name, b.client_name);
    same("dial_timeout", a.dial_timeout, b.dial_timeout);
    same("read_timeout", a.read_timeout, b.read_timeout);
    same("write_timeout", a.write_timeout, b.write_timeout);
    same("tcp_keepalive", a.tcp_keepalive, b.tcp_keepalive);
    same("tcp_keepalive_count", a.tcp_keepalive_count, b.tcp_keepalive_count);
    same("tcp_user_timeout", a.tcp_user_timeout, b.tcp_user_timeout);
    same("pool_size", a.pool_size, b.pool_size);
    same("min_idle_conns", a.min_idle_conns, b.min_idle_conns);
    same("max_idle_conns", a.max_idle_conns, b.max_idle_conns);
    same("pool_timeout", a.pool_timeout, b.pool_timeout);
    same("conn_max_idle_time", a.conn_max_idle_time, b.conn_max_idle_time);
    same("conn_max_lifetime", a.conn_max_lifetime, b.conn_max_lifetime);
    same("conn_max_lifetime_jitter", a.conn_max_lifetime_jitter, b.conn_max_lifetime_jitter);
    same("liveness_check_after", a.liveness_check_after, b.liveness_check_after);
    same("pool_fifo", a.pool_fifo, b.pool_fifo);
    same("reaper_interval", a.reaper_interval, b.reaper_interval);
    same("multiplex", a.multiplex, b.multiplex);
    same("max_in_flight", a.max_in_flight, b.max_in_flight);
    same("max_retries", a.max_retries, b.max_retries);
    same("min_retry_backoff", a.min_retry_backoff, b.min_retry_backoff);
    same("max_retry_backoff", a.max_retry_backoff, b.max_retry_backoff);
    same("health_check_interval", a.health_check_interval, b.health_check_interval);
    same("max_bulk_length", a.max_bulk_length, b.max_bulk_length);
    same("max_array_elements", a.max_array_elements, b.max_array_elements);
    same("max_reply_depth", a.max_reply_depth, b.max_reply_depth);
}

void check_round_trip(const options& parsed) {
    const std::string url = parsed.to_url();

    options with_other_secrets = parsed;
    with_other_secrets.password = masked(parsed.password);
    with_other_secrets.sentinel_password = masked(parsed.sentinel_password);
    if (with_other_secrets.to_url() != url) fail("to_url {:?} depends on the passwords' values", url);

    std::optional<options> again;
    try {
        again = options::from_url(url);
    } catch (const redpool::error& e) {
        fail("to_url wrote {:?}, which from_url refuses: {}", url, e.what());
    }
    check_same_options(parsed, *again, url);
    if (again->to_url() != url) fail("to_url {:?} read back writes {:?}", url, again->to_url());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view url(reinterpret_cast<const char*>(data), size);
    if (const std::optional<options> parsed = parse(url)) check_round_trip(*parsed);
    return 0;
}
