// redpool/conn.hpp — one connection, as seen by `options::on_connect`.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "redpool/reply.hpp"

namespace redpool {

namespace detail {
class connection;
}

/// A connection being set up, handed to `options::on_connect` to run its own commands
/// (CLIENT TRACKING, READONLY, ...) before the pool uses it. Valid only during the call.
class conn {
public:
    explicit conn(detail::connection& impl) noexcept : impl_(&impl) {}

    /// Runs one command and returns its reply; a server `-ERR` is returned as data
    /// (`reply::is_error()`). Throws `redpool::error` if the connection fails.
    reply exec(std::initializer_list<std::string_view> args);
    reply exec(std::span<const std::string_view> args);

    /// The server address: `host:port` or `unix:path`.
    std::string_view address() const noexcept;

private:
    detail::connection* impl_;
};

}  // namespace redpool
