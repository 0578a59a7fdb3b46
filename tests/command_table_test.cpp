// The command table without a server: what each command does to a pooled connection, blocking
// commands' read deadlines (saturating, never overflowing), and "not executed" replies.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lib/commands/command_table.hpp"

using namespace std::chrono_literals;
using redpool::detail::block_timeout;
using redpool::detail::command_info_of;
using redpool::detail::is_not_executed_reply;
using redpool::detail::needs_own_connection;
using redpool::detail::read_timeout_for;
using redpool::detail::reply_count;
using redpool::detail::session_effect;
using std::chrono::milliseconds;

namespace {

const redpool::detail::command_info& info(std::vector<std::string_view> args) {
    return command_info_of(args);
}

milliseconds timeout_of(std::vector<std::string_view> args, milliseconds read_timeout = 3000ms) {
    return read_timeout_for(command_info_of(args), args, read_timeout);
}

}  // namespace

TEST_CASE("command table: ordinary commands get one reply and leave the session alone", "[commands]") {
    for (auto name : {"GET", "set", "Incr", "HGET", "CLIENT", "XADD", "ZRANGEBYSCORE"}) {
        INFO(name);
        const auto& c = info({name, "k"});
        CHECK(c.replies == reply_count::one);
        CHECK(c.effect == session_effect::none);
        CHECK(c.timeout == block_timeout::not_blocking);
        CHECK(c.error_may_mean_not_executed);
        CHECK_FALSE(needs_own_connection(c));
    }
    CHECK(info({}).effect == session_effect::none);
    CHECK(info({""}).effect == session_effect::none);
    CHECK(info({"@UTH"}).effect == session_effect::none);  // not a letter: never in the table
    CHECK(info({"AUTX"}).effect == session_effect::none);  // a length and first letter it has
    CHECK(info({"A-COMMAND-NAME-LONGER-THAN-ANY-IN-THE-TABLE"}).effect == session_effect::none);
}

TEST_CASE("command table: session commands are matched in any case, subcommands included", "[commands]") {
    for (auto args : std::vector<std::vector<std::string_view>>{
             {"SELECT", "1"}, {"select", "1"}, {"MULTI"}, {"Watch", "k"}, {"AUTH", "pw"},
             {"READONLY"}, {"readwrite"}, {"ASKING"}, {"CLIENT", "SETNAME", "x"},
             {"client", "tracking", "on"}, {"CLIENT", "No-Evict", "on"}, {"CLIENT", "CACHING", "yes"},
             {"CLIENT", "KILL", "ID", "7"}, {"script", "debug", "yes"}}) {
        INFO(args[0]);
        CHECK(info(args).effect == session_effect::changed);
        CHECK_FALSE(needs_own_connection(info(args)));
    }
    CHECK(info({"CLIENT", "LIST"}).effect == session_effect::none);
    CHECK(info({"SCRIPT", "FLUSH"}).effect == session_effect::none);
    CHECK(info({"CLIENT"}).effect == session_effect::none);
}

TEST_CASE("command table: commands with several replies or that take a connection over need their own",
          "[commands]") {
    for (auto args : std::vector<std::vector<std::string_view>>{
             {"UNSUBSCRIBE", "a", "b"}, {"punsubscribe"}, {"SUnsubscribe", "s"}, {"SUBSCRIBE", "a"},
             {"psubscribe", "a*"}, {"SSUBSCRIBE", "s"}, {"MONITOR"}, {"CLIENT", "REPLY", "OFF"},
             {"client", "reply", "skip"}, {"SYNC"}, {"PSYNC", "?", "-1"}}) {
        INFO(args[0]);
        CHECK(info(args).replies == reply_count::several);
        CHECK(needs_own_connection(info(args)));
    }
    for (auto args : std::vector<std::vector<std::string_view>>{{"QUIT"}, {"reset"}, {"HELLO", "3"}}) {
        INFO(args[0]);
        CHECK(info(args).effect == session_effect::taken_over);
        CHECK(needs_own_connection(info(args)));
    }
}

TEST_CASE("command table: scripts' and EXEC's error replies never mean 'not executed'", "[commands]") {
    for (auto name : {"EVAL", "evalsha", "EVAL_RO", "EVALSHA_RO", "FCALL", "fcall_ro", "EXEC"}) {
        INFO(name);
        CHECK_FALSE(info({name}).error_may_mean_not_executed);
    }
}

TEST_CASE("command table: blocking commands wait their block time plus read_timeout", "[commands]") {
    CHECK(timeout_of({"BLPOP", "a", "b", "5"}) == 9000ms);
    CHECK(timeout_of({"brpop", "a", "0.5"}) == 4500ms);
    CHECK(timeout_of({"BRPOPLPUSH", "a", "b", "1"}) == 5000ms);
    CHECK(timeout_of({"BLMOVE", "a", "b", "LEFT", "RIGHT", "2"}) == 6000ms);
    CHECK(timeout_of({"BZPOPMIN", "z", "1.5"}) == 5500ms);
    CHECK(timeout_of({"BZPOPMAX", "z", "1"}) == 5000ms);
    // Whatever Redis's strtold reads as seconds.
    CHECK(timeout_of({"BLPOP", "a", "+5"}) == 9000ms);
    CHECK(timeout_of({"BLPOP", "a", "5e-1"}) == 4500ms);
    CHECK(timeout_of({"BLPOP", "a", "0x1p3"}) == 12000ms);
    CHECK(timeout_of({"BLMPOP", "2", "1", "a", "LEFT"}) == 6000ms);  // timeout first
    CHECK(timeout_of({"BZMPOP", "0.25", "1", "z", "MIN"}) == 4250ms);
    CHECK(timeout_of({"WAIT", "1", "500"}) == 4500ms);  // milliseconds
    CHECK(timeout_of({"WAITAOF", "1", "0", "250"}) == 4250ms);
    CHECK(timeout_of({"XREAD", "COUNT", "1", "BLOCK", "700", "STREAMS", "s", "$"}) == 4700ms);
    CHECK(timeout_of({"XREADGROUP", "GROUP", "g", "c", "block", "100", "STREAMS", "s", ">"}) == 4100ms);
    // Group and consumer names are names, even BLOCK and STREAMS.
    CHECK(timeout_of({"XREADGROUP", "GROUP", "STREAMS", "BLOCK", "BLOCK", "100", "STREAMS", "s", ">"}) == 4100ms);
    // Not blocking after all, or malformed: the ordinary read timeout.
    CHECK(timeout_of({"XREAD", "STREAMS", "BLOCK", "$"}) == 3000ms);
    CHECK(timeout_of({"XREAD", "COUNT", "1", "STREAMS", "s", "$"}) == 3000ms);
    CHECK(timeout_of({"BLPOP", "a", "soon"}) == 3000ms);
    CHECK(timeout_of({"BLPOP", "a", "-1"}) == 3000ms);
    CHECK(timeout_of({"BLPOP", "a", "nan"}) == 3000ms);
    CHECK(timeout_of({"BLPOP", "a", " 5"}) == 3000ms);  // Redis refuses leading space
    CHECK(timeout_of({"BLPOP", "a", "5 "}) == 3000ms);
    CHECK(timeout_of({"BLPOP"}) == 3000ms);
}

TEST_CASE("command table: blocking forever, or without a read timeout, has no deadline", "[commands]") {
    CHECK(timeout_of({"BLPOP", "k", "0"}) == 0ms);
    CHECK(timeout_of({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}) == 0ms);
    CHECK(timeout_of({"BLPOP", "k", "5"}, 0ms) == 0ms);
}

TEST_CASE("command table: huge block times saturate instead of overflowing", "[commands]") {
    CHECK(timeout_of({"BLPOP", "k", "1e10"}) == milliseconds(10'000'000'000'000LL + 4000));
    CHECK(timeout_of({"BLPOP", "k", "1e300"}) == milliseconds::max());
    CHECK(timeout_of({"BLPOP", "k", "inf"}) == milliseconds::max());
    CHECK(timeout_of({"WAIT", "1", "9223372036854775807"}) == milliseconds::max());
    CHECK(timeout_of({"BLPOP", "k", "1"}, milliseconds::max()) == milliseconds::max());
}

TEST_CASE("command table: 'not executed' replies are recognised by their first word", "[commands]") {
    for (auto m : {"LOADING Redis is loading the dataset in memory", "MASTERDOWN Link with MASTER is down",
                   "TRYAGAIN Multiple keys request during rehashing of slot",
                   "READONLY You can't write against a read only replica.",
                   "CLUSTERDOWN The cluster is down", "NOREPLICAS Not enough good replicas to write.",
                   "ERR max number of clients reached"}) {
        INFO(m);
        CHECK(is_not_executed_reply(m));
    }
    for (auto m : {"ERR unknown command", "WRONGTYPE Operation against a key", "LOADINGX",
                   "MOVED 3999 127.0.0.1:6381", "EXECABORT Transaction discarded", ""}) {
        INFO(m);
        CHECK_FALSE(is_not_executed_reply(m));
    }
}
