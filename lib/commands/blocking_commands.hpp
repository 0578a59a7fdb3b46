// detail::read_timeout_for — blocking commands (BLPOP k 5, XREAD BLOCK 5000 ...) legitimately
// wait for their block time before replying, so their read deadline is the block time plus the
// usual read timeout, or none at all when they block forever.
#pragma once

#include <span>
#include <string_view>

#include "redpool/options.hpp"

namespace redpool::detail {

/// The read timeout for `args`: `read_timeout` for ordinary commands; block time +
/// `read_timeout` for blocking ones; zero (no limit) for those that block forever.
options::duration read_timeout_for(std::span<const std::string_view> args,
                                   options::duration read_timeout);

}  // namespace redpool::detail
