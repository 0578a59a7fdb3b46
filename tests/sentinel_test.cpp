// Sentinel (RELIABILITY.md rows 27 and 28) against real sentinels: a master, a replica and three
// sentinels, with passwords of their own. The group is shared by the test cases, which take
// whichever server is master when they start.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "lib/sentinel/sentinel_replies.hpp"
#include "redpool/redpool.hpp"
#include "tests/support/redis_sentinel.hpp"
#include "tests/support/test_helpers.hpp"

using namespace redpool;
using namespace redpool::test;
using clock_type = std::chrono::steady_clock;

namespace {

redis_sentinel_group& group() {
    static redis_sentinel_group g;
    return g;
}

options sentinel_options(const redis_sentinel_group& g) {
    options o;
    o.sentinel_master = redis_sentinel_group::master_name;
    o.sentinel_addrs = g.sentinel_addrs();
    o.password = redis_sentinel_group::master_password;
    o.sentinel_password = redis_sentinel_group::sentinel_password;
    o.dial_timeout = std::chrono::seconds(2);
    return o;
}

void require_no_secret(const std::string& message) {
    CHECK(message.find(redis_sentinel_group::master_password) == std::string::npos);
    CHECK(message.find(redis_sentinel_group::sentinel_password) == std::string::npos);
}

int port_of(client& c) {
    const reply r = c.exec({"CONFIG", "GET", "port"});
    REQUIRE(r.size() == 2);
    return std::stoi(std::string(r[1].as_string()));
}

std::string role_of(client& c) { return std::string(c.exec({"ROLE"})[0].as_string()); }

int other_port(redis_sentinel_group& g, int port) {
    return g.server(0).port() == port ? g.server(1).port() : g.server(0).port();
}

// The time a sentinel first names `port` as the master, polled every few milliseconds.
clock_type::time_point wait_for_switch(redis_sentinel_group& g, int port, double seconds) {
    const auto limit = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(seconds));
    while (clock_type::now() < limit) {
        for (int i = 0; i < 3; ++i) {
            try {
                const std::string a = g.sentinel(i).command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"});
                if (a.substr(a.find('\n') + 1) == std::to_string(port)) return clock_type::now();
            } catch (const std::exception&) {
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("no sentinel named the new master in time");
    return clock_type::now();
}

// One write of the writer below: RPUSH of its number, when it started and ended, whether the
// client said it was done.
struct write_record {
    long long n;
    clock_type::time_point started;
    clock_type::time_point ended;
    bool acknowledged;
};

// RPUSHes 1, 2, 3, ... to `key` until stopped, recording each.
class writer {
public:
    writer(client& c, std::string key) : thread_([this, &c, key = std::move(key)](std::stop_token stop) {
        for (long long n = 1; !stop.stop_requested(); ++n) {
            const auto started = clock_type::now();
            bool ok = true;
            try {
                c.rpush(key, std::to_string(n));
            } catch (const error&) {
                ok = false;
            }
            std::lock_guard lock(mutex_);
            records_.push_back({n, started, clock_type::now(), ok});
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }) {}

    std::vector<write_record> stop() {
        thread_.request_stop();
        thread_.join();
        std::lock_guard lock(mutex_);
        return records_;
    }

private:
    std::mutex mutex_;
    std::vector<write_record> records_;
    std::jthread thread_;
};

std::set<long long> final_log(redis_server& master, const std::string& key) {
    std::set<long long> present;
    const std::string listing = master.command({"LRANGE", key, "0", "-1"});
    std::size_t start = 0;
    while (start < listing.size()) {
        const auto nl = listing.find('\n', start);
        present.insert(std::stoll(listing.substr(start, nl - start)));
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return present;
}

double ms_between(clock_type::time_point a, clock_type::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// Row 27's figures: the first acknowledged write that started after the switch, and every
// acknowledged write that started `margin` after it must be on the new master.
void check_writes_after_switch(const std::vector<write_record>& writes, const std::set<long long>& on_new_master,
                               clock_type::time_point switched, const char* what) {
    const auto first_after = std::find_if(writes.begin(), writes.end(), [&](const write_record& w) {
        return w.started >= switched && w.acknowledged;
    });
    REQUIRE(first_after != writes.end());
    const double recovery_ms = ms_between(switched, first_after->ended);
    // Lost: acknowledged, yet not on the new master. Before the switch that is Sentinel's own
    // window (the replica is promoted, then announced); after it, it would be this client's.
    long long failed = 0, lost_before = 0, lost_in_margin = 0, lost_after = 0;
    const auto margin = std::chrono::milliseconds(250);
    for (const write_record& w : writes) {
        if (!w.acknowledged) {
            ++failed;
            continue;
        }
        if (on_new_master.count(w.n) != 0) continue;
        (w.started < switched ? lost_before : w.started < switched + margin ? lost_in_margin : lost_after) += 1;
    }
    WARN(fmt::format("{}: {} writes, {} failed; first acknowledged write {:.0f} ms after the switch; acknowledged "
                     "but lost: {} started before the switch, {} within 250 ms after it, {} later",
                     what, writes.size(), failed, recovery_ms, lost_before, lost_in_margin, lost_after));
    CHECK(recovery_ms < 5000);  // the requirement is 1 s; the note reports the figure
    CHECK(lost_after == 0);
    // Every write after the switch + 1 s was acknowledged.
    for (const write_record& w : writes) {
        if (w.started >= switched + std::chrono::seconds(1)) CHECK(w.acknowledged);
    }
}

void wait_for_stable_group(redis_sentinel_group& g, int master) {
    REQUIRE(g.wait_for_master(master));
    REQUIRE(g.wait_until_ready());
}

}  // namespace

TEST_CASE("sentinel: a client finds the master through the sentinels; a replica client a replica", "[sentinel]") {
    auto& g = group();
    const int master = g.master_port();
    client c(sentinel_options(g));
    c.set("sentinel:k", "v");
    CHECK(c.get("sentinel:k") == "v");
    CHECK(role_of(c) == "master");
    CHECK(port_of(c) == master);

    options replica_opts = sentinel_options(g);
    replica_opts.sentinel_replica_only = true;
    client replica(replica_opts);
    CHECK(role_of(replica) == "slave");
    CHECK(port_of(replica) == other_port(g, master));
    CHECK(eventually([&] { return replica.get("sentinel:k") == "v"; }));
    CHECK(replica.exec({"SET", "sentinel:k", "w"}).is_error());  // READONLY: a replica

    // A subscriber dials the master as the pool does.
    auto sub = c.subscriber();
    sub.subscribe({"sentinel:news"});
    CHECK(c.publish("sentinel:news", "hello") == 1);
    const auto m = sub.receive(std::chrono::seconds(5));
    REQUIRE(m);
    CHECK(m->payload == "hello");
    check_pool_invariants(c);
    check_pool_invariants(replica);
}

TEST_CASE("sentinel options: validated, read from a URL, passwords never shown", "[sentinel]") {
    options o;
    o.sentinel_master = "mymaster";
    auto e = expect_error([&] { o.validate(); });
    CHECK(e.code() == errc::invalid_argument);
    CHECK(std::string(e.what()).find("sentinel_addrs") != std::string::npos);
    o.sentinel_addrs = {"127.0.0.1:26379", "nohost"};
    e = expect_error([&] { client c(o); });
    CHECK(e.code() == errc::invalid_argument);
    CHECK(std::string(e.what()).find("nohost") != std::string::npos);
    options addrs_only;
    addrs_only.sentinel_addrs = {"127.0.0.1:26379"};
    CHECK(expect_error([&] { addrs_only.validate(); }).code() == errc::invalid_argument);

    const options u = options::from_url(
        "redis://:master-secret@/2?sentinel_master=mymaster&sentinel_addr=127.0.0.1:26379"
        "&sentinel_addr=%5B::1%5D:26380&sentinel_password=sentinel-secret&sentinel_replica_only=true");
    CHECK(u.sentinel_master == "mymaster");
    CHECK(u.sentinel_addrs == std::vector<std::string>{"127.0.0.1:26379", "[::1]:26380"});
    CHECK(u.sentinel_password == "sentinel-secret");
    CHECK(u.password == "master-secret");
    CHECK(u.sentinel_replica_only);
    CHECK(u.db == 2);
    CHECK(u.address() == "sentinel:mymaster");
    const std::string url = u.to_url();
    require_no_secret(url);
    CHECK(url.find("sentinel_password=***") != std::string::npos);
    CHECK(options::from_url(url).sentinel_addrs == u.sentinel_addrs);
    e = expect_error([] { options::from_url("redis://h/?sentinel_addr=127.0.0.1:1"); });
    CHECK(e.code() == errc::invalid_argument);
}

TEST_CASE("sentinel row 28: a wrong master name, wrong sentinel password, sentinels down one by one, then all",
          "[sentinel]") {
    auto& g = group();
    const int master = g.master_port();
    {
        options o = sentinel_options(g);
        o.sentinel_master = "nosuchmaster";
        client c(o);
        const auto t0 = clock_type::now();
        const auto e = expect_error([&] { c.ping(); });
        CHECK(e.code() == errc::invalid_argument);
        CHECK(std::string(e.what()).find("nosuchmaster") != std::string::npos);
        require_no_secret(e.what());
        CHECK(seconds_since(t0) < 10);
        check_pool_invariants(c);
    }
    {
        options o = sentinel_options(g);
        o.sentinel_password = "not-the-sentinel-secret";
        client c(o);
        const auto e = expect_error([&] { c.ping(); });
        CHECK(e.code() == errc::auth_failed);
        CHECK(std::string(e.what()).find("not-the-sentinel-secret") == std::string::npos);
        require_no_secret(e.what());
        check_pool_invariants(c);
    }
    // Shared with the watcher threads, which may outlive this scope by a moment.
    struct heard_messages {
        std::mutex guard;
        std::vector<std::string> messages;
    };
    auto heard = std::make_shared<heard_messages>();
    options before_opts = sentinel_options(g);
    before_opts.logger = [heard](log_level, std::string_view message) {
        std::lock_guard lock(heard->guard);
        heard->messages.emplace_back(message);
    };
    client before(before_opts);
    before.set("row28", "1");
    for (int down = 0; down < 2; ++down) {
        g.sentinel(down).stop();
        client c(sentinel_options(g));  // a fresh client must ask the sentinels
        CHECK(c.incr("row28") == down + 2);
        CHECK(port_of(c) == master);
        check_pool_invariants(c);
    }
    g.sentinel(2).stop();
    {
        client c(sentinel_options(g));
        const auto t0 = clock_type::now();
        const auto e = expect_error([&] { c.ping(); });
        CHECK(e.code() == errc::io_error);
        const std::string message = e.what();
        CHECK(message.find("no sentinel answered") != std::string::npos);
        for (const std::string& a : g.sentinel_addrs()) CHECK(message.find(a) != std::string::npos);
        require_no_secret(message);
        CHECK(seconds_since(t0) < 10);  // refused at once, retried with backoff: never a hang
        check_pool_invariants(c);
    }
    // A client already connected keeps its master, and its logger heard of the lost sentinels.
    CHECK(before.get("row28") == "3");
    CHECK(eventually([&] {
        std::lock_guard lock(heard->guard);
        return std::any_of(heard->messages.begin(), heard->messages.end(), [&](const std::string& m) {
            return m.find("sentinel " + g.sentinel_addrs()[2]) != std::string::npos;
        });
    }));
    {
        std::lock_guard lock(heard->guard);
        for (const std::string& m : heard->messages) require_no_secret(m);
    }
    for (int i = 0; i < 3; ++i) g.sentinel(i).start();
    wait_for_stable_group(g, master);
    client after(sentinel_options(g));
    CHECK(after.get("row28") == "3");
    check_pool_invariants(before);
    check_pool_invariants(after);
}

TEST_CASE("sentinel row 27: SENTINEL FAILOVER under writes; none lands on the old master after the switch",
          "[sentinel]") {
    auto& g = group();
    const int old_master = g.master_port();
    const int new_master = other_port(g, old_master);
    g.server_at(old_master).command({"DEL", "row27:failover"});
    client c(sentinel_options(g));
    c.ping();
    writer w(c, "row27:failover");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(g.sentinel(0).command({"SENTINEL", "FAILOVER", "mymaster"}) == "OK");
    const auto switched = wait_for_switch(g, new_master, 30);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto writes = w.stop();
    wait_for_stable_group(g, new_master);
    check_writes_after_switch(writes, final_log(g.server_at(new_master), "row27:failover"), switched,
                              "SENTINEL FAILOVER");
    CHECK(port_of(c) == new_master);
    check_pool_invariants(c);
}

TEST_CASE("sentinel row 27: kill -9 of the master under writes; writes reach the new master", "[sentinel]") {
    auto& g = group();
    const int old_master = g.master_port();
    const int new_master = other_port(g, old_master);
    client c(sentinel_options(g));
    c.del({"row27:kill"});
    writer w(c, "row27:kill");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto killed = clock_type::now();
    g.server_at(old_master).kill();
    const auto switched = wait_for_switch(g, new_master, 60);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto writes = w.stop();
    WARN(fmt::format("kill -9: the sentinels switched {:.0f} ms after the kill", ms_between(killed, switched)));
    check_writes_after_switch(writes, final_log(g.server_at(new_master), "row27:kill"), switched, "kill -9");
    CHECK(port_of(c) == new_master);
    // The old master comes back; the sentinels make it a replica of the new one.
    g.server_at(old_master).start();
    wait_for_stable_group(g, new_master);
    check_pool_invariants(c);
}

TEST_CASE("sentinel replies: real SENTINEL answers and announcement payloads parse; malformed ones do not",
          "[sentinel]") {
    auto& g = group();
    const int master = g.master_port();
    options o;
    o.port = g.sentinel(0).port();
    o.password = redis_sentinel_group::sentinel_password;
    client sentinel(o);
    const auto found = detail::master_address_of(sentinel.exec({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}));
    REQUIRE(found);
    CHECK(found->port == master);
    CHECK_FALSE(detail::master_address_of(sentinel.exec({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"})));
    const auto replicas = detail::healthy_replicas_of(sentinel.exec({"SENTINEL", "REPLICAS", "mymaster"}));
    REQUIRE(replicas.size() == 1);
    CHECK(replicas[0].port == other_port(g, master));
    CHECK(expect_error([&] { detail::master_address_of(sentinel.exec({"PING"})); }).code() == errc::protocol_error);

    const auto moved = detail::parse_switch_master("mymaster 127.0.0.1 6379 127.0.0.1 6380");
    REQUIRE(moved);
    CHECK(moved->master_name == "mymaster");
    CHECK(moved->from.name == "127.0.0.1:6379");
    CHECK(moved->to.name == "127.0.0.1:6380");
    const auto promoted = detail::parse_promoted_replica("slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379");
    REQUIRE(promoted);
    CHECK(promoted->master_name == "mymaster");
    CHECK(promoted->to.name == "127.0.0.1:6380");
    CHECK(promoted->from.name == "127.0.0.1:6379");
    CHECK_FALSE(detail::parse_switch_master("mymaster 127.0.0.1 6379 127.0.0.1"));
    CHECK_FALSE(detail::parse_switch_master("mymaster 127.0.0.1 6379 127.0.0.1 0"));
    CHECK_FALSE(detail::parse_promoted_replica("master mymaster 127.0.0.1 6379"));
    CHECK_FALSE(detail::parse_promoted_replica("slave a 127.0.0.1 6380 # mymaster 127.0.0.1 6379"));
    check_pool_invariants(sentinel);
}
