// Unit tests of redis-bench's command line: defaults, every flag, -t's expansion and
// de-duplication, strict numbers and durations, the cross-checks, one-line errors that name the
// flag, and that the -a password never reaches a message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "tools/redis-bench/config.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using redis_bench::config;
using redis_bench::flag_error;
using redis_bench::parse_flags;
using redis_bench::run_mode;

namespace {

constexpr const char* password = "s3cr3t-Pa55";

// parse_flags over `args`, with a program name in front as argv has.
config parse(std::vector<std::string> args) {
    args.insert(args.begin(), "redis-bench");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    return parse_flags(static_cast<int>(args.size()), argv.data());
}

// The message parse() throws for `args`; fails the test if it throws nothing. Every message is
// one line and carries no part of the password.
std::string error_of(const std::vector<std::string>& args) {
    try {
        parse(args);
    } catch (const flag_error& e) {
        const std::string message = e.what();
        INFO("message: " << message);
        CHECK(message.find('\n') == std::string::npos);
        CHECK(message.find("s3cr3t") == std::string::npos);
        CHECK(message.find("Pa55") == std::string::npos);
        return message;
    }
    FAIL("parse_flags accepted the arguments");
    return {};
}

}  // namespace

TEST_CASE("redis-bench flags: no arguments give redis-benchmark's defaults", "[redis-bench]") {
    const config cfg = parse({});
    CHECK(cfg.host == "127.0.0.1");
    CHECK(cfg.port == 6379);
    CHECK(cfg.socket.empty());
    CHECK_FALSE(cfg.server_given);
    CHECK(cfg.password.empty());
    CHECK(cfg.user.empty());
    CHECK(cfg.dbnum == 0);
    CHECK(cfg.clients == 50);
    CHECK(cfg.requests == 100000);
    CHECK_FALSE(cfg.duration);
    CHECK(cfg.data_size == 3);
    CHECK(cfg.pipeline == 1);
    CHECK(cfg.keyspace == 0);
    CHECK(cfg.tests.empty());
    CHECK(cfg.threads == 1);
    CHECK_FALSE(cfg.quiet);
    CHECK_FALSE(cfg.csv);
    CHECK_FALSE(cfg.json);
    CHECK(cfg.precision == 3);
    CHECK(cfg.mode == run_mode::async);
    CHECK(cfg.pool_size == 0);
    CHECK(cfg.min_idle == 0);
    CHECK_FALSE(cfg.pool_timeout);
    CHECK(cfg.sweep_pool_sizes.empty());
    CHECK(cfg.plot_file.empty());
}

TEST_CASE("redis-bench flags: default tests are redis-benchmark's, in its order", "[redis-bench]") {
    const std::vector<std::string> expected{
        "ping_inline", "ping_mbulk", "set",        "get",        "incr",       "lpush", "rpush",
        "lpop",        "rpop",       "sadd",       "hset",       "spop",       "zadd",  "zpopmin",
        "lrange_100",  "lrange_300", "lrange_500", "lrange_600", "mset"};
    CHECK(redis_bench::default_tests() == expected);
}

TEST_CASE("redis-bench flags: every default test and both aliases are known", "[redis-bench]") {
    const auto& known = redis_bench::known_tests();
    for (const std::string& name : redis_bench::default_tests()) {
        INFO(name);
        CHECK(std::count(known.begin(), known.end(), name) == 1);
    }
    CHECK(std::count(known.begin(), known.end(), "ping") == 1);
    CHECK(std::count(known.begin(), known.end(), "lrange") == 1);
    CHECK(known.size() == redis_bench::default_tests().size() + 2);
}

TEST_CASE("redis-bench flags: -h, -p and -s each mark the server as given", "[redis-bench]") {
    config cfg = parse({"-h", "10.0.0.7"});
    CHECK(cfg.host == "10.0.0.7");
    CHECK(cfg.server_given);

    cfg = parse({"-p", "7000"});
    CHECK(cfg.port == 7000);
    CHECK(cfg.server_given);

    cfg = parse({"-s", "/tmp/redis.sock"});
    CHECK(cfg.socket == "/tmp/redis.sock");
    CHECK(cfg.server_given);
}

TEST_CASE("redis-bench flags: -p accepts 1 to 65535 only", "[redis-bench]") {
    CHECK(parse({"-p", "1"}).port == 1);
    CHECK(parse({"-p", "65535"}).port == 65535);
    CHECK_THAT(error_of({"-p", "0"}), Contains("-p: 0 is out of range (1..65535)"));
    CHECK_THAT(error_of({"-p", "65536"}), Contains("-p: 65536 is out of range (1..65535)"));
    CHECK_THAT(error_of({"-p", "http"}), Contains("-p: \"http\" is not a number"));
}

TEST_CASE("redis-bench flags: -a, --user and --dbnum set the login", "[redis-bench]") {
    const config cfg = parse({"-a", password, "--user", "alice", "--dbnum", "5"});
    CHECK(cfg.password == password);
    CHECK(cfg.user == "alice");
    CHECK(cfg.dbnum == 5);
    CHECK_FALSE(cfg.server_given);
    CHECK(parse({"--user=bob"}).user == "bob");
    CHECK_THAT(error_of({"--dbnum", "-1"}), Contains("--dbnum: -1 is out of range (0..)"));
}

TEST_CASE("redis-bench flags: a password that starts with '-' is still -a's value",
          "[redis-bench]") {
    CHECK(parse({"-a", "-q", "-c", "3"}).password == "-q");
}

TEST_CASE("redis-bench flags: the password never appears in a message", "[redis-bench]") {
    CHECK_THAT(error_of({"-a"}), Contains("-a: missing value"));
    CHECK_THAT(error_of({"-a", ""}), Contains("-a"));
    CHECK_THAT(error_of({std::string("-a=") + password}), Contains("-a"));
    CHECK_THAT(error_of({std::string("--a=") + password}), Contains("unknown option \"--a\""));
    CHECK_THAT(error_of({std::string("--password=") + password}), Contains("--password"));
    CHECK_THAT(error_of({"-a", password, "-c", "abc"}), Contains("-c"));
    CHECK_THAT(error_of({"-a", password, "--csv", "--json"}), Contains("--csv"));
    CHECK_THAT(error_of({"-a", password, "--mode", "sync", "-P", "2"}), Contains("-P"));
}

TEST_CASE("redis-bench flags: -c, -n, -P and -r take positive numbers", "[redis-bench]") {
    const config cfg = parse({"-c", "8", "-n", "5000000000", "-P", "16", "-r", "100000"});
    CHECK(cfg.clients == 8);
    CHECK(cfg.requests == 5000000000L);
    CHECK(cfg.pipeline == 16);
    CHECK(cfg.keyspace == 100000);
    for (const char* flag : {"-c", "-n", "-P", "-r"}) {
        INFO(flag);
        CHECK_THAT(error_of({flag, "0"}), Contains(std::string(flag) + ": 0 is out of range (1..)"));
        CHECK_THAT(error_of({flag, "abc"}),
                   Contains(std::string(flag) + ": \"abc\" is not a number"));
    }
}

TEST_CASE("redis-bench flags: numbers are strict, whole and in range", "[redis-bench]") {
    for (const char* bad : {"", " 5", "5 ", "+5", "5x", "0x10", "1e3", "2.5"}) {
        INFO("value: \"" << bad << "\"");
        CHECK_THAT(error_of({"-c", bad}), Contains("-c: \"" + std::string(bad) + "\" is not a number"));
    }
    CHECK_THAT(error_of({"-c", "99999999999999999999"}),
               Contains("-c: 99999999999999999999 is out of range (1..)"));
    CHECK_THAT(error_of({"-c", "3000000000"}), Contains("-c: 3000000000 is out of range (1..)"));
    CHECK_THAT(error_of({"-c", "-3"}), Contains("-c: -3 is out of range (1..)"));
}

TEST_CASE("redis-bench flags: -d is at least 1 and at most 1 GiB", "[redis-bench]") {
    CHECK(parse({"-d", "1"}).data_size == 1);
    CHECK(parse({"-d", "1073741824"}).data_size == 1073741824);
    CHECK_THAT(error_of({"-d", "0"}), Contains("-d: 0 is out of range (1..1073741824)"));
    CHECK_THAT(error_of({"-d", "1073741825"}), Contains("-d"));
}

TEST_CASE("redis-bench flags: -t accepts any case and expands ping", "[redis-bench]") {
    CHECK(parse({"-t", "SET,Get,ping"}).tests ==
          std::vector<std::string>{"set", "get", "ping_inline", "ping_mbulk"});
    CHECK(parse({"-t", "PING_MBULK"}).tests == std::vector<std::string>{"ping_mbulk"});
}

TEST_CASE("redis-bench flags: -t expands lrange and accepts every known test", "[redis-bench]") {
    CHECK(parse({"-t", "lrange"}).tests ==
          std::vector<std::string>{"lrange_100", "lrange_300", "lrange_500", "lrange_600"});
    for (const std::string& name : redis_bench::default_tests()) {
        INFO(name);
        CHECK(parse({"-t", name}).tests == std::vector<std::string>{name});
    }
}

TEST_CASE("redis-bench flags: -t drops duplicates, keeping the first occurrence",
          "[redis-bench]") {
    CHECK(parse({"-t", "get,set,ping_mbulk,GET,ping,lrange_300,lrange"}).tests ==
          std::vector<std::string>{"get", "set", "ping_mbulk", "ping_inline", "lrange_300",
                                   "lrange_100", "lrange_500", "lrange_600"});
}

TEST_CASE("redis-bench flags: -t rejects unknown tests and an empty list", "[redis-bench]") {
    CHECK_THAT(error_of({"-t", "set,bogus"}), Contains("-t: unknown test \"bogus\""));
    CHECK_THAT(error_of({"-t", ""}), Contains("-t"));
    CHECK_THAT(error_of({"-t", ","}), Contains("-t"));
    CHECK_THAT(error_of({"-t"}), Contains("-t: missing value"));
    // As in redis-benchmark, empty items between commas are ignored.
    CHECK(parse({"-t", "set,,get,"}).tests == std::vector<std::string>{"set", "get"});
}

TEST_CASE("redis-bench flags: -q, --csv and --json switch the output", "[redis-bench]") {
    CHECK(parse({"-q"}).quiet);
    CHECK(parse({"--csv"}).csv);
    CHECK(parse({"--json"}).json);
    CHECK_THAT(error_of({"--csv=yes"}), Contains("--csv: takes no value"));
}

TEST_CASE("redis-bench flags: --threads is 1..64 and --precision 0..6", "[redis-bench]") {
    CHECK(parse({"--threads", "4"}).threads == 4);
    CHECK(parse({"--threads=64"}).threads == 64);
    CHECK(parse({"--precision", "0"}).precision == 0);
    CHECK(parse({"--precision=6"}).precision == 6);
    CHECK_THAT(error_of({"--threads", "0"}), Contains("--threads: 0 is out of range (1..64)"));
    CHECK_THAT(error_of({"--threads=65"}), Contains("--threads: 65 is out of range (1..64)"));
    CHECK_THAT(error_of({"--precision", "7"}), Contains("--precision: 7 is out of range (0..6)"));
    CHECK_THAT(error_of({"--threads="}), Contains("--threads: \"\" is not a number"));
}

TEST_CASE("redis-bench flags: --mode takes sync, async or client", "[redis-bench]") {
    CHECK(parse({"--mode", "sync"}).mode == run_mode::sync);
    CHECK(parse({"--mode=async"}).mode == run_mode::async);
    CHECK(parse({"--mode", "Client"}).mode == run_mode::client);
    CHECK_THAT(error_of({"--mode", "fast"}), Contains("--mode: \"fast\" is not sync, async or client"));
}

TEST_CASE("redis-bench flags: --pool-size, --min-idle and --pool-timeout set the pool",
          "[redis-bench]") {
    const config cfg = parse({"--pool-size", "16", "--min-idle", "4", "--pool-timeout", "250ms"});
    CHECK(cfg.pool_size == 16);
    CHECK(cfg.min_idle == 4);
    CHECK(cfg.pool_timeout == 250ms);
    CHECK(parse({"--max-in-flight", "8"}).max_in_flight == 8);
    CHECK(parse({}).max_in_flight == 0);  // redpool's default
    CHECK(parse({"--pool-timeout=0"}).pool_timeout == 0ms);
    CHECK(parse({"--min-idle", "0"}).min_idle == 0);
    CHECK_THAT(error_of({"--pool-size", "0"}), Contains("--pool-size: 0 is out of range (1..)"));
    CHECK_THAT(error_of({"--min-idle", "-1"}), Contains("--min-idle: -1 is out of range (0..)"));
    CHECK_THAT(error_of({"--pool-timeout", "soon"}), Contains("--pool-timeout: \"soon\""));
}

TEST_CASE("redis-bench flags: --duration takes ms, s, m, h or bare seconds", "[redis-bench]") {
    CHECK(parse({"--duration", "10s"}).duration == 10s);
    CHECK(parse({"--duration", "500ms"}).duration == 500ms);
    CHECK(parse({"--duration", "2m"}).duration == 2min);
    CHECK(parse({"--duration", "1h"}).duration == 1h);
    CHECK(parse({"--duration=7"}).duration == 7s);
}

TEST_CASE("redis-bench flags: --duration rejects zero and malformed values", "[redis-bench]") {
    CHECK_THAT(error_of({"--duration", "0s"}), Contains("--duration: 0s is out of range"));
    for (const char* bad : {"", "s", "10x", "-5s", "1.5s", "10 s", "ms10", "99999999999999999999h"}) {
        INFO("value: \"" << bad << "\"");
        CHECK_THAT(error_of({"--duration", bad}),
                   Contains("--duration: \"" + std::string(bad) + "\" is not a duration"));
    }
}

TEST_CASE("redis-bench flags: --sweep takes pool-size=N,N,... and --plot a file",
          "[redis-bench]") {
    const config cfg =
        parse({"--mode", "sync", "--sweep", "pool-size=1,2,4,8", "--plot", "pool.svg"});
    CHECK(cfg.sweep_pool_sizes == std::vector<int>{1, 2, 4, 8});
    CHECK(cfg.plot_file == "pool.svg");
    CHECK(parse({"--mode=sync", "--sweep=pool-size=3"}).sweep_pool_sizes == std::vector<int>{3});
}

TEST_CASE("redis-bench flags: --sweep rejects other keys, empty lists and bad sizes",
          "[redis-bench]") {
    CHECK_THAT(error_of({"--mode", "sync", "--sweep", "clients=1,2"}),
               Contains("--sweep: \"clients=1,2\""));
    CHECK_THAT(error_of({"--mode", "sync", "--sweep", "pool-size="}), Contains("--sweep"));
    CHECK_THAT(error_of({"--mode", "sync", "--sweep", "pool-size=1,0"}),
               Contains("--sweep: 0 is out of range (1..)"));
    CHECK_THAT(error_of({"--mode", "sync", "--sweep", "pool-size=1,,2"}),
               Contains("--sweep: \"\" is not a number"));
    CHECK_THAT(error_of({"--plot", ""}), Contains("--plot"));
}

TEST_CASE("redis-bench flags: --duration cannot be combined with an explicit -n",
          "[redis-bench]") {
    CHECK(parse({"--duration", "5s"}).requests == 100000);
    const std::string message = error_of({"-n", "1000", "--duration", "5s"});
    CHECK_THAT(message, Contains("--duration"));
    CHECK_THAT(message, Contains("-n"));
}

TEST_CASE("redis-bench flags: --sweep needs --mode sync", "[redis-bench]") {
    CHECK_THAT(error_of({"--sweep", "pool-size=1,2"}), Contains("--sweep needs --mode sync"));
    CHECK_THAT(error_of({"--mode", "async", "--sweep", "pool-size=1,2"}),
               Contains("--sweep needs --mode sync"));
}

TEST_CASE("redis-bench flags: -P above 1 needs --mode async", "[redis-bench]") {
    CHECK(parse({"--mode", "sync", "-P", "1"}).pipeline == 1);
    CHECK(parse({"-P", "8"}).pipeline == 8);
    CHECK_THAT(error_of({"--mode", "sync", "-P", "2"}), Contains("-P needs --mode async"));
    CHECK_THAT(error_of({"--mode", "client", "-P", "2"}), Contains("the library pipelines"));
}

TEST_CASE("redis-bench flags: --min-idle may not exceed --pool-size", "[redis-bench]") {
    CHECK(parse({"--pool-size", "4", "--min-idle", "4"}).min_idle == 4);
    CHECK(parse({"--min-idle", "40"}).min_idle == 40);  // against redpool's default size: main's call
    const std::string message = error_of({"--min-idle", "5", "--pool-size", "4"});
    CHECK_THAT(message, Contains("--min-idle"));
    CHECK_THAT(message, Contains("--pool-size"));
}

TEST_CASE("redis-bench flags: --csv and --json cannot be combined", "[redis-bench]") {
    const std::string message = error_of({"--json", "--csv"});
    CHECK_THAT(message, Contains("--csv"));
    CHECK_THAT(message, Contains("--json"));
}

TEST_CASE("redis-bench flags: unknown options, --help and stray arguments are errors",
          "[redis-bench]") {
    CHECK_THAT(error_of({"--foo"}), Contains("unknown option \"--foo\""));
    CHECK_THAT(error_of({"--foo=1"}), Contains("unknown option \"--foo\""));
    CHECK_THAT(error_of({"--help"}), Contains("unknown option \"--help\""));
    CHECK_THAT(error_of({"--cluster", "--mode", "async"}), Contains("--cluster runs --mode sync"));
    CHECK_THAT(error_of({"--cluster", "-s", "/tmp/x.sock"}), Contains("over TCP"));
    CHECK(parse({"--cluster"}).mode == run_mode::sync);  // the cluster runs in sync mode
    CHECK(parse({"--cluster"}).cluster);
    CHECK_THAT(error_of({"-n1000"}), Contains("unknown option \"-n1000\""));
    CHECK_THAT(error_of({"-n=1000"}), Contains("-n"));
    CHECK_THAT(error_of({"get"}), Contains("\"get\""));
    CHECK_THAT(error_of({"-"}), Contains("\"-\""));
}

TEST_CASE("redis-bench flags: every value flag reports a missing value", "[redis-bench]") {
    for (const char* flag : {"-h", "-p", "-s", "-a", "--user", "--dbnum", "-c", "-n", "-d", "-P",
                             "-r", "-t", "--threads", "--precision", "--mode", "--pool-size",
                             "--min-idle", "--pool-timeout", "--duration", "--sweep", "--plot"}) {
        INFO(flag);
        CHECK(error_of({"-q", flag}) == std::string(flag) + ": missing value");
    }
}

TEST_CASE("redis-bench flags: a repeated flag keeps its last value", "[redis-bench]") {
    const config cfg = parse({"-c", "5", "-c", "7", "-t", "set", "-t", "get"});
    CHECK(cfg.clients == 7);
    CHECK(cfg.tests == std::vector<std::string>{"get"});
}

TEST_CASE("redis-bench flags: usage lists every flag, every test and the private server",
          "[redis-bench]") {
    const std::string text = redis_bench::usage();
    for (const char* flag : {"-h <", "-p <", "-s <", "-a <", "--user", "--dbnum", "-c <", "-n <",
                             "-d <", "-P <", "-r <", "-t <", "-q ", "--csv", "--json", "--threads",
                             "--precision", "--mode", "--pool-size", "--min-idle", "--pool-timeout",
                             "--duration", "--sweep", "--plot", "--help"}) {
        CHECK_THAT(text, Contains(flag));
    }
    for (const std::string& name : redis_bench::known_tests()) CHECK_THAT(text, Contains(name));
    CHECK_THAT(text, Contains("unix socket"));
    CHECK_THAT(text, Contains("redis-server"));
}

TEST_CASE("redis-bench flags: --tls, --cacert, --cert, --key, --sni and --insecure as redis-benchmark 7's",
          "[redis-bench][row30]") {
    const config c = parse({"--tls", "-h", "cache.example.com", "-p", "6380", "--cacert", "ca.pem", "--cert", "c.pem",
                            "--key", "k.pem", "--sni", "redis.internal", "--insecure"});
    CHECK(c.tls);
    CHECK(c.tls_ca_file == "ca.pem");
    CHECK(c.tls_cert_file == "c.pem");
    CHECK(c.tls_key_file == "k.pem");
    CHECK(c.tls_server_name == "redis.internal");
    CHECK(c.tls_insecure);
    CHECK(c.mode == redis_bench::run_mode::client);  // the library's TLS path, pipelined by it
    CHECK(parse({"--tls", "-p", "6380", "--mode", "sync"}).mode == redis_bench::run_mode::sync);

    CHECK(error_of({"--cacert", "ca.pem", "-p", "6380"}).find("need --tls") != std::string::npos);
    CHECK(error_of({"--tls", "-p", "6380", "--cert", "c.pem"}).find("--cert and --key go together") != std::string::npos);
    CHECK(error_of({"--tls", "-p", "6380", "--mode", "async"}).find("--mode async") != std::string::npos);
    CHECK(error_of({"--tls"}).find("needs the server's -h and -p") != std::string::npos);
    CHECK(error_of({"--tls", "-s", "/tmp/redis.sock"}).find("TCP ports") != std::string::npos);
}
