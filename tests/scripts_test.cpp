// redpool::script and run_script against a real redis-server: the SHA-1 is the server's, a
// cached script goes as EVALSHA alone, and a script the server lost (SCRIPT FLUSH, a restart)
// still runs, through EVAL, on a client, a pinned connection, a pipeline and a transaction.
// INFO commandstats tells which of EVALSHA and EVAL really ran.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/alloc_failure.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::expect_error;
using redpool::test::eventually;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::shared_server;

namespace {

const redpool::script incrby("return redis.call('INCRBY', KEYS[1], ARGV[1])");
const redpool::script echo_key_and_arg("return {KEYS[1], ARGV[1]}");

// The shared server (flushed, with fresh statistics) with an empty script cache too: FLUSHALL
// keeps scripts.
redis_server& scripts_server() {
    auto& server = shared_server();
    server.command({"SCRIPT", "FLUSH", "SYNC"});
    return server;
}

bool server_has(const redis_server& server, const redpool::script& s) {
    return server.command({"SCRIPT", "EXISTS", s.sha1()}) == "1";
}

long long evalsha_calls(const redis_server& server) { return command_calls(server, "evalsha"); }
long long eval_calls(const redis_server& server) { return command_calls(server, "eval"); }

}  // namespace

// --- the digest --------------------------------------------------------------------------------

TEST_CASE("scripts: sha1() is the digest SCRIPT LOAD returns", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    const redpool::script binary(std::string("return '\xff\0\xfe'", 12));
    const redpool::script multiline("local n = redis.call('INCR', KEYS[1])\nreturn n * 2\n");
    for (const redpool::script* s : {&incrby, &echo_key_and_arg, &binary, &multiline}) {
        INFO(s->source());
        CHECK(s->sha1().size() == 40);
        CHECK(redis.script_load(s->source()) == s->sha1());
    }
    CHECK(binary.source().size() == 12);  // kept as given, NUL included
    CHECK(redpool::script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    check_pool_invariants(redis);
}

// --- on a client ---------------------------------------------------------------------------------

TEST_CASE("scripts: run_script sends EVAL only while the server lacks the script", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    REQUIRE_FALSE(server_has(server, incrby));

    // First call: EVALSHA answers NOSCRIPT, EVAL runs it once and caches it.
    CHECK(redis.run_script(incrby, {"counter"}, {"5"}).as_integer() == 5);
    CHECK(evalsha_calls(server) == 1);
    CHECK(eval_calls(server) == 1);
    CHECK(server_has(server, incrby));

    // Cached now: EVALSHA alone.
    CHECK(redis.run_script(incrby, {"counter"}, {"3"}).as_integer() == 8);
    const std::vector<std::string_view> keys{"counter"};
    const std::vector<std::string_view> args{"2"};
    CHECK(redis.run_script(incrby, keys, args).as_integer() == 10);
    CHECK(evalsha_calls(server) == 3);
    CHECK(eval_calls(server) == 1);
    CHECK(server.command({"GET", "counter"}) == "10");  // each call ran exactly once

    // Keys and args reach the script in order; no keys or args is fine too.
    auto r = redis.run_script(echo_key_and_arg, {"k"}, {"a"});
    REQUIRE(r.size() == 2);
    CHECK(r[0].as_string() == "k");
    CHECK(r[1].as_string() == "a");
    CHECK(redis.run_script(redpool::script("return 42")).as_integer() == 42);
    check_pool_invariants(redis);
}

TEST_CASE("scripts: after SCRIPT FLUSH run_script falls back to EVAL once, then EVALSHA again", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    CHECK(redis.run_script(incrby, {"counter"}, {"1"}).as_integer() == 1);
    REQUIRE(eval_calls(server) == 1);

    server.command({"SCRIPT", "FLUSH", "SYNC"});
    REQUIRE_FALSE(server_has(server, incrby));
    CHECK(redis.run_script(incrby, {"counter"}, {"1"}).as_integer() == 2);
    CHECK(eval_calls(server) == 2);  // the fallback ran
    CHECK(evalsha_calls(server) == 2);
    CHECK(server_has(server, incrby));

    CHECK(redis.run_script(incrby, {"counter"}, {"1"}).as_integer() == 3);
    CHECK(eval_calls(server) == 2);
    CHECK(evalsha_calls(server) == 3);
    CHECK(server.command({"GET", "counter"}) == "3");
    check_pool_invariants(redis);
}

TEST_CASE("scripts: after a server restart run_script still works, through EVAL", "[scripts]") {
    redis_server server;
    auto o = options_for(server);
    // A quick restart can beat the 10 ms after which a borrow checks an idle connection; the
    // dead one would then fail EVALSHA (outcome unknown, so not retried). Check every borrow.
    o.liveness_check_after = std::chrono::milliseconds(0);
    redpool::client redis(o);
    auto r = redis.run_script(echo_key_and_arg, {"before"}, {"1"});
    CHECK(r[0].as_string() == "before");
    REQUIRE(server_has(server, echo_key_and_arg));

    server.stop();
    server.start();
    REQUIRE_FALSE(server_has(server, echo_key_and_arg));  // a restart empties the cache
    r = redis.run_script(echo_key_and_arg, {"after"}, {"2"});
    REQUIRE(r.size() == 2);
    CHECK(r[0].as_string() == "after");
    CHECK(r[1].as_string() == "2");
    // The restarted server counts from zero: one NOSCRIPT, one EVAL.
    CHECK(evalsha_calls(server) == 1);
    CHECK(eval_calls(server) == 1);
    CHECK(server_has(server, echo_key_and_arg));
    check_pool_invariants(redis);
}

TEST_CASE("scripts: a script's error throws reply_error with its message, cached or not", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    const redpool::script returns_error("return redis.error_reply('MYERR custom message')");
    for (int attempt = 0; attempt < 2; ++attempt) {  // through EVAL, then through EVALSHA
        INFO("attempt " << attempt);
        auto e = expect_error<redpool::reply_error>([&] { redis.run_script(returns_error); });
        CHECK(e.prefix() == "MYERR");
        CHECK(std::string(e.what()) == "MYERR custom message");
        CHECK(e.code() == redpool::errc::server_error);
    }
    CHECK(eval_calls(server) == 1);
    CHECK(evalsha_calls(server) == 2);

    const redpool::script raises("error('boom')");
    auto raised = expect_error<redpool::reply_error>([&] { redis.run_script(raises); });
    CHECK(raised.prefix() == "ERR");
    CHECK(std::string(raised.what()).find("boom") != std::string::npos);

    // A script that does not compile: EVAL's compile error, not the NOSCRIPT before it.
    const redpool::script not_lua("this is not lua");
    auto compile = expect_error<redpool::reply_error>([&] { redis.run_script(not_lua); });
    CHECK(compile.prefix() == "ERR");
    CHECK(std::string(compile.what()).find("compil") != std::string::npos);

    server.command({"SET", "s", "text"});
    const redpool::script push("return redis.call('LPUSH', KEYS[1], 'x')");
    CHECK(expect_error<redpool::reply_error>([&] { redis.run_script(push, {"s"}); }).prefix() == "WRONGTYPE");
    CHECK(server.command({"GET", "s"}) == "text");

    CHECK(redis.run_script(incrby, {"n"}, {"4"}).as_integer() == 4);  // the client is fine after
    check_pool_invariants(redis);
}

TEST_CASE("scripts: concurrent callers of a flushed script all get their result", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    constexpr int threads = 8, calls = 200;
    std::atomic<int> failures{0};
    std::atomic<int> done{0};
    bool flushed_midway = false;
    {
        std::vector<std::jthread> callers;
        for (int t = 0; t < threads; ++t) {
            callers.emplace_back([&] {
                for (int i = 0; i < calls; ++i) {
                    try {
                        if (redis.run_script(incrby, {"counter"}, {"1"}).as_integer() < 1) ++failures;
                    } catch (...) {
                        ++failures;
                    }
                    ++done;
                }
            });
        }
        // Flush once the script is cached and in use, while calls are still to come.
        flushed_midway = eventually([&] { return done >= threads * calls / 4; });
        server.command({"SCRIPT", "FLUSH", "SYNC"});
        flushed_midway = flushed_midway && done < threads * calls;
    }
    REQUIRE(flushed_midway);
    CHECK(failures == 0);
    CHECK(server.command({"GET", "counter"}) == std::to_string(threads * calls));  // none ran twice
    CHECK(eval_calls(server) >= 2);  // the first call's, and at least one after the flush
    check_pool_invariants(redis);
}

// --- on a pinned connection -------------------------------------------------------------------

TEST_CASE("scripts: a pinned connection's run_script runs in its session, with the same fallback", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    const redpool::script set_key("return redis.call('SET', KEYS[1], ARGV[1])");
    {
        redpool::pinned c = redis.pin();
        REQUIRE(c.exec({"SELECT", "3"}).as_string() == "OK");
        CHECK(c.run_script(set_key, {"k"}, {"in-db-3"}).as_string() == "OK");
        CHECK(eval_calls(server) == 1);

        server.command({"SCRIPT", "FLUSH", "SYNC"});
        const std::vector<std::string_view> keys{"k2"};
        const std::vector<std::string_view> args{"also-3"};
        CHECK(c.run_script(set_key, keys, args).as_string() == "OK");
        CHECK(eval_calls(server) == 2);
        CHECK(evalsha_calls(server) == 2);
        CHECK(c.run_script(echo_key_and_arg, {"x"}, {"y"})[1].as_string() == "y");

        const redpool::script returns_error("return redis.error_reply('MYERR pinned')");
        auto e = expect_error<redpool::reply_error>([&] { c.run_script(returns_error); });
        CHECK(std::string(e.what()) == "MYERR pinned");
        CHECK(c.get("k") == "in-db-3");  // the connection is still usable, still in db 3
    }
    auto admin = server.admin();
    CHECK(admin.command({"EXISTS", "k"}) == "0");  // db 0
    admin.command({"SELECT", "3"});
    CHECK(admin.command({"GET", "k"}) == "in-db-3");
    CHECK(admin.command({"GET", "k2"}) == "also-3");
    admin.command({"FLUSHDB"});
    check_pool_invariants(redis);
}

// --- in pipelines and transactions -----------------------------------------------------------

TEST_CASE("scripts: a pipeline's run_script works after SCRIPT FLUSH", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    CHECK(redis.run_script(incrby, {"counter"}, {"1"}).as_integer() == 1);
    server.command({"SCRIPT", "FLUSH", "SYNC"});
    server.command({"CONFIG", "RESETSTAT"});

    redpool::pipeline p = redis.pipeline();
    p.set("a", "1");
    redpool::deferred<redpool::reply> first = p.run_script(incrby, {"counter"}, {"5"});
    redpool::deferred<redpool::reply> second = p.run_script(incrby, {"counter"}, {"10"});
    redpool::deferred<redpool::reply> other = p.run_script(echo_key_and_arg, {"k"}, {"v"});
    redpool::deferred<std::optional<std::string>> read = p.get("counter");
    CHECK(p.size() == 5);
    const std::vector<redpool::reply> replies = p.exec();
    CHECK(replies.size() == 5);  // the scripts' loads are not among the replies
    CHECK(first.get().as_integer() == 6);
    CHECK(second.get().as_integer() == 16);
    CHECK(other.get()[1].as_string() == "v");
    CHECK(read.get() == "16");
    // As documented: one SCRIPT LOAD per distinct script, then EVALSHA; no NOSCRIPT, no EVAL.
    CHECK(command_calls(server, "script|load") == 2);
    CHECK(command_calls(server, "evalsha") == 3);
    CHECK(eval_calls(server) == 0);
    CHECK(server.command({"GET", "counter"}) == "16");

    // Reused, with the script cached now and a script error among good commands.
    const redpool::script returns_error("return redis.error_reply('MYERR in pipeline')");
    auto bad = p.run_script(returns_error);
    auto good = p.run_script(incrby, {"counter"}, {"1"});
    CHECK(p.exec().size() == 2);
    CHECK(std::string(expect_error<redpool::reply_error>([&] { bad.get(); }).what()) == "MYERR in pipeline");
    CHECK(good.get().as_integer() == 17);
    check_pool_invariants(redis);
}

TEST_CASE("scripts: a transaction's run_script works after SCRIPT FLUSH", "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    CHECK(redis.run_script(incrby, {"counter"}, {"1"}).as_integer() == 1);
    server.command({"SCRIPT", "FLUSH", "SYNC"});
    REQUIRE_FALSE(server_has(server, incrby));

    redpool::transaction tx = redis.transaction();
    redpool::deferred<redpool::reply> added = tx.run_script(incrby, {"counter"}, {"5"});
    redpool::deferred<redpool::reply> echoed = tx.run_script(echo_key_and_arg, {"k"}, {"v"});
    redpool::deferred<long long> incremented = tx.incr("counter");
    CHECK(tx.size() == 3);
    const std::vector<redpool::reply> replies = tx.exec();
    REQUIRE(replies.size() == 3);
    CHECK(added.get().as_integer() == 6);
    CHECK(echoed.get()[0].as_string() == "k");
    CHECK(incremented.get() == 7);
    CHECK(server.command({"GET", "counter"}) == "7");
    CHECK(server_has(server, incrby));
    CHECK(server_has(server, echo_key_and_arg));
    check_pool_invariants(redis);
}

TEST_CASE("scripts: a script the server will not load fails its own command in a batch, with the compile error",
          "[scripts]") {
    auto& server = scripts_server();
    redpool::client redis(options_for(server));
    const redpool::script broken("return this is not lua");
    SECTION("pipeline") {
        auto p = redis.pipeline();
        auto before = p.incr("counter");
        auto bad = p.run_script(broken, {"k"}, {});
        auto good = p.run_script(incrby, {"counter"}, {"2"});
        auto bad_again = p.run_script(broken);
        const auto replies = p.exec();
        REQUIRE(replies.size() == 4);
        CHECK(replies[1].is_error());
        CHECK(replies[1].as_string().find("Error compiling script") != std::string::npos);
        CHECK(before.get() == 1);
        for (auto* d : {&bad, &bad_again}) {
            const auto e = expect_error<redpool::reply_error>([&] { d->get(); });
            CHECK(e.prefix() == "ERR");  // not NOSCRIPT
            CHECK(std::string(e.what()).find("Error compiling script") != std::string::npos);
        }
        CHECK(good.get().as_integer() == 3);
    }
    SECTION("transaction") {
        auto tx = redis.transaction();
        auto bad = tx.run_script(broken);
        auto good = tx.run_script(incrby, {"counter"}, {"2"});
        const auto replies = tx.exec();
        REQUIRE(replies.size() == 2);
        const auto e = expect_error<redpool::reply_error>([&] { bad.get(); });
        CHECK(std::string(e.what()).find("Error compiling script") != std::string::npos);
        CHECK(good.get().as_integer() == 2);
    }
    SECTION("transaction with commands answered without the server before it") {
        // The k-th command sent is not the k-th queued: the compile error must still land on
        // the script's own command.
        const std::vector<std::string_view> none;
        auto tx = redis.transaction();
        auto removed = tx.del(none);
        auto bad = tx.run_script(broken);
        auto also_removed = tx.del(none);
        auto good = tx.run_script(incrby, {"counter"}, {"2"});
        const auto replies = tx.exec();
        REQUIRE(replies.size() == 4);
        CHECK(replies[0].is_nil());
        CHECK(replies[1].as_string().find("Error compiling script") != std::string::npos);
        CHECK(replies[2].is_nil());
        CHECK(replies[3].as_integer() == 2);
        CHECK(removed.get() == 0);
        CHECK(also_removed.get() == 0);
        CHECK(expect_error<redpool::reply_error>([&] { bad.get(); }).prefix() == "ERR");
        CHECK(good.get().as_integer() == 2);
    }
    CHECK_FALSE(server_has(server, broken));
    check_pool_invariants(redis);
}

TEST_CASE("scripts: running out of memory in a pipeline's run_script queues the call whole or not at all",
          "[scripts][pipeline]") {
    redpool::client redis(options_for(shared_server()));
    const std::string key = "scripts_test:oom";
    const redpool::script add_one("return redis.call('INCRBY', KEYS[1], 1)");
    int failures = 0;
    for (long n = 0;; ++n) {
        INFO("allocation " << n << " fails");
        auto p = redis.pipeline();
        (void)p.set(key, "0");
        const bool threw = redpool::test::with_allocation_failing(n, [&] { (void)p.run_script(add_one, {key}); });
        // The caller was told the script call is queued, or that nothing is: no reply beyond
        // what it expects, and the script ran only if it was queued.
        REQUIRE(p.size() == (threw ? 1u : 2u));
        const auto replies = p.exec();
        REQUIRE(replies.size() == (threw ? 1u : 2u));
        CHECK(redis.get(key) == (threw ? "0" : "1"));
        if (!threw) {
            CHECK(replies[1].as_integer() == 1);
            break;
        }
        ++failures;
    }
    CHECK(failures >= 3);  // the EVALSHA, its deferred, and the SCRIPT LOAD allocate
    check_pool_invariants(redis);
}
