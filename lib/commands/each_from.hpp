// detail::each_from — an array reply read element by element, for the command groups whose
// replies are arrays of one structured shape (XINFO GROUPS, GEOSEARCH WITH..., FUNCTION LIST).
#pragma once

#include <utility>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

/// Reads every element of an array reply with `read_one`, in order. Usable as a command's
/// converter: `&each_from<T, &read_t>`.
template <class T, T (*read_one)(reply&&)>
std::vector<T> each_from(reply&& r) {
    std::vector<reply>& elements = array_from_reply(r);
    std::vector<T> out;
    out.reserve(elements.size());
    for (reply& e : elements) out.push_back(read_one(std::move(e)));
    return out;
}

}  // namespace redpool::detail
