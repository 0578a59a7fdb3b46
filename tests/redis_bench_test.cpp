// redis-bench end to end: the real binary against the fixture's redis-server, its embedded
// server, and every kind of bad input (one line on stderr, exit code 1).
#include <catch2/catch.hpp>

#include <algorithm>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::test::redis_server;
using redpool::test::shared_server;
namespace fs = std::filesystem;

namespace {

std::string binary() { return redpool::test::runfile("tools/redis-bench/redis-bench"); }

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct outcome {
    int code = -1;
    std::string out;
    std::string err;
};

// Runs redis-bench with `args` (shell words) and optional environment assignments.
outcome run(const std::string& args, const std::string& env = "") {
    const std::string dir = redpool::test::test_tmpdir();
    const std::string out = dir + "/rb.out", err = dir + "/rb.err";
    const std::string cmd = env + " " + binary() + " " + args + " > " + out + " 2> " + err;
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

std::string port_of(const redis_server& s) { return std::to_string(s.port()); }

// A short private directory for TMPDIR: redis-bench keeps its socket path under 108 bytes and
// ignores a longer TMPDIR (such as Bazel's test directory).
std::string short_tmpdir() {
    std::string pattern = "/tmp/rbt-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    for (std::string line; std::getline(s, line);) out.push_back(line);
    return out;
}

// Starts redis-bench in the background (with TMPDIR set when given), for tests that signal it
// or watch it while it runs.
pid_t spawn(std::vector<std::string> args, const std::string& tmpdir = "") {
    const std::string path = binary();
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (!tmpdir.empty()) ::setenv("TMPDIR", tmpdir.c_str(), 1);
        std::vector<char*> argv{const_cast<char*>(path.c_str())};
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

// A bad invocation: exit code 1 and exactly one line on stderr, naming `what`.
void check_one_line_error(const outcome& r, const std::string& what) {
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(lines(r.err).size() == 1);
    CHECK(r.err.find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("redis-bench: -t set -r 100 writes at most 100 random keys", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " -t set -r 100 -n 1000 -q");
    REQUIRE(r.code == 0);
    const long long keys = std::stoll(server.command({"DBSIZE"}));
    CHECK(keys >= 1);
    CHECK(keys <= 100);
    CHECK(r.out.find("SET: ") == 0);
}

TEST_CASE("redis-bench: without -r every request hits the same key", "[redis-bench]") {
    auto& server = shared_server();
    REQUIRE(run("-p " + port_of(server) + " -t set -n 500 -q").code == 0);
    CHECK(server.command({"DBSIZE"}) == "1");
    CHECK(server.command({"EXISTS", "key:__rand_int__"}) == "1");
}

TEST_CASE("redis-bench: --csv prints redis-benchmark's header and one row per test", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " -t get,set -n 2000 --csv");
    REQUIRE(r.code == 0);
    auto out = lines(r.out);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == R"("test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms")");
    CHECK(out[1].rfind("\"GET\",\"", 0) == 0);
    CHECK(out[2].rfind("\"SET\",\"", 0) == 0);
    CHECK(std::count(out[1].begin(), out[1].end(), ',') == 7);
}

TEST_CASE("redis-bench: -q prints one line per test with rps and p50", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " -t incr,lpush,rpop -n 1000 -q");
    REQUIRE(r.code == 0);
    auto out = lines(r.out);
    REQUIRE(out.size() == 3);
    for (const auto& line : out) {
        CHECK(line.find(" requests per second, p50=") != std::string::npos);
        CHECK(line.substr(line.size() - 5) == " msec");
    }
    CHECK(server.command({"GET", "counter:__rand_int__"}) == "1000");
}

TEST_CASE("redis-bench: pipelining completes exactly -n requests", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " -t incr -n 1000 -P 16 -c 7 --json");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("\"requests\":1000,") != std::string::npos);
    CHECK(server.command({"GET", "counter:__rand_int__"}) == "1000");
}

TEST_CASE("redis-bench: several event loops share the connections and the count", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " -t incr -n 3000 -P 4 -c 9 --threads 3 --json");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("\"requests\":3000,") != std::string::npos);
    CHECK(server.command({"GET", "counter:__rand_int__"}) == "3000");
}

TEST_CASE("redis-bench: -s, --user, -a and --dbnum reach the right database as the right user", "[redis-bench]") {
    redis_server server({.extra_config = {"user bench on >bench-pw ~* &* +@all"}});
    auto r = run("-s " + server.unix_path() + " --user bench -a bench-pw --dbnum 3 -t set -n 100 -q");
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto admin = server.admin();
    CHECK(admin.command({"DBSIZE"}) == "0");
    admin.command({"SELECT", "3"});
    CHECK(admin.command({"DBSIZE"}) == "1");
}

TEST_CASE("redis-bench: LRANGE tests first fill the list with LPUSH", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " -t lrange_100 -n 200 -q");
    REQUIRE(r.code == 0);
    auto out = lines(r.out);
    REQUIRE(out.size() == 2);
    CHECK(out[0].rfind("LPUSH (needed to benchmark LRANGE): ", 0) == 0);
    CHECK(out[1].rfind("LRANGE_100 (first 100 elements): ", 0) == 0);
    CHECK(server.command({"LLEN", "mylist"}) == "200");
}

TEST_CASE("redis-bench: sync mode shares one pool and reports its stats", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " --mode sync -c 8 --pool-size 2 -t get -n 2000 --json");
    REQUIRE(r.code == 0);
    INFO(r.out);
    CHECK(r.out.find("\"requests\":2000,") != std::string::npos);
    CHECK(r.out.find("\"pool\":{") != std::string::npos);
    CHECK(r.out.find("\"pool_size\":2") != std::string::npos);
    CHECK(r.out.find("\"total_conns\":2") != std::string::npos);
    CHECK(r.out.find("\"timeouts\":0") != std::string::npos);
    CHECK(r.out.find("\"wait_count\":0,") == std::string::npos);  // 8 threads on 2: some waited
}

TEST_CASE("redis-bench: client mode runs callers on one async_client, pipelined by it", "[redis-bench]") {
    auto& server = shared_server();
    auto r = run("-p " + port_of(server) + " --mode client -c 32 --threads 2 -t set,get -n 4000 --max-in-flight 64 --json");
    REQUIRE(r.code == 0);
    INFO(r.out);
    CHECK(r.out.find("\"requests\":4000,") != std::string::npos);
    CHECK(r.out.find("\"errors\":0") != std::string::npos);
    CHECK(r.out.find("\"mux_conns\":1") != std::string::npos);
    CHECK(r.out.find("\"mux_requests\":4001") != std::string::npos);  // and the PING first
    CHECK(server.command({"GET", "key:__rand_int__"}) == "xxx");
}

TEST_CASE("redis-bench: the sweep prints a table, a recommendation and an SVG", "[redis-bench]") {
    auto& server = shared_server();
    const std::string svg = redpool::test::test_tmpdir() + "/sweep.svg";
    auto r = run("-p " + port_of(server) + " --mode sync -c 4 -t get -n 400 --sweep pool-size=1,2,4 --plot " + svg);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("recommended pool_size: ") != std::string::npos);
    CHECK(lines(r.out).size() >= 5);
    const std::string chart = slurp(svg);
    CHECK(chart.rfind("<svg", 0) == 0);
    CHECK(chart.find("</svg>") != std::string::npos);
}

TEST_CASE("redis-bench: --duration runs for a time instead of a count", "[redis-bench]") {
    auto& server = shared_server();
    auto t0 = std::chrono::steady_clock::now();
    auto r = run("-p " + port_of(server) + " -t ping_mbulk --duration 300ms --json");
    REQUIRE(r.code == 0);
    CHECK(redpool::test::seconds_since(t0) >= 0.3);
    CHECK(r.out.find("\"requests\":0,") == std::string::npos);
}

TEST_CASE("redis-bench: with no server given it runs its own and removes it", "[redis-bench]") {
    const std::string tmp = short_tmpdir();
    auto r = run("-t get,set -n 1000 -q", "TMPDIR=" + tmp);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(lines(r.out).size() == 2);
    CHECK(fs::is_empty(tmp));
    fs::remove(tmp);
}

TEST_CASE("redis-bench: Ctrl-C stops the embedded server and removes its directory", "[redis-bench]") {
    const std::string tmp = short_tmpdir();
    const pid_t pid = spawn({"-t", "ping_mbulk", "--duration", "20s", "-q"}, tmp);
    REQUIRE(redpool::test::eventually([&] { return !fs::is_empty(tmp); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server is up and busy
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(fs::is_empty(tmp));
    fs::remove_all(tmp);
}

TEST_CASE("redis-bench: a missing redis-server is named with its package", "[redis-bench]") {
    auto r = run("-t get -n 10 -q", "REDIS_SERVER=/nonexistent/redis-server PATH=/nonexistent");
    check_one_line_error(r, "apt-get install redis-server");
}

TEST_CASE("redis-bench: bad flags, tests and numbers are one-line errors", "[redis-bench]") {
    check_one_line_error(run("--no-such-flag"), "--no-such-flag");
    check_one_line_error(run("-t get,bogus"), "bogus");
    check_one_line_error(run("-c abc"), "-c");
    check_one_line_error(run("-n 0"), "-n");
    check_one_line_error(run("--mode fast"), "--mode");
}

TEST_CASE("redis-bench: an unreachable server is a one-line error", "[redis-bench]") {
    redis_server server;
    const std::string port = port_of(server);
    server.stop();
    check_one_line_error(run("-p " + port + " -t get -n 10"), port);
}

TEST_CASE("redis-bench: a wrong password is a one-line error that hides it", "[redis-bench]") {
    redis_server server({.password = "the-right-one"});
    auto r = run("-p " + port_of(server) + " -a Wr0ngPassw0rd -t get -n 10");
    check_one_line_error(r, "AUTH");
    CHECK(r.err.find("Wr0ngPassw0rd") == std::string::npos);
    CHECK(r.out.find("Wr0ngPassw0rd") == std::string::npos);
    auto ok = run("-p " + port_of(server) + " -a the-right-one -t get -n 10 -q");
    CHECK(ok.code == 0);
}

TEST_CASE("redis-bench: a server that stops answering ends the test with an error", "[redis-bench]") {
    redis_server server;
    // An hour: only the stall watchdog (10 s) can end it, or the test's own time limit.
    const pid_t pid = spawn({"-p", port_of(server), "-t", "get", "--duration", "1h", "-q"});
    // Acknowledged: the benchmark's connections are in, and its GETs are being answered.
    REQUIRE(redpool::test::eventually([&] {
        const auto stats = server.command({"INFO", "commandstats"});
        return stats.find("cmdstat_get:calls=") != std::string::npos;
    }));
    server.freeze();
    int status = 0;
    ::waitpid(pid, &status, 0);
    server.thaw();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
}

TEST_CASE("redis-bench: --tls with --cacert and --sni against a TLS port; a wrong name is one clear line",
          "[redis-bench][row30]") {
    const auto& certs = redpool::test::make_test_certificates();
    const int tls_port = redpool::test::unused_port();
    redis_server server({.extra_config = certs.server_config(tls_port, false)});
    const std::string where = " -h 127.0.0.1 -p " + std::to_string(tls_port) + " --cacert " + certs.ca_file;
    auto r = run("--tls" + where + " --sni localhost -t set,get -n 2000 -c 4 -q");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("SET: ") == 0);
    CHECK(r.out.find("GET: ") != std::string::npos);
    CHECK(server.command({"EXISTS", "key:__rand_int__"}) == "1");

    auto sync = run("--tls --mode sync" + where + " -t get -n 500 -c 2 -q");
    CHECK(sync.code == 0);

    auto wrong = run("--tls" + where + " --sni redis.example.com -t get -n 10 -q");
    CHECK(wrong.code == 1);
    CHECK(wrong.err.find("hostname mismatch") != std::string::npos);
    CHECK(std::count(wrong.err.begin(), wrong.err.end(), '\n') == 1);
}
