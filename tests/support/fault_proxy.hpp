// A TCP proxy inside the test process, between a client and a real redis-server, for the faults
// a real server cannot make on its own: replies delayed, dribbled one byte or one line per
// write, held after a given byte, cut after N bytes or N replies; connections dropped right
// after a request reached the server; a black hole that accepts and never answers; resets.
// Requests always go to the server as they are; the faults act on the way back.
//
// It runs an Asio event loop on a thread of its own. Every setter is thread-safe and applies to
// the bytes forwarded from then on, on new and open connections alike; the limits (hold, drop
// after) first wait for replies already under way to go down, so only later bytes count.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

namespace redpool::test {

class fault_proxy {
public:
    using duration = std::chrono::milliseconds;

    /// Listens on a free loopback port and forwards every connection to 127.0.0.1:`server_port`.
    explicit fault_proxy(int server_port);
    ~fault_proxy();
    fault_proxy(const fault_proxy&) = delete;
    fault_proxy& operator=(const fault_proxy&) = delete;

    /// Where clients connect.
    int port() const;

    /// New connections wait this long before the proxy connects them to the server, so their
    /// handshake (and the dial) takes at least that long.
    void delay_connects(duration d);
    /// Each chunk of reply bytes waits this long before it is forwarded.
    void delay_replies(duration d);
    /// Replies are forwarded one byte per write, `gap` apart.
    void split_replies_into_bytes(duration gap);
    /// Replies are forwarded one line ("...\r\n") per write, `gap` apart.
    void split_replies_into_lines(duration gap);
    /// Only `n` more reply bytes are forwarded; the rest waits for `resume_replies()`.
    void hold_replies_after(std::size_t n);
    void resume_replies();
    /// Each connection is closed once it has forwarded `n` more reply bytes, or `n` more whole
    /// replies.
    void drop_after_reply_bytes(std::size_t n);
    void drop_after_replies(std::size_t n);
    /// A connection is closed as soon as reply bytes come back for a request it forwarded: the
    /// server executed the command, and the client never hears about it.
    void drop_before_replies(bool on);
    /// Connections are accepted, but nothing is forwarded either way until it is turned off
    /// (then what was held goes through, late).
    void black_hole(bool on);
    /// Resets every open connection (RST) now.
    void reset_all();
    /// Clears every fault; held bytes go through.
    void heal();

    /// Connections open now. Once a drop has closed a connection here, its FIN is in the
    /// client's socket (loopback delivers within the close), so a test waits on this instead of
    /// sleeping.
    std::size_t open_connections();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace redpool::test
