// connection::exchange — a batch streamed in one go: requests go out while replies come in,
// so a batch larger than both socket buffers together cannot deadlock (the server stops
// reading while its replies are unread, and we would stop reading while our writes block).
// The deadline is read_timeout without progress, not per command.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/net/connection.hpp"
#include "lib/net/tls.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

constexpr std::size_t feed_slice = 1000;

}  // namespace

void connection::exchange(std::span<const std::span<const char>> requests, std::size_t replies,
                          reply_sink& sink, duration timeout) {
    if (fd_ < 0) throw_broken();
    remember_command("pipeline");
    pending_ = replies;  // until every reply is read, the connection is not clean
    std::size_t segment = 0;
    std::size_t offset = 0;
    std::size_t sent = 0;
    std::size_t received = 0;
    auto skip_empty = [&] {
        while (segment < requests.size() && offset == requests[segment].size()) {
            ++segment;
            offset = 0;
        }
    };
    skip_empty();
    char* const buffer = receive_buffer();
    auto progress_at = clock::now();
    used_at_ = progress_at;
    const auto lost = [&](std::string_view what) {
        return fmt::format("{} after {} of {} replies of a pipeline", what, received, replies);
    };
    // Nothing can arrive before the first request went out, so the first read waits for poll.
    bool may_have_data = false;
    try {
        while (received < replies) {
            bool progressed = false;
            // Write as much as the socket takes now.
            while (segment < requests.size()) {
                const auto& seg = requests[segment];
                const ssize_t n = send_some(seg.data() + offset, seg.size() - offset, MSG_DONTWAIT);
                if (n > 0) {
                    offset += static_cast<std::size_t>(n);
                    sent += static_cast<std::size_t>(n);
                    progressed = true;
                    skip_empty();
                    continue;
                }
                if (n < 0 && errno == EINTR) continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                fail_io(lost("sending"), sent > 0);
            }
            // Read what has arrived, and hand over every complete reply. A read that did not
            // fill the buffer took everything there was: poll says when more comes, which
            // saves a read that could only fail with EAGAIN.
            while (may_have_data) {
                const ssize_t n = recv_some(buffer, receive_buffer_size, MSG_DONTWAIT);
                if (n > 0) {
                    progressed = true;
                    // Fed a slice at a time and drained in between, hiredis's buffer stays under
                    // the 1 KiB after which it moves its unread bytes to the front at every
                    // reply: fed 64 KiB at once, it would move most of them hundreds of times.
                    for (std::size_t at = 0; at < static_cast<std::size_t>(n); at += feed_slice) {
                        reader_.feed(buffer + at, std::min(feed_slice, static_cast<std::size_t>(n) - at));
                        while (received < replies) {
                            const std::span<reply> slots = sink.next_slots();
                            const std::size_t wanted = std::min(slots.size(), replies - received);
                            const std::size_t got = reader_.next_into(slots.first(wanted));
                            // None: the rest has not arrived. After a short run the loop asks
                            // once more, so that a malformed or too large reply next, which
                            // next_into holds back until it has nothing to hand over, throws now
                            // rather than after waiting for bytes that will not come.
                            if (got == 0) break;
                            received += got;
                            pending_ -= got;
                            sink.on_replies(got);
                        }
                    }
                    if (received == replies) break;
                    // TLS hands over a record at a time: more may wait inside it.
                    may_have_data = static_cast<std::size_t>(n) == receive_buffer_size ||
                                    (tls_ != nullptr && tls_->has_buffered());
                    continue;
                }
                if (n == 0) fail(errc::io_error, lost("connection closed by server"), true);
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                fail_io(lost("reading"), true);
            }
            if (received == replies) break;
            if (progressed) progress_at = clock::now();
            // Both ways are blocked: wait for the socket, up to the deadline counted from the
            // last progress.
            const short events = POLLIN | (segment < requests.size() ? POLLOUT : 0);
            sink.while_waiting();
            if (!wait_ready(events, deadline_after(progress_at, timeout))) {
                fail(errc::read_timeout, lost(fmt::format("no progress within {}ms", timeout.count())), sent > 0);
            }
            may_have_data = true;
        }
    } catch (const error& e) {
        if (e.code() != errc::protocol_error && e.code() != errc::reply_too_large) {
            close();  // fail() closed it already; a sink's own error must not leave it open either
            throw;
        }
        fail(static_cast<errc>(e.code().value()), lost(e.what()), true);
    } catch (...) {
        close();  // out of memory, or the sink failed: the rest of the batch is still on the wire
        throw;
    }
    fresh_write_ = false;
}

}  // namespace redpool::detail
