// Unit tests of redpool::options: go-redis defaults, from_url for every URL form, rejection of
// malformed URLs without ever echoing the password, validate(), address() and to_url().
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "redpool/error.hpp"
#include "redpool/options.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using redpool::options;

namespace {

// Every malformed URL carries this password; no message may contain it or a piece of it.
constexpr const char* password = "s3cr3t-Pa55";

void require_hides_password(const std::string& message) {
    INFO("message: " << message);
    CHECK(message.find("s3cr3t") == std::string::npos);
    CHECK(message.find("Pa55") == std::string::npos);
}

// The message of the invalid_argument error from_url throws for `url`.
std::string url_error(const std::string& url) {
    INFO("url: " << url);
    try {
        options::from_url(url);
    } catch (const redpool::error& e) {
        CHECK(e.code() == redpool::errc::invalid_argument);
        require_hides_password(e.what());
        return e.what();
    }
    FAIL("from_url accepted the URL");
    return {};
}

// The message of the invalid_argument error validate() throws for `o`.
std::string validate_error(const options& o) {
    try {
        o.validate();
    } catch (const redpool::error& e) {
        CHECK(e.code() == redpool::errc::invalid_argument);
        require_hides_password(e.what());
        return e.what();
    }
    FAIL("validate accepted the options");
    return {};
}

std::string with_password(const std::string& before, const std::string& after) {
    return before + password + after;
}

// Every field except on_connect, which cannot be compared.
void require_same(const options& a, const options& b) {
    CHECK(a.host == b.host);
    CHECK(a.port == b.port);
    CHECK(a.path == b.path);
    CHECK(a.username == b.username);
    CHECK(a.password == b.password);
    CHECK(a.db == b.db);
    CHECK(a.client_name == b.client_name);
    CHECK(a.dial_timeout == b.dial_timeout);
    CHECK(a.read_timeout == b.read_timeout);
    CHECK(a.write_timeout == b.write_timeout);
    CHECK(a.tcp_keepalive == b.tcp_keepalive);
    CHECK(a.tcp_keepalive_count == b.tcp_keepalive_count);
    CHECK(a.tcp_user_timeout == b.tcp_user_timeout);
    CHECK(a.pool_size == b.pool_size);
    CHECK(a.min_idle_conns == b.min_idle_conns);
    CHECK(a.max_idle_conns == b.max_idle_conns);
    CHECK(a.pool_timeout == b.pool_timeout);
    CHECK(a.conn_max_idle_time == b.conn_max_idle_time);
    CHECK(a.conn_max_lifetime == b.conn_max_lifetime);
    CHECK(a.conn_max_lifetime_jitter == b.conn_max_lifetime_jitter);
    CHECK(a.liveness_check_after == b.liveness_check_after);
    CHECK(a.pool_fifo == b.pool_fifo);
    CHECK(a.reaper_interval == b.reaper_interval);
    CHECK(a.max_retries == b.max_retries);
    CHECK(a.min_retry_backoff == b.min_retry_backoff);
    CHECK(a.max_retry_backoff == b.max_retry_backoff);
    CHECK(a.health_check_interval == b.health_check_interval);
    CHECK(a.max_bulk_length == b.max_bulk_length);
    CHECK(a.max_array_elements == b.max_array_elements);
    CHECK(a.max_reply_depth == b.max_reply_depth);
}

// Options with every field changed from its default.
options everything_changed() {
    options o;
    o.host = "cache.example.com";
    o.port = 7000;
    o.username = "alice@corp";
    o.db = 5;
    o.client_name = "worker-1";
    o.dial_timeout = 1500ms;
    o.read_timeout = 2s;
    o.write_timeout = 250ms;
    o.tcp_keepalive = 0s;
    o.tcp_keepalive_count = 9;
    o.tcp_user_timeout = 1min;
    o.pool_size = 3;
    o.min_idle_conns = 2;
    o.max_idle_conns = 4;
    o.pool_timeout = 100ms;
    o.conn_max_idle_time = 2h;
    o.conn_max_lifetime = 90s;
    o.conn_max_lifetime_jitter = 10s;
    o.liveness_check_after = 25ms;
    o.pool_fifo = true;
    o.reaper_interval = 0ms;
    o.max_retries = 0;
    o.min_retry_backoff = 1ms;
    o.max_retry_backoff = 1001ms;
    o.health_check_interval = 250ms;
    o.max_bulk_length = 1024;
    o.max_array_elements = 77;
    o.max_reply_depth = 2;
    return o;
}

}  // namespace

// --- defaults ---------------------------------------------------------------------------------

TEST_CASE("options: defaults are go-redis's timeouts, retries and backoff", "[options]") {
    const options o;
    CHECK(o.host == "127.0.0.1");
    CHECK(o.port == 6379);
    CHECK(o.path.empty());
    CHECK(o.db == 0);
    CHECK(o.dial_timeout == 5s);
    CHECK(o.read_timeout == 3s);
    CHECK(o.write_timeout == 3s);
    CHECK(o.pool_timeout == 4s);
    CHECK(o.conn_max_idle_time == 30min);
    CHECK(o.conn_max_lifetime == 0ms);
    CHECK(o.max_retries == 3);
    CHECK(o.min_retry_backoff == 8ms);
    CHECK(o.max_retry_backoff == 512ms);
    CHECK(o.health_check_interval == 3s);
    CHECK(o.max_reply_depth == 8);
    CHECK_FALSE(o.pool_fifo);
    CHECK_NOTHROW(o.validate());
}

TEST_CASE("options: default pool size is ten per hardware thread and at least ten", "[options]") {
    const int expected = std::max(10, 10 * static_cast<int>(std::thread::hardware_concurrency()));
    CHECK(options::default_pool_size() == expected);
    CHECK(options::default_pool_size() >= 10);
    CHECK(options{}.pool_size == expected);
}

TEST_CASE("options: durations take milliseconds and compare with seconds", "[options]") {
    options o;
    o.read_timeout = std::chrono::milliseconds(250);
    o.write_timeout = std::chrono::milliseconds(3000);
    CHECK(o.read_timeout.count() == 250);
    CHECK(o.write_timeout == std::chrono::seconds(3));
    CHECK(o.read_timeout < std::chrono::seconds(1));
}

// --- from_url: the URL forms ------------------------------------------------------------------

TEST_CASE("options: from_url reads user, password, host, port and db", "[options]") {
    const auto o = options::from_url("redis://alice:secret@cache.example.com:6380/3");
    CHECK(o.username == "alice");
    CHECK(o.password == "secret");
    CHECK(o.host == "cache.example.com");
    CHECK(o.port == 6380);
    CHECK(o.db == 3);
    CHECK(o.path.empty());
}

TEST_CASE("options: from_url fills in the default host, port and db", "[options]") {
    for (const char* url : {"redis://", "redis:///", "redis://127.0.0.1", "redis://:6379/0"}) {
        INFO(url);
        const auto o = options::from_url(url);
        CHECK(o.host == "127.0.0.1");
        CHECK(o.port == 6379);
        CHECK(o.db == 0);
        CHECK(o.username.empty());
        CHECK(o.password.empty());
    }
    CHECK(options::from_url("redis://example.org").host == "example.org");
    CHECK(options::from_url("redis://example.org/").port == 6379);
    CHECK(options::from_url("REDIS://example.org:1").port == 1);
}

TEST_CASE("options: from_url tells a password alone from a user alone", "[options]") {
    const auto password_only = options::from_url("redis://:secret@host");
    CHECK(password_only.username.empty());
    CHECK(password_only.password == "secret");

    const auto user_only = options::from_url("redis://bob@host");
    CHECK(user_only.username == "bob");
    CHECK(user_only.password.empty());
    CHECK(user_only.host == "host");

    const auto both = options::from_url("redis://bob:p@ss@host:7000");
    CHECK(both.username == "bob");
    CHECK(both.password == "p@ss");
    CHECK(both.port == 7000);
}

TEST_CASE("options: from_url reads an IPv6 host in brackets", "[options]") {
    const auto o = options::from_url("redis://[::1]:6380/2");
    CHECK(o.host == "::1");
    CHECK(o.port == 6380);
    CHECK(o.db == 2);
    const auto no_port = options::from_url("redis://:pw@[fe80::1:2]");
    CHECK(no_port.host == "fe80::1:2");
    CHECK(no_port.port == 6379);
    CHECK(no_port.password == "pw");
}

TEST_CASE("options: from_url reads a unix socket path, credentials and db", "[options]") {
    const auto plain = options::from_url("unix:///var/run/redis.sock");
    CHECK(plain.path == "/var/run/redis.sock");
    CHECK(plain.db == 0);

    const auto full = options::from_url("unix://carol:secret@/tmp/redis.sock?db=4&pool_size=2");
    CHECK(full.path == "/tmp/redis.sock");
    CHECK(full.username == "carol");
    CHECK(full.password == "secret");
    CHECK(full.db == 4);
    CHECK(full.pool_size == 2);
}

TEST_CASE("options: from_url percent-decodes user, password, values and socket path",
          "[options]") {
    const auto o = options::from_url("redis://a%40b:p%40ss%2Fw%3Ard%25@host?client_name=w%2D1");
    CHECK(o.username == "a@b");
    CHECK(o.password == "p@ss/w:rd%");
    CHECK(o.client_name == "w-1");
    CHECK(options::from_url("unix:///tmp/my%20redis%3F.sock").path == "/tmp/my redis?.sock");
}

TEST_CASE("options: from_url reads durations in every unit", "[options]") {
    const auto o = options::from_url(
        "redis://host?dial_timeout=250ms&read_timeout=3s&write_timeout=0.5&pool_timeout=2"
        "&conn_max_idle_time=1m&conn_max_lifetime=1h&reaper_interval=1.5s"
        "&tcp_user_timeout=0&min_retry_backoff=0.001&health_check_interval=500ms");
    CHECK(o.dial_timeout == 250ms);
    CHECK(o.read_timeout == 3s);
    CHECK(o.write_timeout == 500ms);
    CHECK(o.pool_timeout == 2s);
    CHECK(o.conn_max_idle_time == 1min);
    CHECK(o.conn_max_lifetime == 1h);
    CHECK(o.reaper_interval == 1500ms);
    CHECK(o.tcp_user_timeout == 0ms);
    CHECK(o.min_retry_backoff == 1ms);
    CHECK(o.health_check_interval == 500ms);
    CHECK(options::from_url("redis://host?health_check_interval=0").health_check_interval == 0ms);
}

TEST_CASE("options: from_url reads booleans and integers", "[options]") {
    CHECK(options::from_url("redis://h?pool_fifo=true").pool_fifo);
    CHECK(options::from_url("redis://h?pool_fifo=1").pool_fifo);
    CHECK_FALSE(options::from_url("redis://h?pool_fifo=false").pool_fifo);
    CHECK_FALSE(options::from_url("redis://h?pool_fifo=0").pool_fifo);

    const auto o = options::from_url(
        "redis://h?pool_size=64&min_idle_conns=8&max_idle_conns=16&max_retries=0"
        "&tcp_keepalive_count=5&max_bulk_length=1048576&max_array_elements=1000"
        "&max_reply_depth=3&client_name=api&");
    CHECK(o.pool_size == 64);
    CHECK(o.min_idle_conns == 8);
    CHECK(o.max_idle_conns == 16);
    CHECK(o.max_retries == 0);
    CHECK(o.tcp_keepalive_count == 5);
    CHECK(o.max_bulk_length == 1048576u);
    CHECK(o.max_array_elements == 1000u);
    CHECK(o.max_reply_depth == 3);
    CHECK(o.client_name == "api");
}

// --- from_url: malformed URLs -----------------------------------------------------------------

TEST_CASE("options: from_url rejects a bad port and names it", "[options]") {
    REQUIRE_THROWS_MATCHES(
        options::from_url(with_password("redis://:", "@host:abc")), redpool::error,
        Catch::Matchers::Message("invalid redis URL: bad port \"abc\""));
    CHECK_THAT(url_error(with_password("redis://u:", "@host:0")), Contains("bad port \"0\""));
    CHECK_THAT(url_error(with_password("redis://u:", "@host:65536")),
               Contains("bad port \"65536\""));
    CHECK_THAT(url_error(with_password("redis://:", "@host:-1")), Contains("bad port \"-1\""));
    CHECK_THAT(url_error(with_password("redis://:", "@host:")), Contains("bad port \"\""));
    CHECK_THAT(url_error(with_password("redis://:", "@[::1]:x")), Contains("bad port \"x\""));
}

TEST_CASE("options: from_url rejects a bad db and names it", "[options]") {
    CHECK_THAT(url_error(with_password("redis://:", "@host/abc")), Contains("bad db \"abc\""));
    CHECK_THAT(url_error(with_password("redis://:", "@host/-1")), Contains("bad db \"-1\""));
    CHECK_THAT(url_error(with_password("redis://:", "@host/1/2")), Contains("bad db \"1/2\""));
    CHECK_THAT(url_error(with_password("redis://:", "@host/3?db=4")),
               Contains("option \"db\" given twice"));
}

TEST_CASE("options: from_url rejects a bad IPv6 host", "[options]") {
    CHECK_THAT(url_error(with_password("redis://:", "@[::1")), Contains("bad host \"[::1\""));
    CHECK_THAT(url_error(with_password("redis://:", "@[::1]x")), Contains("bad host"));
    CHECK_THAT(url_error(with_password("redis://:", "@[]:6379")), Contains("bad host"));
}

TEST_CASE("options: from_url rejects unknown, repeated and valueless options", "[options]") {
    REQUIRE_THROWS_MATCHES(
        options::from_url(with_password("redis://:", "@host?foo=1")), redpool::error,
        Catch::Matchers::Message("invalid redis URL: unknown option \"foo\""));
    CHECK_THAT(url_error(with_password("redis://:", "@host?Pool_Size=1")),
               Contains("unknown option \"Pool_Size\""));
    CHECK_THAT(url_error(with_password("redis://:", "@h?pool_size=2&pool_size=2")),
               Contains("option \"pool_size\" given twice"));
    CHECK_THAT(url_error(with_password("redis://:", "@h?pool_fifo")),
               Contains("option \"pool_fifo\" has no value"));
}

TEST_CASE("options: from_url rejects bad durations, booleans and integers", "[options]") {
    const std::string base = with_password("redis://:", "@host?");
    CHECK_THAT(url_error(base + "read_timeout=-1s"),
               Contains("bad value \"-1s\" for option \"read_timeout\""));
    CHECK_THAT(url_error(base + "read_timeout=-0.5"), Contains("\"read_timeout\""));
    CHECK_THAT(url_error(base + "dial_timeout=3x"), Contains("\"dial_timeout\""));
    CHECK_THAT(url_error(base + "dial_timeout=ms"), Contains("\"dial_timeout\""));
    CHECK_THAT(url_error(base + "dial_timeout=0.5ms"), Contains("\"dial_timeout\""));
    CHECK_THAT(url_error(base + "dial_timeout=inf"), Contains("\"dial_timeout\""));
    CHECK_THAT(url_error(base + "health_check_interval=-3s"), Contains("\"health_check_interval\""));
    CHECK_THAT(url_error(base + "pool_fifo=yes"),
               Contains("bad value \"yes\" for option \"pool_fifo\""));
    CHECK_THAT(url_error(base + "pool_size=12abc"),
               Contains("bad value \"12abc\" for option \"pool_size\""));
    CHECK_THAT(url_error(base + "pool_size=99999999999"), Contains("\"pool_size\""));
    CHECK_THAT(url_error(base + "pool_size="), Contains("\"pool_size\""));
    CHECK_THAT(url_error(base + "max_bulk_length=-1"), Contains("\"max_bulk_length\""));
}

TEST_CASE("options: rediss:// sets tls, and every TLS field is a query key that round-trips", "[options][row30]") {
    const auto o = options::from_url(
        "rediss://app:s3cret@cache.example.com:6380/2?tls_ca_file=%2Fetc%2Fca.pem&tls_cert_file=c.pem"
        "&tls_key_file=k.pem&tls_server_name=redis.internal&tls_insecure_skip_verify=true");
    CHECK(o.tls);
    CHECK(o.host == "cache.example.com");
    CHECK(o.port == 6380);
    CHECK(o.db == 2);
    CHECK(o.tls_ca_file == "/etc/ca.pem");
    CHECK(o.tls_cert_file == "c.pem");
    CHECK(o.tls_key_file == "k.pem");
    CHECK(o.tls_server_name == "redis.internal");
    CHECK(o.tls_insecure_skip_verify);
    const std::string url = o.to_url();
    CHECK(url.starts_with("rediss://app:***@cache.example.com:6380/2?tls_ca_file="));
    CHECK(url.find("tls=true") == std::string::npos);  // the scheme says it
    const auto again = options::from_url(url);
    CHECK(again.tls);
    CHECK(again.to_url() == url);
    CHECK(options::from_url("redis://h?tls=true").to_url() == "rediss://h:6379");
    CHECK_FALSE(options::from_url("redis://h").tls);

    // TLS fields without TLS, half a client certificate, TLS on a unix socket: refused.
    CHECK_THAT(url_error("redis://h?tls_ca_file=ca.pem"), Contains("without tls"));
    CHECK_THAT(url_error("rediss://h?tls_cert_file=c.pem"), Contains("tls_cert_file and tls_key_file go together"));
    CHECK_THAT(url_error("unix:///tmp/redis.sock?tls=true"), Contains("unix socket"));
}

TEST_CASE("options: from_url rejects unknown schemes", "[options]") {
    // Brackets enclose only an IPv6 address: a host left with one could not be written back.
    CHECK_THAT(url_error("redis://[[x]:1"), Contains("bad host"));
    CHECK_THAT(url_error("redis://a]b:1"), Contains("bad host"));
    CHECK_THAT(url_error(with_password("http://:", "@host")), Contains("unknown scheme \"http\""));
    CHECK_THAT(url_error(with_password("", "@host:6379")), Contains("missing scheme"));
    CHECK_THAT(url_error(with_password("host:6379/0?x=", "")), Contains("missing scheme"));
    CHECK_THAT(url_error(with_password("redis:/:", "@host")), Contains("missing scheme"));
    CHECK_THAT(url_error(with_password("://:", "@host")), Contains("missing scheme"));
}

TEST_CASE("options: from_url rejects bad percent-encoding without quoting the password",
          "[options]") {
    CHECK_THAT(url_error("redis://:s3cr3t%zzPa55@host"),
               Contains("bad percent-encoding in password"));
    CHECK_THAT(url_error("redis://:s3cr3t-Pa55%4@host"),
               Contains("bad percent-encoding in password"));
    CHECK_THAT(url_error(with_password("redis://bo%b:", "@host")),
               Contains("bad percent-encoding in user name"));
    CHECK_THAT(url_error(with_password("redis://:", "@host?client_name=a%g1")),
               Contains("bad percent-encoding in option \"client_name\""));
    CHECK_THAT(url_error(with_password("unix://:", "@/tmp/a%")),
               Contains("bad percent-encoding in socket path"));
}

TEST_CASE("options: from_url rejects a unix URL without a path or with a host", "[options]") {
    CHECK_THAT(url_error(with_password("unix://:", "@")), Contains("without a socket path"));
    CHECK_THAT(url_error(with_password("unix://:", "@?db=1")), Contains("without a socket path"));
    CHECK_THAT(url_error("unix://"), Contains("without a socket path"));
    CHECK_THAT(url_error(with_password("unix://:", "@localhost/tmp/redis.sock")),
               Contains("unix URL has no host"));
}

TEST_CASE("options: from_url quotes nothing when an unescaped password splits the URL",
          "[options]") {
    // '/' and '?' end the authority, so the password's tail lands in the db or the query.
    for (const char* url : {"redis://:s3cr3t/Pa55@host", "redis://:s3cr3t?Pa55@host",
                            "redis://u:s3cr3t?x=Pa55@host/0", "unix://:s3cr3t/Pa55@/tmp/s"}) {
        CHECK_THAT(url_error(url), Contains("percent-encode"));
    }
}

TEST_CASE("options: from_url validates what it read and names the field", "[options]") {
    CHECK_THAT(url_error(with_password("redis://:", "@h?pool_size=4&min_idle_conns=5")),
               Contains("min_idle_conns"));
    CHECK_THAT(url_error(with_password("redis://:", "@h?max_reply_depth=9")),
               Contains("max_reply_depth"));
    CHECK_THAT(url_error(with_password("redis://:", "@h?client_name=a%20b")),
               Contains("client_name"));
    CHECK_THAT(url_error(with_password("unix://:", "@/tmp/s?db=-2")), Contains("db -2"));
}

// --- validate ---------------------------------------------------------------------------------

TEST_CASE("options: validate rejects each out-of-range field and names it", "[options]") {
    struct bad_case {
        const char* field;
        std::function<void(options&)> change;
    };
    const std::vector<bad_case> cases = {
        {"port", [](options& o) { o.port = 0; }},
        {"port", [](options& o) { o.port = 65536; }},
        {"host", [](options& o) { o.host.clear(); }},
        {"db", [](options& o) { o.db = -1; }},
        {"pool_size", [](options& o) { o.pool_size = 0; }},
        {"min_idle_conns", [](options& o) { o.min_idle_conns = -1; }},
        {"min_idle_conns", [](options& o) { o.min_idle_conns = o.pool_size + 1; }},
        {"max_idle_conns", [](options& o) { o.max_idle_conns = -1; }},
        {"dial_timeout", [](options& o) { o.dial_timeout = -1ms; }},
        {"read_timeout", [](options& o) { o.read_timeout = -1ms; }},
        {"write_timeout", [](options& o) { o.write_timeout = -1ms; }},
        {"tcp_keepalive", [](options& o) { o.tcp_keepalive = -1ms; }},
        {"tcp_user_timeout", [](options& o) { o.tcp_user_timeout = -1ms; }},
        {"pool_timeout", [](options& o) { o.pool_timeout = -1ms; }},
        {"conn_max_idle_time", [](options& o) { o.conn_max_idle_time = -1ms; }},
        {"conn_max_lifetime", [](options& o) { o.conn_max_lifetime = -1ms; }},
        {"conn_max_lifetime_jitter", [](options& o) { o.conn_max_lifetime_jitter = -1ms; }},
        {"conn_max_lifetime_jitter", [](options& o) {
             o.conn_max_lifetime = 1s;  // connections would be born expired
             o.conn_max_lifetime_jitter = 2s;
         }},
        {"liveness_check_after", [](options& o) { o.liveness_check_after = -1ms; }},
        {"reaper_interval", [](options& o) { o.reaper_interval = -1ms; }},
        {"min_retry_backoff", [](options& o) { o.min_retry_backoff = -1ms; }},
        {"health_check_interval", [](options& o) { o.health_check_interval = -1ms; }},
        {"max_retries", [](options& o) { o.max_retries = -1; }},
        {"min_retry_backoff", [](options& o) { o.min_retry_backoff = 1s; }},
        {"max_reply_depth", [](options& o) { o.max_reply_depth = 0; }},
        {"max_reply_depth", [](options& o) { o.max_reply_depth = 9; }},
        {"max_bulk_length", [](options& o) { o.max_bulk_length = 0; }},
        {"max_array_elements", [](options& o) { o.max_array_elements = 0; }},
        {"tcp_keepalive_count", [](options& o) { o.tcp_keepalive_count = 0; }},
        {"client_name", [](options& o) { o.client_name = "two words"; }},
        {"client_name", [](options& o) { o.client_name = "line\nbreak"; }},
    };
    for (const bad_case& c : cases) {
        options o;
        o.password = password;
        c.change(o);
        INFO("field: " << c.field);
        CHECK_THAT(validate_error(o), Contains(c.field) && Contains("invalid options"));
    }
}

TEST_CASE("options: validate ignores host and port when a unix path is set", "[options]") {
    options o;
    o.path = "/tmp/redis.sock";
    o.host.clear();
    o.port = 0;
    CHECK_NOTHROW(o.validate());
    o.max_idle_conns = 0;
    o.min_idle_conns = o.pool_size;
    CHECK_NOTHROW(o.validate());
}

// --- address and to_url -----------------------------------------------------------------------

TEST_CASE("options: address is host:port, [v6]:port or unix:path", "[options]") {
    options o;
    CHECK(o.address() == "127.0.0.1:6379");
    o.host = "::1";
    o.port = 7000;
    CHECK(o.address() == "[::1]:7000");
    o.path = "/tmp/redis.sock";
    CHECK(o.address() == "unix:/tmp/redis.sock");
}

TEST_CASE("options: to_url redacts the password and keeps the user name", "[options]") {
    options o;
    o.host = "cache";
    o.username = "alice";
    o.password = password;
    o.db = 2;
    CHECK(o.to_url() == "redis://alice:***@cache:6379/2");
    o.username.clear();
    CHECK(o.to_url() == "redis://:***@cache:6379/2");
    o.path = "/tmp/redis.sock";
    CHECK(o.to_url() == "unix://:***@/tmp/redis.sock?db=2");
    CHECK(o.to_url().find("s3cr3t") == std::string::npos);
}

TEST_CASE("options: to_url writes only changed fields, in a fixed order", "[options]") {
    CHECK(options{}.to_url() == "redis://127.0.0.1:6379");
    options o;
    o.max_retries = 5;
    o.pool_fifo = true;
    o.read_timeout = 1500ms;
    o.dial_timeout = 10s;
    o.client_name = "a&b";
    CHECK(o.to_url() ==
          "redis://127.0.0.1:6379?client_name=a%26b&dial_timeout=10s&read_timeout=1500ms"
          "&pool_fifo=true&max_retries=5");
    o.host = "::1";
    CHECK(o.to_url().starts_with("redis://[::1]:6379?"));
}

TEST_CASE("options: to_url round-trips through from_url", "[options]") {
    SECTION("a TCP server with every field changed") {
        const options o = everything_changed();
        require_same(options::from_url(o.to_url()), o);
    }
    SECTION("a unix socket with a db and an odd path") {
        options o = everything_changed();
        o.host = options{}.host;
        o.port = options{}.port;
        o.path = "/tmp/my redis?#.sock";
        require_same(options::from_url(o.to_url()), o);
    }
    SECTION("an IPv6 host with a password, which comes back as ***") {
        options o;
        o.host = "fe80::2";
        o.password = password;
        const options back = options::from_url(o.to_url());
        CHECK(back.password == "***");
        o.password = "***";
        require_same(back, o);
    }
}

TEST_CASE("options: an '@' after the host is refused even when the rest would parse", "[options]") {
    // A password with a raw '?' or '/' moves its tail into the host part; the tail here would
    // otherwise become the client name, sent to the server and printed by to_url().
    try {
        redpool::options::from_url("redis://u:pa?client_name=ss@host");
        FAIL("the URL was accepted");
    } catch (const redpool::error& e) {
        CHECK(e.code() == redpool::errc::invalid_argument);
        const std::string message = e.what();
        CHECK(message.find("percent-encode") != std::string::npos);
        CHECK(message.find("client_name=ss") == std::string::npos);
    }
}

TEST_CASE("options: any non-negative duration is valid, and a jitter without a lifetime too", "[options]") {
    options o;
    o.dial_timeout = options::duration::max();
    o.read_timeout = options::duration::max();
    o.write_timeout = options::duration::max();
    o.pool_timeout = options::duration::max();
    o.conn_max_idle_time = options::duration::max();
    o.conn_max_lifetime = options::duration::max();
    o.conn_max_lifetime_jitter = options::duration::max();
    o.liveness_check_after = options::duration::max();
    o.tcp_user_timeout = options::duration::max();
    o.tcp_keepalive = options::duration::max();
    o.health_check_interval = options::duration::max();
    CHECK_NOTHROW(o.validate());
    o.conn_max_lifetime = 0ms;  // no lifetime: the jitter has nothing to spread
    o.conn_max_lifetime_jitter = 5s;
    CHECK_NOTHROW(o.validate());
}

TEST_CASE("options: URL durations too long for milliseconds saturate; non-finite ones are refused",
          "[options]") {
    const auto huge = options::from_url("redis://h?pool_timeout=99999999999999999999999999h");
    CHECK(huge.pool_timeout == options::duration::max());
    options o;
    o.pool_timeout = options::duration::max();
    o.conn_max_lifetime = 1h;
    o.conn_max_lifetime_jitter = 90s;
    o.liveness_check_after = 0ms;
    const auto back = options::from_url(o.to_url());
    CHECK(back.pool_timeout == options::duration::max());
    CHECK(back.conn_max_lifetime_jitter == 90s);
    CHECK(back.liveness_check_after == 0ms);
    CHECK_THAT(url_error(with_password("redis://:", "@h?pool_timeout=inf")), Contains("pool_timeout"));
    CHECK_THAT(url_error(with_password("redis://:", "@h?read_timeout=nan")), Contains("read_timeout"));
}
