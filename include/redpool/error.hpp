// redpool/error.hpp — the errors redpool reports.
//
// Failures of the client itself (pool, network, protocol, bad arguments) are `redpool::error`,
// a `std::system_error` whose code is a `redpool::errc` in the "redpool" category. A server's
// `-ERR` reply to a typed command is `redpool::reply_error`, which keeps the server's message.
// No message ever contains a password.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace redpool {

/// What went wrong. Values are stable; 0 is never used (it means "no error").
enum class errc {
    pool_timeout = 1,   ///< no connection became free within `options::pool_timeout`
    pool_closed,        ///< the pool or client was closed
    connect_timeout,    ///< the dial or handshake did not finish within `options::dial_timeout`
    read_timeout,       ///< the reply did not arrive within the read deadline
    write_timeout,      ///< the request could not be written within `options::write_timeout`
    io_error,           ///< the socket failed: refused, reset, closed by the server, ...
    protocol_error,     ///< the server sent bytes that are not valid RESP (or nest too deep)
    reply_too_large,    ///< a reply exceeded `options::max_bulk_length` / `max_array_elements`
    invalid_argument,   ///< bad options, URL or command arguments
    auth_failed,        ///< the server refused the credentials (AUTH); never retried
    server_error,       ///< the server answered `-ERR ...` (see `reply_error`)
    connection_broken,  ///< the connection already failed and refuses further use
    tx_failed,          ///< EXEC answered nil: a WATCHed key changed, nothing ran; retry
    tls_error,          ///< TLS failed: certificate not trusted or for another name, client
                        ///< certificate required, or the port does not speak TLS; never retried
};

/// The "redpool" error category.
const std::error_category& category() noexcept;

/// Makes `errc` usable as a `std::error_code`.
std::error_code make_error_code(errc e) noexcept;

/// A failure of the client: `code()` is a `redpool::errc`, `what()` a message that names the
/// operation and the server address (never a password).
class error : public std::system_error {
public:
    error(errc code, std::string message, bool outcome_unknown = false);
    error(std::error_code code, std::string message, bool outcome_unknown = false);

    /// The full message as built by redpool (without the category's text appended).
    const char* what() const noexcept override;

    /// True when the request may have reached the server before the failure (a timeout or
    /// I/O error after the write): it may or may not have run. redpool never retries such a
    /// request, so a write is never applied twice behind the caller's back.
    bool outcome_unknown() const noexcept { return outcome_unknown_; }

private:
    std::string message_;
    bool outcome_unknown_ = false;
};

/// A server's error reply (`-WRONGTYPE Operation against a key ...`) to a typed command.
/// `what()` is the server's message exactly; `prefix()` its first word (`WRONGTYPE`, `MOVED`,
/// `ERR`, ...). The code is `errc::server_error`.
class reply_error : public error {
public:
    explicit reply_error(std::string server_message);

    /// The first word of the server's message, e.g. "WRONGTYPE"; empty if there is none.
    std::string_view prefix() const noexcept;
};

}  // namespace redpool

template <>
struct std::is_error_code_enum<redpool::errc> : std::true_type {};
