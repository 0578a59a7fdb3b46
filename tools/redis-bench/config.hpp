// redis-bench's configuration: everything the command line can say.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace redis_bench {

enum class run_mode { async, sync, client };

struct config {
    // --- where (redis-benchmark's -h -p -s -a --user --dbnum) ----------------------------------
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string socket;             // -s: unix socket path
    bool server_given = false;      // any of -h, -p, -s: otherwise redis-bench starts its own
    std::string password;           // -a
    std::string user;               // --user
    int dbnum = 0;                  // --dbnum
    bool cluster = false;           // --cluster: a Redis Cluster seeded by -h -p (or its own)
    bool tls = false;               // --tls
    std::string tls_ca_file;        // --cacert
    std::string tls_cert_file;      // --cert
    std::string tls_key_file;       // --key
    std::string tls_server_name;    // --sni
    bool tls_insecure = false;      // --insecure

    // --- the workload -------------------------------------------------------------------------
    int clients = 50;               // -c: connections (async) or threads (sync)
    long requests = 100000;         // -n: total requests per test
    std::optional<std::chrono::milliseconds> duration;  // --duration 10s: instead of -n
    int data_size = 3;              // -d: bytes of SET/GET values
    int pipeline = 1;               // -P: requests in flight per connection
    long keyspace = 0;              // -r: random keys in [0, keyspace); 0: fixed keys
    /// Canonical lower-case test names, in the order given (-t); the default list when empty.
    std::vector<std::string> tests;
    int threads = 1;                // --threads: event loops (async mode), io threads (client mode)

    // --- output ------------------------------------------------------------------------------
    bool quiet = false;             // -q
    bool csv = false;               // --csv
    bool json = false;              // --json
    int precision = 3;              // --precision: decimals of latencies in ms

    // --- the pool (sync and client modes) ----------------------------------------------------
    run_mode mode = run_mode::async;
    int pool_size = 0;              // --pool-size; 0: redpool's default
    int min_idle = 0;               // --min-idle
    std::optional<std::chrono::milliseconds> pool_timeout;  // --pool-timeout
    int max_in_flight = 0;          // --max-in-flight (client mode); 0: redpool's default
    std::vector<int> sweep_pool_sizes;  // --sweep pool-size=1,2,4
    std::string plot_file;          // --plot FILE.svg
};

/// A bad command line; `what()` is one line for the user.
class flag_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The tests run when -t is not given, in redis-benchmark's order.
const std::vector<std::string>& default_tests();

/// Every test name -t accepts.
const std::vector<std::string>& known_tests();

/// Parses redis-benchmark 7's flags plus redis-bench's own. Throws flag_error.
config parse_flags(int argc, const char* const* argv);

/// The --help text.
std::string usage();

}  // namespace redis_bench
