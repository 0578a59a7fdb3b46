#include "lib/sentinel/sentinel_replies.hpp"

#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

[[noreturn]] void bad_shape(std::string_view command, std::string_view what) {
    throw error(errc::protocol_error, fmt::format("{}: unexpected reply ({})", command, what));
}

std::optional<int> port_of(std::string_view text) {
    int port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port <= 0 || port > 65535) return std::nullopt;
    return port;
}

// The value of `field` in a flat [field, value, field, value, ...] array, or empty.
std::string_view field_of(const reply& fields, std::string_view field) {
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].is_string() && fields[i].as_string() == field && fields[i + 1].is_string()) {
            return fields[i + 1].as_string();
        }
    }
    return {};
}

bool has_flag(std::string_view flags, std::string_view flag) {
    while (!flags.empty()) {
        const auto comma = flags.find(',');
        if (flags.substr(0, comma) == flag) return true;
        flags = comma == std::string_view::npos ? "" : flags.substr(comma + 1);
    }
    return false;
}

}  // namespace

std::optional<node_address> master_address_of(const reply& r) {
    constexpr std::string_view command = "SENTINEL GET-MASTER-ADDR-BY-NAME";
    if (r.is_nil()) return std::nullopt;
    if (!r.is_array() || r.size() != 2 || !r[0].is_string() || !r[1].is_string()) {
        bad_shape(command, "not [ip, port]");
    }
    const auto port = port_of(r[1].as_string());
    if (!port) bad_shape(command, "a port out of range");
    return node_address(std::string(r[0].as_string()), *port);
}

std::vector<node_address> healthy_replicas_of(const reply& r) {
    constexpr std::string_view command = "SENTINEL REPLICAS";
    if (!r.is_array()) bad_shape(command, "not an array");
    std::vector<node_address> healthy;
    for (const reply& replica : r.elements()) {
        if (!replica.is_array()) bad_shape(command, "a replica is not a field/value array");
        const std::string_view flags = field_of(replica, "flags");
        if (has_flag(flags, "s_down") || has_flag(flags, "o_down") || has_flag(flags, "disconnected")) continue;
        const auto port = port_of(field_of(replica, "port"));
        const std::string_view ip = field_of(replica, "ip");
        if (!port || ip.empty()) bad_shape(command, "a replica without ip and port");
        healthy.emplace_back(std::string(ip), *port);
    }
    return healthy;
}

std::optional<master_switch> parse_switch_master(std::string_view payload) {
    std::istringstream words{std::string(payload)};
    std::string name, old_ip, old_port, new_ip, new_port, extra;
    if (!(words >> name >> old_ip >> old_port >> new_ip >> new_port) || (words >> extra)) return std::nullopt;
    const auto from_port = port_of(old_port);
    const auto to_port = port_of(new_port);
    if (!from_port || !to_port) return std::nullopt;
    return master_switch{std::move(name), node_address(std::move(old_ip), *from_port),
                         node_address(std::move(new_ip), *to_port)};
}

std::optional<master_switch> parse_promoted_replica(std::string_view payload) {
    std::istringstream words{std::string(payload)};
    std::string kind, id, ip, port, at, name, master_ip, master_port, extra;
    if (!(words >> kind >> id >> ip >> port >> at >> name >> master_ip >> master_port) || (words >> extra)) {
        return std::nullopt;
    }
    const auto to_port = port_of(port);
    const auto from_port = port_of(master_port);
    if (kind != "slave" || at != "@" || !to_port || !from_port) return std::nullopt;
    return master_switch{std::move(name), node_address(std::move(master_ip), *from_port),
                         node_address(std::move(ip), *to_port)};
}

}  // namespace redpool::detail
