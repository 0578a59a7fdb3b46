// RELIABILITY row 23: the pool under blocking commands, against a real redis-server. BLPOP k 0
// on every pooled connection starves other callers only until pool_timeout (they fail with
// errc::pool_timeout, while a client of its own is unaffected), and the pool recovers once the
// pops return; CLIENT UNBLOCK cancels a pop and its connection goes back clean; finite blocks
// longer than read_timeout end in nil, not a client-side timeout; a blocking command whose
// connection dies is never sent again. (lists_test covers the pops' own semantics.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
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
using redpool::test::info_field;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::seconds_since;
using redpool::test::shared_server;
using redpool::test::wait_for_blocked_clients;

namespace {

using popped = std::optional<std::pair<std::string, std::string>>;

// How one BLPOP on a thread ended: its value, or the error it threw.
struct pop_outcome {
    popped value;
    std::error_code error;
    bool outcome_unknown = false;
    std::string message;
};

// `n` threads, each running `redis.blpop({key}, timeout)` (0: for ever). Catch2's checks are not
// thread-safe, so each thread only records its outcome; the test checks them after `join()`.
// If the test leaves early (a failed REQUIRE), the destructor pushes `n` values to `key` first,
// so no thread is left blocked and joining cannot hang.
class poppers {
public:
    poppers(redpool::client& redis, const redis_server& server, std::string key, int n,
            std::chrono::milliseconds timeout = 0ms)
        : server_(server), key_(std::move(key)), outcomes_(n) {
        for (int i = 0; i < n; ++i) {
            threads_.emplace_back([this, &redis, timeout, i] {
                pop_outcome& out = outcomes_[i];
                try {
                    out.value = redis.blpop({key_}, timeout);
                } catch (const redpool::error& e) {
                    out.error = e.code();
                    out.outcome_unknown = e.outcome_unknown();
                    out.message = e.what();
                }
                ++finished_;
            });
        }
    }
    poppers(const poppers&) = delete;
    poppers& operator=(const poppers&) = delete;
    ~poppers() {
        if (std::any_of(threads_.begin(), threads_.end(), [](auto& t) { return t.joinable(); })) release();
    }

    /// Waits for every pop to end; their outcomes in thread order. A pop still blocked after a
    /// generous cap (say, a command resent behind the test's back) is released with the value
    /// "released" so that the test fails on its outcome instead of hanging.
    const std::vector<pop_outcome>& join() {
        if (!eventually([&] { return finished_ == static_cast<int>(threads_.size()); }, 20s)) release();
        for (auto& t : threads_) t.join();
        return outcomes_;
    }

private:
    void release() noexcept {
        try {
            for (std::size_t i = 0; i < threads_.size(); ++i) server_.command({"LPUSH", key_, "released"});
        } catch (...) {
        }
    }

    const redis_server& server_;
    const std::string key_;
    std::vector<pop_outcome> outcomes_;  // element i written by thread i only, read after join
    std::atomic<int> finished_{0};
    std::vector<std::jthread> threads_;  // last: destroyed (joined) first
};

// The ids of the clients blocked in BLPOP right now (CLIENT LIST: flag b, cmd=blpop).
std::vector<std::string> blocked_blpop_ids(const redis_server& server) {
    std::vector<std::string> ids;
    for (auto& c : redpool::test::client_list(server)) {
        if (c["cmd"] == "blpop" && c["flags"].find('b') != std::string::npos) ids.push_back(c["id"]);
    }
    return ids;
}

// The one client blocked in BLPOP; fails the test if there is not exactly one.
std::string the_blocked_blpop_id(const redis_server& server) {
    const auto ids = blocked_blpop_ids(server);
    REQUIRE(ids.size() == 1);
    return ids.front();
}

}  // namespace

TEST_CASE("blocking: BLPOP k 0 on every pooled connection times other callers out, and the pool recovers",
          "[blocking][row23]") {
    auto& server = shared_server();
    constexpr int pool_size = 3;
    auto o = options_for(server);
    o.pool_size = pool_size;
    o.pool_timeout = 200ms;
    redpool::client redis(o);

    poppers pops(redis, server, "queue", pool_size);
    REQUIRE(wait_for_blocked_clients(server, pool_size));
    CHECK(redis.pool_stats().in_use == pool_size);

    // Every connection is blocked: a caller waits pool_timeout for a turn, then gives up. Its
    // command was never sent, so it is safe to retry.
    const auto before = redis.pool_stats();
    const auto t0 = std::chrono::steady_clock::now();
    auto e = expect_error([&] { redis.get("k"); });
    CHECK(e.code() == errc::pool_timeout);
    CHECK_FALSE(e.outcome_unknown());
    CHECK(seconds_since(t0) >= 0.195);  // it did wait, not before its time
    std::error_code ec;
    redis.exec({"SET", "k", "v"}, ec);
    CHECK(ec == errc::pool_timeout);
    auto during = redis.pool_stats();
    CHECK(during.timeouts == before.timeouts + 2);
    CHECK(during.total_conns == pool_size);  // no connection beyond pool_size was dialed
    CHECK(during.waiters == 0);
    CHECK_FALSE(redpool::test::server_ran(server, "get"));
    CHECK_FALSE(redpool::test::server_ran(server, "set"));

    // A client of its own (its own pool) is not affected: how to keep blocking consumers apart.
    {
        redpool::client other(options_for(server));
        CHECK(other.set("k", "from-other"));
        CHECK(other.get("k") == "from-other");
        check_pool_invariants(other);
    }

    // A caller with a longer pool_timeout gets the first connection a pop gives back.
    redis.set_pool_timeout(30s);  // a cap; the pushes below free connections at once
    std::optional<std::string> waited;
    std::error_code waiter_error;
    {
        std::jthread waiter([&] {
            try {
                waited = redis.get("k");
            } catch (const redpool::error& err) {
                waiter_error = err.code();
            }
        });
        const bool waiting = eventually([&] { return redis.pool_stats().waiters == 1; });
        server.command({"LPUSH", "queue", "v1", "v2", "v3"});
        CHECK(waiting);
    }
    CHECK_FALSE(waiter_error);
    CHECK(waited == "from-other");

    // Every pop got one of the values, each value went to exactly one pop.
    std::vector<std::string> values;
    for (const auto& out : pops.join()) {
        INFO(out.message);
        CHECK_FALSE(out.error);
        REQUIRE(out.value.has_value());
        CHECK(out.value->first == "queue");
        values.push_back(out.value->second);
    }
    std::sort(values.begin(), values.end());
    CHECK(values == std::vector<std::string>{"v1", "v2", "v3"});
    CHECK(server.command({"EXISTS", "queue"}) == "0");
    CHECK(info_field(server, "clients", "blocked_clients") == "0");

    // Recovered: the same connections serve again, none was closed.
    CHECK(redis.get("k") == "from-other");
    const auto after = redis.pool_stats();
    CHECK(after.total_conns == pool_size);
    CHECK(after.unusable_closed == 0);
    CHECK(after.wait_count >= 3);  // two timed out, one was served
    check_pool_invariants(redis);
}

TEST_CASE("blocking: CLIENT UNBLOCK ends a BLPOP k 0 with nil and its connection goes back clean",
          "[blocking][row23]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 2;
    redpool::client redis(o);
    const long long conn_id = redis.exec({"CLIENT", "ID"}).as_integer();  // the one idle connection

    {
        poppers pop(redis, server, "never", 1);
        REQUIRE(wait_for_blocked_clients(server, 1));
        const std::string id = the_blocked_blpop_id(server);
        CHECK(id == std::to_string(conn_id));  // the pop reused the idle connection
        CHECK(server.command({"CLIENT", "UNBLOCK", id}) == "1");
        const auto& outcome = pop.join().front();
        INFO(outcome.message);
        CHECK_FALSE(outcome.error);
        CHECK(outcome.value == std::nullopt);  // as if its timeout had run out
    }
    // Back in the pool and in step: the next calls run on it and read their own replies.
    auto s = redis.pool_stats();
    CHECK(s.total_conns == 1);
    CHECK(s.unusable_closed == 0);
    CHECK(redis.exec({"CLIENT", "ID"}).as_integer() == conn_id);
    CHECK(redis.echo("after-unblock") == "after-unblock");
    CHECK(blocked_blpop_ids(server).empty());

    // UNBLOCK ... ERROR makes the pop fail with the server's UNBLOCKED error instead; the
    // connection is still fine.
    {
        poppers pop(redis, server, "never", 1);
        REQUIRE(wait_for_blocked_clients(server, 1));
        CHECK(server.command({"CLIENT", "UNBLOCK", the_blocked_blpop_id(server), "ERROR"}) == "1");
        const auto& outcome = pop.join().front();
        CHECK(outcome.error == errc::server_error);
        CHECK(outcome.message.starts_with("UNBLOCKED"));
    }
    CHECK(redis.exec({"CLIENT", "ID"}).as_integer() == conn_id);
    s = redis.pool_stats();
    CHECK(s.total_conns == 1);
    CHECK(s.unusable_closed == 0);
    CHECK(command_calls(server, "blpop") == 2);
    check_pool_invariants(redis);
}

TEST_CASE("blocking: a consumer on a pinned connection knows its id, so CLIENT UNBLOCK cancels it",
          "[blocking][row23]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 2;
    redpool::client redis(o);
    std::atomic<long long> consumer_id{0};
    std::atomic<bool> done{false};
    popped got{{"not", "run"}};  // written by the consumer before `done`
    std::string failure;
    std::jthread consumer([&] {
        try {
            redpool::pinned c = redis.pin();
            consumer_id = c.exec({"CLIENT", "ID"}).as_integer();
            got = c.blpop({"jobs"}, 0ms);
        } catch (const std::exception& e) {
            failure = e.what();
        }
        done = true;
    });
    struct release_consumer {  // destroyed before `consumer` is joined, also on a failed REQUIRE
        const redis_server& server;
        const std::atomic<bool>& done;
        ~release_consumer() {
            if (!done) server.command({"LPUSH", "jobs", "released"});
        }
    } release{server, done};
    REQUIRE(wait_for_blocked_clients(server, 1));
    REQUIRE(consumer_id != 0);
    CHECK(blocked_blpop_ids(server) == std::vector<std::string>{std::to_string(consumer_id.load())});
    // The cancel goes through the same client's pool: the other connection serves it.
    CHECK(redis.exec({"CLIENT", "UNBLOCK", std::to_string(consumer_id.load())}).as_integer() == 1);
    REQUIRE(eventually([&] { return done.load(); }));
    INFO(failure);
    CHECK(failure.empty());
    CHECK(got == std::nullopt);
    CHECK(command_calls(server, "blpop") == 1);
    consumer.join();
    check_pool_invariants(redis);
}

TEST_CASE("blocking: BLPOP k 1 on every connection with a 200 ms read_timeout ends in nil, no client timeout",
          "[blocking][row23]") {
    auto& server = shared_server();
    constexpr int pool_size = 3;
    auto o = options_for(server);
    o.pool_size = pool_size;
    o.read_timeout = 200ms;  // shorter than the block: the read deadline is block + 1 s + this
    redpool::client redis(o);
    {
        poppers pops(redis, server, "empty", pool_size, 1s);
        for (const auto& out : pops.join()) {
            INFO(out.message);
            CHECK_FALSE(out.error);
            CHECK(out.value == std::nullopt);
        }
    }
    CHECK(redis.exec({"BLPOP", "empty", "1"}).is_nil());
    CHECK(command_calls(server, "blpop") == pool_size + 1);
    const auto s = redis.pool_stats();
    CHECK(s.unusable_closed == 0);  // no read timeout closed a connection
    CHECK(s.timeouts == 0);
    CHECK(redis.set("k", "v"));
    check_pool_invariants(redis);
}

TEST_CASE("blocking: a BLPOP whose connection is killed fails with outcome unknown and is never sent again",
          "[blocking][row23]") {
    auto& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 2;
    o.max_retries = 5;  // retries are on; a blocking command sent once must still not be resent
    o.min_retry_backoff = 1ms;
    o.max_retry_backoff = 2ms;
    redpool::client redis(o);
    {
        poppers pop(redis, server, "jobs", 1);
        REQUIRE(wait_for_blocked_clients(server, 1));
        CHECK(server.command({"CLIENT", "KILL", "ID", the_blocked_blpop_id(server)}) == "1");
        const auto& outcome = pop.join().front();
        INFO(outcome.message);
        CHECK(outcome.error == errc::io_error);
        CHECK(outcome.outcome_unknown);  // it was sent: it may have popped something
    }
    CHECK(command_calls(server, "blpop") == 1);
    CHECK(info_field(server, "clients", "blocked_clients") == "0");  // no retry is blocked now
    // The dead connection was dropped, not pooled; the next call dials a fresh one.
    CHECK(redis.pool_stats().total_conns == 0);
    server.command({"RPUSH", "jobs", "j1"});
    CHECK(redis.blpop({"jobs"}, 1s) == std::pair<std::string, std::string>("jobs", "j1"));
    CHECK(command_calls(server, "blpop") == 2);
    check_pool_invariants(redis);
}
