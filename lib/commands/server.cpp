// The connection and server commands: PING, ECHO, DBSIZE, FLUSHDB, INFO and the rest.
#include "redpool/cmd/server.hpp"

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"

namespace redpool::cmd {
namespace {

void expect_ok(reply&& r) {
    if (!r.is_status() || r.as_string() != "OK") throw_unexpected_reply(r, "OK");
}

std::string pong(reply&& r) {
    if (!r.is_status() || r.as_string() != "PONG") throw_unexpected_reply(r, "PONG");
    return r.take_string();
}

}  // namespace

command<std::string> ping() { return command<std::string>({"PING"}, &pong); }
command<std::string> echo(std::string_view message) { return {"ECHO", message}; }
command<long long> dbsize() { return {"DBSIZE"}; }

command<void> flushdb(bool async) {
    if (async) return command<void>({"FLUSHDB", "ASYNC"}, &expect_ok);
    return command<void>({"FLUSHDB"}, &expect_ok);
}

command<std::string> info(std::string_view section) {
    if (section.empty()) return {"INFO"};
    return {"INFO", section};
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_server_commands(command_registry& r) {
    r.add(cmd::ping());
    r.add(cmd::echo("m"));
    r.add(cmd::dbsize());
    r.add(cmd::flushdb());
    r.add(cmd::info());
}

}  // namespace redpool::detail
