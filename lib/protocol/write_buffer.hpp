// detail::write_buffer — a growable byte buffer that is never zero-filled, so encoding a
// command costs one bounds check and the copies of its bytes.
#pragma once

#include "lib/base/pod_list.hpp"

namespace redpool::detail {

using write_buffer = pod_list<char, 256>;

}  // namespace redpool::detail
