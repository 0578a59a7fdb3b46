// Pipelines and transactions against a real redis-server: typed deferred results, per-command
// errors, reuse, streaming of a batch larger than the socket buffers, a connection cut part way
// (RELIABILITY.md row 21, through the fault proxy), the no-progress deadline, MULTI/EXEC and
// EXECABORT.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/fault_proxy.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::fault_proxy;
using redpool::test::options_for;
using redpool::test::shared_server;

namespace {

std::string key(const std::string& name) { return "pipeline_test:" + name; }

redpool::options through(const fault_proxy& proxy) {
    redpool::options o;
    o.host = "127.0.0.1";
    o.port = proxy.port();
    return o;
}

}  // namespace

TEST_CASE("pipeline: typed results in order, one round trip on one connection", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 2;
    redpool::client redis(o);
    redis.del(key("c"));
    redpool::pipeline p = redis.pipeline();
    CHECK(p.size() == 0);
    p.set(key("a"), "1");
    redpool::deferred<long long> c1 = p.incr(key("c"));
    redpool::deferred<long long> c2 = p.incrby(key("c"), 10);
    redpool::deferred<std::optional<std::string>> a = p.get(key("a"));
    redpool::deferred<std::optional<std::string>> missing = p.get(key("missing"));
    redpool::deferred<redpool::reply> raw = p.command({"ECHO", "hello"});
    auto added = p.add(redpool::command<long long>({"INCRBY", key("c"), "100"}));
    CHECK(p.size() == 7);
    CHECK_FALSE(c1.ready());
    CHECK(expect_error([&] { c1.get(); }).code() == errc::invalid_argument);

    const auto echo_calls = command_calls(server, "echo");
    std::vector<redpool::reply> replies = p.exec();
    REQUIRE(replies.size() == 7);
    CHECK(replies[0].as_string() == "OK");
    CHECK(replies[1].as_integer() == 1);
    CHECK(replies[5].as_string() == "hello");
    CHECK(c1.ready());
    CHECK(c1.get() == 1);
    CHECK(c2.get() == 11);
    CHECK(a.get() == "1");
    CHECK(missing.get() == std::nullopt);
    CHECK(raw.get().as_string() == "hello");
    CHECK(added.get() == 111);
    CHECK(command_calls(server, "echo") == echo_calls + 1);
    CHECK(p.size() == 0);
    check_pool_invariants(redis, 2);  // the DEL, then one borrow for the whole batch
}

TEST_CASE("pipeline: one command's error fails only that command", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    redis.set(key("str"), "text");
    auto p = redis.pipeline();
    auto before = p.set(key("x"), "1");
    auto wrong = p.lpush(key("str"), "v");          // WRONGTYPE
    auto unknown = p.command({"NO-SUCH-COMMAND"});  // an error reply, as data
    auto shape = p.add(redpool::command<long long>({"ECHO", "not a number"}));
    auto after = p.incr(key("x"));
    auto replies = p.exec();
    REQUIRE(replies.size() == 5);
    CHECK(replies[1].is_error());
    CHECK(replies[2].is_error());
    CHECK_NOTHROW(before.get());
    const auto e = expect_error<redpool::reply_error>([&] { wrong.get(); });
    CHECK(e.prefix() == "WRONGTYPE");
    CHECK(unknown.get().is_error());
    CHECK(expect_error([&] { shape.get(); }).code() == errc::protocol_error);
    CHECK(std::string(expect_error([&] { shape.get(); }).what()).find("ECHO") != std::string::npos);
    CHECK(after.get() == 2);
    check_pool_invariants(redis, 2);
}

TEST_CASE("pipeline: reusable; a deferred keeps its result after reuse and after the pipeline is gone",
          "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    redis.set(key("r"), "first");
    redpool::deferred<std::optional<std::string>> kept;
    {
        auto p = redis.pipeline();
        kept = p.get(key("r"));
        p.exec();
        p.set(key("r"), "second");
        auto again = p.get(key("r"));
        CHECK(p.size() == 2);
        CHECK(p.exec().size() == 2);
        CHECK(again.get() == "second");
        CHECK(kept.get() == "first");
        CHECK(p.exec().empty());  // nothing queued: no borrow
    }
    CHECK(kept.get() == "first");
    check_pool_invariants(redis, 3);
}

TEST_CASE("pipeline: commands that need a connection of their own are refused when queued", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    auto p = redis.pipeline();
    for (auto name : {"SUBSCRIBE", "MONITOR", "RESET", "QUIT", "HELLO"}) {
        INFO(name);
        CHECK(expect_error([&] { p.command({name, "x"}); }).code() == errc::invalid_argument);
    }
    CHECK(expect_error([&] { p.command(std::span<const std::string_view>{}); }).code() == errc::invalid_argument);
    CHECK(p.size() == 0);
    check_pool_invariants(redis, 0);
}

TEST_CASE("pipeline: a session command in it closes the connection afterwards", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    auto o = options_for(server);
    o.pool_size = 1;
    redpool::client redis(o);
    auto p = redis.pipeline();
    p.command({"SELECT", "3"});
    p.set(key("in-db-3"), "v");
    p.exec();
    CHECK(redis.pool_stats().unusable_closed == 1);
    CHECK(redis.exists(key("in-db-3")) == 0);  // a new connection, in database 0
    redis.exec({"SELECT", "3"});               // (closes it again)
    check_pool_invariants(redis);
}

TEST_CASE("pipeline: a batch larger than both socket buffers streams through", "[pipeline][stream]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    const std::size_t n = redpool::test::soak_size(1'000'000);
    const std::string value(100, 'v');
    redis.set(key("big"), value);
    auto p = redis.pipeline();
    redpool::deferred<std::optional<std::string>> first = p.get(key("big"));
    for (std::size_t i = 1; i + 1 < n; ++i) p.get(key("big"));
    redpool::deferred<std::optional<std::string>> last = p.get(key("big"));
    REQUIRE(p.size() == n);
    auto replies = p.exec();
    REQUIRE(replies.size() == n);
    CHECK(replies[n / 2].as_string() == value);
    CHECK(first.get() == value);
    CHECK(last.get() == value);
    check_pool_invariants(redis, 2);
}

TEST_CASE("pipeline: cut after k replies: the first k keep theirs, every later one fails the same way (row 21)",
          "[pipeline][row21][proxy]") {
    redpool::test::redis_server& server = shared_server();
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.pool_size = 1;
    redpool::client redis(o);
    REQUIRE(redis.ping() == "PONG");  // the connection exists before the fault is armed
    redis.set(key("str"), "text");
    const std::size_t n = 1000;
    const std::size_t k = 137;
    proxy.drop_after_replies(k);
    auto p = redis.pipeline();
    std::vector<redpool::deferred<std::string>> echoes;
    redpool::deferred<long long> wrongtype;
    for (std::size_t i = 0; i < n; ++i) {
        if (i == 5) {
            wrongtype = p.add(redpool::command<long long>({"LPUSH", key("str"), "v"}));
            echoes.emplace_back();
            continue;
        }
        echoes.push_back(p.echo("nonce-" + std::to_string(i)));
    }
    const auto e = expect_error([&] { p.exec(); });
    CHECK(e.code() == errc::io_error);
    CHECK(e.outcome_unknown());
    CHECK(std::string(e.what()).find(std::to_string(k) + " of " + std::to_string(n)) != std::string::npos);
    CHECK(expect_error<redpool::reply_error>([&] { wrongtype.get(); }).prefix() == "WRONGTYPE");
    for (std::size_t i = 0; i < n; ++i) {
        if (i == 5) continue;
        INFO(i);
        if (i < k) {
            REQUIRE(echoes[i].get() == "nonce-" + std::to_string(i));  // never shifted
        } else {
            const auto later = expect_error([&] { echoes[i].get(); });
            REQUIRE(later.code() == errc::io_error);
            REQUIRE(std::string(later.what()) == e.what());
        }
    }
    CHECK(p.size() == 0);
    proxy.heal();
    CHECK(redis.echo("after") == "after");  // the cut connection was discarded, not reused
    CHECK(redis.pool_stats().unusable_closed == 1);
    check_pool_invariants(redis);
}

TEST_CASE("pipeline: the deadline is read_timeout without progress, not per command", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    auto o = options_for(server);
    o.read_timeout = 300ms;
    o.max_retries = 0;
    redpool::client redis(o);
    SECTION("progress keeps it alive: each step is shorter than read_timeout, the whole is longer") {
        // Redis answers a batch it read at once only after running all of it, so the steps
        // come from the proxy: one reply line every 100 ms, 1.2 s in all.
        fault_proxy proxy(server.port());
        auto slow = through(proxy);
        slow.read_timeout = 300ms;
        slow.max_retries = 0;
        redpool::client paced(slow);
        REQUIRE(paced.ping() == "PONG");
        proxy.split_replies_into_lines(100ms);
        auto p = paced.pipeline();
        std::vector<redpool::deferred<std::string>> echoes;
        for (int i = 0; i < 12; ++i) echoes.push_back(p.echo("e" + std::to_string(i)));
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(p.exec().size() == 12);
        CHECK(std::chrono::steady_clock::now() - t0 >= 1s);  // longer than read_timeout in all
        for (int i = 0; i < 12; ++i) CHECK(echoes[i].get() == "e" + std::to_string(i));
        check_pool_invariants(paced, 2);
    }
    SECTION("no progress for longer than read_timeout fails with read_timeout") {
        auto p = redis.pipeline();
        auto before = p.ping();
        auto slow = p.command({"DEBUG", "SLEEP", "0.8"});
        const auto e = expect_error([&] { p.exec(); });
        CHECK(e.code() == errc::read_timeout);
        CHECK(e.outcome_unknown());
        // Redis sends the replies of what it read at once together, after the sleep.
        CHECK(expect_error([&] { before.get(); }).code() == errc::read_timeout);
        CHECK(expect_error([&] { slow.get(); }).code() == errc::read_timeout);
        CHECK(redis.pool_stats().unusable_closed == 1);
    }
    check_pool_invariants(redis);
}

TEST_CASE("pipeline: a blocking command extends the deadline by its block time", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    auto o = options_for(server);
    o.read_timeout = 200ms;
    redpool::client redis(o);
    redis.del(key("empty"));
    auto p = redis.pipeline();
    auto popped = p.blpop({key("empty")}, 1s);
    auto after = p.ping();
    p.exec();
    CHECK_FALSE(popped.get().has_value());
    CHECK(after.get() == "PONG");
    check_pool_invariants(redis, 2);
}

TEST_CASE("transaction: MULTI ... EXEC in one round trip returns EXEC's replies", "[transaction]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    redis.del(key("t"));
    redis.set(key("tstr"), "text");
    redpool::transaction tx = redis.transaction();
    auto a = tx.incr(key("t"));
    auto b = tx.incrby(key("t"), 5);
    auto wrong = tx.lpush(key("tstr"), "x");  // fails while running: data in EXEC's reply
    auto c = tx.get(key("t"));
    CHECK(tx.size() == 4);
    const auto multi_calls = command_calls(server, "multi");
    auto replies = tx.exec();
    REQUIRE(replies.size() == 4);
    CHECK(replies[0].as_integer() == 1);
    CHECK(replies[2].is_error());
    CHECK(a.get() == 1);
    CHECK(b.get() == 6);
    CHECK(expect_error<redpool::reply_error>([&] { wrong.get(); }).prefix() == "WRONGTYPE");
    CHECK(c.get() == "6");
    CHECK(command_calls(server, "multi") == multi_calls + 1);
    CHECK(tx.size() == 0);
    CHECK(tx.exec().empty());
    check_pool_invariants(redis, 3);  // the connection went back: EXEC closed the MULTI
}

TEST_CASE("transaction: a command refused while queuing aborts it with EXECABORT; nothing runs",
          "[transaction]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    redis.del(key("abort"));
    auto tx = redis.transaction();
    auto first = tx.incr(key("abort"));
    auto refused = tx.command({"NO-SUCH-COMMAND", "x"});
    auto bad_arity = tx.add(redpool::command<long long>({"INCR"}));
    auto last = tx.incr(key("abort"));
    const auto e = expect_error<redpool::reply_error>([&] { tx.exec(); });
    CHECK(e.prefix() == "EXECABORT");
    CHECK(expect_error<redpool::reply_error>([&] { first.get(); }).prefix() == "EXECABORT");
    CHECK(expect_error<redpool::reply_error>([&] { last.get(); }).prefix() == "EXECABORT");
    CHECK(refused.get().is_error());  // its own refusal, as data
    CHECK(refused.get().as_string().find("unknown command") != std::string::npos);
    CHECK(expect_error<redpool::reply_error>([&] { bad_arity.get(); }).prefix() == "ERR");
    CHECK(redis.exists(key("abort")) == 0);
    // The connection is clean afterwards and went back to the pool.
    CHECK(redis.pool_stats().unusable_closed == 0);
    check_pool_invariants(redis, 3);
}

TEST_CASE("pipeline and transaction: a connection reset before the write is retried, or fails as not run",
          "[pipeline][transaction][proxy]") {
    redpool::test::redis_server& server = shared_server();
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.liveness_check_after = 1h;  // the idle connection goes out unchecked: the write finds the reset
    for (const bool as_transaction : {false, true}) {
        for (const int retries : {0, 1}) {
            INFO((as_transaction ? "transaction" : "pipeline") << ", max_retries " << retries);
            server.command({"DEL", key("r")});
            o.max_retries = retries;
            redpool::client redis(o);
            CHECK(redis.incr(key("r")) == 1);  // one pooled connection, idle now
            proxy.reset_all();
            auto run = [&](auto batch) {
                auto n = batch.incr(key("r"));
                auto m = batch.incr(key("r"));
                if (retries == 0) {
                    const auto e = expect_error([&] { batch.exec(); });
                    CHECK(e.code() == errc::io_error);
                    CHECK_FALSE(e.outcome_unknown());  // no byte went out: nothing ran
                    CHECK(expect_error([&] { n.get(); }).code() == errc::io_error);
                    CHECK(expect_error([&] { m.get(); }).code() == errc::io_error);
                    CHECK(server.command({"GET", key("r")}) == "1");
                } else {
                    CHECK(batch.exec().size() == 2);  // on a new connection, run once
                    CHECK(n.get() == 2);
                    CHECK(m.get() == 3);
                }
            };
            if (as_transaction) run(redis.transaction());
            else run(redis.pipeline());
            CHECK(redis.pool_stats().unusable_closed == 1);
            check_pool_invariants(redis);
        }
    }
}

TEST_CASE("pipeline: a reply over max_bulk_length after good ones in the same read fails at once",
          "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    server.command({"SET", key("big"), std::string(100, 'b')});
    auto o = options_for(server);
    o.max_bulk_length = 50;
    o.read_timeout = 60s;  // were the failure left for more bytes, this is what exec() would wait
    o.max_retries = 0;
    redpool::client redis(o);
    auto p = redis.pipeline();
    auto small = p.set(key("small"), "s");
    auto echoed = p.echo("e");
    auto big = p.get(key("big"));
    const auto e = expect_error([&] { p.exec(); });
    CHECK(e.code() == errc::reply_too_large);  // not read_timeout
    CHECK(small.get());  // the replies before it are theirs
    CHECK(echoed.get() == "e");
    CHECK(expect_error([&] { big.get(); }).code() == errc::reply_too_large);
    CHECK(redis.pool_stats().unusable_closed == 1);  // the rest of the stream is lost: closed
    check_pool_invariants(redis, 1);
}

TEST_CASE("transaction: cut part way, EXEC is not retried and every command fails alike", "[transaction][proxy]") {
    redpool::test::redis_server& server = shared_server();
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.pool_size = 1;
    redpool::client redis(o);
    redis.del(key("cut"));
    proxy.drop_after_replies(3);  // +OK, +QUEUED, +QUEUED; never EXEC's reply
    auto tx = redis.transaction();
    auto a = tx.incr(key("cut"));
    auto b = tx.incr(key("cut"));
    const auto execs = command_calls(server, "exec");
    const auto e = expect_error([&] { tx.exec(); });
    CHECK(e.code() == errc::io_error);
    CHECK(e.outcome_unknown());
    CHECK(expect_error([&] { a.get(); }).code() == errc::io_error);
    CHECK(expect_error([&] { b.get(); }).code() == errc::io_error);
    proxy.heal();
    // The proxy cut the server's side too; whether EXEC got there first is a race, but it ran
    // at most once and all or nothing: never retried, never half applied.
    CHECK(eventually([&] { return proxy.open_connections() == 0; }));
    // Once the server has dropped its end too (only the asking admin connection is left), it
    // has run whatever it read on it.
    CHECK(eventually([&] { return redpool::test::info_field(server, "clients", "connected_clients") == "1"; }));
    const auto ran = command_calls(server, "exec") - execs;
    CHECK(ran <= 1);
    CHECK(redis.get(key("cut")) == (ran == 1 ? std::optional<std::string>("2") : std::nullopt));
    check_pool_invariants(redis);
}

namespace {

// A result type aligned beyond what plain operator new guarantees.
struct alignas(64) wide_number {
    long long value;
};

}  // namespace

template <>
struct redpool::reply_converter<wide_number> {
    static wide_number convert(redpool::reply&& r) { return {redpool::from_reply<long long>(std::move(r))}; }
};

TEST_CASE("pipeline: commands answered without the server keep their place in exec()'s replies",
          "[pipeline][transaction]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    const std::vector<std::string_view> none;
    SECTION("pipeline") {
        auto p = redis.pipeline();
        p.set(key("a"), "1");
        auto removed = p.del(none);  // DEL of no keys: 0, without asking the server
        auto a = p.get(key("a"));
        auto also_none = p.del(none);
        CHECK(p.size() == 4);
        auto replies = p.exec();
        REQUIRE(replies.size() == 4);
        CHECK(replies[1].is_nil());
        CHECK(replies[2].as_string() == "1");
        CHECK(replies[3].is_nil());
        CHECK_FALSE(redpool::test::server_ran(server, "del"));
        CHECK(removed.get() == 0);
        CHECK(a.get() == "1");
        CHECK(also_none.get() == 0);
        check_pool_invariants(redis, 1);
    }
    SECTION("transaction") {
        auto tx = redis.transaction();
        auto removed = tx.del(none);
        auto n = tx.incr(key("n"));
        auto replies = tx.exec();
        REQUIRE(replies.size() == 2);
        CHECK(replies[0].is_nil());
        CHECK(replies[1].as_integer() == 1);
        CHECK_FALSE(redpool::test::server_ran(server, "del"));
        CHECK(removed.get() == 0);
        CHECK(n.get() == 1);
        check_pool_invariants(redis, 1);
    }
    SECTION("transaction refused while queuing: each command keeps its own outcome") {
        auto tx = redis.transaction();
        auto removed = tx.del(none);
        auto n = tx.incr(key("n"));
        auto refused = tx.command({"SET", key("only-one-argument")});  // ERR wrong number of arguments
        auto also_removed = tx.del(none);
        auto m = tx.incr(key("m"));
        CHECK(expect_error<redpool::reply_error>([&] { tx.exec(); }).prefix() == "EXECABORT");
        CHECK(removed.get() == 0);
        CHECK(also_removed.get() == 0);
        CHECK(refused.get().is_error());
        CHECK(refused.get().as_string().find("wrong number of arguments") != std::string::npos);
        for (auto* d : {&n, &m}) CHECK(expect_error<redpool::reply_error>([&] { d->get(); }).prefix() == "EXECABORT");
        CHECK(server.command({"EXISTS", key("n"), key("m")}) == "0");
        check_pool_invariants(redis, 1);
    }
    SECTION("only such commands: no round trip") {
        auto p = redis.pipeline();
        auto removed = p.del(none);
        CHECK(p.exec().size() == 1);
        CHECK(removed.get() == 0);
        check_pool_invariants(redis, 0);
    }
}

TEST_CASE("pipeline and transaction: MULTI, EXEC, DISCARD, WATCH are refused where they would break the batch",
          "[pipeline][transaction]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    auto p = redis.pipeline();
    for (auto name : {"MULTI", "exec", "Discard"}) {
        INFO(name);
        CHECK(expect_error([&] { p.command({name}); }).code() == errc::invalid_argument);
    }
    CHECK_NOTHROW(p.command({"WATCH", key("w")}));  // a session command: the connection closes after
    auto tx = redis.transaction();
    for (auto name : {"MULTI", "EXEC", "DISCARD", "WATCH", "unwatch"}) {
        INFO(name);
        CHECK(expect_error([&] { tx.command({name, key("w")}); }).code() == errc::invalid_argument);
    }
    CHECK(tx.size() == 0);
    p.exec();
    CHECK(redis.pool_stats().unusable_closed == 1);
    check_pool_invariants(redis, 1);
}

TEST_CASE("transaction: a blocking command inside it does not block, nor stretch the deadline",
          "[transaction][proxy]") {
    redpool::test::redis_server& server = shared_server();
    fault_proxy proxy(server.port());
    auto o = through(proxy);
    o.read_timeout = 300ms;
    o.max_retries = 0;
    redpool::client redis(o);
    auto tx = redis.transaction();
    auto popped = tx.blpop({key("never")}, 0ms);  // BLPOP k 0: for ever, outside MULTI
    tx.exec();
    CHECK_FALSE(popped.get().has_value());  // EXEC ran it without blocking
    proxy.black_hole(true);
    auto stalled = redis.transaction();
    // A finite block, so a deadline stretched by it (10 s + 1 s + read_timeout) would show as a
    // wait of over 11 s instead of a hang; unstretched, the wait is read_timeout (300 ms).
    stalled.blpop({key("never")}, 10s);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(expect_error([&] { stalled.exec(); }).code() == errc::read_timeout);
    CHECK(std::chrono::steady_clock::now() - t0 < 8s);
    proxy.heal();
    check_pool_invariants(redis, 2);
}

TEST_CASE("pipeline: a moved-from pipeline refuses use instead of crashing", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    auto p = redis.pipeline();
    p.ping();
    auto q = std::move(p);
    CHECK(p.size() == 0);  // NOLINT(bugprone-use-after-move): the point of the test
    CHECK(expect_error([&] { p.exec(); }).code() == errc::invalid_argument);
    CHECK(expect_error([&] { p.ping(); }).code() == errc::invalid_argument);
    CHECK(q.size() == 1);
    CHECK(q.exec().size() == 1);
    check_pool_invariants(redis, 1);
}

TEST_CASE("pipeline: a result type aligned beyond operator new's guarantee", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    auto p = redis.pipeline();
    std::vector<redpool::deferred<wide_number>> numbers;
    for (int i = 0; i < 10; ++i) numbers.push_back(p.add(redpool::command<wide_number>({"INCR", key("wide")})));
    p.exec();
    for (int i = 0; i < 10; ++i) CHECK(numbers[static_cast<std::size_t>(i)].get().value == i + 1);
    check_pool_invariants(redis, 1);
}

TEST_CASE("transaction: a refused MULTI throws its error; the commands ran one by one, and the connection is clean",
          "[transaction]") {
    redpool::test::redis_server& server = shared_server();
    redpool::test::acl_user_guard user(server, "nomulti", {"reset", "on", ">pw", "~*", "&*", "+@all", "-multi"});
    auto o = options_for(server);
    o.username = "nomulti";
    o.password = "pw";
    o.pool_size = 1;
    redpool::client redis(o);
    auto tx = redis.transaction();
    auto set = tx.set(key("loose"), "1");
    const auto e = expect_error<redpool::reply_error>([&] { tx.exec(); });
    CHECK(e.prefix() == "NOPERM");
    CHECK(expect_error<redpool::reply_error>([&] { set.get(); }).prefix() == "NOPERM");
    CHECK(server.command({"GET", key("loose")}) == "1");  // not atomic: MULTI never opened
    // Every reply was read, so the connection went back to the pool, and it is not in a MULTI.
    CHECK(redis.pool_stats().unusable_closed == 0);
    CHECK(redis.incr(key("after")) == 1);
    check_pool_invariants(redis, 2);
}

TEST_CASE("pipeline: a pipeline destroyed with commands queued, or just after exec(), leaves its deferreds whole", "[pipeline]") {
    // The queue holds its references to the deferreds as plain pointers; under AddressSanitizer
    // a reference never released is a leak, and one released twice a use after free.
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    redpool::deferred<long long> ran;
    redpool::deferred<long long> never_sent;
    {
        auto p = redis.pipeline();
        ran = p.incr(key("destroyed"));
        for (int i = 0; i < 100; ++i) p.incr(key("destroyed"));  // dropped handles, retired after exec()
        REQUIRE(p.exec().size() == 101);
        never_sent = p.incr(key("destroyed"));
        for (int i = 0; i < 100; ++i) p.incr(key("destroyed"));  // queued, never sent
    }
    CHECK(ran.get() == 1);
    CHECK_FALSE(never_sent.ready());
    CHECK(expect_error([&] { never_sent.get(); }).code() == errc::invalid_argument);
    CHECK(server.command({"GET", key("destroyed")}) == "101");
    check_pool_invariants(redis, 1);
}

TEST_CASE("pipeline: deferred<void> results, and clear() forgets what was queued", "[pipeline]") {
    redpool::test::redis_server& server = shared_server();
    redpool::client redis(options_for(server));
    auto p = redis.pipeline();
    auto forgotten = p.set(key("never"), "1");
    p.clear();
    CHECK(p.size() == 0);
    CHECK_FALSE(forgotten.ready());
    auto renamed = p.rename(key("missing"), key("elsewhere"));  // command<void>: ERR no such key
    auto set_many = p.mset({{key("m1"), "1"}, {key("m2"), "2"}});
    REQUIRE(p.exec().size() == 2);
    CHECK(renamed.ready());
    CHECK(expect_error<redpool::reply_error>([&] { renamed.get(); }).prefix() == "ERR");
    CHECK_NOTHROW(set_many.get());
    CHECK(server.command({"MGET", key("m1"), key("m2")}) == "1\n2");
    CHECK(server.command({"EXISTS", key("never")}) == "0");  // cleared, never sent
    CHECK(expect_error([&] { forgotten.get(); }).code() == errc::invalid_argument);
    check_pool_invariants(redis, 1);
}
