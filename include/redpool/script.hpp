// redpool/script.hpp — a Lua script known by its SHA-1, so it is sent in full only when the
// server does not have it yet:
//
//     static const redpool::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
//     redpool::reply r = redis.run_script(add, {"counter"}, {"5"});
//
// `run_script` sends EVALSHA and, when the server answers NOSCRIPT (after SCRIPT FLUSH or a
// restart), EVAL with the source. Pipelines and transactions load it first in the same round
// trip instead (see `basic_batch::run_script`).
#pragma once

#include <string>

namespace redpool {

/// A Lua script and its SHA-1. Immutable; safe to share between threads.
class script {
public:
    /// Keeps `source` and computes its SHA-1 (no round trip).
    explicit script(std::string source);

    /// The Lua source, as given.
    const std::string& source() const noexcept { return source_; }
    /// The SHA-1 of the source as 40 lower-case hex digits, as SCRIPT LOAD returns it.
    const std::string& sha1() const noexcept { return sha1_; }

private:
    std::string source_;
    std::string sha1_;
};

}  // namespace redpool
