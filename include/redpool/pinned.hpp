// redpool/pinned.hpp — one pooled connection of your own, for as long as you hold it: for
// session state (SELECT, WATCH, CLIENT SETNAME, CLIENT TRACKING ...) and optimistic locking.
//
//     redpool::pinned c = redis.pin();
//     c.exec({"SELECT", "2"});
//     c.set("k", "v");                    // runs in database 2
//     // when c goes out of scope its session is reset and the connection goes back
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/commands.hpp"
#include "redpool/pipeline.hpp"
#include "redpool/reply.hpp"
#include "redpool/script.hpp"

namespace redpool {

namespace detail {
class client_core;
class pinned_session;
}

/// A connection leased from the client's pool for as long as this object lives (it holds one
/// of the pool's `pool_size` turns meanwhile). It has every typed method (`get`, `set`, ...),
/// `exec` for any command, and `pipeline()` / `transaction()` that run on this connection.
///
/// Session commands are allowed here: SELECT, WATCH, MULTI, CLIENT SETNAME, CLIENT TRACKING,
/// READONLY, ... Each command's effect on the session is tracked (Redis 7.0 cannot be asked
/// which keys a connection watches), and when the pinned connection ends, exactly that is
/// undone before the connection goes back to the pool, cheapest first:
/// - nothing changed (or the user's own EXEC, DISCARD or UNWATCH undid it): given back as is;
/// - only WATCHes: UNWATCH;
/// - a MULTI opened with `exec({"MULTI"})` and still open: DISCARD (which unwatches too);
/// - any other change (SELECT, CLIENT SETNAME/TRACKING/CACHING, AUTH, READONLY, ASKING
///   ...): RESET, then the connection's handshake again (AUTH, SELECT
///   of the configured db, CLIENT SETNAME, `on_connect`), within `dial_timeout`.
/// The connection is closed instead after a change RESET does not undo on every server
/// (CLIENT NO-EVICT on 7.0, CLIENT NO-TOUCH, CLIENT SETINFO, SCRIPT DEBUG), after CLIENT KILL
/// (it may have ended this very connection), when an undo fails or answers anything but OK, and
/// when the connection's state is uncertain (a timeout, an I/O error): a session never leaks to
/// the next caller.
///
/// Commands that take the connection over or get more than one reply (SUBSCRIBE, PSUBSCRIBE,
/// SSUBSCRIBE and their UNSUBSCRIBEs, MONITOR, CLIENT REPLY, RESET, HELLO, QUIT, SYNC, PSYNC)
/// throw `errc::invalid_argument` and send nothing: use `client::subscriber()` for pub/sub.
///
/// While a MULTI opened with `exec({"MULTI"})` is open, only `exec` may run: typed methods and
/// pipelines throw `errc::invalid_argument` (every reply would be +QUEUED), and so does a
/// transaction (its MULTI would nest). Blocking commands do not block inside MULTI, so they
/// get the plain `read_timeout` there.
///
/// Belongs to one thread at a time, together with the pipelines and transactions made from it.
/// A failure of the connection (timeout, I/O) closes it: later calls throw
/// `errc::connection_broken`. Nothing is retried on a pinned connection. A pinned connection may
/// outlive its client: it goes on working, and is closed when it ends.
class pinned : public commands<pinned> {
public:
    pinned(pinned&&) noexcept;
    pinned& operator=(pinned&&) noexcept;
    /// Resets the session and gives the connection back (see above), as `release()` does.
    ~pinned();

    /// Runs a command value (see `redpool::command`). A server error throws `reply_error`.
    template <class T>
    T run(const command<T>& c) {
        if (c.answered_locally()) return c.read(reply());
        return c.read(run_checked(c.args(), c.wire_bytes()));
    }

    /// Runs any command; a server error is returned as data (`reply::is_error()`). Blocking
    /// commands wait as on the client (block time + 1 s + `read_timeout`).
    reply exec(std::initializer_list<std::string_view> args);
    reply exec(std::span<const std::string_view> args);
    reply exec(const std::vector<std::string>& args);
    /// Same, never throwing: failures set `ec` and return a nil reply.
    reply exec(std::span<const std::string_view> args, std::error_code& ec) noexcept;

    /// EVALSHA, then EVAL with the source if the server answers NOSCRIPT. A script error throws
    /// `reply_error`.
    reply run_script(const script& s, std::initializer_list<std::string_view> keys = {},
                     std::initializer_list<std::string_view> args = {});
    reply run_script(const script& s, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args);

    /// A pipeline whose `exec()` runs on this connection. It shares the connection: while it
    /// lives, the connection stays pinned even if this object is gone.
    redpool::pipeline pipeline();
    /// A transaction whose `exec()` runs on this connection, seeing its WATCHes; its EXEC drops
    /// them (see `client::watch`). Its `exec()` throws `errc::invalid_argument`, sending
    /// nothing, while a MULTI opened with `exec({"MULTI"})` is open: its MULTI would nest.
    redpool::transaction transaction();

    /// Resets the session and gives the connection back now (see above); later calls throw
    /// `errc::connection_broken`. Idempotent. Pipelines and transactions made from this object
    /// keep the connection until they are gone.
    void release() noexcept;

private:
    friend class client;
    friend class cluster_client;
    explicit pinned(std::shared_ptr<detail::pinned_session> session) noexcept;
    // A connection of `core`'s pool, pinned: client::pin, and cluster_client's on a node.
    // `file` and `line`: where the caller took it, for leak detection.
    static pinned pin_on(detail::client_core& core, const char* file, int line);
    // WATCH `keys` here (client::watch, cluster_client::watch); a refusal throws reply_error.
    void watch_keys(std::span<const std::string_view> keys);
    reply run_checked(std::span<const std::string_view> args, std::span<const char> wire_bytes);

    std::shared_ptr<detail::pinned_session> session_;
};

}  // namespace redpool
