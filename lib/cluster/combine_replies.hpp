// detail::combine_replies — one reply from those of several nodes, as a command's
// response_policy tip says (https://redis.io/docs/reference/command-tips/): summed (DBSIZE),
// the least (WAIT), all OK (FLUSHALL), element-wise AND (SCRIPT EXISTS), or, with no tip,
// arrays concatenated (KEYS) and anything else the first node's.
#pragma once

#include <vector>

#include "lib/cluster/command_keys.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

/// Combines `replies` (one per node, at least one). An error from any node is the result,
/// except for one_succeeded, where one success is enough.
reply combine_replies(response_policy policy, std::vector<reply> replies);

}  // namespace redpool::detail
