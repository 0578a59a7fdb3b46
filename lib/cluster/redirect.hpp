// detail::redirect — a cluster node's answer that the command belongs elsewhere: "MOVED <slot>
// <host>:<port>" (the slot has a new owner for good) or "ASK <slot> <host>:<port>" (the key is
// being migrated: ask the target once, after ASKING).
#pragma once

#include <optional>
#include <string_view>

#include "lib/cluster/slot_map.hpp"

namespace redpool::detail {

struct redirect {
    enum class kind { moved, ask } what = kind::moved;
    int slot = 0;
    node_address to;
};

/// The redirection in an error reply's text, or nothing when it is not one. An empty host
/// (a node that does not know its own address) means `current_host`.
std::optional<redirect> parse_redirect(std::string_view error_text, std::string_view current_host);

/// Whether the error says the cluster's layout is changing or broken (CLUSTERDOWN), so the map
/// is worth reading again.
bool is_cluster_down(std::string_view error_text) noexcept;

}  // namespace redpool::detail
