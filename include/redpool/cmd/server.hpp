// redpool/cmd/server.hpp — connection and server commands: PING, ECHO, DBSIZE, FLUSHDB, INFO
// and the rest of the server's introspection and administration.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `server_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <string>
#include <string_view>

#include "redpool/command.hpp"

namespace redpool {
namespace cmd {

/// PING: "PONG".
command<std::string> ping();
/// ECHO: the message.
command<std::string> echo(std::string_view message);
/// DBSIZE: keys in the selected database.
command<long long> dbsize();
/// FLUSHDB (ASYNC when `async`).
command<void> flushdb(bool async = false);
/// INFO, optionally one section: the server's text as it is.
command<std::string> info(std::string_view section = {});

}  // namespace cmd

/// The connection and server commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class server_commands {
public:
    auto ping() { return run(cmd::ping()); }
    auto echo(std::string_view message) { return run(cmd::echo(message)); }
    auto dbsize() { return run(cmd::dbsize()); }
    auto flushdb(bool async = false) { return run(cmd::flushdb(async)); }
    auto info(std::string_view section = {}) { return run(cmd::info(section)); }

private:
    template <class T>
    auto run(const command<T>& c) {
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
