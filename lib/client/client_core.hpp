// detail::client_core — what every client call goes through: borrow a connection from the
// pool, one round trip, and the retry policy that never runs a command twice.
#pragma once

#include <span>
#include <string_view>

#include "lib/commands/command_table.hpp"
#include "lib/net/connection.hpp"
#include "lib/pool/pool.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

using connection_pool = basic_pool<connection>;

class client_core {
public:
    /// Validates `opts` and starts the pool (background min-idle dials, reaper).
    explicit client_core(options opts);

    /// One command: a server error reply is returned as data. Throws `redpool::error`.
    reply run(std::span<const std::string_view> args);

    connection_pool& pool() noexcept { return pool_; }
    const connection_pool& pool() const noexcept { return pool_; }

private:
    enum class outcome { done, retry };
    outcome attempt(std::span<const std::string_view> args, options::duration timeout,
                    bool last_attempt, const command_info& command, reply& out);

    const options opts_;
    connection_pool pool_;
};

/// The jittered exponential backoff before retry number `retry` (0-based), in
/// [min, min << retry] and never above `max`.
options::duration retry_backoff(int retry, options::duration min, options::duration max);

}  // namespace redpool::detail
