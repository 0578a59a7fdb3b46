// The pinned connection's session bookkeeping: what each command may leave behind, and undoing
// it on release. Redis 7.0 does not list a connection's WATCHes (CLIENT LIST has no `watch=`
// before 7.4), so they are tracked here rather than asked for.
#include "lib/client/pinned_session.hpp"

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "redpool/command.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

// What sending a command may do to the session.
enum class change_kind {
    none,
    watch,        // WATCH: undone by UNWATCH
    multi,        // MULTI: undone by DISCARD
    resettable,   // undone by RESET and the handshake
    reset_proof,  // RESET does not undo it everywhere: close
};

// RESET leaves these alone on some server Redis supports (7.0's clearClientConnectionState
// does not clear CLIENT_NO_EVICT; no version resets SETINFO's library name or SCRIPT DEBUG's
// debugging flag), or they may have ended this very connection (CLIENT KILL).
bool survives_reset(const command_info& c) noexcept {
    if (c.name == "SCRIPT") return c.subcommand == "DEBUG";
    if (c.name != "CLIENT") return false;
    return c.subcommand == "NO-EVICT" || c.subcommand == "NO-TOUCH" || c.subcommand == "SETINFO" ||
           c.subcommand == "KILL";
}

change_kind kind_of(const command_info& c) noexcept {
    if (c.effect != session_effect::changed) return change_kind::none;
    if (c.name == "WATCH") return change_kind::watch;
    if (c.name == "MULTI") return change_kind::multi;
    return survives_reset(c) ? change_kind::reset_proof : change_kind::resettable;
}

bool is_ok(const reply& r) { return r.is_status() && r.as_string() == "OK"; }

// One command whose only acceptable answer is +OK; anything else closes the connection.
void expect_ok(connection& conn, std::string_view command) {
    const std::string_view args[] = {command};
    if (!is_ok(conn.exec(args))) conn.close();
}

[[noreturn]] void throw_needs_own_connection(std::string_view name, const command_info& command) {
    const char* why = command.replies == reply_count::several
                          ? "it can answer with more than one reply or none (for pub/sub use client::subscriber())"
                          : "it would take the connection over";
    throw error(errc::invalid_argument, fmt::format("{} cannot run on a pinned connection: {}", name, why));
}

}  // namespace

pinned_session::pinned_session(std::shared_ptr<connection_pool> pool, connection_pool::lease lease,
                               std::shared_ptr<const options> opts) noexcept
    : pool_(std::move(pool)), lease_(std::move(lease)), opts_(std::move(opts)) {}

pinned_session::~pinned_session() { give_back(); }

reply pinned_session::exec(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    const command_info& command = command_info_of(args);
    if (needs_own_connection(command)) throw_needs_own_connection(args[0], command);
    connection& conn = *lease_;
    note_sending(command);
    conn.append(args, wire_bytes);
    conn.flush();
    reply r;
    // Inside MULTI a blocking command is only queued, and EXEC runs it without blocking.
    conn.read_reply(r, debts_.in_multi ? opts_->read_timeout : read_timeout_for(command, args, opts_->read_timeout));
    note_reply(command, r);
    return r;
}

void pinned_session::lend(const batch_effects& effects, const std::function<void(connection&)>& work) {
    if (effects.ends_transaction && debts_.in_multi) {
        throw error(errc::invalid_argument,
                    "a transaction cannot run on a pinned connection whose MULTI sent with exec() is still open: "
                    "its MULTI would nest in that one (EXEC or DISCARD it first)");
    }
    if (debts_.in_multi) {
        throw error(errc::invalid_argument,
                    "a pipeline cannot run on a pinned connection whose MULTI sent with exec() is still open: "
                    "every reply would be +QUEUED (EXEC or DISCARD it first)");
    }
    for (const std::vector<std::string>& args : effects.session_commands) {
        const std::vector<std::string_view> arg_views = views(args);
        const command_info& command = command_info_of(arg_views);
        // A batch's replies are not seen here, so a MULTI in it (with its EXEC or not) counts
        // as a change only RESET is sure to undo.
        const change_kind kind = kind_of(command);
        if (kind == change_kind::watch) debts_.watching = true;
        else if (kind == change_kind::reset_proof) debts_.must_close = true;
        else if (kind != change_kind::none) debts_.needs_reset = true;
    }
    work(*lease_);
    // The transaction's EXEC was answered (or it would have thrown): the MULTI is over and no
    // key is watched any more, whether it ran, aborted or failed on a watched key.
    if (effects.ends_transaction) {
        debts_.watching = false;
        debts_.in_multi = false;
    }
}

void pinned_session::note_sending(const command_info& command) {
    const change_kind kind = kind_of(command);
    if (kind == change_kind::resettable) debts_.needs_reset = true;
    if (kind == change_kind::reset_proof) debts_.must_close = true;
}

void pinned_session::note_reply(const command_info& command, const reply& r) noexcept {
    switch (kind_of(command)) {
    case change_kind::watch:
        // Refused inside a MULTI, or for want of keys: then nothing is watched.
        if (!r.is_error()) debts_.watching = true;
        return;
    case change_kind::multi:
        // Refused when nested: the open MULTI stays open either way.
        if (!r.is_error()) debts_.in_multi = true;
        return;
    default:
        break;
    }
    if (!debts_.in_multi) {
        // Outside a MULTI, EXEC and DISCARD are refused and change nothing.
        if (command.name == "UNWATCH" && !r.is_error()) debts_.watching = false;
        return;
    }
    // Inside one, every other command is only queued; EXEC and DISCARD end it and unwatch. An
    // EXEC refused otherwise than with EXECABORT (an ACL denial) left the MULTI open.
    const bool ended = command.name == "EXEC" ? !r.is_error() || r.as_string().starts_with("EXECABORT")
                                              : command.name == "DISCARD" && is_ok(r);
    if (ended) {
        debts_.in_multi = false;
        debts_.watching = false;
    }
}

void pinned_session::give_back() noexcept {
    if (!lease_) return;
    connection& conn = *lease_;
    try {
        if (!conn.is_clean() || debts_.must_close) {
            conn.close();
        } else if (debts_.needs_reset) {
            conn.reset_session(*opts_);  // closes the connection when it fails
        } else if (debts_.in_multi) {
            expect_ok(conn, "DISCARD");  // which unwatches too
        } else if (debts_.watching) {
            expect_ok(conn, "UNWATCH");
        }
    } catch (...) {
        conn.close();  // whatever failed, the session is not proven clean
    }
    debts_ = {};
    lease_.release();  // a closed connection is not pooled but counted as unusable
}

}  // namespace redpool::detail
