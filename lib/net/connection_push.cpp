// The connection's pub/sub path: replies that nobody asked for one by one (messages,
// confirmations, the pongs of health checks) read as they come, within a deadline that is the
// caller's rather than read_timeout, and commands sent without a pending reply to pair with.
#include "lib/net/connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
bool connection::read_pushed(reply& out, clock::time_point until) {
    if (fd_ < 0) throw_broken();
    if (!wbuf_.empty()) flush();
    try {
        for (;;) {
            if (reader_.next(out)) return true;
            // Read what is there before looking at the clock: a deadline already past still
            // takes a reply that has arrived.
            char* buffer = receive_buffer();
            const ssize_t n = recv_some(buffer, receive_buffer_size, MSG_DONTWAIT);
            if (n > 0) {
                reader_.feed(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0) fail(errc::io_error, "connection closed by server (pub/sub)", true);
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fail_io("reading pub/sub replies", true);
            }
            // Not a failure: nothing was published meanwhile. A partial reply stays in the reader.
            if (!wait_ready(POLLIN, until)) return false;
        }
    } catch (const error& e) {
        if (e.code() != errc::protocol_error && e.code() != errc::reply_too_large) throw;
        fail(static_cast<errc>(e.code().value()), fmt::format("{} (reading pub/sub replies)", e.what()), true);
    } catch (...) {
        close();  // out of memory mid-reply: the rest of it is still on the wire
        throw;
    }
}

void connection::send_unpaired(std::span<const std::string_view> args) {
    if (fd_ < 0) throw_broken();
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    remember_command(args[0]);
    encode_command(wbuf_, args);
    flush();
}

}  // namespace redpool::detail
