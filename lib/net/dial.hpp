// detail::dial_socket — resolves and connects a socket within a deadline, using Asio, and can be
// cancelled from another thread.
#pragma once

#include <chrono>
#include <stop_token>

#include "lib/net/resolve.hpp"
#include "redpool/options.hpp"

namespace redpool::detail {

/// Connects to the server of `opts` (TCP or unix socket) before `deadline` (`time_point::max()`:
/// none) and returns the socket's descriptor, in blocking mode with TCP_NODELAY, keep-alive,
/// TCP_USER_TIMEOUT and SO_RCVTIMEO/SO_SNDTIMEO (read/write timeouts) set, and close-on-exec.
/// The caller owns it.
/// A host name is looked up with `lookup`, and the lookup counts against the deadline.
/// A stop request on `stop` (from any thread) cancels the dial at once.
/// Throws `redpool::error`: `connect_timeout`, or `io_error` (refused, unreachable, unknown
/// host, cancelled).
int dial_socket(const options& opts, std::chrono::steady_clock::time_point deadline,
                std::stop_token stop = {}, const host_lookup& lookup = system_lookup);

}  // namespace redpool::detail
