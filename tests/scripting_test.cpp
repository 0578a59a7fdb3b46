// redpool::client's scripting commands (EVAL, EVALSHA and their read-only forms, SCRIPT
// LOAD/EXISTS/FLUSH/KILL) and functions (FCALL, FCALL_RO, FUNCTION LOAD/LIST/DELETE/DUMP/
// RESTORE/FLUSH/STATS/KILL) against a real redis-server. FLUSHALL keeps scripts and libraries,
// so every test case empties both first.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::errc;
using redpool::flush_mode;
using redpool::function_restore_policy;
using redpool::test::check_pool_invariants;
using redpool::test::config_guard;
using redpool::test::eventually;
using redpool::test::expect_error;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::shared_server;

namespace {

constexpr std::string_view mylib =
    "#!lua name=mylib\n"
    "redis.register_function('myfunc', function(keys, args) return args[1] end)";

constexpr std::string_view otherlib =
    "#!lua name=otherlib\n"
    "redis.register_function{function_name='reader', flags={'no-writes'}, description='reads a key',\n"
    "    callback=function(keys, args) return redis.call('GET', keys[1]) end}\n"
    "redis.register_function('writer', function(keys, args) return redis.call('SET', keys[1], args[1]) end)";

// The SHA1 of "return 1", as SCRIPT LOAD and redis.sha1hex compute it.
constexpr std::string_view return_1_sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
constexpr std::string_view unknown_sha = "0000000000000000000000000000000000000000";

redis_server& scripting_server() {
    auto& server = shared_server();
    server.command({"FUNCTION", "FLUSH", "SYNC"});
    server.command({"SCRIPT", "FLUSH", "SYNC"});
    return server;
}

const redpool::function_library* find_library(const std::vector<redpool::function_library>& libs,
                                              std::string_view name) {
    auto it = std::find_if(libs.begin(), libs.end(), [&](const auto& l) { return l.library_name == name; });
    return it == libs.end() ? nullptr : &*it;
}

std::vector<std::string> library_names(const std::vector<redpool::function_library>& libs) {
    std::vector<std::string> out;
    for (const auto& l : libs) out.push_back(l.library_name);
    std::sort(out.begin(), out.end());
    return out;
}

// A script that spins until it is killed, run on a thread. The server is made to report it
// (and accept a kill) after 50 ms instead of 5 s. On scope exit whatever still runs is killed
// and the threshold restored, so a failed check never leaves the shared server busy.
class spinning_call {
public:
    spinning_call(const redis_server& server, std::function<void()> call)
        : server_(server), threshold_(server, "busy-reply-threshold", "50") {
        thread_ = std::thread([this, call = std::move(call)] {
            try {
                call();
            } catch (const redpool::reply_error& e) {
                error_ = e;
            } catch (const std::exception& e) {
                other_failure_ = e.what();
            }
            done_ = true;
        });
    }
    spinning_call(const spinning_call&) = delete;
    spinning_call& operator=(const spinning_call&) = delete;
    ~spinning_call() {
        eventually([this] {
            if (done_) return true;
            server_.command({"SCRIPT", "KILL"});
            server_.command({"FUNCTION", "KILL"});
            return done_.load();
        }, 10s);
        if (thread_.joinable()) thread_.join();
    }

    /// Waits for the call to end; then the error it ended with, if it was a server error.
    const std::optional<redpool::reply_error>& join() {
        thread_.join();
        INFO(other_failure_);
        CHECK(other_failure_.empty());
        return error_;
    }

private:
    const redis_server& server_;
    config_guard threshold_;  // restored after the destructor has joined the thread
    std::thread thread_;
    std::atomic<bool> done_{false};
    std::optional<redpool::reply_error> error_;
    std::string other_failure_;
};

}  // namespace

// --- EVAL and its replies ------------------------------------------------------------------------

TEST_CASE("scripting: eval returns each kind of reply as it is", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));

    auto integer = redis.eval("return 42");
    REQUIRE(integer.is_integer());
    CHECK(integer.as_integer() == 42);
    auto truncated = redis.eval("return 3.99");  // Lua numbers become integers, truncated
    REQUIRE(truncated.is_integer());
    CHECK(truncated.as_integer() == 3);
    auto text = redis.eval("return 'text'");
    REQUIRE(text.is_string());
    CHECK(text.as_string() == "text");
    auto status = redis.eval("return redis.status_reply('FINE')");
    REQUIRE(status.is_status());
    CHECK(status.as_string() == "FINE");
    CHECK(redis.eval("return nil").is_nil());
    CHECK(redis.eval("return false").is_nil());
    auto yes = redis.eval("return true");
    REQUIRE(yes.is_integer());
    CHECK(yes.as_integer() == 1);

    auto empty = redis.eval("return {}");
    CHECK(empty.is_array());
    CHECK(empty.size() == 0);
    auto nested = redis.eval("return {1, 'two', {3, 'four'}, redis.status_reply('OK')}");
    REQUIRE(nested.size() == 4);
    CHECK(nested[0].as_integer() == 1);
    CHECK(nested[1].as_string() == "two");
    REQUIRE(nested[2].size() == 2);
    CHECK(nested[2][0].as_integer() == 3);
    CHECK(nested[2][1].as_string() == "four");
    CHECK(nested[3].is_status());
    // An error inside an array is data, not an exception.
    auto inner_error = redis.eval("return {1, redis.error_reply('INNER oops')}");
    REQUIRE(inner_error.size() == 2);
    REQUIRE(inner_error[1].is_error());
    CHECK(inner_error[1].as_string() == "INNER oops");
    check_pool_invariants(redis);
}

TEST_CASE("scripting: eval passes keys and args, and its reply reads as any type", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    auto r = redis.eval("return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", {"k1", "k2"}, {"a1"});
    REQUIRE(r.size() == 5);
    CHECK(r[0].as_string() == "k1");
    CHECK(r[1].as_string() == "k2");
    CHECK(r[2].as_string() == "a1");
    CHECK(r[3].as_integer() == 2);
    CHECK(r[4].as_integer() == 1);

    const std::vector<std::string_view> keys{"x", "y", "z"};
    const std::vector<std::string_view> args{"1", "2"};
    CHECK(redis.eval("return #KEYS * 10 + #ARGV", keys, args).as_integer() == 32);
    CHECK(redis.eval("return #KEYS", keys).as_integer() == 3);
    CHECK(redis.eval("return #ARGV", {}, {"only", "args"}).as_integer() == 2);

    // Typed results: read the reply, or run a command of one's own.
    CHECK(redpool::from_reply<long long>(redis.eval("return #KEYS", {"a", "b"})) == 2);
    CHECK(redpool::from_reply<std::vector<std::string>>(redis.eval("return ARGV", {}, {"p", "q"})) ==
          std::vector<std::string>{"p", "q"});
    CHECK(redis.run(redpool::command<long long>({"EVAL", "return 7", "0"})) == 7);

    // Scripts write through keys.
    CHECK(redis.eval("return redis.call('SET', KEYS[1], ARGV[1])", {"written"}, {"value"}).is_status());
    CHECK(server.command({"GET", "written"}) == "value");
    check_pool_invariants(redis);
}

TEST_CASE("scripting: an error a script returns or raises throws reply_error", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    auto returned = expect_error<redpool::reply_error>([&] { redis.eval("return redis.error_reply('MYERR custom')"); });
    CHECK(returned.prefix() == "MYERR");
    CHECK(std::string(returned.what()) == "MYERR custom");
    auto raised = expect_error<redpool::reply_error>([&] { redis.eval("error('boom')"); });
    CHECK(raised.prefix() == "ERR");
    CHECK(std::string(raised.what()).find("boom") != std::string::npos);
    auto compile = expect_error<redpool::reply_error>([&] { redis.eval("this is not lua"); });
    CHECK(compile.prefix() == "ERR");

    server.command({"SET", "s", "v"});
    auto wrongtype = expect_error<redpool::reply_error>([&] { redis.eval("return redis.call('LPUSH', KEYS[1], 'x')", {"s"}); });
    CHECK(wrongtype.prefix() == "WRONGTYPE");
    auto pcall = expect_error<redpool::reply_error>([&] { redis.eval("return redis.pcall('LPUSH', KEYS[1], 'x')", {"s"}); });
    CHECK(pcall.prefix() == "WRONGTYPE");
    CHECK(server.command({"GET", "s"}) == "v");
    // The connection is still good after each error.
    CHECK(redis.eval("return 1").as_integer() == 1);
    check_pool_invariants(redis);
}

TEST_CASE("scripting: binary data goes through script keys, args and replies unchanged", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    const std::string key("k\0ey", 4);
    const std::string value("\xff\xfe\0x", 4);
    auto r = redis.eval("redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1], string.len(ARGV[1])}",
                        {key}, {value});
    REQUIRE(r.size() == 3);
    CHECK(r[0].as_string() == key);
    CHECK(r[1].as_string() == value);
    CHECK(r[2].as_integer() == 4);
    CHECK(redis.get(key) == value);
    CHECK(server.command({"STRLEN", key}) == "4");
    // A NUL in the script's own text.
    auto literal = redis.eval("return 'a\\0b'");
    CHECK(literal.as_string() == std::string_view("a\0b", 3));
    check_pool_invariants(redis);
}

// --- the script cache ----------------------------------------------------------------------------

TEST_CASE("scripting: script_load, evalsha and script_exists; an unknown sha throws NOSCRIPT", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    CHECK(redis.script_exists({return_1_sha}) == std::vector<bool>{false});
    auto noscript = expect_error<redpool::reply_error>([&] { redis.evalsha(return_1_sha); });
    CHECK(noscript.prefix() == "NOSCRIPT");

    CHECK(redis.script_load("return 1") == return_1_sha);
    CHECK(redis.evalsha(return_1_sha).as_integer() == 1);
    const std::string sha = redis.script_load("return {KEYS[1], ARGV[1]}");
    CHECK(sha.size() == 40);
    auto r = redis.evalsha(sha, {"k"}, {"a"});
    REQUIRE(r.size() == 2);
    CHECK(r[1].as_string() == "a");
    const std::vector<std::string_view> keys{"k2"};
    CHECK(redis.evalsha(sha, keys)[0].as_string() == "k2");

    CHECK(redis.script_exists({return_1_sha, unknown_sha, sha}) == std::vector<bool>{true, false, true});
    const std::vector<std::string_view> shas{unknown_sha, return_1_sha};
    CHECK(redis.script_exists(shas) == std::vector<bool>{false, true});
    CHECK(redis.script_exists(std::span<const std::string_view>{}).empty());
    CHECK(server.command({"SCRIPT", "EXISTS", std::string(return_1_sha)}) == "1");
    check_pool_invariants(redis);
}

TEST_CASE("scripting: script_flush empties the cache, in each mode", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    for (flush_mode mode : {flush_mode::server_default, flush_mode::async, flush_mode::sync}) {
        REQUIRE(redis.script_load("return 1") == return_1_sha);
        REQUIRE(server.command({"SCRIPT", "EXISTS", std::string(return_1_sha)}) == "1");
        redis.script_flush(mode);
        CHECK(server.command({"SCRIPT", "EXISTS", std::string(return_1_sha)}) == "0");
        auto e = expect_error<redpool::reply_error>([&] { redis.evalsha(return_1_sha); });
        CHECK(e.prefix() == "NOSCRIPT");
    }
    check_pool_invariants(redis);
}

TEST_CASE("scripting: eval_ro and evalsha_ro read but refuse to write", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "k", "v"});
    CHECK(redis.eval_ro("return redis.call('GET', KEYS[1])", {"k"}).as_string() == "v");
    const std::vector<std::string_view> keys{"k"};
    CHECK(redis.eval_ro("return redis.call('GET', KEYS[1])", keys).as_string() == "v");
    auto refused = expect_error<redpool::reply_error>(
        [&] { redis.eval_ro("return redis.call('SET', KEYS[1], ARGV[1])", {"other"}, {"x"}); });
    CHECK(refused.prefix() == "ERR");
    CHECK(server.command({"EXISTS", "other"}) == "0");

    const std::string reader = redis.script_load("return redis.call('GET', KEYS[1])");
    const std::string writer = redis.script_load("return redis.call('SET', KEYS[1], ARGV[1])");
    CHECK(redis.evalsha_ro(reader, {"k"}).as_string() == "v");
    CHECK(redis.evalsha_ro(reader, keys).as_string() == "v");
    auto refused_sha = expect_error<redpool::reply_error>([&] { redis.evalsha_ro(writer, {"other"}, {"x"}); });
    CHECK(refused_sha.prefix() == "ERR");
    CHECK(server.command({"EXISTS", "other"}) == "0");
    auto noscript = expect_error<redpool::reply_error>([&] { redis.evalsha_ro(unknown_sha); });
    CHECK(noscript.prefix() == "NOSCRIPT");
    check_pool_invariants(redis);
}

TEST_CASE("scripting: script_kill stops a running script, and throws NOTBUSY when none runs", "[scripting]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    auto idle = expect_error<redpool::reply_error>([&] { redis.script_kill(); });
    CHECK(idle.prefix() == "NOTBUSY");

    spinning_call spin(server, [&] { redis.eval("while true do end"); });
    // NOTBUSY until the script has started; then the kill is accepted.
    CHECK(eventually(
        [&] {
            try {
                redis.script_kill();
                return true;
            } catch (const redpool::reply_error& e) {
                if (e.prefix() != "NOTBUSY") throw;
                return false;
            }
        },
        10s));
    const auto& killed = spin.join();
    REQUIRE(killed.has_value());
    CHECK(killed->prefix() == "ERR");
    CHECK(std::string(killed->what()).find("killed") != std::string::npos);
    CHECK(redis.eval("return 1").as_integer() == 1);
    check_pool_invariants(redis);
}

// --- functions -----------------------------------------------------------------------------------

TEST_CASE("functions: function_load, then fcall and fcall_ro call the functions", "[functions]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    auto missing = expect_error<redpool::reply_error>([&] { redis.fcall("myfunc", {}, {"x"}); });
    CHECK(missing.prefix() == "ERR");

    CHECK(redis.function_load(mylib) == "mylib");
    CHECK(redis.fcall("myfunc", {}, {"hello"}).as_string() == "hello");
    CHECK(redis.fcall("myfunc").is_nil());
    const std::vector<std::string_view> args{"from a span"};
    CHECK(redis.fcall("myfunc", std::span<const std::string_view>{}, args).as_string() == "from a span");

    // Loading a library of the same name again needs REPLACE.
    auto again = expect_error<redpool::reply_error>([&] { redis.function_load(mylib); });
    CHECK(again.prefix() == "ERR");
    CHECK(redis.function_load(mylib, true) == "mylib");
    auto broken = expect_error<redpool::reply_error>([&] { redis.function_load("#!lua name=bad\nthis is not lua"); });
    CHECK(broken.prefix() == "ERR");

    CHECK(redis.function_load(otherlib) == "otherlib");
    server.command({"SET", "k", "v"});
    CHECK(redis.fcall_ro("reader", {"k"}).as_string() == "v");
    const std::vector<std::string_view> keys{"k"};
    CHECK(redis.fcall_ro("reader", keys).as_string() == "v");
    // fcall_ro refuses a function without the no-writes flag.
    auto refused = expect_error<redpool::reply_error>([&] { redis.fcall_ro("writer", {"k"}, {"new"}); });
    CHECK(refused.prefix() == "ERR");
    CHECK(server.command({"GET", "k"}) == "v");
    CHECK(redis.fcall("writer", {"k"}, {"new"}).is_status());
    CHECK(server.command({"GET", "k"}) == "new");

    // Binary args and keys.
    const std::string binary("\xff\xfe\0z", 4);
    CHECK(redis.fcall("myfunc", {}, {binary}).as_string() == binary);
    const std::string key("b\0k", 3);
    redis.fcall("writer", {key}, {binary});
    CHECK(redis.get(key) == binary);
    check_pool_invariants(redis);
}

TEST_CASE("functions: function_list describes libraries, filters by name, and adds code on request", "[functions]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    CHECK(redis.function_list().empty());
    REQUIRE(redis.function_load(mylib) == "mylib");
    REQUIRE(redis.function_load(otherlib) == "otherlib");

    auto all = redis.function_list();
    CHECK(library_names(all) == std::vector<std::string>{"mylib", "otherlib"});
    const auto* my = find_library(all, "mylib");
    REQUIRE(my != nullptr);
    CHECK(my->engine == "LUA");
    CHECK_FALSE(my->code.has_value());
    REQUIRE(my->functions.size() == 1);
    CHECK(my->functions[0].name == "myfunc");
    CHECK(my->functions[0].description == std::nullopt);
    CHECK(my->functions[0].flags.empty());

    const auto* other = find_library(all, "otherlib");
    REQUIRE(other != nullptr);
    REQUIRE(other->functions.size() == 2);
    auto reader = std::find_if(other->functions.begin(), other->functions.end(),
                               [](const auto& f) { return f.name == "reader"; });
    REQUIRE(reader != other->functions.end());
    CHECK(reader->description == "reads a key");
    CHECK(reader->flags == std::vector<std::string>{"no-writes"});

    redpool::function_list_options filtered;
    filtered.library_name = "my*";
    CHECK(library_names(redis.function_list(filtered)) == std::vector<std::string>{"mylib"});
    filtered.with_code = true;
    auto with_code = redis.function_list(filtered);
    REQUIRE(with_code.size() == 1);
    CHECK(with_code[0].code == std::string(mylib));
    filtered.library_name = "nothing*";
    CHECK(redis.function_list(filtered).empty());
    check_pool_invariants(redis);
}

TEST_CASE("functions: function_delete and function_flush remove libraries", "[functions]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    REQUIRE(redis.function_load(mylib) == "mylib");
    REQUIRE(redis.function_load(otherlib) == "otherlib");
    redis.function_delete("mylib");
    CHECK(library_names(redis.function_list()) == std::vector<std::string>{"otherlib"});
    auto gone = expect_error<redpool::reply_error>([&] { redis.fcall("myfunc", {}, {"x"}); });
    CHECK(gone.prefix() == "ERR");
    auto unknown = expect_error<redpool::reply_error>([&] { redis.function_delete("mylib"); });
    CHECK(unknown.prefix() == "ERR");

    for (flush_mode mode : {flush_mode::server_default, flush_mode::async, flush_mode::sync}) {
        REQUIRE(redis.function_load(mylib, true) == "mylib");
        REQUIRE_FALSE(redis.function_list().empty());
        redis.function_flush(mode);
        CHECK(redis.function_list().empty());
        CHECK(server.command({"FUNCTION", "LIST"}) == "");
    }
    check_pool_invariants(redis);
}

TEST_CASE("functions: function_dump and function_restore round-trip under each policy", "[functions]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    REQUIRE(redis.function_load(mylib) == "mylib");
    const std::string payload = redis.function_dump();
    CHECK_FALSE(payload.empty());

    redis.function_flush();
    REQUIRE(redis.function_list().empty());
    redis.function_restore(payload);  // APPEND
    CHECK(library_names(redis.function_list()) == std::vector<std::string>{"mylib"});
    CHECK(redis.fcall("myfunc", {}, {"restored"}).as_string() == "restored");

    // APPEND refuses a library that exists; REPLACE takes it; FLUSH drops the others first.
    auto taken = expect_error<redpool::reply_error>([&] { redis.function_restore(payload, function_restore_policy::append); });
    CHECK(taken.prefix() == "ERR");
    REQUIRE(redis.function_load(otherlib) == "otherlib");
    redis.function_restore(payload, function_restore_policy::replace);
    CHECK(library_names(redis.function_list()) == std::vector<std::string>{"mylib", "otherlib"});
    redis.function_restore(payload, function_restore_policy::flush);
    CHECK(library_names(redis.function_list()) == std::vector<std::string>{"mylib"});

    auto garbage = expect_error<redpool::reply_error>([&] { redis.function_restore("not a payload"); });
    CHECK(garbage.prefix() == "ERR");
    CHECK(library_names(redis.function_list()) == std::vector<std::string>{"mylib"});
    check_pool_invariants(redis);
}

TEST_CASE("functions: function_stats counts libraries and functions; kills throw NOTBUSY when idle", "[functions]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    auto empty = redis.function_stats();
    CHECK_FALSE(empty.running_script.has_value());
    REQUIRE(empty.engines.size() == 1);
    CHECK(empty.engines[0].name == "LUA");
    CHECK(empty.engines[0].libraries_count == 0);
    CHECK(empty.engines[0].functions_count == 0);

    REQUIRE(redis.function_load(mylib) == "mylib");
    REQUIRE(redis.function_load(otherlib) == "otherlib");
    auto loaded = redis.function_stats();
    CHECK_FALSE(loaded.running_script.has_value());
    REQUIRE(loaded.engines.size() == 1);
    CHECK(loaded.engines[0].libraries_count == 2);
    CHECK(loaded.engines[0].functions_count == 3);

    auto idle = expect_error<redpool::reply_error>([&] { redis.function_kill(); });
    CHECK(idle.prefix() == "NOTBUSY");
    check_pool_invariants(redis);
}

TEST_CASE("functions: function_stats reports a running function and function_kill stops it", "[functions]") {
    auto& server = scripting_server();
    redpool::client redis(options_for(server));
    REQUIRE(redis.function_load("#!lua name=busy\n"
                                "redis.register_function{function_name='spin', flags={'no-writes'},\n"
                                "    callback=function(keys, args) while true do end end}") == "busy");

    spinning_call spin(server, [&] { redis.fcall("spin", {"k"}, {"a"}); });
    // Nothing is reported until the function runs (and has run past the threshold).
    std::optional<redpool::running_function> running;
    CHECK(eventually(
        [&] {
            running = redis.function_stats().running_script;
            return running.has_value();
        },
        10s));
    REQUIRE(running.has_value());
    CHECK(running->name == "spin");
    CHECK(running->command_args == std::vector<std::string>{"FCALL", "spin", "1", "k", "a"});
    CHECK(running->duration.count() > 0);

    redis.function_kill();
    const auto& killed = spin.join();
    REQUIRE(killed.has_value());
    CHECK(killed->prefix() == "ERR");
    CHECK(std::string(killed->what()).find("killed") != std::string::npos);
    CHECK_FALSE(redis.function_stats().running_script.has_value());
    check_pool_invariants(redis);
}
