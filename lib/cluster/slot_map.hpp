// detail::slot_map — which node serves which hash slot, as CLUSTER SLOTS reported it: sorted,
// non-overlapping slot ranges, each with its master and replicas, looked up by binary search.
// Immutable once built: a refresh builds a new map and swaps it in whole.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net/node_address.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

class slot_map {
public:
    struct range {
        int first = 0;
        int last = 0;
        node_address master;
        std::vector<node_address> replicas;
    };

    slot_map() = default;
    explicit slot_map(std::vector<range> ranges);

    /// Builds the map from a CLUSTER SLOTS reply. A node that reports no address of its own
    /// (it has met no other node yet) is at `seed_host`, the host that answered. Throws
    /// `errc::protocol_error` for a reply of another shape.
    static slot_map from_cluster_slots(const reply& slots, std::string_view seed_host);

    /// The range holding `slot`, or nullptr when no node serves it. Every command asks: a few
    /// ranges (one per master, usually) are scanned, many searched.
    const range* find(int slot) const noexcept {
        if (ranges_.size() > 8) return search(slot);
        for (const range& r : ranges_) {
            if (slot >= r.first && slot <= r.last) return &r;
        }
        return nullptr;
    }
    bool empty() const noexcept { return ranges_.empty(); }
    std::span<const range> ranges() const noexcept { return ranges_; }
    /// Every master, once each, in slot order.
    std::vector<node_address> masters() const;
    /// Every node (masters and replicas), once each.
    std::vector<node_address> nodes() const;
    /// How many of the 16384 slots have a node.
    int covered_slots() const noexcept;

private:
    const range* search(int slot) const noexcept;

    std::vector<range> ranges_;  // sorted by first slot, not overlapping
};

}  // namespace redpool::detail
