// cluster_options: validation and the URL form (redis://host:port?addr=...&addr=...), whose
// cluster keys are taken out before the rest goes to options::from_url.
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "lib/cluster/slot_map.hpp"
#include "redpool/cluster_client.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {

[[noreturn]] void bad(std::string message) { throw error(errc::invalid_argument, std::move(message)); }

bool parse_bool(std::string_view key, std::string_view value) {
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    bad(fmt::format("cluster URL: bad value {:?} for {:?} (expected true, false, 1 or 0)", value, key));
}

}  // namespace

void cluster_options::validate() const {
    if (addrs.empty()) bad("cluster_options: no seed address (addrs is empty)");
    for (const std::string& a : addrs) detail::parse_node_address(a, "cluster_options: seed");
    if (!node.path.empty()) bad("cluster_options: node.path is set, but cluster nodes are reached over TCP");
    if (!node.sentinel_master.empty()) bad("cluster_options: node.sentinel_master is set, but a cluster has no sentinels");
    if (node.db != 0) bad(fmt::format("cluster_options: node.db is {}, but a cluster has only db 0", node.db));
    if (max_redirects < 0) bad(fmt::format("cluster_options: max_redirects {} is negative", max_redirects));
    if (route_by_latency && !read_from_replicas) bad("cluster_options: route_by_latency needs read_from_replicas");
    options check = node;  // the node options as each pool gets them
    const auto first = detail::parse_node_address(addrs.front(), "cluster_options: seed");
    check.host = first.host;
    check.port = first.port;
    check.validate();
}

cluster_options cluster_options::from_url(std::string_view url) {
    const std::size_t question = url.find('?');
    std::string_view query = question == std::string_view::npos ? "" : url.substr(question + 1);
    std::string rest(url.substr(0, question));  // what options::from_url reads
    cluster_options o;
    bool first_param = true;
    bool seen_redirects = false, seen_replicas = false, seen_latency = false;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
        const std::size_t equals = pair.find('=');
        const std::string_view key = pair.substr(0, equals);
        const std::string_view value = equals == std::string_view::npos ? "" : pair.substr(equals + 1);
        auto once = [&](bool& seen) {
            if (seen) bad(fmt::format("cluster URL: option {:?} given twice", key));
            seen = true;
        };
        if (key == "addr") {
            detail::parse_node_address(value, "cluster URL: addr");
            o.addrs.emplace_back(value);
        } else if (key == "max_redirects") {
            once(seen_redirects);
            try {
                std::size_t used = 0;
                o.max_redirects = std::stoi(std::string(value), &used);
                if (used != value.size()) throw std::invalid_argument("trailing");
            } catch (const std::exception&) {
                bad(fmt::format("cluster URL: bad value {:?} for \"max_redirects\" (expected an integer)", value));
            }
        } else if (key == "read_from_replicas") {
            once(seen_replicas);
            o.read_from_replicas = parse_bool(key, value);
        } else if (key == "route_by_latency") {
            once(seen_latency);
            o.route_by_latency = parse_bool(key, value);
        } else if (!pair.empty()) {
            rest += first_param ? '?' : '&';
            rest += pair;
            first_param = false;
        }
    }
    o.node = options::from_url(rest);
    // The URL's own host and port are the first seed.
    o.addrs.insert(o.addrs.begin(), detail::node_address(o.node.host, o.node.port).name);
    o.validate();
    return o;
}

}  // namespace redpool
