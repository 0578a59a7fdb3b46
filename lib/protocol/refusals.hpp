// What some of the server's error replies mean, for the layers that must react to them: the
// handshake (net) and the retry policy (commands, client).
#pragma once

#include <string_view>

namespace redpool::detail {

/// Whether the server refused the connection for max clients; it then closes the connection.
inline bool is_max_clients_reply(std::string_view message) noexcept {
    return message.starts_with("ERR max number of clients reached");
}

}  // namespace redpool::detail
