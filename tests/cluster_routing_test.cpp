// How the cluster client finds a command's node: key slots (CRC16 and hash tags), the slot map
// from CLUSTER SLOTS, and key positions from the server's COMMAND table. The oracles are the
// server's own: CLUSTER KEYSLOT for slots, COMMAND GETKEYS for keys, and a real 3-master
// cluster's CLUSTER SLOTS for the map.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "lib/cluster/command_keys.hpp"
#include "lib/cluster/key_slot.hpp"
#include "lib/cluster/slot_map.hpp"
#include "redpool/client.hpp"
#include "redpool/error.hpp"
#include "tests/support/redis_cluster.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::detail::command_keys;
using redpool::detail::key_slot;
using redpool::detail::slot_map;
using redpool::test::check_pool_invariants;
using redpool::test::options_for;
using redpool::test::shared_server;

namespace {

redpool::reply node(std::string host, long long port) {
    return redpool::reply::make_array({redpool::reply::make_string(std::move(host)), redpool::reply::make_integer(port),
                                       redpool::reply::make_string("id"), redpool::reply::make_array({})});
}

redpool::reply range(long long first, long long last, std::vector<redpool::reply> nodes) {
    std::vector<redpool::reply> entry{redpool::reply::make_integer(first), redpool::reply::make_integer(last)};
    for (auto& n : nodes) entry.push_back(std::move(n));
    return redpool::reply::make_array(std::move(entry));
}

std::vector<std::string> strings(const std::vector<std::string_view>& views) { return {views.begin(), views.end()}; }

}  // namespace

TEST_CASE("cluster: key slots are CRC16/XMODEM of the key or its hash tag", "[cluster]") {
    CHECK(redpool::detail::crc16("123456789") == 0x31C3);  // the CRC's check value
    CHECK(key_slot("123456789") == 12739);
    CHECK(key_slot("foo") == 12182);
    CHECK(key_slot("bar") == 5061);
    CHECK(key_slot("{user1000}.following") == 3443);
    CHECK(key_slot("{user1000}.followers") == 3443);
    CHECK(key_slot("foo{{bar}}zap") == 4015);  // the tag is "{bar"
    CHECK(key_slot("a{b}c{d}") == key_slot("b"));  // the first tag only
    CHECK(key_slot("{}x") == 10595);          // an empty tag: the whole key
    CHECK(key_slot("foo{}{bar}") == 8363);
    CHECK(key_slot("") == 0);
}

TEST_CASE("cluster: a slot map from CLUSTER SLOTS finds each slot's range by binary search", "[cluster]") {
    using redpool::reply;
    const reply slots = reply::make_array({
        range(5461, 10922, {node("127.0.0.1", 7001), node("127.0.0.1", 7004)}),
        range(0, 5460, {node("", 7000)}),  // no address of its own yet: the seed's host
        range(10923, 16383, {node("127.0.0.1", 7002), node("127.0.0.1", 7005), node("127.0.0.1", 7006)}),
    });
    const slot_map map = slot_map::from_cluster_slots(slots, "10.0.0.9");
    CHECK(map.covered_slots() == 16384);
    REQUIRE(map.find(0) != nullptr);
    CHECK(map.find(0)->master.name == "10.0.0.9:7000");
    CHECK(map.find(5460)->master.name == "10.0.0.9:7000");
    CHECK(map.find(5461)->master.name == "127.0.0.1:7001");
    CHECK(map.find(5461)->replicas.size() == 1);
    CHECK(map.find(16383)->master.port == 7002);
    CHECK(map.find(16383)->replicas.size() == 2);
    CHECK(map.masters().size() == 3);
    CHECK(map.nodes().size() == 6);

    const slot_map partial = slot_map::from_cluster_slots(reply::make_array({range(100, 200, {node("h", 1)})}), "s");
    CHECK(partial.find(99) == nullptr);
    CHECK(partial.find(100) != nullptr);
    CHECK(partial.find(200) != nullptr);
    CHECK(partial.find(201) == nullptr);
    CHECK(slot_map().find(0) == nullptr);

    // Shapes no server sends fail clearly, naming the command.
    auto code_of = [](const reply& r) {
        try {
            slot_map::from_cluster_slots(r, "seed");
        } catch (const redpool::error& e) {
            CHECK_THAT(e.what(), Catch::Matchers::Contains("CLUSTER SLOTS"));
            return e.code();
        }
        return std::error_code();
    };
    CHECK(code_of(reply::make_string("x")) == redpool::errc::protocol_error);
    CHECK(code_of(reply::make_array({range(10, 5, {node("h", 1)})})) == redpool::errc::protocol_error);
    CHECK(code_of(reply::make_array({range(0, 10, {node("h", 1)}), range(10, 20, {node("h", 2)})})) ==
          redpool::errc::protocol_error);
    CHECK(code_of(reply::make_array({range(0, 10, {node("h", 70000)})})) == redpool::errc::protocol_error);

    CHECK(redpool::detail::parse_node_address("127.0.0.1:6379", "addr").name == "127.0.0.1:6379");
    CHECK(redpool::detail::parse_node_address("[::1]:6379", "addr").name == "[::1]:6379");
    CHECK_THROWS_AS(redpool::detail::parse_node_address("localhost", "addr"), redpool::error);
    CHECK_THROWS_AS(redpool::detail::parse_node_address("h:0", "addr"), redpool::error);
    CHECK_THROWS_AS(redpool::detail::parse_node_address("h:12x", "addr"), redpool::error);
}

// The server's COMMAND GETKEYS is the oracle: for each command, the keys found from the key
// specifications must be exactly the ones the server finds.
TEST_CASE("cluster: key positions from the COMMAND table match COMMAND GETKEYS", "[cluster]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const command_keys table = command_keys::from_command_reply(redis.exec({"COMMAND"}));
    CHECK(table.size() > 200);

    const std::vector<std::vector<std::string_view>> commands = {
        {"GET", "k"},
        {"SET", "k", "v", "EX", "10"},
        {"MSET", "a", "1", "b", "2", "c", "3"},
        {"MGET", "a", "b", "c"},
        {"DEL", "a", "b"},
        {"EVAL", "return 1", "2", "k1", "k2", "arg"},
        {"EVALSHA", "0000000000000000000000000000000000000000", "1", "k1", "arg"},
        {"FCALL", "f", "2", "x", "y", "z"},
        {"XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"},
        {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", ">"},
        {"ZUNIONSTORE", "dest", "2", "z1", "z2", "WEIGHTS", "1", "2"},
        {"ZINTERCARD", "2", "z1", "z2", "LIMIT", "5"},
        {"LMPOP", "2", "l1", "l2", "LEFT"},
        {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"},
        {"SORT", "s", "LIMIT", "0", "5"},
        {"OBJECT", "ENCODING", "k"},
        {"XGROUP", "CREATE", "s", "g", "$"},
        {"MEMORY", "USAGE", "k"},
        {"RENAME", "a", "b"},
        {"SMOVE", "a", "b", "m"},
        {"GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst"},
        {"BITOP", "AND", "dest", "a", "b"},
        {"PFMERGE", "dest", "a", "b"},
    };
    for (const auto& args : commands) {
        INFO(args[0] << " " << (args.size() > 1 ? args[1] : ""));
        const auto* routing = table.find(args);
        REQUIRE(routing != nullptr);
        std::vector<std::string_view> getkeys{"COMMAND", "GETKEYS"};
        getkeys.insert(getkeys.end(), args.begin(), args.end());
        const redpool::reply expected = redis.exec(getkeys);
        REQUIRE(expected.is_array());
        std::vector<std::string> want;
        for (const auto& k : expected.elements()) want.push_back(std::string(k.as_string()));
        CHECK(strings(command_keys::keys_of(*routing, args)) == want);
        const auto first = command_keys::first_key_of(*routing, args);  // its fast path included
        CHECK(first.has_value() == !want.empty());
        if (first && !want.empty()) CHECK(*first == want.front());
    }

    // Keyless commands have none; routing tips come with them.
    const std::vector<std::string_view> dbsize{"DBSIZE"};
    REQUIRE(table.find(dbsize) != nullptr);
    CHECK(command_keys::keys_of(*table.find(dbsize), dbsize).empty());
    CHECK(table.find(dbsize)->request == redpool::detail::request_policy::all_shards);
    CHECK(table.find(dbsize)->response == redpool::detail::response_policy::agg_sum);
    const std::vector<std::string_view> get{"get", "k"};
    CHECK(table.find(get)->readonly);
    const std::vector<std::string_view> set{"SET", "k", "v"};
    CHECK(!table.find(set)->readonly);
    // Names in any case; a container's subcommand in any case too.
    const std::vector<std::string_view> mixed{"gEt", "k"};
    REQUIRE(table.find(mixed) != nullptr);
    CHECK(table.find(mixed) == table.find(get));
    const std::vector<std::string_view> object_lower{"object", "Encoding", "k"};
    const std::vector<std::string_view> object_upper{"OBJECT", "ENCODING", "k"};
    REQUIRE(table.find(object_lower) != nullptr);
    CHECK(table.find(object_lower) == table.find(object_upper));
    CHECK(strings(command_keys::keys_of(*table.find(object_lower), object_lower)) == std::vector<std::string>{"k"});
    const std::vector<std::string_view> unknown{"NOSUCHCOMMAND", "x"};
    CHECK(table.find(unknown) == nullptr);
    check_pool_invariants(redis);
}

TEST_CASE("cluster: a real cluster's slots agree with key_slot and with CLUSTER SLOTS", "[cluster]") {
    auto& cluster = redpool::test::shared_cluster();
    redpool::options o;
    o.port = cluster.node(0).port();
    redpool::client node0(o);

    // CLUSTER KEYSLOT is the oracle for slots: random keys, some with tags.
    std::mt19937 random(7);
    for (int i = 0; i < 200; ++i) {
        std::string key = "k" + std::to_string(random());
        if (i % 3 == 0) key = "{" + std::to_string(random() % 50) + "}" + key;
        INFO(key);
        CHECK(node0.exec({"CLUSTER", "KEYSLOT", key}).as_integer() == key_slot(key));
    }

    const slot_map map = slot_map::from_cluster_slots(node0.exec({"CLUSTER", "SLOTS"}), "127.0.0.1");
    CHECK(map.covered_slots() == 16384);
    CHECK(map.masters().size() == 3);
    CHECK(map.nodes().size() == 6);
    for (int slot : {0, 1, 5460, 5461, 8000, 10922, 10923, 16383}) {
        INFO("slot " << slot);
        REQUIRE(map.find(slot) != nullptr);
        CHECK(map.find(slot)->master.port == cluster.master_port_of(slot));
        CHECK(map.find(slot)->replicas.size() == 1);
    }
    check_pool_invariants(node0);
}
