// detail::node_address — a server named "host:port", as cluster seeds, cluster redirections
// and sentinel addresses are written.
#pragma once

#include <string>
#include <string_view>

namespace redpool::detail {

/// A server as "host:port" (a cluster node, the key of its pool; a sentinel), with its parts.
struct node_address {
    std::string host;
    int port = 0;
    std::string name;  // "host:port"

    node_address() = default;
    node_address(std::string h, int p);
    friend bool operator==(const node_address& a, const node_address& b) noexcept { return a.name == b.name; }
};

/// Parses "host:port" (an IPv6 host in brackets, or not, before the last ':'). Throws
/// `errc::invalid_argument` naming `what` when it is not one.
node_address parse_node_address(std::string_view text, std::string_view what);

}  // namespace redpool::detail
