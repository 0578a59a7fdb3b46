#include "lib/net/node_address.hpp"

#include <charconv>

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {

node_address::node_address(std::string h, int p)
    : host(std::move(h)), port(p), name(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                             : fmt::format("{}:{}", host, port)) {}

node_address parse_node_address(std::string_view text, std::string_view what) {
    const std::size_t colon = text.rfind(':');
    auto fail = [&] {
        throw error(errc::invalid_argument, fmt::format("{}: \"{}\" is not host:port", what, text));
    };
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) fail();
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string_view port_text = text.substr(colon + 1);
    int port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 || port > 65535) fail();
    return node_address(std::string(host), port);
}

}  // namespace redpool::detail
