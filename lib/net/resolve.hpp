// detail::resolve_within — host-name lookups that cannot hold a dial past its deadline.
//
// getaddrinfo blocks for as long as the system's resolver takes, and nothing can cancel it:
// Asio's resolver runs it on an internal thread and only reports a cancel once it returns (and
// its io_context's destructor waits for it). So the lookup runs on a thread of its own, and the
// dial waits for it only until its deadline or until it is cancelled; a lookup still running then
// is abandoned and finishes on its own.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>

namespace redpool::detail {

/// Looks up a host's addresses for `port`; may block. Throws `redpool::error` (`io_error`) for
/// an unknown host.
using host_lookup = std::function<std::vector<asio::ip::tcp::endpoint>(const std::string& host, int port)>;

/// The system's resolver (getaddrinfo).
std::vector<asio::ip::tcp::endpoint> system_lookup(const std::string& host, int port);

/// Runs `lookup(host, port)` and returns its addresses, waiting at most until `deadline` or until
/// `stop` is requested. Throws `redpool::error`: `connect_timeout` (the deadline passed; the
/// message names the dial timeout `dial_timeout_ms`), `io_error` (cancelled, or the lookup's own
/// failure).
std::vector<asio::ip::tcp::endpoint> resolve_within(const std::string& host, int port,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    std::stop_token stop, const host_lookup& lookup,
                                                    long long dial_timeout_ms);

}  // namespace redpool::detail
