// tools/command-coverage's computation against a real redis-server: the server's command list
// (COMMAND DOCS through a Lua script), which of its commands count, how registry entries are
// named, and the target: every covered group at least 90 % typed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <redpool/redpool.hpp>

#include "lib/commands/registry.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"
#include "tools/command-coverage/coverage.hpp"

using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::shared_server;
using redpool::tools::server_command;

namespace {

const server_command* find(const std::vector<server_command>& server, std::string_view name) {
    const auto it = std::find_if(server.begin(), server.end(),
                                 [&](const server_command& c) { return c.name == name; });
    return it == server.end() ? nullptr : &*it;
}

const redpool::tools::group_coverage& group(const redpool::tools::coverage_report& report,
                                            std::string_view name) {
    const auto it = std::find_if(report.groups.begin(), report.groups.end(),
                                 [&](const auto& g) { return g.group == name; });
    REQUIRE(it != report.groups.end());
    return *it;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> args(std::initializer_list<std::string> a) { return a; }

}  // namespace

TEST_CASE("command coverage: the server lists commands and subcommands with their groups",
          "[command-coverage]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto commands = redpool::tools::fetch_server_commands(redis);
    REQUIRE(commands.size() > 200);

    const auto* hset = find(commands, "hset");
    REQUIRE(hset != nullptr);
    CHECK(hset->group == "hash");
    CHECK_FALSE(hset->deprecated);
    CHECK_FALSE(hset->container);

    const auto* create = find(commands, "xgroup|create");
    REQUIRE(create != nullptr);
    CHECK(create->group == "stream");
    CHECK_FALSE(create->container);

    const auto* xgroup = find(commands, "xgroup");
    REQUIRE(xgroup != nullptr);
    CHECK(xgroup->container);

    const auto* zadd = find(commands, "zadd");
    REQUIRE(zadd != nullptr);
    CHECK(zadd->group == "sorted-set");

    const auto* hmset = find(commands, "hmset");
    REQUIRE(hmset != nullptr);
    CHECK(hmset->deprecated);
    const auto* georadius = find(commands, "georadius");
    REQUIRE(georadius != nullptr);
    CHECK(georadius->deprecated);

    // Names are lower case, and every subcommand's container is listed as one.
    for (const auto& c : commands) {
        INFO(c.name);
        CHECK(std::none_of(c.name.begin(), c.name.end(),
                           [](char ch) { return ch >= 'A' && ch <= 'Z'; }));
        const auto bar = c.name.find('|');
        if (bar == std::string::npos) continue;
        const auto* parent = find(commands, c.name.substr(0, bar));
        REQUIRE(parent != nullptr);
        CHECK(parent->container);
    }
    check_pool_invariants(redis);
}

TEST_CASE("command coverage: deprecated, container, help and debugging commands do not count",
          "[command-coverage]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto commands = redpool::tools::fetch_server_commands(redis);
    const auto report = redpool::tools::compute_coverage(commands, {});

    const auto listed = [&](std::string_view name) {
        return std::any_of(report.groups.begin(), report.groups.end(), [&](const auto& g) {
            return contains(g.typed, name) || contains(g.missing, name);
        });
    };
    CHECK(contains(group(report, "hash").missing, "hset"));
    CHECK(contains(group(report, "stream").missing, "xgroup|create"));
    CHECK(contains(group(report, "generic").missing, "object|encoding"));
    CHECK(contains(group(report, "scripting").missing, "script|load"));
    for (std::string_view excluded :
         {"hmset", "georadius", "getset", "pfdebug", "pfselftest", "script|debug", "xgroup",
          "object", "script", "function", "xinfo", "xgroup|help", "object|help", "pubsub",
          "pubsub|help"}) {
        INFO(excluded);
        CHECK_FALSE(listed(excluded));
    }
    // Only the covered groups: CONFIG GET is in "server", PING in "connection".
    CHECK_FALSE(listed("config|get"));
    CHECK_FALSE(listed("ping"));

    std::vector<std::string_view> names;
    for (const auto& g : report.groups) names.push_back(g.group);
    CHECK(names == std::vector<std::string_view>(redpool::tools::covered_groups().begin(),
                                                 redpool::tools::covered_groups().end()));
    // With an empty registry only the subscriber's commands are typed, all in "pubsub".
    std::vector<std::string> by_subscriber(redpool::tools::subscriber_commands().begin(),
                                           redpool::tools::subscriber_commands().end());
    std::sort(by_subscriber.begin(), by_subscriber.end());
    CHECK(group(report, "pubsub").typed == by_subscriber);
    CHECK(contains(group(report, "pubsub").missing, "publish"));
    CHECK(contains(group(report, "pubsub").missing, "pubsub|numsub"));
    for (const auto& g : report.groups) {
        INFO(g.group);
        if (g.group != "pubsub") CHECK(g.typed.empty());
        CHECK(g.total() > 0);
        for (const auto& name : g.missing) {
            INFO(name);
            const auto* c = find(commands, name);
            REQUIRE(c != nullptr);
            CHECK(c->group == g.group);
            CHECK_FALSE(c->container);
            CHECK_FALSE(c->deprecated);
            CHECK_FALSE(name.ends_with("|help"));
        }
    }
    check_pool_invariants(redis);
}

TEST_CASE("command coverage: an entry names a subcommand when its first word is a container",
          "[command-coverage]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto commands = redpool::tools::fetch_server_commands(redis);
    const auto name = [&](std::initializer_list<std::string> a) {
        const auto v = args(a);
        return redpool::tools::command_name(v, commands);
    };
    CHECK(name({"HSET", "k", "f", "v"}) == "hset");
    CHECK(name({"hGetAll", "k"}) == "hgetall");
    CHECK(name({"XGROUP", "CREATE", "s", "g", "$"}) == "xgroup|create");
    CHECK(name({"OBJECT", "ENCODING", "k"}) == "object|encoding");
    CHECK(name({"config", "get", "maxmemory"}) == "config|get");
    CHECK(name({"SCRIPT", "LOAD", "return 1"}) == "script|load");
    // A plain command's second argument is a key, not a subcommand.
    CHECK(name({"GET", "create"}) == "get");
    CHECK(name({}).empty());
    check_pool_invariants(redis);
}

TEST_CASE("command coverage: registry entries are counted in the server's groups",
          "[command-coverage]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto commands = redpool::tools::fetch_server_commands(redis);
    const std::vector<std::vector<std::string>> registry = {
        args({"HSET", "k", "f", "v"}),
        args({"HSET", "k", "f", "v", "g", "w"}),  // a second entry for the same command
        args({"XGROUP", "CREATE", "s", "g", "$"}),
        args({"HMSET", "k", "f", "v"}),  // deprecated: typed, yet counted nowhere
        args({"PING"}),                   // a group not covered
        args({"NOSUCHCMD", "x"}),
        args({"XINFO"}),  // a container without its subcommand
    };
    const auto report = redpool::tools::compute_coverage(commands, registry);

    const auto& hash = group(report, "hash");
    CHECK(hash.typed == std::vector<std::string>{"hset"});
    CHECK_FALSE(contains(hash.missing, "hset"));
    CHECK_FALSE(contains(hash.missing, "hmset"));
    CHECK(hash.percent() == Approx(100.0 / static_cast<double>(hash.total())));
    const auto& stream = group(report, "stream");
    CHECK(stream.typed == std::vector<std::string>{"xgroup|create"});
    CHECK(contains(stream.missing, "xgroup|setid"));
    // hset and xgroup|create, beside the subscriber's commands, typed without a registry entry.
    CHECK(report.typed() == 2 + redpool::tools::subscriber_commands().size());
    CHECK(report.unknown == std::vector<std::string>{"nosuchcmd", "xinfo"});

    const auto table = redpool::tools::to_markdown(report);
    CHECK(table.find("| hash | 1 | ") != std::string::npos);
    CHECK(table.find("xgroup setid") != std::string::npos);  // no '|' inside a cell
    CHECK(table.find("nosuchcmd") != std::string::npos);
    CHECK(report.groups_below(100.0).size() == report.groups.size());
    CHECK(report.groups_below(0.0).empty());
    check_pool_invariants(redis);
}

TEST_CASE("command coverage: a script reply of another shape is a protocol error",
          "[command-coverage]") {
    using redpool::reply;
    const auto e = expect_error([] {
        redpool::tools::parse_server_commands(reply::make_array(
            {reply::make_string("get"), reply::make_string("string"), reply::make_string("0")}));
    });
    CHECK(e.code() == errc::protocol_error);
    const auto f = expect_error([] {
        redpool::tools::parse_server_commands(reply::make_array(
            {reply::make_string("get"), reply::make_string("string"), reply::make_string("0"),
             reply::make_integer(0)}));
    });
    CHECK(f.code() == errc::protocol_error);
    const auto parsed = redpool::tools::parse_server_commands(reply::make_array(
        {reply::make_string("XGROUP|Create"), reply::make_string("sorted_set"),
         reply::make_string("1"), reply::make_string("0")}));
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].name == "xgroup|create");
    CHECK(parsed[0].group == "sorted-set");
    CHECK(parsed[0].deprecated);
    CHECK_FALSE(parsed[0].container);
}

TEST_CASE("command coverage: every group types at least 90 % of its commands",
          "[command-coverage]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const auto commands = redpool::tools::fetch_server_commands(redis);
    const auto registry = redpool::detail::typed_commands();
    const auto report = redpool::tools::compute_coverage(commands, registry.entries());
    INFO(redpool::tools::to_markdown(report));
    CHECK(report.unknown.empty());
    for (const auto& g : report.groups) {
        INFO(g.group);
        CHECK(g.percent() >= 90.0);
    }
    // Pub/sub in full: PUBLISH, SPUBLISH and PUBSUB's subcommands by factories, the rest by
    // redpool::subscriber.
    CHECK(group(report, "pubsub").missing.empty());
    check_pool_invariants(redis);
}
