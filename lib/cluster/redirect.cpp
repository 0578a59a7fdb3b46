#include "lib/cluster/redirect.hpp"

#include <charconv>
#include <string>

#include "redpool/error.hpp"

namespace redpool::detail {

std::optional<redirect> parse_redirect(std::string_view text, std::string_view current_host) {
    redirect out;
    if (text.starts_with("MOVED ")) {
        out.what = redirect::kind::moved;
        text.remove_prefix(6);
    } else if (text.starts_with("ASK ")) {
        out.what = redirect::kind::ask;
        text.remove_prefix(4);
    } else {
        return std::nullopt;
    }
    const std::size_t space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const std::string_view slot = text.substr(0, space);
    const auto [end, ec] = std::from_chars(slot.data(), slot.data() + slot.size(), out.slot);
    if (ec != std::errc() || end != slot.data() + slot.size() || out.slot < 0 || out.slot > 16383) return std::nullopt;
    std::string_view address = text.substr(space + 1);
    std::string with_host;
    if (address.starts_with(':')) {  // "MOVED 3999 :6381": the node does not know its address
        with_host = std::string(current_host) + std::string(address);
        address = with_host;
    }
    try {
        out.to = parse_node_address(address, "redirection");
    } catch (const error&) {
        return std::nullopt;
    }
    return out;
}

bool is_cluster_down(std::string_view text) noexcept { return text.starts_with("CLUSTERDOWN"); }

}  // namespace redpool::detail
