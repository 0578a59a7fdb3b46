// detail::sha1_hex — SHA-1 (FIPS 180-4) of a byte string, as hex. Redis names a cached Lua script
// by the SHA-1 of its source, so `redpool::script` computes it locally and sends EVALSHA without
// asking the server first. Not for security: SHA-1 is only the name Redis gives a script.
#pragma once

#include <string>
#include <string_view>

namespace redpool::detail {

/// The SHA-1 digest of `data` as 40 lower-case hex digits, as Redis's SCRIPT LOAD returns it.
std::string sha1_hex(std::string_view data);

}  // namespace redpool::detail
