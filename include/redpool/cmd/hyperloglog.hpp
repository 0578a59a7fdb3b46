// redpool/cmd/hyperloglog.hpp — Redis's HyperLogLog commands: approximate counting of distinct
// elements (standard error 0.81%) in at most 12 KB per key.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `hyperloglog_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "redpool/command.hpp"

namespace redpool {

namespace cmd {

/// PFADD: true if the estimate changed (or the key was created), false otherwise. No elements
/// is valid: it creates an empty HyperLogLog if the key does not exist (true), else false. A
/// key holding something other than a HyperLogLog throws `reply_error`.
command<bool> pfadd(std::string_view key, std::span<const std::string_view> elements);
command<bool> pfadd(std::string_view key, std::initializer_list<std::string_view> elements);
/// PFADD of one element: true if the estimate changed (or the key was created).
command<bool> pfadd(std::string_view key, std::string_view element);
/// PFCOUNT: the estimated number of distinct elements in the union of the keys (a missing key
/// counts as empty). No keys: 0, nothing sent.
command<long long> pfcount(std::span<const std::string_view> keys);
command<long long> pfcount(std::initializer_list<std::string_view> keys);
/// PFMERGE: stores the union of `destination` and the sources in `destination`, creating it
/// if missing (no sources is valid: it only creates `destination`).
command<void> pfmerge(std::string_view destination, std::span<const std::string_view> sources);
command<void> pfmerge(std::string_view destination, std::initializer_list<std::string_view> sources);

}  // namespace cmd

/// The HyperLogLog commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class hyperloglog_commands {
public:
    auto pfadd(std::string_view key, std::span<const std::string_view> elements) {
        return run(cmd::pfadd(key, elements));
    }
    auto pfadd(std::string_view key, std::initializer_list<std::string_view> elements) {
        return run(cmd::pfadd(key, elements));
    }
    auto pfadd(std::string_view key, std::string_view element) { return run(cmd::pfadd(key, element)); }
    auto pfcount(std::span<const std::string_view> keys) { return run(cmd::pfcount(keys)); }
    auto pfcount(std::initializer_list<std::string_view> keys) { return run(cmd::pfcount(keys)); }
    auto pfmerge(std::string_view destination, std::span<const std::string_view> sources) {
        return run(cmd::pfmerge(destination, sources));
    }
    auto pfmerge(std::string_view destination, std::initializer_list<std::string_view> sources) {
        return run(cmd::pfmerge(destination, sources));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
