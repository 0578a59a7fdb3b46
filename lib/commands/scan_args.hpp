// detail::add_scan_filters — the MATCH, COUNT and TYPE filters of SCAN, HSCAN, SSCAN and ZSCAN.
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "redpool/cmd/keys.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {

/// Adds the filters `opts` sets. Only SCAN takes TYPE (`takes_type`): the others throw
/// `errc::invalid_argument` for one, as they do for a negative COUNT.
inline void add_scan_filters(args_builder& args, std::string_view command, const scan_options& opts,
                             bool takes_type) {
    if (opts.count < 0) throw error(errc::invalid_argument, fmt::format("{}: negative COUNT", command));
    if (!opts.type.empty() && !takes_type)
        throw error(errc::invalid_argument, fmt::format("{}: a TYPE filter applies only to SCAN", command));
    if (!opts.match.empty()) args.add("MATCH").add(opts.match);
    if (opts.count > 0) args.add("COUNT").add_integer(opts.count);
    if (!opts.type.empty()) args.add("TYPE").add(opts.type);
}

}  // namespace redpool::detail
