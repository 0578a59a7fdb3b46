// detail::observe — options::hooks as the library's layers call them: the pool's observer (its
// close reasons and waits translated to the public events), a dialer that reports each dial,
// and the report of a command or batch. A hook's exception is dropped here: observing must
// never change what a call does.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <system_error>

#include "lib/net/connection.hpp"
#include "lib/pool/pool_config.hpp"
#include "redpool/hooks.hpp"
#include "redpool/options.hpp"

namespace redpool::detail {

/// The pool's observer for `opts.hooks` (on_conn_closed, on_pool_wait); null when neither is set.
std::shared_ptr<const pool_observer> pool_observer_for(const options& opts);

/// `dial`, reporting each dial to `opts.hooks.on_dial`; `dial` itself when that is not set.
connection_dialer observed_dialer(const options& opts, connection_dialer dial);

/// Tells `hooks.on_command` of a command or batch that took `since` until now.
void report_command(const hooks& hooks, std::string_view name, std::size_t commands,
                    std::chrono::steady_clock::time_point since, std::error_code error) noexcept;

/// The code a failure reports: its redpool::errc (or other code), ENOMEM, or io_error.
std::error_code error_code_of(std::exception_ptr failure) noexcept;

}  // namespace redpool::detail
