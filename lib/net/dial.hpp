// detail::dial_socket — resolves and connects a socket within a deadline, using Asio.
#pragma once

#include <chrono>

#include "redpool/options.hpp"

namespace redpool::detail {

/// Connects to the server of `opts` (TCP or unix socket) before `deadline` and returns the
/// socket's descriptor, in blocking mode with TCP_NODELAY, keep-alive, TCP_USER_TIMEOUT and
/// SO_RCVTIMEO/SO_SNDTIMEO (read/write timeouts) set. The caller owns it.
/// Throws `redpool::error`: `connect_timeout`, or `io_error` (refused, unreachable, unknown host).
int dial_socket(const options& opts, std::chrono::steady_clock::time_point deadline);

}  // namespace redpool::detail
