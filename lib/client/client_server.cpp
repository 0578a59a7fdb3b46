// redpool::client's server commands: PING, ECHO, DBSIZE, FLUSHDB, INFO.
#include "lib/commands/reply_convert.hpp"
#include "redpool/client.hpp"
#include "redpool/error.hpp"

namespace redpool {

std::string client::ping() {
    reply r = command({"PING"});
    if (!r.is_status() || r.as_string() != "PONG") detail::unexpected_reply("PING", r, "PONG");
    return r.take_string();
}

std::string client::echo(std::string_view message) {
    return detail::to_string("ECHO", command({"ECHO", message}));
}

long long client::dbsize() { return detail::to_integer("DBSIZE", command({"DBSIZE"})); }

void client::flushdb(bool async) {
    reply r = async ? command({"FLUSHDB", "ASYNC"}) : command({"FLUSHDB"});
    detail::expect_ok("FLUSHDB", r);
}

std::string client::info(std::string_view section) {
    reply r = section.empty() ? command({"INFO"}) : command({"INFO", section});
    return detail::to_string("INFO", std::move(r));
}

}  // namespace redpool
