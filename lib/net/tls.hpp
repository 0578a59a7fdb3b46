// detail::tls_session — TLS with OpenSSL on a connected socket the caller keeps owning. After
// the handshake, `send` and `recv` behave as the socket calls they stand in for (same return
// values, errno, and flags 0 or MSG_DONTWAIT), so the connection's request path is one path
// with or without TLS: a blocking call still waits for SO_RCVTIMEO/SO_SNDTIMEO, and a command
// still costs one write and one read system call when its request and reply fit in a record.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "redpool/options.hpp"

struct ssl_st;

namespace redpool::detail {

class tls_session {
public:
    using clock = std::chrono::steady_clock;

    /// Checks that the files `opts` names (CA, client certificate and key) load, so a typo
    /// fails when the client is made rather than at its first dial. Throws
    /// `errc::invalid_argument` naming the file and OpenSSL's reason.
    static void check_files(const options& opts);

    /// A client session on `fd` for the server `opts` names: trusted CAs from `tls_ca_file` or
    /// the system's store, the client certificate if any, and the name to verify
    /// (`tls_server_name`, else the host; an IP address is checked against the certificate's
    /// IP SANs). Throws `errc::invalid_argument` when a file cannot be used.
    tls_session(int fd, const options& opts);
    ~tls_session();
    tls_session(const tls_session&) = delete;
    tls_session& operator=(const tls_session&) = delete;

    /// Runs the handshake, waiting with poll() until `deadline`. Throws `redpool::error`:
    /// `connect_timeout` (named after `dial_timeout`), `tls_error` (not trusted, wrong name,
    /// refused, or the peer does not speak TLS), `io_error` (the socket failed).
    void handshake(clock::time_point deadline, const std::string& address, options::duration dial_timeout);

    /// As ::send(fd, data, size, MSG_NOSIGNAL | flags); `flags` is 0 or MSG_DONTWAIT. A TLS
    /// failure returns -1 with errno EPROTO, described by `last_error()`.
    ssize_t send(const char* data, std::size_t size, int flags);
    /// As ::recv(fd, data, size, flags): 0 when the server closed the session.
    ssize_t recv(char* data, std::size_t size, int flags);
    /// For a liveness check: whether the server closed the session, failed it, or sent
    /// application data nobody asked for, without waiting (control records, such as TLS 1.3
    /// session tickets, are consumed). Returns why it is unusable, or nullptr when it is fine.
    const char* check_idle();

    /// Bytes inside the session that a poll() on the socket would not see: decrypted data not
    /// yet read, or records received ahead. Read before waiting when true.
    bool has_buffered() const noexcept;
    /// Decrypted application data not yet read.
    bool has_unread() const noexcept;
    /// What the last failure returning EPROTO was (OpenSSL's reason, and the certificate check's).
    const std::string& last_error() const noexcept { return last_error_; }

    // The socket BIO's state: the descriptor, the flags of the current call, and the errno of
    // the last system call that failed (OpenSSL's own error queue does not keep it).
    struct socket_state {
        int fd;
        int flags = 0;
        int last_errno = 0;
    };

private:
    ssize_t failed(int rc);
    std::string describe_failure(int ssl_error);

    ssl_st* ssl_ = nullptr;
    socket_state socket_;
    std::string last_error_;
};

}  // namespace redpool::detail
