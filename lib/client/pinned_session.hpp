// detail::pinned_session — the connection behind a `redpool::pinned`, and what its commands
// left on the server's session, so that releasing it undoes exactly that before the connection
// goes back to the pool: UNWATCH, DISCARD, RESET and the handshake again, or closing it.
//
// Shared by the pinned object and the pipelines and transactions made from it; the last one to
// go releases the connection.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "lib/client/batch_target.hpp"
#include "lib/client/lease_tracker.hpp"
#include "lib/client/client_core.hpp"
#include "lib/commands/command_table.hpp"
#include "lib/net/connection.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

/// What the commands sent so far require before the connection can serve someone else. Each
/// flag is set as soon as it may be true (before the reply, when a reply cannot tell) and
/// cleared only when a reply proves it false: a doubt costs a RESET or a dial, never a leak.
struct session_debts {
    /// A WATCH may be in force: UNWATCH (DISCARD and RESET drop it too).
    bool watching = false;
    /// A MULTI opened with `exec` is open: DISCARD (RESET discards it too).
    bool in_multi = false;
    /// Some other session change (SELECT, CLIENT SETNAME, CLIENT TRACKING, AUTH, READONLY, a
    /// MULTI sent in a batch ...): RESET, then the handshake again.
    bool needs_reset = false;
    /// A change RESET does not undo on every server (CLIENT NO-EVICT on 7.0, CLIENT NO-TOUCH,
    /// CLIENT SETINFO, SCRIPT DEBUG), or one that may have ended the connection (CLIENT KILL):
    /// close it.
    bool must_close = false;
};

class pinned_session final : public batch_target {
public:
    /// Takes over `lease`. `pool` keeps the pool alive while the lease is out (the lease itself
    /// only points at it).
    pinned_session(std::shared_ptr<connection_pool> pool, connection_pool::lease lease,
                   std::shared_ptr<const options> opts) noexcept;
    /// Releases the connection: see `give_back`.
    ~pinned_session() override;
    pinned_session(const pinned_session&) = delete;
    pinned_session& operator=(const pinned_session&) = delete;

    /// One round trip on the pinned connection; a server error is returned as data. Throws
    /// `errc::invalid_argument` (sending nothing) for an empty command or one that needs a
    /// connection of its own, and what the connection throws (it closes itself on a failure;
    /// later calls throw `errc::connection_broken`). `wire_bytes`, when not empty, is `args`
    /// already encoded.
    reply exec(std::span<const std::string_view> args, std::span<const char> wire_bytes = {});

    /// Runs a pipeline's or transaction's `work` on the pinned connection and remembers what it
    /// did to the session. Refuses (`errc::invalid_argument`, before `work`) a transaction while
    /// a MULTI opened with `exec` is open: its MULTI would nest in that one.
    void lend(const batch_effects& effects, const std::function<void(connection&)>& work) override;

    const options& settings() const noexcept override { return *opts_; }

    /// Whether a MULTI opened with `exec` is still open: typed commands would only get +QUEUED.
    bool in_multi() const noexcept { return debts_.in_multi; }

    /// Tracked for leak detection until the session ends (options::lease_warning_after).
    void track_as(lease_tracker::ticket ticket) noexcept { ticket_ = std::move(ticket); }

private:
    // Undoes the session's changes and returns the connection to the pool, or closes it when
    // that cannot be done or proven. Never throws.
    void give_back() noexcept;
    // Records what sending `args` may do, before it is sent.
    void note_sending(const command_info& command);
    // Records what the reply to `command` proves (WATCH, MULTI, EXEC, DISCARD, UNWATCH).
    void note_reply(const command_info& command, const reply& r) noexcept;

    std::shared_ptr<connection_pool> pool_;  // declared before lease_: outlives it
    connection_pool::lease lease_;
    std::shared_ptr<const options> opts_;
    session_debts debts_;
    lease_tracker::ticket ticket_;  // last: it ends once the connection is given back
};

}  // namespace redpool::detail
