// examples/prometheus_exporter end to end: run against a real server, its output is the
// Prometheus text format with the pool's stats and the hooks' histograms filled in.
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

namespace {

std::string binary() { return redpool::test::runfile("examples/prometheus_exporter"); }

std::string run_once(const std::string& url, int iterations) {
    const std::string out = redpool::test::test_tmpdir() + "/exporter.out";
    const std::string cmd = binary() + " --url " + url + " --once " + std::to_string(iterations) + " > " + out;
    const int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool has_line(const std::string& text, const std::string& pattern) {
    return std::regex_search(text, std::regex(pattern, std::regex::multiline));
}

}  // namespace

TEST_CASE("prometheus exporter: pool stats and hook histograms in the text format", "[hooks][example]") {
    auto& server = redpool::test::shared_server();
    const std::string text = run_once("redis://127.0.0.1:" + std::to_string(server.port()), 100);
    INFO(text);
    // Every sample line is `name{labels} value`, and every family is typed.
    std::istringstream lines(text);
    int samples = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("#")) {
            CHECK(std::regex_match(line, std::regex(R"(# (HELP|TYPE) redpool_\w+ .+)")));
            continue;
        }
        CHECK(std::regex_match(line, std::regex(R"(redpool_\w+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+)")));
        ++samples;
    }
    CHECK(samples > 50);
    CHECK(has_line(text, R"(^redpool_pool_hits_total \d+$)"));
    CHECK(has_line(text, R"(^redpool_command_duration_seconds_count\{command="GET"\} 100$)"));
    CHECK(has_line(text, R"(^redpool_command_duration_seconds_count\{command="SET"\} 100$)"));
    CHECK(has_line(text, R"(^redpool_command_duration_seconds_count\{command="pipeline"\} 10$)"));
    CHECK(has_line(text, R"(^redpool_command_duration_seconds_bucket\{command="GET",le="\+Inf"\} 100$)"));
    CHECK(has_line(text, R"(^redpool_dials_total\{outcome="ok"\} 1$)"));
    CHECK(has_line(text, R"(^redpool_pool_total_conns 1$)"));
}
