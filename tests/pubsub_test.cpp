// redpool::subscriber and the pub/sub commands against a real redis-server: every kind of
// subscription and message, unsubscribe semantics, the callback style on a thread of its own,
// and RELIABILITY.md row 24 — reconnection with every subscription restored after CLIENT KILL,
// a server restart and an output-buffer-limit kill, and the health PING that notices a silent
// death (the fault proxy's black hole); names refused on a restore (an ACL change) lost alone,
// and no tight redial loop with a zero backoff. Subscription state is checked through the fixture's
// independent admin connection; every test ends with the client's pool invariants.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/fault_proxy.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::message;
using redpool::test::admin_integer;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::config_guard;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::fault_proxy;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::server_ran;
using redpool::test::shared_server;
using kind = redpool::message::kind_type;

namespace {

// Subscribers of one channel as the server counts them (PUBSUB NUMSUB renders "name\nN").
long long count_after_name(const std::string& rendered) {
    return std::stoll(rendered.substr(rendered.rfind('\n') + 1));
}

long long numsub(const redis_server& server, const std::string& channel) {
    return count_after_name(server.command({"PUBSUB", "NUMSUB", channel}));
}

long long shardnumsub(const redis_server& server, const std::string& channel) {
    return count_after_name(server.command({"PUBSUB", "SHARDNUMSUB", channel}));
}

long long numpat(const redis_server& server) { return admin_integer(server, {"PUBSUB", "NUMPAT"}); }

// Clients the server lists as subscribers (CLIENT LIST TYPE pubsub).
int pubsub_clients(const redis_server& server) {
    return static_cast<int>(redpool::test::client_list(server, "pubsub").size());
}

// The shared server once the subscribers of earlier test cases are gone from it: closing their
// sockets ends them, but the server notices on its next turn.
redis_server& quiet_server() {
    auto& server = shared_server();
    REQUIRE(eventually([&] { return pubsub_clients(server) == 0; }));
    return server;
}

// Calls receive (which also runs the health check and reconnects) until `done()`, keeping the
// messages that come meanwhile in `seen`; false if that took over 20 s.
template <typename Done>
bool pump_until(redpool::subscriber& sub, Done done, std::vector<message>* seen = nullptr) {
    const auto t0 = std::chrono::steady_clock::now();
    while (!done()) {
        if (std::chrono::steady_clock::now() - t0 > 20s) return false;
        if (auto m = sub.receive(20ms); m && seen != nullptr) seen->push_back(std::move(*m));
    }
    return true;
}

// The next `n` messages, waiting up to 10 s in all.
std::vector<message> receive_n(redpool::subscriber& sub, std::size_t n) {
    std::vector<message> got;
    pump_until(sub, [&] { return got.size() >= n; }, &got);
    REQUIRE(got.size() == n);
    return got;
}

const message* find_kind(const std::vector<message>& ms, kind k) {
    const auto it = std::find_if(ms.begin(), ms.end(), [&](const message& m) { return m.kind == k; });
    return it == ms.end() ? nullptr : &*it;
}

// Options for the reconnection tests: a quick backoff, so they take little time.
redpool::options quick(redpool::options o) {
    o.min_retry_backoff = 5ms;
    o.max_retry_backoff = 100ms;
    return o;
}

// Messages delivered to a callback on another thread.
class inbox {
public:
    void add(const message& m) {
        std::lock_guard lock(mu_);
        messages_.push_back(m);
    }
    std::vector<message> snapshot() const {
        std::lock_guard lock(mu_);
        return messages_;
    }
    bool has_payload(const std::string& payload) const {
        std::lock_guard lock(mu_);
        return std::any_of(messages_.begin(), messages_.end(),
                           [&](const message& m) { return m.payload == payload; });
    }

private:
    mutable std::mutex mu_;
    std::vector<message> messages_;
};

// The row-24 checks after a reconnection: the server has every subscription again, and each
// kind of message arrives.
void check_restored(redpool::client& redis, redpool::subscriber& sub, const redis_server& server) {
    REQUIRE(eventually([&] {
        return numsub(server, "r:ch") == 1 && numpat(server) == 1 && shardnumsub(server, "r:shard") == 1;
    }));
    CHECK(redis.publish("r:ch", "after") == 2);  // the channel and the pattern
    CHECK(redis.spublish("r:shard", "after-shard") == 1);
    const auto got = receive_n(sub, 3);
    const message* plain = find_kind(got, kind::message);
    const message* pattern = find_kind(got, kind::pmessage);
    const message* shard = find_kind(got, kind::smessage);
    REQUIRE(plain != nullptr);
    REQUIRE(pattern != nullptr);
    REQUIRE(shard != nullptr);
    CHECK(plain->payload == "after");
    CHECK(pattern->pattern == "r:*");
    CHECK(shard->payload == "after-shard");
}

// Calls receive until it throws reply_error, which it returns; nullopt if none came in 20 s.
std::optional<redpool::reply_error> receive_until_refused(redpool::subscriber& sub) {
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < 20s) {
        try {
            sub.receive(20ms);
        } catch (const redpool::reply_error& e) {
            return e;
        }
    }
    return std::nullopt;
}

bool mentions(const std::exception& e, const std::string& text) {
    return std::string(e.what()).find(text) != std::string::npos;
}

// An ACL user allowed every channel until `revoke()` leaves it only those matching `allowed*`.
// Redis drops the pub/sub connections of a user whose channel permissions shrink; the kill
// after it makes sure either way.
class channel_user {
public:
    static constexpr const char* name = "pubsub-revoked";

    explicit channel_user(const redis_server& server) : server_(server) {
        REQUIRE(server_.command({"ACL", "SETUSER", name, "on", ">pass", "~*", "allchannels", "+@all"}) == "OK");
    }
    ~channel_user() { server_.command({"ACL", "DELUSER", name}); }
    channel_user(const channel_user&) = delete;
    channel_user& operator=(const channel_user&) = delete;

    redpool::options options() const {
        auto o = quick(options_for(server_));
        o.username = name;
        o.password = "pass";
        return o;
    }
    void revoke() const {
        REQUIRE(server_.command({"ACL", "SETUSER", name, "resetchannels", "&allowed*"}) == "OK");
        server_.command({"CLIENT", "KILL", "USER", name});
        REQUIRE(eventually([&] { return pubsub_clients(server_) == 0; }));
    }

private:
    const redis_server& server_;
};

// CPU time the calling thread has used, in seconds.
double thread_cpu_seconds() {
    timespec t{};
    REQUIRE(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

void subscribe_all_kinds(redpool::subscriber& sub) {
    sub.subscribe({"r:ch"});
    sub.psubscribe({"r:*"});
    sub.ssubscribe({"r:shard"});
}

}  // namespace

// --- subscribing and receiving ---------------------------------------------------------------------

TEST_CASE("pubsub: subscribe, psubscribe and ssubscribe each receive their kind of message",
          "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.subscribe({"news", "sports"});
    sub.psubscribe({"ne*"});
    sub.ssubscribe({"shard-1"});
    // Confirmed means the server has them all, before any message.
    CHECK(numsub(server, "news") == 1);
    CHECK(numsub(server, "sports") == 1);
    CHECK(numpat(server) == 1);
    CHECK(shardnumsub(server, "shard-1") == 1);

    const std::string payload("hello\0world", 11);
    CHECK(redis.publish("news", payload) == 2);  // to the channel and to the pattern
    auto got = receive_n(sub, 2);
    const message* plain = find_kind(got, kind::message);
    const message* pattern = find_kind(got, kind::pmessage);
    REQUIRE(plain != nullptr);
    REQUIRE(pattern != nullptr);
    CHECK(plain->channel == "news");
    CHECK(plain->pattern.empty());
    CHECK(plain->payload == payload);
    CHECK(pattern->channel == "news");
    CHECK(pattern->pattern == "ne*");
    CHECK(pattern->payload == payload);

    CHECK(redis.publish("sports", "goal") == 1);
    got = receive_n(sub, 1);
    CHECK(got[0].kind == kind::message);
    CHECK(got[0].channel == "sports");
    CHECK(got[0].payload == "goal");

    CHECK(redis.spublish("shard-1", "s") == 1);
    got = receive_n(sub, 1);
    CHECK(got[0].kind == kind::smessage);
    CHECK(got[0].channel == "shard-1");
    CHECK(got[0].pattern.empty());
    CHECK(got[0].payload == "s");

    CHECK_FALSE(sub.receive(0ms).has_value());
    CHECK(sub.reconnects() == 0);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: messages keep their order, also those read while a subscribe waited", "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.subscribe({"order"});
    for (int i = 0; i < 50; ++i) CHECK(redis.publish("order", std::to_string(i)) == 1);
    // These messages are on the wire ahead of the confirmation: the subscribe keeps them.
    sub.subscribe({"order-2"});
    CHECK(redis.publish("order-2", "last") == 1);
    const auto got = receive_n(sub, 51);
    for (int i = 0; i < 50; ++i) {
        CHECK(got[static_cast<std::size_t>(i)].channel == "order");
        CHECK(got[static_cast<std::size_t>(i)].payload == std::to_string(i));
    }
    CHECK(got[50].channel == "order-2");
    CHECK(got[50].payload == "last");
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a message larger than one socket read arrives whole", "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.subscribe({"big"});
    std::string payload(3 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 % 251);
    CHECK(redis.publish("big", payload) == 1);
    CHECK(redis.publish("big", "small") == 1);
    const auto got = receive_n(sub, 2);
    CHECK(got[0].payload == payload);
    CHECK(got[1].payload == "small");
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a subscriber never takes a pool turn and dials only when it first subscribes",
          "[pubsub]") {
    auto& server = quiet_server();
    auto o = options_for(server);
    o.pool_size = 1;
    redpool::client redis(o);
    CHECK(redis.publish("turns", "warm-up") == 0);
    const auto before = redis.pool_stats();

    auto sub = redis.subscriber();
    CHECK_FALSE(sub.receive(10ms).has_value());  // nothing subscribed: nothing dialed
    CHECK(pubsub_clients(server) == 0);
    sub.subscribe({"turns"});
    CHECK(pubsub_clients(server) == 1);

    // The only turn is still the client's: commands run while the subscriber listens.
    CHECK(redis.publish("turns", "one") == 1);
    const auto during = redis.pool_stats();
    CHECK(during.in_use == 0);
    CHECK(during.total_conns == before.total_conns);
    CHECK(receive_n(sub, 1)[0].payload == "one");
    CHECK(redis.pool_stats().total_conns == before.total_conns);
    check_pool_invariants(redis);
}

// --- unsubscribing ---------------------------------------------------------------------------------

TEST_CASE("pubsub: unsubscribe takes the named channels, or all of them with no names", "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.subscribe({"u:a", "u:b", "u:c"});
    sub.psubscribe({"u:p1*", "u:p2*"});
    sub.ssubscribe({"u:s1", "u:s2"});

    sub.unsubscribe({"u:a"});
    CHECK(numsub(server, "u:a") == 0);
    CHECK(numsub(server, "u:b") == 1);
    CHECK(redis.publish("u:a", "gone") == 0);

    sub.unsubscribe();  // every channel: one confirmation each
    CHECK(numsub(server, "u:b") == 0);
    CHECK(numsub(server, "u:c") == 0);
    CHECK(numpat(server) == 2);  // patterns are another kind
    // None left: still sent, and confirmed with a nil channel, which the call waits for.
    const long long unsubscribes = command_calls(server, "unsubscribe");
    sub.unsubscribe();
    sub.unsubscribe({"u:never"});
    CHECK(command_calls(server, "unsubscribe") == unsubscribes + 2);

    sub.punsubscribe({"u:p1*"});
    CHECK(numpat(server) == 1);
    CHECK(redis.publish("u:p2x", "pattern") == 1);
    const auto got = receive_n(sub, 1);
    CHECK(got[0].kind == kind::pmessage);
    CHECK(got[0].pattern == "u:p2*");
    sub.punsubscribe();
    CHECK(numpat(server) == 0);

    sub.sunsubscribe({"u:s1"});
    CHECK(shardnumsub(server, "u:s1") == 0);
    CHECK(shardnumsub(server, "u:s2") == 1);
    sub.sunsubscribe();
    CHECK(shardnumsub(server, "u:s2") == 0);

    // With nothing left the connection still works, and a new subscription is made on it.
    sub.subscribe({"u:again"});
    CHECK(redis.publish("u:again", "back") == 1);
    CHECK(receive_n(sub, 1)[0].payload == "back");
    CHECK(sub.reconnects() == 0);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: unsubscribing before any subscription sends nothing", "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.unsubscribe();
    sub.punsubscribe({"x*"});
    sub.sunsubscribe({"x"});
    sub.subscribe(std::span<const std::string_view>{});  // no names: nothing to confirm
    CHECK(pubsub_clients(server) == 0);
    // Not even dialled (connections of earlier test cases may take the server a turn to drop).
    CHECK(eventually([&] { return redpool::test::client_list(server).empty(); }, 2s));
    CHECK_FALSE(server_ran(server, "unsubscribe"));
    CHECK_FALSE(server_ran(server, "punsubscribe"));
    CHECK_FALSE(server_ran(server, "sunsubscribe"));
    CHECK_FALSE(server_ran(server, "subscribe"));
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a refused subscription throws reply_error and is not restored later",
          "[pubsub]") {
    auto& server = quiet_server();
    redpool::test::acl_user_guard user(server, "pubsub-limited",
                                       {"on", ">pw", "resetchannels", "&ok:*", "+@all", "~*"});
    auto o = quick(options_for(server));
    o.username = "pubsub-limited";
    o.password = "pw";
    redpool::client redis(o);
    auto sub = redis.subscriber();
    sub.subscribe({"ok:1"});
    const auto e = expect_error<redpool::reply_error>([&] { sub.subscribe({"secret"}); });
    CHECK(e.prefix() == "NOPERM");
    CHECK(numsub(server, "ok:1") == 1);

    // After a reconnection only what the server accepted is asked for again.
    REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
    REQUIRE(pump_until(sub, [&] { return sub.reconnects() == 1 && numsub(server, "ok:1") == 1; }));
    CHECK(redis.publish("ok:1", "fine") == 1);
    CHECK(receive_n(sub, 1)[0].payload == "fine");
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a channel refused when restored is forgotten and reported once; the rest stay",
          "[pubsub][row24]") {
    auto& server = quiet_server();
    channel_user user(server);
    redpool::client redis(options_for(server));
    redpool::client as_user(user.options());
    auto sub = as_user.subscriber();
    sub.subscribe({"allowed1", "denied-later"});
    sub.psubscribe({"allowed*"});  // ACL allows a pattern that is one of its own, as written
    REQUIRE(numsub(server, "denied-later") == 1);

    user.revoke();
    // receive dials again and restores what is still allowed on the new connection; the
    // refusal is thrown once, naming what was lost.
    const auto refused = receive_until_refused(sub);
    REQUIRE(refused.has_value());
    CHECK(refused->prefix() == "NOPERM");
    CHECK(mentions(*refused, "channel \"denied-later\""));
    CHECK_FALSE(mentions(*refused, "allowed"));
    CHECK(sub.reconnects() == 1);
    CHECK(pubsub_clients(server) == 1);
    CHECK(numsub(server, "allowed1") == 1);
    CHECK(numpat(server) == 1);
    CHECK(numsub(server, "denied-later") == 0);
    CHECK(redis.publish("allowed1", "still here") == 2);  // the channel and the pattern
    const auto got = receive_n(sub, 2);                    // no second throw
    CHECK(find_kind(got, kind::message) != nullptr);
    CHECK(find_kind(got, kind::pmessage) != nullptr);
    CHECK(got[0].payload == "still here");
    CHECK(got[1].payload == "still here");

    // Forgotten: the next reconnection does not ask for it, so nothing is refused again.
    REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
    REQUIRE(pump_until(sub, [&] { return sub.reconnects() == 2 && numsub(server, "allowed1") == 1; }));
    CHECK(redis.publish("allowed1", "again") == 2);
    CHECK(receive_n(sub, 2)[1].payload == "again");
    check_pool_invariants(redis);
    check_pool_invariants(as_user);
}

TEST_CASE("pubsub: a subscribe that redials keeps its names when an older one is refused, and "
          "throws for its own",
          "[pubsub][row24]") {
    auto& server = quiet_server();
    channel_user user(server);
    redpool::client redis(options_for(server));
    redpool::client as_user(user.options());
    auto sub = as_user.subscriber();
    sub.subscribe({"allowed1", "denied-later"});
    user.revoke();

    // No receive in between: the subscribe finds the connection dead and dials. Its own name
    // is allowed, so it succeeds; the older refused one is left for receive to report.
    sub.subscribe({"allowed2"});
    CHECK(sub.reconnects() == 1);
    CHECK(numsub(server, "allowed1") == 1);
    CHECK(numsub(server, "allowed2") == 1);
    CHECK(numsub(server, "denied-later") == 0);
    const auto older = expect_error<redpool::reply_error>([&] { sub.receive(0ms); });
    CHECK(older.prefix() == "NOPERM");
    CHECK(mentions(older, "\"denied-later\""));
    CHECK_FALSE(sub.receive(0ms).has_value());  // once

    // A refusal of the call's own name on the redial is the call's: its other names stay.
    REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
    const auto own = expect_error<redpool::reply_error>([&] { sub.subscribe({"allowed3", "denied-2"}); });
    CHECK(own.prefix() == "NOPERM");
    CHECK(mentions(own, "\"denied-2\""));
    CHECK_FALSE(mentions(own, "allowed3"));
    CHECK(sub.reconnects() == 2);
    CHECK(numsub(server, "allowed3") == 1);
    CHECK_FALSE(sub.receive(0ms).has_value());  // reported by the call, not again here

    // The same on a live connection: Redis refuses the whole command, the allowed name is
    // asked again alone.
    const auto live = expect_error<redpool::reply_error>([&] { sub.subscribe({"allowed4", "denied-3"}); });
    CHECK(live.prefix() == "NOPERM");
    CHECK(mentions(live, "\"denied-3\""));
    CHECK(numsub(server, "allowed4") == 1);
    CHECK(numsub(server, "denied-3") == 0);
    CHECK(sub.reconnects() == 2);

    CHECK(redis.publish("allowed2", "two") == 1);
    CHECK(redis.publish("allowed4", "four") == 1);
    const auto got = receive_n(sub, 2);
    CHECK(got[0].payload == "two");
    CHECK(got[1].payload == "four");
    check_pool_invariants(redis);
    check_pool_invariants(as_user);
}

// --- the callback style --------------------------------------------------------------------------

TEST_CASE("pubsub: run calls back for every message on its own thread until stopped", "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.subscribe({"cb"});
    inbox got;
    std::jthread listener([&](std::stop_token stop) { sub.run([&](const message& m) { got.add(m); }, stop, 20ms); });
    for (int i = 0; i < 10; ++i) CHECK(redis.publish("cb", std::to_string(i)) == 1);
    REQUIRE(eventually([&] { return got.snapshot().size() == 10; }, 10s));
    listener.request_stop();
    listener.join();  // returns: run saw the stop request
    const auto all = got.snapshot();
    for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].payload == std::to_string(i));
    // The subscriber is this thread's again, and still subscribed.
    CHECK(redis.publish("cb", "later") == 1);
    CHECK(receive_n(sub, 1)[0].payload == "later");
    check_pool_invariants(redis);
}

// --- close -----------------------------------------------------------------------------------------

TEST_CASE("pubsub: after close every call throws pool_closed and the connection is gone", "[pubsub]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto sub = redis.subscriber();
    sub.subscribe({"closing"});
    REQUIRE(pubsub_clients(server) == 1);
    sub.close();
    sub.close();  // idempotent
    CHECK(expect_error([&] { sub.receive(10ms); }).code() == errc::pool_closed);
    CHECK(expect_error([&] { sub.subscribe({"x"}); }).code() == errc::pool_closed);
    CHECK(expect_error([&] { sub.unsubscribe(); }).code() == errc::pool_closed);
    CHECK(expect_error([&] { sub.run([](const message&) {}, std::stop_token{}); }).code() == errc::pool_closed);
    CHECK(sub.reconnects() == 0);
    CHECK(eventually([&] { return pubsub_clients(server) == 0; }));

    auto other = redis.subscriber();
    auto moved = std::move(other);
    CHECK(expect_error([&] { other.receive(0ms); }).code() == errc::pool_closed);  // NOLINT: moved from
    moved.subscribe({"moved"});
    CHECK(numsub(server, "moved") == 1);
    check_pool_invariants(redis);
}

// --- reconnection (RELIABILITY.md row 24) ----------------------------------------------------------

TEST_CASE("pubsub: after CLIENT KILL TYPE pubsub every subscription is restored", "[pubsub][row24]") {
    auto& server = quiet_server();
    redpool::client redis(quick(options_for(server)));
    auto sub = redis.subscriber();
    subscribe_all_kinds(sub);
    CHECK(redis.publish("r:ch", "before") == 2);
    REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
    std::vector<message> seen;
    REQUIRE(pump_until(sub, [&] { return sub.reconnects() == 1; }, &seen));
    // At most what was published before the kill (to r:ch and its pattern), nothing made up.
    CHECK(seen.size() <= 2);
    for (const auto& m : seen) CHECK(m.payload == "before");
    check_restored(redis, sub, server);
    CHECK(sub.reconnects() == 1);
    CHECK(pubsub_clients(server) == 1);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a change found on a killed connection is made on a new one, with the rest",
          "[pubsub][row24]") {
    auto& server = quiet_server();
    redpool::client redis(quick(options_for(server)));
    auto sub = redis.subscriber();
    sub.subscribe({"k:a", "k:gone"});
    REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
    // No receive in between: the subscribe itself finds the connection dead.
    sub.subscribe({"k:b"});
    CHECK(sub.reconnects() == 1);
    CHECK(numsub(server, "k:a") == 1);
    CHECK(numsub(server, "k:b") == 1);

    REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
    sub.unsubscribe({"k:gone"});
    CHECK(sub.reconnects() == 2);
    CHECK(numsub(server, "k:gone") == 0);
    CHECK(numsub(server, "k:a") == 1);
    CHECK(redis.publish("k:b", "on the new one") == 1);
    CHECK(receive_n(sub, 1)[0].payload == "on the new one");
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a subscriber running on its own thread reconnects after CLIENT KILL",
          "[pubsub][row24][tsan]") {
    auto& server = quiet_server();
    redpool::client redis(quick(options_for(server)));
    auto sub = redis.subscriber();
    subscribe_all_kinds(sub);
    inbox got;
    {
        std::jthread listener([&](std::stop_token stop) { sub.run([&](const message& m) { got.add(m); }, stop, 10ms); });
        REQUIRE(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
        REQUIRE(eventually([&] { return sub.reconnects() == 1; }, 10s));
        REQUIRE(eventually([&] {
            return numsub(server, "r:ch") == 1 && numpat(server) == 1 && shardnumsub(server, "r:shard") == 1;
        }));
        CHECK(redis.publish("r:ch", "after") == 2);
        CHECK(redis.spublish("r:shard", "after-shard") == 1);
        REQUIRE(eventually([&] { return got.has_payload("after-shard") && got.snapshot().size() == 3; }, 10s));
    }
    const auto all = got.snapshot();
    CHECK(find_kind(all, kind::message) != nullptr);
    CHECK(find_kind(all, kind::pmessage) != nullptr);
    CHECK(find_kind(all, kind::smessage) != nullptr);
    CHECK(sub.reconnects() == 1);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a server restart is survived, the subscriptions restored once it is back",
          "[pubsub][row24]") {
    redis_server server;
    redpool::client redis(quick(options_for(server)));
    auto sub = redis.subscriber();
    subscribe_all_kinds(sub);
    {
        // Listening through the whole outage: the dials fail, back off, and succeed once the
        // server is back.
        std::jthread listener([&](std::stop_token stop) { sub.run([](const message&) {}, stop, 10ms); });
        server.stop();
        server.start();
        REQUIRE(eventually([&] { return sub.reconnects() == 1; }, 10s));
    }
    check_restored(redis, sub, server);
    CHECK(sub.reconnects() == 1);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: subscriptions made while the server is down are made once it is up", "[pubsub]") {
    redis_server server;
    redpool::client redis(quick(options_for(server)));
    auto sub = redis.subscriber();
    server.stop();
    CHECK(expect_error([&] { sub.subscribe({"r:ch"}); }).code() == errc::io_error);
    CHECK(expect_error([&] { sub.psubscribe({"r:*"}); }).code() == errc::io_error);
    CHECK(expect_error([&] { sub.ssubscribe({"r:shard"}); }).code() == errc::io_error);
    CHECK_FALSE(sub.receive(30ms).has_value());
    server.start();
    REQUIRE(pump_until(sub, [&] { return numsub(server, "r:ch") == 1; }));
    check_restored(redis, sub, server);
    CHECK(sub.reconnects() == 0);  // the first connection, late: nothing dropped
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: with a zero backoff a subscriber does not redial in a tight loop while the server "
          "is down",
          "[pubsub][row24]") {
    redis_server server;
    auto o = options_for(server);
    o.min_retry_backoff = 0ms;
    o.max_retry_backoff = 0ms;  // commands retry at once; the subscriber waits 100 ms instead
    redpool::client redis(o);
    auto sub = redis.subscriber();
    sub.subscribe({"spin"});
    server.stop();

    // About a second of receive with nothing to dial: a hang or spin guard, not a timing
    // assertion (a tight loop of failing dials burns the whole second).
    const double cpu_before = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < 1s) CHECK_FALSE(sub.receive(250ms).has_value());
    CHECK(thread_cpu_seconds() - cpu_before < 0.3);

    server.start();
    REQUIRE(pump_until(sub, [&] { return numsub(server, "spin") == 1; }));
    CHECK(sub.reconnects() == 1);
    CHECK(redis.publish("spin", "back") == 1);
    CHECK(receive_n(sub, 1)[0].payload == "back");
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: a kill for exceeding the output buffer limit is survived", "[pubsub][row24]") {
    auto& server = quiet_server();
    config_guard limit(server, "client-output-buffer-limit", "pubsub 64kb 0 0");
    redpool::client redis(quick(options_for(server)));
    auto sub = redis.subscriber();
    subscribe_all_kinds(sub);
    // Far past the limit at once: the server drops the subscriber, not the publisher.
    CHECK(redis.publish("r:ch", std::string(1 << 20, 'x')) >= 1);
    REQUIRE(pump_until(sub, [&] { return sub.reconnects() == 1; }));
    check_restored(redis, sub, server);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub: the health PING notices a connection gone silent and dials again",
          "[pubsub][row24]") {
    auto& server = quiet_server();
    fault_proxy proxy(server.port());
    auto o = quick(options_for(server));
    o.port = proxy.port();
    o.health_check_interval = 100ms;
    o.read_timeout = 200ms;
    o.dial_timeout = 300ms;
    redpool::client redis(options_for(server));
    redpool::client through_proxy(o);
    auto sub = through_proxy.subscriber();
    sub.subscribe({"hc"});
    REQUIRE(numsub(server, "hc") == 1);

    // Nothing comes back through the proxy now, and no error either: only an unanswered PING
    // can tell. The subscriber closes its connection, and the proxy then its own to the server.
    proxy.black_hole(true);
    REQUIRE(pump_until(sub, [&] { return numsub(server, "hc") == 0; }));
    CHECK(sub.reconnects() == 0);  // dials into the black hole fail too

    proxy.heal();
    REQUIRE(pump_until(sub, [&] { return sub.reconnects() == 1 && numsub(server, "hc") == 1; }));
    CHECK(redis.publish("hc", "alive") == 1);
    CHECK(receive_n(sub, 1)[0].payload == "alive");
    check_pool_invariants(redis);
    check_pool_invariants(through_proxy);
}

TEST_CASE("pubsub: with the health check off an idle subscriber sends no PING", "[pubsub]") {
    auto& server = quiet_server();
    auto o = options_for(server);
    o.health_check_interval = 0ms;
    redpool::client redis(o);
    auto sub = redis.subscriber();
    sub.subscribe({"quiet"});
    const long long pings = command_calls(server, "ping");
    // Longer than the 3 s default, so that an interval of 0 taken for "the default" would PING.
    CHECK_FALSE(sub.receive(3200ms).has_value());
    CHECK(command_calls(server, "ping") == pings);

    // The same with the check on: PINGs while idle, answered, so no reconnection.
    auto checked = o;
    checked.health_check_interval = 50ms;
    redpool::client watched(checked);
    auto sub2 = watched.subscriber();
    sub2.subscribe({"quiet"});
    const long long after_subscribe = command_calls(server, "ping");
    REQUIRE(pump_until(sub2, [&] { return command_calls(server, "ping") >= after_subscribe + 3; }));
    CHECK(sub2.reconnects() == 0);
    check_pool_invariants(redis);
    check_pool_invariants(watched);
}

// --- the pub/sub commands --------------------------------------------------------------------------

TEST_CASE("pubsub commands: publish and spublish count the receivers", "[pubsub][commands]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    CHECK(redis.publish("nobody", "x") == 0);
    CHECK(redis.spublish("nobody", "x") == 0);
    auto a = redis.subscriber();
    auto b = redis.subscriber();
    a.subscribe({"c:1"});
    b.subscribe({"c:1"});
    b.psubscribe({"c:*"});
    a.ssubscribe({"s:1"});
    CHECK(redis.publish("c:1", "m") == 3);
    CHECK(redis.publish("c:2", "m") == 1);
    CHECK(redis.spublish("s:1", "m") == 1);
    CHECK(redis.run(redpool::cmd::publish("c:1", "again")) == 3);
    check_pool_invariants(redis);
}

TEST_CASE("pubsub commands: channels, numsub, numpat, shardchannels and shardnumsub", "[pubsub][commands]") {
    auto& server = quiet_server();
    redpool::client redis(options_for(server));
    auto a = redis.subscriber();
    auto b = redis.subscriber();
    a.subscribe({"pc:news", "pc:sports"});
    b.subscribe({"pc:news"});
    a.psubscribe({"pc:*", "other*"});
    b.psubscribe({"pc:*"});
    a.ssubscribe({"ps:1", "ps:2"});
    b.ssubscribe({"ps:1"});

    auto channels = redis.pubsub_channels("pc:*");
    std::sort(channels.begin(), channels.end());
    CHECK(channels == std::vector<std::string>{"pc:news", "pc:sports"});
    CHECK(redis.pubsub_channels("nothing*").empty());
    auto all = redis.pubsub_channels();
    CHECK(std::count(all.begin(), all.end(), "pc:news") == 1);

    using counts = std::vector<std::pair<std::string, long long>>;
    CHECK(redis.pubsub_numsub({"pc:sports", "pc:news", "pc:none"}) ==
          counts{{"pc:sports", 1}, {"pc:news", 2}, {"pc:none", 0}});
    std::vector<std::string_view> asked{"pc:news"};
    CHECK(redis.pubsub_numsub(asked) == counts{{"pc:news", 2}});
    CHECK(redis.pubsub_numpat() == 2);  // distinct patterns: "pc:*" counts once

    auto shards = redis.pubsub_shardchannels();
    std::sort(shards.begin(), shards.end());
    CHECK(shards == std::vector<std::string>{"ps:1", "ps:2"});
    CHECK(redis.pubsub_shardchannels("ps:2") == std::vector<std::string>{"ps:2"});
    CHECK(redis.pubsub_shardnumsub({"ps:1", "ps:2", "ps:3"}) == counts{{"ps:1", 2}, {"ps:2", 1}, {"ps:3", 0}});

    // No channels: nothing to ask.
    CHECK(redis.pubsub_numsub(std::span<const std::string_view>{}).empty());
    CHECK(redis.pubsub_shardnumsub(std::span<const std::string_view>{}).empty());
    CHECK(command_calls(server, "pubsub|numsub") == 2);
    CHECK(command_calls(server, "pubsub|shardnumsub") == 1);
    check_pool_invariants(redis);
}
