// redpool::pinned and client::watch against a real redis-server: session commands on a pinned
// connection are undone before it goes back to the pool (UNWATCH, DISCARD, or RESET and the
// handshake again), or the connection is closed when RESET cannot undo them (RELIABILITY row
// 20); WATCH/MULTI/EXEC hygiene and contention (row 22): tx_failed, exact totals under
// contention, and nothing left open when the caller's function throws. What the server sees is
// read through the fixture's own admin connection (CLIENT LIST, INFO commandstats).
//
// Many cases use pool_size 1, so that the next pin() must get the very connection that was
// released (same CLIENT ID) unless it was closed.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::server_config;
using redpool::test::server_ran;
using redpool::test::shared_server;

namespace {

using fields = redpool::test::client_fields;

// CLIENT LIST's normal clients, by id; without the admin connection asking.
std::map<long long, fields> clients(const redis_server& server) {
    std::map<long long, fields> out;
    for (auto& f : redpool::test::client_list(server, "normal")) out[std::stoll(f["id"])] = f;
    return out;
}

// The CLIENT LIST fields of connection `id`; empty when the server no longer lists it.
fields client_fields(const redis_server& server, long long id) {
    auto all = clients(server);
    const auto it = all.find(id);
    return it == all.end() ? fields{} : it->second;
}

// Every normal client but the admin has no MULTI open (`multi=-1`).
bool no_open_multi(const redis_server& server) {
    for (auto& [id, f] : clients(server)) {
        if (f["multi"] != "-1") {
            UNSCOPED_INFO("client " << id << " has multi=" << f["multi"]);
            return false;
        }
    }
    return true;
}

long long client_id(redpool::pinned& c) { return c.exec({"CLIENT", "ID"}).as_integer(); }

redpool::options one_connection(const redis_server& server) {
    auto o = options_for(server);
    o.pool_size = 1;
    return o;
}

// Thrown by the functions given to watch(), distinct from anything redpool throws.
struct thrown_by_fn : std::exception {
    const char* what() const noexcept override { return "thrown by fn"; }
};

// Increments per thread in the contention test: 1,000, as RELIABILITY row 22 states it (a few
// seconds even under TSan on two cores); REDPOOL_SOAK_INCREMENTS sets any number.
int increments_per_thread() {
    if (const char* n = std::getenv("REDPOOL_SOAK_INCREMENTS")) return std::atoi(n);
    return 1000;
}

}  // namespace

// --- row 20: session state on a pinned connection ---------------------------------------------

TEST_CASE("pinned: SELECT, SETNAME, TRACKING, WATCH and an open MULTI are undone by RESET and the handshake",
          "[pinned][row20]") {
    auto& server = shared_server();
    auto o = one_connection(server);
    o.db = 1;
    o.client_name = "pooled";
    std::atomic<int> handshakes{0};
    o.on_connect = [&](redpool::conn&) { ++handshakes; };
    redpool::client redis(o);

    long long id = 0;
    {
        redpool::pinned c = redis.pin();
        id = client_id(c);
        CHECK(c.exec({"SELECT", "2"}).as_string() == "OK");
        c.set("k", "in db 2");
        CHECK(c.exec({"CLIENT", "SETNAME", "x"}).as_string() == "OK");
        CHECK(c.exec({"CLIENT", "TRACKING", "on"}).as_string() == "OK");
        CHECK(c.exec({"WATCH", "k"}).as_string() == "OK");
        CHECK(c.exec({"MULTI"}).as_string() == "OK");
        CHECK(c.exec({"SET", "queued", "never"}).as_string() == "QUEUED");
        auto during = client_fields(server, id);
        CHECK(during["db"] == "2");
        CHECK(during["name"] == "x");
        CHECK(during["flags"].find('t') != std::string::npos);  // tracking
        CHECK(during["multi"] == "1");
    }
    auto after = client_fields(server, id);  // still connected: reset, not closed
    REQUIRE(!after.empty());
    CHECK(after["db"] == "1");
    CHECK(after["name"] == "pooled");
    CHECK(after["flags"] == "N");
    CHECK(after["multi"] == "-1");
    CHECK(command_calls(server, "reset") == 1);
    CHECK(handshakes == 2);  // the dial's, and the reset's
    CHECK(redis.pool_stats().unusable_closed == 0);

    {
        redpool::pinned c = redis.pin();
        CHECK(client_id(c) == id);       // the same connection came back
        CHECK(!c.get("k").has_value());  // in the configured db 1
        CHECK(c.exec({"SELECT", "2"}).as_string() == "OK");
        CHECK(c.get("k") == "in db 2");
        CHECK(c.exists("queued") == 0);  // the open MULTI was discarded, not run
    }
    CHECK(command_calls(server, "reset") == 2);
    CHECK(no_open_multi(server));
    check_pool_invariants(redis, 2);
}

TEST_CASE("pinned: a WATCH alone is undone with UNWATCH, an open MULTI with DISCARD, neither with RESET",
          "[pinned][row20]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    server.command({"SET", "w", "0"});

    long long id = 0;
    {
        redpool::pinned c = redis.pin();
        id = client_id(c);
        CHECK(c.exec({"watch", "w"}).as_string() == "OK");
        server.command({"SET", "w", "1"});  // the WATCH is dirty now: a leak would fail any EXEC
    }
    CHECK(command_calls(server, "unwatch") == 1);
    {
        redpool::pinned c = redis.pin();
        CHECK(c.exec({"WATCH", "w"}).as_string() == "OK");
        CHECK(c.exec({"MULTI"}).as_string() == "OK");
        CHECK(c.exec({"SET", "q", "queued"}).as_string() == "QUEUED");
        server.command({"SET", "w", "2"});
    }
    CHECK(command_calls(server, "discard") == 1);
    CHECK(command_calls(server, "unwatch") == 1);
    CHECK(command_calls(server, "reset") == 0);
    CHECK(server.command({"EXISTS", "q"}) == "0");
    CHECK(no_open_multi(server));
    {
        // Neither WATCH survived: a transaction on the same connection runs.
        redpool::pinned c = redis.pin();
        CHECK(client_id(c) == id);
        auto tx = c.transaction();
        auto n = tx.incr("n");
        CHECK_NOTHROW(tx.exec());
        CHECK(n.get() == 1);
    }
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 3);
}

TEST_CASE("pinned: nothing to undo gives the connection back without a round trip", "[pinned][row20]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    {
        redpool::pinned c = redis.pin();
        c.set("k", "v");
        CHECK(c.exec({"MULTI"}).as_string() == "OK");
        CHECK(c.exec({"INCR", "n"}).as_string() == "QUEUED");
        CHECK(c.exec({"EXEC"}).size() == 1);  // the user closed the MULTI; nothing is watched
        CHECK(c.exec({"WATCH", "k"}).as_string() == "OK");
        CHECK(c.exec({"UNWATCH"}).as_string() == "OK");
    }
    CHECK(command_calls(server, "unwatch") == 1);  // the user's own
    CHECK(command_calls(server, "discard") == 0);
    CHECK(command_calls(server, "reset") == 0);
    CHECK(server.command({"GET", "n"}) == "1");
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 1);
}

TEST_CASE("pinned: CLIENT NO-EVICT, which RESET does not undo on 7.0, closes the connection instead",
          "[pinned][row20]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    long long id = 0;
    {
        redpool::pinned c = redis.pin();
        id = client_id(c);
        CHECK(c.exec({"client", "no-evict", "on"}).as_string() == "OK");
        CHECK(client_fields(server, id)["flags"].find('e') != std::string::npos);
    }
    CHECK(redis.pool_stats().unusable_closed == 1);
    CHECK(command_calls(server, "reset") == 0);
    CHECK(eventually([&] { return client_fields(server, id).empty(); }));
    {
        redpool::pinned c = redis.pin();
        const long long next = client_id(c);
        CHECK(next != id);
        CHECK(client_fields(server, next)["flags"] == "N");
    }
    check_pool_invariants(redis, 2);
}

TEST_CASE("pinned: commands that need a connection of their own are refused, sending nothing",
          "[pinned][row20]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    redpool::pinned c = redis.pin();
    const long long id = client_id(c);
    const std::vector<std::vector<std::string>> refused = {
        {"SUBSCRIBE", "ch"}, {"psubscribe", "p*"},   {"SSUBSCRIBE", "s"},  {"UNSUBSCRIBE"},
        {"MONITOR"},         {"CLIENT", "REPLY", "OFF"}, {"client", "reply", "skip"},
        {"RESET"},           {"HELLO", "3"},         {"QUIT"},             {"SYNC"},
    };
    for (const auto& args : refused) {
        INFO(args[0]);
        CHECK(expect_error([&] { c.exec(args); }).code() == errc::invalid_argument);
    }
    std::optional<redpool::pipeline> p = c.pipeline();
    CHECK(expect_error([&] { p->command({"SUBSCRIBE", "ch"}); }).code() == errc::invalid_argument);
    p.reset();
    for (const char* command : {"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "monitor", "client|reply",
                                "reset", "hello", "quit", "sync"}) {
        INFO(command);
        CHECK(!server_ran(server, command));
    }
    CHECK(c.exec({"PING"}).as_string() == "PONG");  // the connection is as it was
    CHECK(client_id(c) == id);
    c.release();
    CHECK(command_calls(server, "reset") == 0);
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 1);
}

TEST_CASE("pinned: after release() calls throw connection_broken; a pipeline made before keeps the connection",
          "[pinned]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    redpool::pinned c = redis.pin();
    c.set("k", "v");
    std::optional<redpool::pipeline> p = c.pipeline();
    auto value = p->get("k");
    c.release();
    c.release();  // idempotent
    CHECK(expect_error([&] { c.exec({"PING"}); }).code() == errc::connection_broken);
    CHECK(expect_error([&] { c.get("k"); }).code() == errc::connection_broken);
    CHECK(expect_error([&] { c.pipeline(); }).code() == errc::connection_broken);
    CHECK(expect_error([&] { c.transaction(); }).code() == errc::connection_broken);
    std::error_code ec;
    const std::string_view ping[] = {"PING"};
    CHECK(c.exec(ping, ec).is_nil());
    CHECK(ec == errc::connection_broken);

    CHECK(redis.pool_stats().in_use == 1);  // the pipeline still holds it
    p->exec();
    CHECK(value.get() == "v");
    p.reset();
    CHECK(redis.pool_stats().in_use == 0);

    redpool::pinned first = redis.pin();
    redpool::pinned second = std::move(first);
    CHECK(expect_error([&] { first.exec({"PING"}); }).code() == errc::connection_broken);
    CHECK(second.exec({"PING"}).as_string() == "PONG");
    first = std::move(second);
    CHECK(first.exec({"PING"}).as_string() == "PONG");
    first = redpool::pinned(std::move(first));  // self-move through a temporary keeps it
    CHECK(first.exec({"PING"}).as_string() == "PONG");
    first.release();
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 2);
}

TEST_CASE("pinned: a lost connection fails the call, later calls throw connection_broken, it is not pooled",
          "[pinned]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    redpool::pinned c = redis.pin();
    const long long id = client_id(c);
    CHECK(c.exec({"SELECT", "3"}).as_string() == "OK");
    CHECK(server.command({"CLIENT", "KILL", "ID", std::to_string(id)}) == "1");
    const auto lost = expect_error([&] { c.exec({"PING"}); });
    CHECK(lost.code() == errc::io_error);
    CHECK(expect_error([&] { c.exec({"PING"}); }).code() == errc::connection_broken);
    {
        auto tx = c.transaction();
        tx.set("a", "1");
        CHECK(expect_error([&] { tx.exec(); }).code() == errc::connection_broken);
    }
    c.release();
    CHECK(redis.pool_stats().unusable_closed == 1);
    CHECK(command_calls(server, "reset") == 0);
    check_pool_invariants(redis, 1);
}

TEST_CASE("pinned: a reset whose handshake fails closes the connection", "[pinned][row20]") {
    auto& server = shared_server();
    auto o = one_connection(server);
    std::atomic<int> handshakes{0};
    o.on_connect = [&](redpool::conn&) {
        if (++handshakes == 2) throw std::runtime_error("the second handshake is refused");
    };
    redpool::client redis(o);
    long long id = 0;
    {
        redpool::pinned c = redis.pin();
        id = client_id(c);
        CHECK(c.exec({"SELECT", "1"}).as_string() == "OK");
    }
    CHECK(handshakes == 2);
    CHECK(command_calls(server, "reset") == 1);
    CHECK(redis.pool_stats().unusable_closed == 1);
    CHECK(eventually([&] { return client_fields(server, id).empty(); }));
    {
        redpool::pinned c = redis.pin();
        CHECK(client_id(c) != id);
        CHECK(c.exec({"PING"}).as_string() == "PONG");
    }
    check_pool_invariants(redis, 2);
}

TEST_CASE("pinned: the reset authenticates again, since RESET goes back to the default user", "[pinned][row20]") {
    redis_server server(server_config{.password = "pinned-secret"});
    auto o = one_connection(server);
    o.password = "pinned-secret";
    o.db = 2;
    redpool::client redis(o);
    long long id = 0;
    {
        redpool::pinned c = redis.pin();
        id = client_id(c);
        CHECK(c.exec({"CLIENT", "SETNAME", "changed"}).as_string() == "OK");
    }
    {
        redpool::pinned c = redis.pin();
        CHECK(client_id(c) == id);  // reset and authenticated again, not closed
        c.set("k", "v");              // NOAUTH here if AUTH were not sent again
        CHECK(c.get("k") == "v");
    }
    CHECK(client_fields(server, id)["db"] == "2");
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 2);
}

TEST_CASE("pinned: a pinned connection outlives its client, and is closed when it comes back", "[pinned]") {
    auto& server = shared_server();
    std::optional<redpool::client> redis(std::in_place, one_connection(server));
    redpool::pinned c = redis->pin();
    const long long id = client_id(c);
    CHECK(c.exec({"SELECT", "1"}).as_string() == "OK");
    redis.reset();  // closes the pool; the pinned connection keeps it alive
    c.set("k", "still working");
    CHECK(c.get("k") == "still working");
    c.release();
    CHECK(eventually([&] { return client_fields(server, id).empty(); }));
}

// --- batches on a pinned connection ---------------------------------------------------------------

TEST_CASE("pinned: pipelines and transactions run on the pinned connection and see its session",
          "[pinned]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    long long id = 0;
    {
        redpool::pinned c = redis.pin();
        id = client_id(c);
        CHECK(c.exec({"SELECT", "3"}).as_string() == "OK");
        auto p = c.pipeline();
        auto where = p.command({"CLIENT", "ID"});
        p.set("k", "in db 3");
        auto value = p.get("k");
        CHECK(p.exec().size() == 3);
        CHECK(where.get().as_integer() == id);
        CHECK(value.get() == "in db 3");
        auto tx = c.transaction();
        auto n = tx.incr("n");
        tx.exec();
        CHECK(n.get() == 1);
        CHECK(server.command({"EXISTS", "k", "n"}) == "0");  // db 0 has neither

        // A session command in a batch is undone on release too.
        p.command({"CLIENT", "SETNAME", "from-a-pipeline"});
        p.exec();
        CHECK(client_fields(server, id)["name"] == "from-a-pipeline");
    }
    CHECK(command_calls(server, "reset") == 1);
    auto after = client_fields(server, id);
    REQUIRE_FALSE(after.empty());  // still connected: reset, not closed
    CHECK(after["name"] == "");
    CHECK(after["db"] == "0");
    check_pool_invariants(redis, 1);
}

TEST_CASE("pinned: a transaction is refused while a MULTI sent with exec is open", "[pinned]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    {
        redpool::pinned c = redis.pin();
        CHECK(c.exec({"MULTI"}).as_string() == "OK");
        auto tx = c.transaction();
        auto a = tx.set("a", "1");
        CHECK(expect_error([&] { tx.exec(); }).code() == errc::invalid_argument);
        CHECK(c.exec({"SET", "b", "1"}).as_string() == "QUEUED");
        CHECK(c.exec({"EXEC"}).size() == 1);
        tx.set("a", "1");
        CHECK(tx.exec().size() == 1);  // once the user's MULTI is over
    }
    CHECK(server.command({"MGET", "a", "b"}) == "1\n1");
    CHECK(command_calls(server, "multi") == 2);  // the user's and the second transaction's
    CHECK(command_calls(server, "reset") == 0);
    CHECK(command_calls(server, "discard") == 0);
    check_pool_invariants(redis, 1);
}

TEST_CASE("pinned: typed commands and pipelines are refused while a MULTI sent with exec is open", "[pinned]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    {
        redpool::pinned c = redis.pin();
        CHECK(c.exec({"MULTI"}).as_string() == "OK");
        // Their replies would be +QUEUED: GET would read "QUEUED" as the value.
        CHECK(expect_error([&] { c.get("a"); }).code() == errc::invalid_argument);
        CHECK(expect_error([&] { c.incr("n"); }).code() == errc::invalid_argument);
        auto p = c.pipeline();
        p.get("a");
        CHECK(expect_error([&] { p.exec(); }).code() == errc::invalid_argument);
        CHECK(c.exec({"SET", "a", "1"}).as_string() == "QUEUED");
        // Inside MULTI a blocking command is only queued (pipeline_test shows its deadline is
        // not stretched either).
        CHECK(c.exec({"BLPOP", "empty", "0"}).as_string() == "QUEUED");
        const auto ran = c.exec({"EXEC"});
        REQUIRE(ran.size() == 2);
        CHECK(ran[1].is_nil());  // EXEC ran BLPOP without blocking
        CHECK(c.get("a") == "1");  // allowed again once the MULTI is over
    }
    CHECK(command_calls(server, "get") == 1);  // only the last: the refused ones never left
    check_pool_invariants(redis, 1);
}

TEST_CASE("pinned: a MULTI the server refuses opens nothing; a nested one leaves the first open", "[pinned]") {
    auto& server = shared_server();
    redpool::test::acl_user_guard user(server, "nomulti", {"reset", "on", ">pw", "~*", "&*", "+@all", "-multi"});
    auto o = one_connection(server);
    o.username = "nomulti";
    o.password = "pw";
    {
        redpool::client redis(o);
        {
            redpool::pinned c = redis.pin();
            const auto refused = c.exec({"MULTI"});
            REQUIRE(refused.is_error());
            CHECK(refused.as_string().starts_with("NOPERM"));
            CHECK(c.incr("n") == 1);  // typed commands still run: no MULTI is open
            CHECK(c.exec({"EXEC"}).is_error());  // ERR EXEC without MULTI
        }
        // Nothing to undo, so no DISCARD and no RESET: the connection went back as it was.
        CHECK(command_calls(server, "discard") == 0);
        CHECK(command_calls(server, "reset") == 0);
        CHECK(redis.pool_stats().unusable_closed == 0);
        CHECK(redis.get("n") == "1");
        check_pool_invariants(redis, 2);  // the pin and the get
    }

    redpool::client redis(one_connection(server));
    {
        redpool::pinned c = redis.pin();
        CHECK(c.exec({"MULTI"}).as_string() == "OK");
        const auto nested = c.exec({"MULTI"});
        REQUIRE(nested.is_error());  // ERR MULTI calls can not be nested
        CHECK(expect_error([&] { c.get("n"); }).code() == errc::invalid_argument);  // the first is open
        CHECK(c.exec({"SET", "n", "5"}).as_string() == "QUEUED");
        // Left open: DISCARD undoes it before the connection goes back.
    }
    CHECK(command_calls(server, "discard") == 1);
    CHECK(redis.get("n") == "1");  // the queued SET never ran
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 2);
}

// --- row 22: WATCH, MULTI and EXEC ----------------------------------------------------------------

TEST_CASE("watch: a watched key changed by someone else fails the transaction with tx_failed, nothing ran",
          "[watch][row22]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    server.command({"SET", "w", "0"});
    int calls = 0;
    redpool::deferred<long long> queued;
    const auto failed = expect_error([&] {
        redis.watch({"w"}, [&](redpool::pinned& c) {
            ++calls;
            CHECK(c.get("w") == "0");
            server.command({"SET", "w", "theirs"});  // another connection, inside fn
            auto tx = c.transaction();
            queued = tx.incr("n");
            tx.set("w", "mine");
            tx.exec();
        });
    });
    CHECK(failed.code() == errc::tx_failed);
    CHECK(calls == 1);  // watch() itself never retries
    CHECK(expect_error([&] { queued.get(); }).code() == errc::tx_failed);
    CHECK(server.command({"GET", "w"}) == "theirs");
    CHECK(server.command({"EXISTS", "n"}) == "0");
    CHECK(command_calls(server, "exec") == 1);  // sent once, never again

    // The caller retries: with nobody interfering it goes through.
    redis.watch({"w"}, [&](redpool::pinned& c) {
        CHECK(c.get("w") == "theirs");
        auto tx = c.transaction();
        tx.set("w", "mine");
        tx.exec();
    });
    CHECK(server.command({"GET", "w"}) == "mine");
    CHECK(redis.pool_stats().unusable_closed == 0);
    CHECK(command_calls(server, "reset") == 0);
    check_pool_invariants(redis, 2);
}

TEST_CASE("watch: refuses no keys or no function before borrowing", "[watch]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::span<const std::string_view> none;
    CHECK(expect_error([&] { redis.watch(none, [](redpool::pinned&) {}); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { redis.watch({"k"}, nullptr); }).code() == errc::invalid_argument);
    CHECK(!server_ran(server, "watch"));
    check_pool_invariants(redis, 0);
}

TEST_CASE("watch: a refused WATCH throws the server's error and fn is not called", "[watch]") {
    redis_server server(server_config{.extra_config = {"user bob on >bob-pw ~allowed:* +@all"}});
    auto o = one_connection(server);
    o.username = "bob";
    o.password = "bob-pw";
    redpool::client redis(o);
    bool called = false;
    const auto refused = expect_error<redpool::reply_error>(
        [&] { redis.watch({"allowed:a", "forbidden"}, [&](redpool::pinned&) { called = true; }); });
    CHECK(refused.prefix() == "NOPERM");
    CHECK(!called);
    redis.watch({"allowed:a"}, [&](redpool::pinned& c) {
        called = true;
        auto tx = c.transaction();
        tx.set("allowed:a", "1");
        tx.exec();
    });
    CHECK(called);
    CHECK(command_calls(server, "unwatch") == 0);
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 2);
}

TEST_CASE("watch: an exception thrown by fn leaves no MULTI and no WATCH on the pooled connection",
          "[watch][row22]") {
    const bool between_multi_and_exec = GENERATE(true, false);
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    server.command({"SET", "key", "0"});
    INFO((between_multi_and_exec ? "thrown between MULTI and EXEC" : "thrown after WATCH and GET"));

    long long id = 0;
    expect_error<thrown_by_fn>([&] {
        redis.watch({"key"}, [&](redpool::pinned& c) {
            id = client_id(c);
            CHECK(c.get("key") == "0");
            if (between_multi_and_exec) {
                REQUIRE(c.exec({"MULTI"}).as_string() == "OK");
                CHECK(c.exec({"SET", "key", "from the transaction"}).as_string() == "QUEUED");
            }
            throw thrown_by_fn();
        });
    });
    CHECK(command_calls(server, between_multi_and_exec ? "discard" : "unwatch") == 1);
    CHECK(command_calls(server, "reset") == 0);
    CHECK(no_open_multi(server));
    CHECK(server.command({"GET", "key"}) == "0");  // the queued SET never ran

    // Someone else changes the key that was watched. A WATCH left on the connection would make
    // the next EXEC on it answer nil.
    server.command({"SET", "key", "changed by another client"});
    {
        redpool::pinned c = redis.pin();
        CHECK(client_id(c) == id);
        auto tx = c.transaction();
        tx.set("key", "after");
        CHECK_NOTHROW(tx.exec());
    }
    CHECK(server.command({"GET", "key"}) == "after");
    CHECK(no_open_multi(server));
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 2);
}

TEST_CASE("watch: contended WATCH/GET/MULTI/SET/EXEC increments from 10 threads end exactly at their sum",
          "[watch][row22]") {
    auto& server = shared_server();
    constexpr int threads = 10;
    const int per_thread = increments_per_thread();
    auto o = options_for(server);
    o.pool_size = threads;
    redpool::client redis(o);

    std::atomic<long> conflicts{0};
    std::atomic<long> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                for (;;) {
                    try {
                        redis.watch({"counter"}, [](redpool::pinned& c) {
                            const auto value = c.get("counter");
                            const long long n = value ? std::stoll(*value) : 0;
                            auto tx = c.transaction();
                            tx.set("counter", std::to_string(n + 1));
                            tx.exec();
                        });
                        break;
                    } catch (const redpool::error& e) {
                        if (e.code() != errc::tx_failed) {
                            ++failures;
                            return;
                        }
                        ++conflicts;  // a watched key changed: read again and retry
                    }
                }
            }
        });
    }
    for (auto& w : workers) w.join();

    const long long total = static_cast<long long>(threads) * per_thread;
    INFO(threads << " threads x " << per_thread << " increments, " << conflicts.load() << " conflicts retried");
    CHECK(failures == 0);
    CHECK(server.command({"GET", "counter"}) == std::to_string(total));
    // Every EXEC either counted or failed on a watched key: none was retried behind our back.
    CHECK(command_calls(server, "exec") == total + conflicts.load());
    CHECK(no_open_multi(server));
    CHECK(redis.pool_stats().unusable_closed == 0);
    CHECK(command_calls(server, "reset") == 0);
    check_pool_invariants(redis);
}

TEST_CASE("pinned: the non-throwing exec reports through its error_code", "[pinned]") {
    auto& server = shared_server();
    redpool::client redis(one_connection(server));
    redpool::pinned c = redis.pin();
    std::error_code ec = make_error_code(errc::io_error);
    const std::string_view ping[] = {"PING"};
    CHECK(c.exec(ping, ec).as_string() == "PONG");
    CHECK_FALSE(ec);  // cleared on success
    const std::string_view unknown[] = {"NO-SUCH-COMMAND"};
    CHECK(c.exec(unknown, ec).is_error());  // a server error is data
    CHECK_FALSE(ec);
    const std::string_view monitor[] = {"MONITOR"};
    CHECK(c.exec(monitor, ec).is_nil());
    CHECK(ec == errc::invalid_argument);
    CHECK_FALSE(server_ran(server, "monitor"));
    c.release();
    check_pool_invariants(redis, 1);
}
