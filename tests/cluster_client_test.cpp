// redpool::cluster_client against a real 3-master, 3-replica cluster (tests/support/
// redis_cluster): keys routed by slot and read back (RELIABILITY row 25), hash tags and
// CROSSSLOT, keyless commands by their tips, a slot migrated under the client's feet (ASK
// followed while it moves, MOVED after), reads from replicas, and bad options. Every case ends
// with the invariants of every node's pool.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/cluster/key_slot.hpp"
#include "redpool/cluster_client.hpp"
#include "tests/support/redis_cluster.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::detail::key_slot;
using redpool::test::check_pool_invariants;
using redpool::test::redis_cluster;
using redpool::test::shared_cluster;

namespace {

redpool::cluster_options options_for(redis_cluster& cluster) {
    redpool::cluster_options o;
    o.addrs = {cluster.addrs().front()};  // one seed finds them all
    o.node.pool_size = 4;
    return o;
}

std::string node_id(redpool::test::redis_server& node) { return node.command({"CLUSTER", "MYID"}); }

}  // namespace

TEST_CASE("cluster_client: keys on every master, written and read back (row 25)", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    const long n = static_cast<long>(redpool::test::soak_size(10'000));
    for (long i = 0; i < n; ++i) redis.set("key:" + std::to_string(i), "value:" + std::to_string(i));
    long wrong = 0;
    for (long i = 0; i < n; ++i) {
        if (redis.get("key:" + std::to_string(i)) != "value:" + std::to_string(i)) ++wrong;
    }
    CHECK(wrong == 0);

    // Each key is on the master of its slot, and every master got some.
    std::set<int> masters_used;
    for (long i = 0; i < n; i += 97) {
        const std::string key = "key:" + std::to_string(i);
        const int port = cluster.master_port_of(key_slot(key));
        masters_used.insert(port);
        CHECK(cluster.node_at(port).command({"GET", key}) == "value:" + std::to_string(i));
    }
    CHECK(masters_used.size() == 3);
    // DBSIZE is summed over the masters; KEYS covers all of them.
    CHECK(redis.dbsize() == n);
    long starting_with_1 = 0;
    for (long i = 0; i < n; ++i) starting_with_1 += std::to_string(i).front() == '1' ? 1 : 0;
    CHECK(redis.exec({"KEYS", "key:1*"}).size() == static_cast<std::size_t>(starting_with_1));
    const auto per_master = redis.for_each_master({"DBSIZE"});
    CHECK(per_master.size() == 3);
    long long total = 0;
    for (const auto& [node, r] : per_master) total += r.as_integer();
    CHECK(total == n);
    CHECK(redis.node_stats().size() >= 3);
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: hash tags share a slot; keys across slots get CROSSSLOT, never a partial result",
          "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    redis.mset({{"{user:1}:name", "Ada"}, {"{user:1}:lang", "en"}});
    CHECK(redis.mget({"{user:1}:name", "{user:1}:lang"}) ==
          std::vector<std::optional<std::string>>{"Ada", "en"});

    const redpool::reply cross = redis.exec({"MSET", "a", "1", "b", "2"});  // slots 15495 and 3300
    REQUIRE(cross.is_error());
    CHECK_THAT(std::string(cross.as_string()), Catch::Matchers::StartsWith("CROSSSLOT"));
    CHECK(redis.exists({"a"}) == 0);  // nothing of it ran
    CHECK(redis.exists({"b"}) == 0);
    CHECK_THROWS_AS(redis.mget({"a", "b"}), redpool::reply_error);

    // Multi-key and keyless commands by the server's tips.
    CHECK(redis.exec({"PING"}).as_string() == "PONG");
    redis.set("{t}x", "1");
    CHECK(redis.exec({"FLUSHALL"}).as_string() == "OK");  // on every master
    CHECK(redis.dbsize() == 0);
    // Commands that need a connection of their own are refused, not half run.
    const auto e = redpool::test::expect_error([&] { redis.exec({"SUBSCRIBE", "ch"}); });
    CHECK(e.code() == errc::invalid_argument);
    // A SCAN cursor belongs to one node: refused rather than paged over random masters.
    const auto scan = redpool::test::expect_error([&] { redis.exec({"scan", "0"}); });
    CHECK(scan.code() == errc::invalid_argument);
    CHECK_THAT(scan.what(), Catch::Matchers::Contains("scan(scan_options)"));
    CHECK_THROWS_AS(redis.scan("0"), redpool::error);  // the typed page too
    check_pool_invariants(redis);
}

// A slot moves from one master to another while the client works: ASK is followed while the
// slot is migrating (ASKING and the command on one connection), MOVED once it has moved, and
// every value reads back. The slot goes back at the end (the cluster is shared).
TEST_CASE("cluster_client: a slot migrated under traffic: ASK followed, then MOVED (row 25)", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    const int slot = key_slot("{moving}");
    const std::string k1 = "{moving}:1", k2 = "{moving}:2", fresh = "{moving}:new";
    redis.set(k1, "one");
    redis.set(k2, "two");

    auto& source = cluster.node_at(cluster.master_port_of(slot));
    auto& target = cluster.node_at([&] {
        for (int port : cluster.master_ports()) {
            if (port != source.port()) return port;
        }
        FAIL("one master only");
        return 0;
    }());
    const std::string source_id = node_id(source), target_id = node_id(target);
    auto move_slot = [&](redpool::test::redis_server& from, const std::string& from_id,
                         redpool::test::redis_server& to, const std::string& to_id) {
        REQUIRE(to.command({"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", from_id}) == "OK");
        REQUIRE(from.command({"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", to_id}) == "OK");
        return [&, to_id] {
            for (std::size_t i = 0; i < cluster.size(); ++i) {
                const std::string role = cluster.node(i).command({"ROLE"});
                if (role.rfind("master", 0) == 0) {
                    cluster.node(i).command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", to_id});
                }
            }
        };
    };

    auto finish = move_slot(source, source_id, target, target_id);
    // k1 moves now; k2 stays on the source until the end.
    REQUIRE(source.command({"MIGRATE", "127.0.0.1", std::to_string(target.port()), "", "0", "5000", "KEYS", k1}) ==
            "OK");
    CHECK(source.command({"GET", k1}).rfind("(error) ASK", 0) == 0);  // what the client meets
    {
        // A pipeline follows ASK per command: k1 from the target, k2 from the source.
        redpool::cluster_pipeline p = redis.pipeline();
        auto one = p.get(k1);
        auto two = p.get(k2);
        const auto replies = p.exec();
        CHECK(one.get() == "one");
        CHECK(two.get() == "two");
        CHECK(replies.size() == 2);
    }
    CHECK(redis.get(k1) == "one");  // ASK followed: ASKING and GET on one connection of the target
    CHECK(redis.get(k2) == "two");  // still on the source
    redis.set(fresh, "new");         // a new key of a migrating slot goes to the target
    REQUIRE(source.command({"MIGRATE", "127.0.0.1", std::to_string(target.port()), "", "0", "5000", "KEYS", k2}) ==
            "OK");
    finish();
    REQUIRE(cluster.wait_until_stable());
    // The client's map still says source: MOVED takes it to the target, and refreshes; a
    // pipeline first, then single commands.
    {
        redpool::cluster_pipeline p = redis.pipeline();
        p.get(k1);
        p.get(k2);
        p.get(fresh);
        const auto replies = p.exec();
        REQUIRE(replies.size() == 3);
        CHECK(replies[0].as_string() == "one");
        CHECK(replies[1].as_string() == "two");
        CHECK(replies[2].as_string() == "new");
    }
    CHECK(redis.get(k1) == "one");
    CHECK(redis.get(k2) == "two");
    CHECK(redis.get(fresh) == "new");
    CHECK(cluster.master_port_of(slot) == target.port());

    // And back, so the shared cluster is as it was. The client's map says target now (read
    // again here, as the redirections above may have left it within the refresh cooldown).
    redis.refresh();
    auto undo = move_slot(target, target_id, source, source_id);
    REQUIRE(target.command({"MIGRATE", "127.0.0.1", std::to_string(source.port()), "", "0", "5000", "KEYS", k1, k2,
                            fresh}) == "OK");
    undo();
    REQUIRE(cluster.wait_until_stable());
    // WATCH on the stale map: MOVED, the map read again, and the WATCH on the node named.
    int watched = 0;
    redis.watch({k1, k2}, [&](redpool::pinned& c) {
        ++watched;
        CHECK(c.get(k1) == "one");
        auto tx = c.transaction();
        tx.set(k2, "two again");
        CHECK(tx.exec().size() == 1);
    });
    CHECK(watched == 1);
    CHECK(source.command({"GET", k2}) == "two again");
    CHECK(redis.get(fresh) == "new");
    CHECK(cluster.master_port_of(slot) == source.port());
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: reads may go to replicas, which send READONLY; writes stay on masters", "[cluster]") {
    auto& cluster = shared_cluster();
    auto o = options_for(cluster);
    o.read_from_replicas = true;
    redpool::cluster_client redis(o);
    for (int i = 0; i < 30; ++i) redis.set("r:" + std::to_string(i), "v");
    REQUIRE(redpool::test::eventually([&] {  // replication is asynchronous
        return cluster.node_at(cluster.master_port_of(key_slot("r:29"))).command({"WAIT", "1", "1000"}) == "1";
    }));
    const auto masters = cluster.master_ports();
    // GETs the replicas ran (a replica without READONLY redirects them: not counted as run).
    auto replica_gets = [&] {
        long long calls = 0;
        for (std::size_t i = 0; i < cluster.size(); ++i) {
            auto& node = cluster.node(i);
            if (std::find(masters.begin(), masters.end(), node.port()) == masters.end()) {
                calls += redpool::test::command_calls(node, "get");
            }
        }
        return calls;
    };
    const long long replica_gets_before = replica_gets();
    long wrong = 0;
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 30; ++i) {
            if (redis.get("r:" + std::to_string(i)) != "v") ++wrong;
        }
    }
    CHECK(wrong == 0);
    CHECK(replica_gets() > replica_gets_before + 50);  // of 600 reads, about half ran on replicas
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: bad options and unreachable seeds fail clearly", "[cluster]") {
    auto invalid = [](const redpool::cluster_options& o) {
        try {
            redpool::cluster_client c(o);
        } catch (const redpool::error& e) {
            return std::pair(e.code(), std::string(e.what()));
        }
        return std::pair(std::error_code(), std::string());
    };
    redpool::cluster_options none;
    CHECK(invalid(none).first == errc::invalid_argument);
    redpool::cluster_options bad_seed;
    bad_seed.addrs = {"nohostport"};
    CHECK(invalid(bad_seed).first == errc::invalid_argument);
    CHECK_THAT(invalid(bad_seed).second, Catch::Matchers::Contains("nohostport"));
    redpool::cluster_options with_db;
    with_db.addrs = {"127.0.0.1:7000"};
    with_db.node.db = 2;
    CHECK(invalid(with_db).first == errc::invalid_argument);

    // The URL form: seeds from the host and every addr; the rest are node options.
    const auto parsed = redpool::cluster_options::from_url(
        "redis://alice:s3cret@10.0.0.1:7000?addr=10.0.0.2:7001&addr=10.0.0.3:7002&max_redirects=5&"
        "read_from_replicas=true&pool_size=7&read_timeout=250ms");
    CHECK(parsed.addrs == std::vector<std::string>{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"});
    CHECK(parsed.max_redirects == 5);
    CHECK(parsed.read_from_replicas);
    CHECK(parsed.node.pool_size == 7);
    CHECK(parsed.node.read_timeout == 250ms);
    CHECK(parsed.node.username == "alice");
    try {
        redpool::cluster_options::from_url("redis://alice:s3cret@10.0.0.1:7000?addr=broken");
        FAIL("a bad addr was accepted");
    } catch (const redpool::error& e) {
        CHECK(e.code() == errc::invalid_argument);
        CHECK_THAT(e.what(), !Catch::Matchers::Contains("s3cret"));
    }

    // Nothing listens: the first command fails with the nodes tried, within the dial timeout.
    redpool::cluster_options dead;
    dead.addrs = {"127.0.0.1:" + std::to_string(redpool::test::unused_port())};
    dead.node.dial_timeout = 500ms;
    dead.node.max_retries = 0;
    redpool::cluster_client redis(dead);
    const auto e = redpool::test::expect_error([&] { redis.get("k"); });
    CHECK(e.code() == errc::io_error);
    CHECK_THAT(e.what(), Catch::Matchers::Contains(dead.addrs.front()));
    check_pool_invariants(redis);
}

// Many threads route while the map is refreshed under them (each refresh swaps in a new
// snapshot): every value reads back, and nothing races (this binary runs under TSan).
TEST_CASE("cluster_client: threads route while the slot map is refreshed", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    std::atomic<bool> stop{false};
    std::atomic<long> wrong{0}, failed{0}, done{0};
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 200; ++i) {
                    const std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
                    try {
                        redis.set(key, key);
                        if (redis.get(key) != key) ++wrong;
                        ++done;
                    } catch (const redpool::error&) {
                        ++failed;
                    }
                }
            });
        }
        threads.emplace_back([&] {
            while (!stop) {
                redis.refresh();
                std::this_thread::sleep_for(1ms);
            }
        });
        while (done + failed < 8 * 200) std::this_thread::sleep_for(1ms);
        stop = true;
    }
    CHECK(wrong == 0);
    CHECK(failed == 0);
    CHECK(redis.dbsize() == 8 * 200);
    check_pool_invariants(redis);
}

// A pipeline across slots: 1,000 commands over the 3 masters, replies in the order queued,
// deferreds filled, a CROSSSLOT and a server error as data in their places, a fan-out command
// (DBSIZE) summed, and one connection per node at a time.
TEST_CASE("cluster_client: a pipeline of 1,000 commands across slots returns every result in order", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    for (int i = 0; i < 1000; i += 2) redis.set("p:" + std::to_string(i), std::to_string(i));

    redpool::cluster_pipeline p = redis.pipeline();
    std::vector<redpool::deferred<std::optional<std::string>>> gets;
    for (int i = 0; i < 1000; ++i) gets.push_back(p.get("p:" + std::to_string(i)));
    auto counter = p.incr("p:counter");
    auto cross = p.command({"MGET", "a", "b"});
    auto incremented = p.incr("p:0");  // "0" becomes 1
    p.set("p:text", "abc");
    auto not_a_number = p.incr("p:text");
    auto total = p.dbsize();
    CHECK(p.size() == 1006);
    const std::vector<redpool::reply> replies = p.exec();
    CHECK(p.size() == 0);  // reusable
    REQUIRE(replies.size() == 1006);
    long wrong = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto expected = i % 2 == 0 ? std::optional<std::string>(std::to_string(i)) : std::nullopt;
        if (gets[i].get() != expected) ++wrong;
        if (i % 2 == 0 ? replies[i].as_string() != std::to_string(i) : !replies[i].is_nil()) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK(counter.get() == 1);
    CHECK(cross.get().is_error());
    CHECK_THAT(std::string(cross.get().as_string()), Catch::Matchers::StartsWith("CROSSSLOT"));
    CHECK(incremented.get() == 1);
    CHECK_THROWS_AS(not_a_number.get(), redpool::reply_error);
    CHECK(replies[1004].is_error());
    CHECK(total.get() == 500 + 2);  // the keys set before, p:counter and p:text (DBSIZE runs last)
    for (const auto& [node, s] : redis.node_stats()) {
        INFO(node);
        CHECK(s.total_conns <= 1);  // one connection per node served the whole pipeline
    }
    // Commands that need a connection of their own are refused when queued.
    CHECK_THROWS_AS(p.command({"MULTI"}), redpool::error);
    CHECK(p.size() == 0);
    check_pool_invariants(redis);
}

// Scripts: SCRIPT LOAD goes to every node (its request_policy tip), so EVALSHA then works on
// whichever master a key's slot sends it to; EVAL is routed by its first key.
TEST_CASE("cluster_client: SCRIPT LOAD reaches every node; EVAL and EVALSHA are routed by their keys", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    const std::string body = "return redis.call('INCR', KEYS[1])";
    const redpool::reply sha = redis.exec({"SCRIPT", "LOAD", body});
    REQUIRE(sha.is_string());
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        INFO("node " << cluster.node(i).port());
        CHECK(cluster.node(i).command({"SCRIPT", "EXISTS", std::string(sha.as_string())}) == "1");
    }
    // Keys on each master: every EVALSHA finds the script where its key lives.
    std::set<int> masters_used;
    for (int i = 0; i < 30; ++i) {
        const std::string key = "script:" + std::to_string(i);
        masters_used.insert(cluster.master_port_of(key_slot(key)));
        CHECK(redis.exec({"EVALSHA", sha.as_string(), "1", key}).as_integer() == 1);
        CHECK(redis.exec({"EVAL", body, "1", key}).as_integer() == 2);
        CHECK(cluster.node_at(cluster.master_port_of(key_slot(key))).command({"GET", key}) == "2");
    }
    CHECK(masters_used.size() == 3);
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: transactions, pinned connections and WATCH on the master of one slot", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    const std::string a = "{tx}:a", b = "{tx}:b";
    auto& master = cluster.node_at(cluster.master_port_of(key_slot(a)));
    {
        auto tx = redis.transaction(a);
        auto set = tx.set(a, "1");
        auto incr = tx.incrby(b, 5);
        CHECK(tx.exec().size() == 2);
        CHECK(incr.get() == 5);
    }
    CHECK(master.command({"GET", a}) == "1");
    CHECK(master.command({"GET", b}) == "5");
    {
        // Keys of another slot: the server refuses the queued command, EXEC aborts, nothing runs.
        auto tx = redis.transaction(a);
        tx.set(a, "2");
        tx.set("{elsewhere}:c", "3");
        const auto e = redpool::test::expect_error<redpool::reply_error>([&] { tx.exec(); });
        CHECK(std::string(e.what()).find("EXECABORT") != std::string::npos);
        CHECK(master.command({"GET", a}) == "1");
    }
    {
        auto c = redis.pin(a);
        CHECK(c.exec({"CLIENT", "ID"}).is_integer());
        CHECK(c.get(b) == "5");
    }
    // WATCH: a change made meanwhile fails the transaction, and nothing of it runs.
    const auto conflict = redpool::test::expect_error([&] {
        redis.watch({a, b}, [&](redpool::pinned& c) {
            const auto seen = c.get(a);
            master.command({"SET", a, "changed behind the watch"});
            auto tx = c.transaction();
            tx.set(a, *seen + "!");
            tx.exec();
        });
    });
    CHECK(conflict.code() == errc::tx_failed);
    CHECK(master.command({"GET", a}) == "changed behind the watch");
    redis.watch({a, b}, [&](redpool::pinned& c) {
        auto tx = c.transaction();
        tx.set(a, "after");
        tx.exec();
    });
    CHECK(redis.get(a) == "after");
    // Keys in two slots: the server's CROSSSLOT, fn never called.
    bool called = false;
    const auto cross = redpool::test::expect_error<redpool::reply_error>(
        [&] { redis.watch({a, "{elsewhere}:c"}, [&](redpool::pinned&) { called = true; }); });
    CHECK(cross.prefix() == "CROSSSLOT");
    CHECK_FALSE(called);
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: SUBSCRIBE on any master hears PUBLISH from any node; SSUBSCRIBE on the shard's node",
          "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    auto sub = redis.subscriber();
    sub.subscribe({"cluster:news"});
    // Published on every master in turn: the cluster bus carries each to every node.
    for (int port : cluster.master_ports()) cluster.node_at(port).command({"PUBLISH", "cluster:news", std::to_string(port)});
    std::set<std::string> heard;
    for (std::size_t i = 0; i < cluster.master_ports().size(); ++i) {
        const auto m = sub.receive(5s);
        REQUIRE(m);
        heard.insert(m->payload);
    }
    CHECK(heard.size() == cluster.master_ports().size());

    const std::string channel = "{shard}:events";
    auto shard = redis.shard_subscriber(channel);
    shard.ssubscribe({channel, "{shard}:other"});
    CHECK(redis.exec({"SPUBLISH", channel, "sharded"}).as_integer() == 1);  // routed by its channel
    const auto m = shard.receive(5s);
    REQUIRE(m);
    CHECK(m->channel == channel);
    CHECK(m->payload == "sharded");
    // The shard's node is the channel's slot master: a node that is not refuses SSUBSCRIBE.
    const int owner = cluster.master_port_of(key_slot(channel));
    CHECK(cluster.node_at(owner).command({"PUBSUB", "SHARDNUMSUB", channel}) == channel + "\n1");
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: scan() covers every master; one SCAN page is refused", "[cluster]") {
    auto& cluster = shared_cluster();
    redpool::cluster_client redis(options_for(cluster));
    std::set<std::string> written;
    for (int i = 0; i < 300; ++i) {
        written.insert("scan:" + std::to_string(i));
        redis.set("scan:" + std::to_string(i), "x");
    }
    redis.set("other", "x");
    std::set<std::string> seen;
    for (const std::string& k : redis.scan({.match = "scan:*", .count = 20})) seen.insert(k);
    CHECK(seen == written);
    // An empty cluster scan ends at once.
    std::size_t none = 0;
    for (const std::string& k : redis.scan({.match = "nothing:*"})) none += k.size();
    CHECK(none == 0);
    CHECK(redpool::test::expect_error([&] { redis.scan("0"); }).code() == errc::invalid_argument);
    check_pool_invariants(redis);
}

TEST_CASE("cluster_client: a corrupted slot map is repaired by the first MOVED (row 25)", "[cluster]") {
    auto& cluster = shared_cluster();
    // Each master's config epoch, from CLUSTER NODES: "<id> <ip:port@bus> <flags> <master>
    // <ping> <pong> <epoch> <link> <slots>...".
    std::map<int, long long> epoch_of;
    std::istringstream lines(cluster.node(0).command({"CLUSTER", "NODES"}));
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string id, address, flags, master, ping, pong, epoch;
        fields >> id >> address >> flags >> master >> ping >> pong >> epoch;
        if (flags.find("master") == std::string::npos) continue;
        epoch_of[std::stoi(address.substr(address.find(':') + 1, address.find('@') - address.find(':') - 1))] =
            std::stoll(epoch);
    }
    REQUIRE(epoch_of.size() == 3);
    // The slot goes, in one node's eyes, to the master with the newest epoch: gossip from the
    // real owner (an older epoch) does not overrule that, so the wrong view stays for the test.
    const int newest = std::max_element(epoch_of.begin(), epoch_of.end(), [](const auto& a, const auto& b) {
                           return a.second < b.second;
                       })->first;
    std::string key;
    for (int i = 0; key.empty(); ++i) {
        const std::string candidate = "{corrupt" + std::to_string(i) + "}:k";
        if (cluster.master_port_of(key_slot(candidate)) != newest) key = candidate;
    }
    const int slot = key_slot(key);
    auto& owner = cluster.node_at(cluster.master_port_of(slot));
    auto& wrong = cluster.node_at(newest);
    int third_port = 0;
    for (const auto& [port, epoch] : epoch_of) {
        if (port != owner.port() && port != newest) third_port = port;
    }
    auto& seed = cluster.node_at(third_port);
    owner.command({"SET", key, "right"});
    REQUIRE(seed.command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", node_id(wrong)}) == "OK");
    wrong.command({"CONFIG", "RESETSTAT"});

    redpool::cluster_options o;
    o.addrs = {"127.0.0.1:" + std::to_string(seed.port())};  // the only node it asks first
    o.node.pool_size = 2;
    redpool::cluster_client redis(o);
    redis.refresh();  // the corrupted map: the slot on the wrong master
    CHECK(redis.get(key) == "right");  // MOVED from the wrong master, followed at once
    const std::string stats = redpool::test::info_field(wrong, "commandstats", "cmdstat_get");
    CHECK(stats.find("rejected_calls=") != std::string::npos);
    CHECK(stats.find("rejected_calls=0,") == std::string::npos);  // the wrong master refused it
    // Put the seed's view right, and read the map again: no more redirections.
    REQUIRE(seed.command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", node_id(owner)}) == "OK");
    REQUIRE(cluster.wait_until_stable());
    redis.refresh();
    wrong.command({"CONFIG", "RESETSTAT"});
    CHECK(redis.get(key) == "right");
    CHECK(redpool::test::info_field(wrong, "commandstats", "cmdstat_get").empty());
    check_pool_invariants(redis);
}
