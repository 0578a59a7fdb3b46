#include "lib/cluster/combine_replies.hpp"

#include <algorithm>
#include <utility>

namespace redpool::detail {
namespace {

// Integers combined by `op`, or element-wise for arrays of integers of one length (SCRIPT
// EXISTS); the first node's reply when the shapes do not allow it.
template <class Op>
reply fold(std::vector<reply>& replies, Op op) {
    reply out = std::move(replies.front());
    for (std::size_t i = 1; i < replies.size(); ++i) {
        const reply& next = replies[i];
        if (out.is_integer() && next.is_integer()) {
            out = reply::make_integer(op(out.as_integer(), next.as_integer()));
        } else if (out.is_array() && next.is_array() && out.size() == next.size()) {
            std::vector<reply> elements;
            for (std::size_t k = 0; k < out.size(); ++k) {
                if (!out[k].is_integer() || !next[k].is_integer()) return out;
                elements.push_back(reply::make_integer(op(out[k].as_integer(), next[k].as_integer())));
            }
            out = reply::make_array(std::move(elements));
        }
    }
    return out;
}

}  // namespace

reply combine_replies(response_policy policy, std::vector<reply> replies) {
    if (replies.empty()) return reply();
    if (policy == response_policy::one_succeeded) {
        for (reply& r : replies) {
            if (!r.is_error()) return std::move(r);
        }
        return std::move(replies.front());
    }
    for (reply& r : replies) {
        if (r.is_error()) return std::move(r);
    }
    switch (policy) {
        case response_policy::agg_sum:
            return fold(replies, [](long long a, long long b) { return a + b; });
        case response_policy::agg_min:
            return fold(replies, [](long long a, long long b) { return std::min(a, b); });
        case response_policy::agg_max:
            return fold(replies, [](long long a, long long b) { return std::max(a, b); });
        case response_policy::agg_logical_and:
            return fold(replies, [](long long a, long long b) { return static_cast<long long>(a != 0 && b != 0); });
        case response_policy::agg_logical_or:
            return fold(replies, [](long long a, long long b) { return static_cast<long long>(a != 0 || b != 0); });
        case response_policy::none: {
            // No tip: arrays are the nodes' parts of one answer (KEYS, RANDOMKEY aside).
            if (!std::all_of(replies.begin(), replies.end(), [](const reply& r) { return r.is_array(); })) break;
            std::vector<reply> all;
            for (reply& r : replies) {
                for (reply& e : r.elements()) all.push_back(std::move(e));
            }
            return reply::make_array(std::move(all));
        }
        case response_policy::all_succeeded:
        case response_policy::one_succeeded:
        case response_policy::special:
            break;
    }
    return std::move(replies.front());
}

}  // namespace redpool::detail
