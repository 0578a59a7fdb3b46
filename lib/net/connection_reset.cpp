// connection::reset_session — a pinned connection's session undone before the pool hands the
// connection to someone else (Gaea's reset-on-return, Go's SessionResetter).
//
// RESET (Redis 6.2+, clearClientConnectionState) discards a MULTI and every WATCH, turns
// CLIENT TRACKING off, leaves pub/sub and MONITOR, clears the name, ASKING, READONLY and
// CLIENT REPLY, selects db 0, goes back to RESP2 and to the default user. That also undoes what
// the handshake set up, so it runs again: AUTH, SELECT, CLIENT SETNAME, on_connect. What RESET
// leaves alone (CLIENT NO-EVICT on 7.0, CLIENT SETINFO's library name, SCRIPT DEBUG) is not
// its business: the pinned connection closes instead of resetting after those.
#include <chrono>
#include <string_view>

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/net/connection.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {

void connection::reset_session(const options& opts) {
    if (fd_ < 0) throw_broken();
    const auto deadline = deadline_after(clock::now(), opts.dial_timeout);
    // Without a dial deadline the reset still must not wait forever.
    const duration timeout = deadline == clock::time_point::max() ? read_timeout_ : opts.dial_timeout;
    try {
        // RESET's reply must be the next one: with anything unread or unsent, it would not be.
        if (!is_clean()) fail(errc::io_error, "reset of a connection with a reply still unread", false);
        const std::string_view reset[] = {"RESET"};
        append(reset);
        flush();
        reply r;
        read_reply(r, timeout);
        if (r.is_error()) {
            // An old server (RESET is 6.2's) or a connection RESET refuses (a replica link).
            close();
            throw error(errc::server_error, fmt::format("RESET on {} failed: {}", address_, r.as_string()));
        }
        if (!r.is_status() || r.as_string() != "RESET") {
            fail(errc::protocol_error, "RESET answered something other than +RESET", true);
        }
        handshake(opts, deadline);
    } catch (const error& e) {
        close();  // the handshake leaves it open when on_connect throws
        if (e.code() != errc::read_timeout && e.code() != errc::write_timeout) throw;
        throw error(errc::connect_timeout,
                    fmt::format("reset of {}: no reply to RESET within {}ms", address_, timeout.count()),
                    true);
    } catch (...) {
        close();
        throw;
    }
}

}  // namespace redpool::detail
