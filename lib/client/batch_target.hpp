// detail::batch_target — what a pipeline or transaction runs on: a connection borrowed from
// the pool for one exec(), or a pinned connection. The batch encodes and reads; the target
// lends the connection and undoes what the batch did to its session.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lib/net/connection.hpp"
#include "redpool/options.hpp"

namespace redpool::detail {

class client_core;

/// What a batch did to the session of the connection it ran on.
struct batch_effects {
    /// The batch's commands that change the connection's session (SELECT, WATCH, MULTI,
    /// CLIENT SETNAME, ...: `session_effect::changed` in the command table), in order, each
    /// with its arguments. Not the MULTI and EXEC a transaction wraps its commands in.
    std::span<const std::vector<std::string>> session_commands;
    /// The batch was a transaction: its EXEC (answered or aborted) ended the MULTI and dropped
    /// every WATCH of the connection.
    bool ends_transaction = false;
};

class batch_target {
public:
    virtual ~batch_target() = default;

    /// Calls `work` once with a connection for one exec(): a pooled one borrowed for the call
    /// (waiting up to pool_timeout, and retrying as client calls do only while nothing can have
    /// been sent), or the pinned one. Then accounts for `effects` (a pooled connection whose
    /// session changed is closed; a pinned one remembers what to undo), also when `work`
    /// throws. Throws what borrowing or `work` throws.
    virtual void lend(const batch_effects& effects, const std::function<void(connection&)>& work) = 0;

    /// The client's options (read_timeout for the batch's deadline).
    virtual const options& settings() const noexcept = 0;
};

/// The target of `client::pipeline()` and `client::transaction()`: a pooled connection per
/// exec(). Keeps the pool alive, not the client.
std::shared_ptr<batch_target> make_pool_target(client_core& core);

}  // namespace redpool::detail
