// options::hooks against a real server: every dial, command, pipeline, wait for a connection and
// closed connection is reported once, with its outcome and cause, and a hook that throws
// changes nothing about the call it observed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::shared_server;

namespace {

// What the hooks heard, from any thread.
struct recorder {
    std::mutex guard;
    std::vector<redpool::dial_event> dials;  // address views point into the client's options
    std::vector<std::pair<std::string, redpool::command_event>> commands;
    std::vector<redpool::pool_wait_event> waits;
    std::vector<redpool::close_cause> closed;

    void attach(redpool::options& o) {
        o.hooks.on_dial = [this](const redpool::dial_event& e) {
            std::lock_guard lock(guard);
            dials.push_back(e);
        };
        o.hooks.on_command = [this](const redpool::command_event& e) {
            std::lock_guard lock(guard);
            commands.emplace_back(std::string(e.name), e);
        };
        o.hooks.on_pool_wait = [this](const redpool::pool_wait_event& e) {
            std::lock_guard lock(guard);
            waits.push_back(e);
        };
        o.hooks.on_conn_closed = [this](const redpool::conn_closed_event& e) {
            std::lock_guard lock(guard);
            closed.push_back(e.cause);
        };
    }
    std::size_t closed_for(redpool::close_cause cause) {
        std::lock_guard lock(guard);
        return static_cast<std::size_t>(std::count(closed.begin(), closed.end(), cause));
    }
};

}  // namespace

TEST_CASE("hooks: commands, pipelines and transactions are reported with name, size and outcome", "[hooks]") {
    auto& server = shared_server();
    recorder heard;
    auto o = options_for(server);
    heard.attach(o);
    redpool::client redis(o);
    CHECK(redis.set("hooks:k", "secret-value"));
    CHECK(redis.get("hooks:k") == "secret-value");
    CHECK(redis.exec({"HGET", "hooks:k", "f"}).is_error());  // WRONGTYPE: a reply, reported as such
    auto p = redis.pipeline();
    p.incr("hooks:n");
    p.incr("hooks:n");
    p.incr("hooks:n");
    CHECK(p.exec().size() == 3);
    auto tx = redis.transaction();
    tx.set("hooks:t", "1");
    tx.get("hooks:t");
    CHECK(tx.exec().size() == 2);

    std::lock_guard lock(heard.guard);
    REQUIRE(heard.commands.size() == 5);
    CHECK(heard.commands[0].first == "SET");
    CHECK(heard.commands[1].first == "GET");
    CHECK(heard.commands[2].first == "HGET");
    CHECK(heard.commands[2].second.error == make_error_code(errc::server_error));
    CHECK(heard.commands[3].first == "pipeline");
    CHECK(heard.commands[3].second.commands == 3);
    CHECK(heard.commands[4].first == "transaction");
    CHECK(heard.commands[4].second.commands == 2);
    for (const auto& [name, e] : heard.commands) {
        CHECK(e.duration.count() > 0);
        if (name != "HGET") CHECK(!e.error);
    }
    // One dial served them all, to the client's address.
    REQUIRE(heard.dials.size() == 1);
    CHECK(heard.dials[0].address == o.address());
    CHECK(!heard.dials[0].error);
    CHECK(heard.waits.empty());  // a connection was always free
    check_pool_invariants(redis);
}

TEST_CASE("hooks: failed dials and commands carry their error code", "[hooks]") {
    recorder heard;
    auto o = options_for(shared_server());
    o.port = redpool::test::unused_port();  // refused
    o.max_retries = 2;
    o.min_retry_backoff = 1ms;
    o.max_retry_backoff = 2ms;
    heard.attach(o);
    redpool::client redis(o);
    CHECK(expect_error([&] { redis.get("k"); }).code() == errc::io_error);
    std::lock_guard lock(heard.guard);
    CHECK(heard.dials.size() == 3);  // the first try and two retries
    for (const auto& d : heard.dials) CHECK(d.error == make_error_code(errc::io_error));
    REQUIRE(heard.commands.size() == 1);
    CHECK(heard.commands[0].first == "GET");
    CHECK(heard.commands[0].second.error == make_error_code(errc::io_error));
    check_pool_invariants(redis);
}

TEST_CASE("hooks: waits for a connection end granted or timed out", "[hooks]") {
    recorder heard;
    auto o = options_for(shared_server());
    o.pool_size = 1;
    o.pool_timeout = 100ms;
    heard.attach(o);
    redpool::client redis(o);
    {
        auto pinned = redis.pin();  // holds the only connection
        CHECK(pinned.set("hooks:w", "1"));
        CHECK(expect_error([&] { redis.get("hooks:w"); }).code() == errc::pool_timeout);
        std::jthread release([pinned = std::move(pinned)]() mutable {
            std::this_thread::sleep_for(30ms);
            pinned.release();
        });
        redis.set_pool_timeout(5s);
        CHECK(redis.get("hooks:w") == "1");  // waits until the pinned connection is back
    }
    std::lock_guard lock(heard.guard);
    REQUIRE(heard.waits.size() == 2);
    CHECK(heard.waits[0].outcome == redpool::pool_wait_outcome::timed_out);
    CHECK(heard.waits[0].duration >= 90ms);
    CHECK(heard.waits[1].outcome == redpool::pool_wait_outcome::got_connection);
    CHECK(heard.waits[1].duration > 0ns);
    check_pool_invariants(redis);
}

TEST_CASE("hooks: closed connections are reported with their cause", "[hooks]") {
    auto& server = shared_server();
    recorder heard;
    auto o = options_for(server);
    o.pool_size = 3;
    o.max_idle_conns = 1;
    o.read_timeout = 200ms;
    heard.attach(o);
    auto redis = std::make_unique<redpool::client>(o);

    // Two connections back at once while only one may idle: max_idle.
    {
        auto a = redis->pin();
        auto b = redis->pin();
        CHECK(a.set("hooks:c", "1"));
        CHECK(b.get("hooks:c") == "1");
    }
    CHECK(heard.closed_for(redpool::close_cause::max_idle) == 1);

    // A reply that does not come in time: the connection's state is uncertain, unusable.
    const auto timed_out = expect_error([&] { redis->exec({"DEBUG", "SLEEP", "0.5"}); });
    CHECK(timed_out.code() == errc::read_timeout);
    CHECK(heard.closed_for(redpool::close_cause::unusable) == 1);
    std::this_thread::sleep_for(500ms);  // the server wakes

    // The server closed an idle connection: the liveness check finds it gone.
    CHECK(redis->ping() == "PONG");
    server.command({"CLIENT", "KILL", "TYPE", "normal"});
    std::this_thread::sleep_for(30ms);  // past liveness_check_after
    CHECK(redis->ping() == "PONG");
    CHECK(heard.closed_for(redpool::close_cause::server_gone) == 1);

    check_pool_invariants(*redis);
    const auto idle = redis->pool_stats().idle_conns;
    redis.reset();
    CHECK(heard.closed_for(redpool::close_cause::client_closed) == idle);
}

TEST_CASE("hooks: a hook that throws changes nothing about the call", "[hooks]") {
    auto o = options_for(shared_server());
    std::atomic<int> calls{0};
    o.hooks.on_dial = [&](const redpool::dial_event&) {
        ++calls;
        throw std::runtime_error("metrics backend down");
    };
    o.hooks.on_command = [&](const redpool::command_event&) {
        ++calls;
        throw std::runtime_error("metrics backend down");
    };
    o.hooks.on_conn_closed = [&](const redpool::conn_closed_event&) {
        ++calls;
        throw std::runtime_error("metrics backend down");
    };
    redpool::client redis(o);
    CHECK(redis.set("hooks:x", "1"));
    CHECK(redis.get("hooks:x") == "1");
    auto p = redis.pipeline();
    p.get("hooks:x");
    CHECK(p.exec()[0].as_string() == "1");
    CHECK(calls == 4);  // a dial and three calls
    check_pool_invariants(redis);
}
