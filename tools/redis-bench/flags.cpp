// redis-bench's command line: redis-benchmark 7's flags plus the pool and output flags of its
// own, parsed by a table of handlers into a config. Every error is one flag_error line that
// names the flag; the -a value is never put into a message.
#include "config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace redis_bench {
namespace {

using std::chrono::milliseconds;

// -d's cap: redis-benchmark has none, but a value this size already exceeds what a benchmark
// can mean (and Redis' own proto-max-bulk-len default is 512 MiB).
constexpr long max_data_size = 1L << 30;
constexpr int max_threads = 64;
constexpr int max_precision = 6;

// The parse in progress: the config, plus which flags were given, for the cross-checks.
struct parse_state {
    config cfg;
    bool requests_given = false;
    bool pool_size_given = false;
    bool min_idle_given = false;
    bool mode_given = false;
};

// One flag's text: its name as written (without any `=value`) and its value, if any.
struct flag_arg {
    std::string_view name;
    std::string_view value;
};

[[noreturn]] void fail(std::string message) { throw flag_error(message); }

// "(1..)" for no upper bound, as the user sees it; Int's own limit is not the user's business.
std::string range_text(long min, std::optional<long> max) {
    return max ? fmt::format("({}..{})", min, *max) : fmt::format("({}..)", min);
}

// Strict: the whole text is a decimal integer (an optional '-', no '+', no spaces) within
// [min, max]; without max, within Int.
template <class Int>
Int parse_int(const flag_arg& arg, long min, std::optional<long> max = std::nullopt) {
    if (arg.value.empty()) fail(fmt::format("{}: \"\" is not a number", arg.name));
    const char* last = arg.value.data() + arg.value.size();
    long n = 0;
    auto [end, ec] = std::from_chars(arg.value.data(), last, n);
    if (ec == std::errc::invalid_argument || end != last) {
        fail(fmt::format("{}: \"{}\" is not a number", arg.name, arg.value));
    }
    const long limit = std::min<long>(max.value_or(std::numeric_limits<long>::max()),
                                      std::numeric_limits<Int>::max());
    if (ec == std::errc::result_out_of_range || n < min || n > limit) {
        fail(fmt::format("{}: {} is out of range {}", arg.name, arg.value, range_text(min, max)));
    }
    return static_cast<Int>(n);
}

std::string_view non_empty(const flag_arg& arg) {
    if (arg.value.empty()) fail(fmt::format("{}: empty value", arg.name));
    return arg.value;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "10s", "500ms", "2m", "1h", or bare seconds ("10"); whole units only, milliseconds at best.
std::optional<milliseconds> to_duration(std::string_view text) {
    const auto digits = text.find_first_not_of("0123456789");
    const std::string_view number = text.substr(0, digits);
    const std::string_view unit = digits == text.npos ? "" : text.substr(digits);
    long scale = 0;
    if (unit.empty() || unit == "s") scale = 1000;
    else if (unit == "ms") scale = 1;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    long n = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (scale == 0 || number.empty() || ec != std::errc() || end != number.data() + number.size() ||
        n > std::numeric_limits<long>::max() / scale) {
        return std::nullopt;
    }
    return milliseconds(n * scale);
}

milliseconds parse_duration(const flag_arg& arg, bool zero_allowed) {
    const auto d = to_duration(arg.value);
    if (!d) {
        fail(fmt::format("{}: \"{}\" is not a duration (like 10s, 500ms, 2m)", arg.name,
                         arg.value));
    }
    if (!zero_allowed && d->count() == 0) {
        fail(fmt::format("{}: {} is out of range (more than 0)", arg.name, arg.value));
    }
    return *d;
}

std::vector<std::string_view> split_commas(std::string_view list) {
    std::vector<std::string_view> items;
    for (size_t start = 0; start <= list.size();) {
        const size_t comma = std::min(list.find(',', start), list.size());
        items.push_back(list.substr(start, comma - start));
        start = comma + 1;
    }
    return items;
}

// The canonical names one -t item stands for: itself, or ping's and lrange's expansions.
std::vector<std::string> expand_test(const flag_arg& arg, std::string_view item) {
    const std::string name = lower(item);
    if (name == "ping") return {"ping_inline", "ping_mbulk"};
    if (name == "lrange") return {"lrange_100", "lrange_300", "lrange_500", "lrange_600"};
    const auto& known = known_tests();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
        fail(fmt::format("{}: unknown test \"{}\"", arg.name, item));
    }
    return {name};
}

// Empty items are skipped, as redis-benchmark does ("set," means set), so only a list with no
// name at all is an error.
std::vector<std::string> parse_tests(const flag_arg& arg) {
    std::vector<std::string> tests;
    for (std::string_view item : split_commas(arg.value)) {
        if (item.empty()) continue;
        for (std::string& name : expand_test(arg, item)) {
            if (std::find(tests.begin(), tests.end(), name) == tests.end()) {
                tests.push_back(std::move(name));
            }
        }
    }
    if (tests.empty()) fail(fmt::format("{}: empty test list", arg.name));
    return tests;
}

std::vector<int> parse_sweep(const flag_arg& arg) {
    constexpr std::string_view key = "pool-size=";
    if (arg.value.substr(0, key.size()) != key) {
        fail(fmt::format("{}: \"{}\" is not pool-size=N,N,... (the only sweep supported)",
                         arg.name, arg.value));
    }
    const std::string_view list = arg.value.substr(key.size());
    if (list.empty()) fail(fmt::format("{}: no pool sizes after \"pool-size=\"", arg.name));
    std::vector<int> sizes;
    for (std::string_view item : split_commas(list)) {
        sizes.push_back(parse_int<int>({arg.name, item}, 1));
    }
    return sizes;
}

run_mode parse_mode(const flag_arg& arg) {
    const std::string mode = lower(arg.value);
    if (mode == "sync") return run_mode::sync;
    if (mode == "async") return run_mode::async;
    if (mode == "client") return run_mode::client;
    fail(fmt::format("{}: \"{}\" is not sync, async or client", arg.name, arg.value));
}

struct flag_spec {
    std::string_view name;
    bool takes_value;
    void (*apply)(parse_state&, const flag_arg&);
};

// The table parse_flags dispatches on; usage() documents the same flags.
constexpr std::array flag_table{
    flag_spec{"-h", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.host = non_empty(a);
        s.cfg.server_given = true;
    }},
    flag_spec{"-p", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.port = parse_int<int>(a, 1, 65535);
        s.cfg.server_given = true;
    }},
    flag_spec{"-s", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.socket = non_empty(a);
        s.cfg.server_given = true;
    }},
    flag_spec{"-a", true, [](parse_state& s, const flag_arg& a) { s.cfg.password = non_empty(a); }},
    flag_spec{"--user", true, [](parse_state& s, const flag_arg& a) { s.cfg.user = non_empty(a); }},
    flag_spec{"--dbnum", true,
              [](parse_state& s, const flag_arg& a) { s.cfg.dbnum = parse_int<int>(a, 0); }},
    flag_spec{"-c", true,
              [](parse_state& s, const flag_arg& a) { s.cfg.clients = parse_int<int>(a, 1); }},
    flag_spec{"-n", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.requests = parse_int<long>(a, 1);
        s.requests_given = true;
    }},
    flag_spec{"-d", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.data_size = parse_int<int>(a, 1, max_data_size);
    }},
    flag_spec{"-P", true,
              [](parse_state& s, const flag_arg& a) { s.cfg.pipeline = parse_int<int>(a, 1); }},
    flag_spec{"-r", true,
              [](parse_state& s, const flag_arg& a) { s.cfg.keyspace = parse_int<long>(a, 1); }},
    flag_spec{"-t", true, [](parse_state& s, const flag_arg& a) { s.cfg.tests = parse_tests(a); }},
    flag_spec{"-q", false, [](parse_state& s, const flag_arg&) { s.cfg.quiet = true; }},
    flag_spec{"--csv", false, [](parse_state& s, const flag_arg&) { s.cfg.csv = true; }},
    flag_spec{"--json", false, [](parse_state& s, const flag_arg&) { s.cfg.json = true; }},
    flag_spec{"--threads", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.threads = parse_int<int>(a, 1, max_threads);
    }},
    flag_spec{"--precision", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.precision = parse_int<int>(a, 0, max_precision);
    }},
    flag_spec{"--mode", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.mode = parse_mode(a);
        s.mode_given = true;
    }},
    flag_spec{"--cluster", false, [](parse_state& s, const flag_arg&) { s.cfg.cluster = true; }},
    flag_spec{"--tls", false, [](parse_state& s, const flag_arg&) { s.cfg.tls = true; }},
    flag_spec{"--cacert", true, [](parse_state& s, const flag_arg& a) { s.cfg.tls_ca_file = non_empty(a); }},
    flag_spec{"--cert", true, [](parse_state& s, const flag_arg& a) { s.cfg.tls_cert_file = non_empty(a); }},
    flag_spec{"--key", true, [](parse_state& s, const flag_arg& a) { s.cfg.tls_key_file = non_empty(a); }},
    flag_spec{"--sni", true, [](parse_state& s, const flag_arg& a) { s.cfg.tls_server_name = non_empty(a); }},
    flag_spec{"--insecure", false, [](parse_state& s, const flag_arg&) { s.cfg.tls_insecure = true; }},
    flag_spec{"--pool-size", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.pool_size = parse_int<int>(a, 1);
        s.pool_size_given = true;
    }},
    flag_spec{"--min-idle", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.min_idle = parse_int<int>(a, 0);
        s.min_idle_given = true;
    }},
    // Zero is allowed: redpool's pool_timeout 0 means "fail at once when the pool is busy".
    flag_spec{"--pool-timeout", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.pool_timeout = parse_duration(a, true);
    }},
    flag_spec{"--max-in-flight", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.max_in_flight = parse_int<int>(a, 1);
    }},
    flag_spec{"--duration", true, [](parse_state& s, const flag_arg& a) {
        s.cfg.duration = parse_duration(a, false);
    }},
    flag_spec{"--sweep", true,
              [](parse_state& s, const flag_arg& a) { s.cfg.sweep_pool_sizes = parse_sweep(a); }},
    flag_spec{"--plot", true,
              [](parse_state& s, const flag_arg& a) { s.cfg.plot_file = non_empty(a); }},
};

// redis-benchmark flags redis-bench leaves out, so the error can say why they fail.
constexpr std::array<std::string_view, 11> unsupported_flags{
    "-u", "-3", "-k", "-l", "-I", "-x", "--enable-tracking", "--cacertdir", "--tls-ciphers",
    "--tls-ciphersuites", "--version"};

[[noreturn]] void fail_unknown(std::string_view name) {
    const bool redis_benchmark_only =
        std::find(unsupported_flags.begin(), unsupported_flags.end(), name) !=
        unsupported_flags.end();
    fail(fmt::format("unknown option \"{}\"{}", name,
                     redis_benchmark_only ? " (a redis-benchmark option redis-bench lacks)" : ""));
}

const flag_spec* find_flag(std::string_view name) {
    for (const flag_spec& spec : flag_table) {
        if (spec.name == name) return &spec;
    }
    return nullptr;
}

// Applies argv[i] (and its value, if the flag takes one) and returns the index of the next
// argument. Like redis-benchmark, a value is the next argument even if it starts with '-', so
// `-a -secret` works; long flags also take `--flag=value`.
int apply_arg(parse_state& state, int argc, const char* const* argv, int i) {
    const std::string_view text = argv[i];
    if (text.size() < 2 || text[0] != '-') {
        fail(fmt::format("unexpected argument \"{}\": redis-bench runs only its -t tests", text));
    }
    // Only the part before '=' is ever echoed: `-a=secret` must not print the password.
    const size_t eq = text.find('=');
    const std::string_view name = text.substr(0, eq);
    const flag_spec* spec = find_flag(name);
    if (spec == nullptr) fail_unknown(name);
    if (eq != text.npos && !name.starts_with("--")) {
        fail(fmt::format("{}: give the value as the next argument, not after '='", name));
    }
    if (!spec->takes_value) {
        if (eq != text.npos) fail(fmt::format("{}: takes no value", name));
        spec->apply(state, {name, {}});
        return i + 1;
    }
    if (eq != text.npos) {
        spec->apply(state, {name, text.substr(eq + 1)});
        return i + 1;
    }
    if (i + 1 >= argc) fail(fmt::format("{}: missing value", name));
    spec->apply(state, {name, argv[i + 1]});
    return i + 2;
}

void check_combinations(const parse_state& state) {
    const config& cfg = state.cfg;
    if (cfg.duration && state.requests_given) {
        fail("--duration and -n cannot be combined: a run is bounded by time or by requests");
    }
    if (!cfg.sweep_pool_sizes.empty() && cfg.mode != run_mode::sync) {
        fail("--sweep needs --mode sync");
    }
    if (cfg.pipeline > 1 && cfg.mode == run_mode::sync) {
        fail("-P needs --mode async: sync mode measures one request per round trip");
    }
    if (cfg.pipeline > 1 && cfg.mode == run_mode::client) {
        fail("-P needs --mode async: in client mode the library pipelines the -c callers' requests itself");
    }
    if (state.min_idle_given && state.pool_size_given && cfg.min_idle > cfg.pool_size) {
        fail(fmt::format("--min-idle: {} is larger than --pool-size {}", cfg.min_idle,
                         cfg.pool_size));
    }
    if (cfg.csv && cfg.json) fail("--csv and --json cannot be combined: pick one output format");
    if (cfg.cluster && cfg.mode != run_mode::sync) {
        fail("--cluster runs --mode sync: threads sharing one redpool::cluster_client");
    }
    if (cfg.cluster && !cfg.socket.empty()) fail("--cluster: cluster nodes are reached over TCP (-h, -p), not -s");
    if (cfg.cluster && cfg.dbnum != 0) fail("--cluster: a cluster has only db 0");
    const bool tls_detail = !cfg.tls_ca_file.empty() || !cfg.tls_cert_file.empty() || !cfg.tls_key_file.empty() ||
                            !cfg.tls_server_name.empty() || cfg.tls_insecure;
    if (tls_detail && !cfg.tls) fail("--cacert, --cert, --key, --sni and --insecure need --tls");
    if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty()) fail("--cert and --key go together");
    if (cfg.tls && cfg.mode == run_mode::async) {
        fail("--tls: --mode async drives raw sockets; TLS runs in --mode client (the default with --tls) or sync");
    }
    if (cfg.tls && !cfg.socket.empty()) fail("--tls: TLS is served on TCP ports (-h, -p), not on -s");
    if (cfg.tls && !cfg.server_given) fail("--tls needs the server's -h and -p: the embedded server speaks no TLS");
}

}  // namespace

const std::vector<std::string>& default_tests() {
    static const std::vector<std::string> tests{
        "ping_inline", "ping_mbulk", "set",  "get",  "incr",  "lpush",      "rpush",
        "lpop",        "rpop",       "sadd", "hset", "spop",  "zadd",       "zpopmin",
        "lrange_100",  "lrange_300", "lrange_500",   "lrange_600", "mset"};
    return tests;
}

const std::vector<std::string>& known_tests() {
    static const std::vector<std::string> tests{
        "ping",       "ping_inline", "ping_mbulk", "set",        "get",   "incr",
        "lpush",      "rpush",       "lpop",       "rpop",       "sadd",  "hset",
        "spop",       "zadd",        "zpopmin",    "lrange",     "lrange_100",
        "lrange_300", "lrange_500",  "lrange_600", "mset"};
    return tests;
}

config parse_flags(int argc, const char* const* argv) {
    parse_state state;
    for (int i = 1; i < argc;) i = apply_arg(state, argc, argv, i);
    if (state.cfg.cluster && !state.mode_given) state.cfg.mode = run_mode::sync;
    if (state.cfg.tls && !state.mode_given && !state.cfg.cluster) state.cfg.mode = run_mode::client;
    check_combinations(state);
    return state.cfg;
}

namespace {

// The test names for usage(), comma separated, in lines that fit the help's 90 columns.
std::string wrapped_test_list(std::string_view indent) {
    std::string out;
    size_t line_length = 0;
    for (const std::string& name : known_tests()) {
        if (line_length > 0 && line_length + name.size() + 1 > 90 - indent.size()) {
            out += fmt::format(",\n{}", indent);
            line_length = 0;
        } else if (line_length > 0) {
            out += ',';
            ++line_length;
        }
        out += name;
        line_length += name.size();
    }
    return out;
}

}  // namespace

std::string usage() {
    return fmt::format(
        R"(Usage: redis-bench [OPTIONS]

Without -h, -p or -s, redis-bench starts its own redis-server on a private unix socket
and stops it when done.

Options (as redis-benchmark's):
 -h <hostname>      Server hostname (default 127.0.0.1)
 -p <port>          Server port (default 6379)
 -s <socket>        Server socket (overrides host and port)
 -a <password>      Password for Redis Auth
 --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
 --dbnum <db>       SELECT the specified db number (default 0)
 -c <clients>       Number of parallel connections (async), threads (sync) or callers (client)
                    (default 50)
 -n <requests>      Total number of requests per test (default 100000)
 -d <size>          Data size of SET/GET value in bytes, at most {max_data} (default 3)
 -P <numreq>        Pipeline <numreq> requests; needs --mode async. Default 1 (no pipeline)
 -r <keyspacelen>   Use random keys in [0, keyspacelen) (default: the same key every time)
 -t <tests>         Only run the comma separated list of tests, any case (default: all)
                    Tests: {tests}
                    (ping means ping_inline,ping_mbulk; lrange means lrange_100..lrange_600)
 -q                 Quiet. Just show query/sec values
 --csv              Output in CSV format
 --threads <num>    Event loops (async mode) or threads running the client's (client mode),
                    1..{max_threads} (default 1)
 --precision <n>    Decimal places of latencies in ms, 0..{max_precision} (default 3)
 --tls              Establish a secure TLS connection (runs --mode client unless told otherwise)
 --sni <host>       Server name indication for TLS, also the name verified (default: -h)
 --cacert <file>    CA certificate file to verify with (default: the system's trust store)
 --cert <file>      Client certificate to authenticate with (mutual TLS); needs --key
 --key <file>       Private key file to authenticate with
 --insecure         Allow an insecure TLS connection by skipping certificate validation

redis-bench's own options:
 --json             Output in JSON format (not with --csv)
 --mode <mode>      sync (a redpool::client, one thread per client), client (a
                    redpool::async_client, one coroutine per client, pipelined by the
                    library) or async (raw connections; default async)
 --pool-size <n>    Pool size in sync and client modes (default: redpool's, 10 per hardware thread)
 --min-idle <n>     Idle connections the pool keeps ready, at most --pool-size (default 0)
 --pool-timeout <d> Wait for a free pool connection; 0 fails at once (default: redpool's, 4s)
 --max-in-flight <n>
                    Client mode: requests one multiplexed connection carries at once; a
                    second connection opens when the first is full (default: redpool's, 32)
 --duration <d>     Run each test for this long instead of -n requests (default: off)
 --sweep pool-size=<n,n,...>
                    Run the tests once per pool size and recommend one; needs --mode sync
 --plot <file.svg>  Write the sweep's chart to this SVG file (default: none)
 --cluster          Benchmark a Redis Cluster with a redpool::cluster_client (sync mode), seeded
                    by -h and -p; without them, redis-bench starts a cluster of its own (3
                    masters on loopback). MSET's keys share one hash tag, so one slot.
 --help             Output this help and exit

Durations are whole numbers with a unit: 500ms, 10s, 2m, 1h; a bare number is seconds.
Long options also take --option=value.

Examples:
 $ redis-bench -t set,get -n 100000 -q
 $ redis-bench -h 192.168.1.1 -p 6379 -c 20 --duration 10s --csv
 $ redis-bench --mode sync --sweep pool-size=1,2,4,8 --plot pool.svg
 $ redis-bench --cluster -h 10.0.0.1 -p 7000 -t get,set -c 16 -r 100000
 $ redis-bench --tls -h cache.example.com -p 6380 --cacert ca.pem -t get,set
)",
        fmt::arg("max_data", max_data_size), fmt::arg("tests", wrapped_test_list("                           ")),
        fmt::arg("max_threads", max_threads), fmt::arg("max_precision", max_precision));
}

}  // namespace redis_bench
