#include "lib/cluster/slot_map.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

[[noreturn]] void bad_shape(std::string_view what) {
    throw error(errc::protocol_error, fmt::format("CLUSTER SLOTS: unexpected reply ({})", what));
}

// One node of a range: [endpoint, port, id, metadata] (Redis 7; older servers send fewer).
node_address node_of(const reply& entry, std::string_view seed_host) {
    if (!entry.is_array() || entry.size() < 2 || !entry[0].is_string() || !entry[1].is_integer()) {
        bad_shape("a node is not [host, port, ...]");
    }
    std::string host(entry[0].as_string());
    // No address of its own yet, or an unknown hostname: the host that answered is the best
    // guess for the former; the latter ("?") is kept, and fails to dial with its name.
    if (host.empty()) host = std::string(seed_host);
    const long long port = entry[1].as_integer();
    if (port <= 0 || port > 65535) bad_shape("a port out of range");
    return node_address(std::move(host), static_cast<int>(port));
}

}  // namespace

slot_map::slot_map(std::vector<range> ranges) : ranges_(std::move(ranges)) {
    std::sort(ranges_.begin(), ranges_.end(), [](const range& a, const range& b) { return a.first < b.first; });
}

slot_map slot_map::from_cluster_slots(const reply& slots, std::string_view seed_host) {
    if (!slots.is_array()) bad_shape("not an array");
    std::vector<range> ranges;
    ranges.reserve(slots.size());
    for (const reply& entry : slots.elements()) {
        if (!entry.is_array() || entry.size() < 3 || !entry[0].is_integer() || !entry[1].is_integer()) {
            bad_shape("a range is not [first, last, master, replicas...]");
        }
        range r;
        r.first = static_cast<int>(entry[0].as_integer());
        r.last = static_cast<int>(entry[1].as_integer());
        if (r.first < 0 || r.last < r.first || r.last > 16383) bad_shape("a slot range out of bounds");
        r.master = node_of(entry[2], seed_host);
        for (std::size_t i = 3; i < entry.size(); ++i) r.replicas.push_back(node_of(entry[i], seed_host));
        ranges.push_back(std::move(r));
    }
    slot_map map(std::move(ranges));
    for (std::size_t i = 1; i < map.ranges_.size(); ++i) {
        if (map.ranges_[i].first <= map.ranges_[i - 1].last) bad_shape("overlapping slot ranges");
    }
    return map;
}

const slot_map::range* slot_map::search(int slot) const noexcept {
    // The last range starting at or before `slot`; it holds it if it reaches that far.
    auto after = std::upper_bound(ranges_.begin(), ranges_.end(), slot,
                                  [](int s, const range& r) { return s < r.first; });
    if (after == ranges_.begin()) return nullptr;
    const range& r = *std::prev(after);
    return slot <= r.last ? &r : nullptr;
}

std::vector<node_address> slot_map::masters() const {
    std::vector<node_address> out;
    for (const range& r : ranges_) {
        if (std::find(out.begin(), out.end(), r.master) == out.end()) out.push_back(r.master);
    }
    return out;
}

std::vector<node_address> slot_map::nodes() const {
    std::vector<node_address> out = masters();
    for (const range& r : ranges_) {
        for (const node_address& n : r.replicas) {
            if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
        }
    }
    return out;
}

int slot_map::covered_slots() const noexcept {
    int n = 0;
    for (const range& r : ranges_) n += r.last - r.first + 1;
    return n;
}

}  // namespace redpool::detail
