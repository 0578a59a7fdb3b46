// The shapes of what sentinels say: where a master is, which replicas are healthy, and the
// +switch-master announcement of a failover.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net/node_address.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

/// SENTINEL GET-MASTER-ADDR-BY-NAME's answer: ["ip", "port"], or nil for a name the sentinel
/// does not monitor (then nullopt). Throws `errc::protocol_error` for any other shape.
std::optional<node_address> master_address_of(const reply& r);

/// SENTINEL REPLICAS's answer (one flat field/value array per replica): the replicas fit to
/// serve reads: those whose flags name none of s_down, o_down and disconnected (as go-redis;
/// sentinels refresh a replica's link status only every 10 s, too late to judge by).
/// Throws `errc::protocol_error` for a reply of another shape.
std::vector<node_address> healthy_replicas_of(const reply& r);

/// A failover as announced on a sentinel's `+switch-master` channel.
struct master_switch {
    std::string master_name;
    node_address from;
    node_address to;
};

/// Parses the payload "<name> <old-ip> <old-port> <new-ip> <new-port>"; nullopt if malformed.
std::optional<master_switch> parse_switch_master(std::string_view payload);

/// Parses a `+promoted-slave` payload, "slave <ip:port> <ip> <port> @ <name> <master-ip>
/// <master-port>": the replica a failover has just made master, about a tenth of a second
/// before `+switch-master` (the sentinel first reconfigures the other replicas). From then on
/// a write the old master takes is lost. nullopt if malformed.
std::optional<master_switch> parse_promoted_replica(std::string_view payload);

}  // namespace redpool::detail
