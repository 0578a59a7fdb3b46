// redpool/cmd/pubsub.hpp — Redis's pub/sub commands that any connection may send: PUBLISH and
// SPUBLISH, and the PUBSUB introspection subcommands (CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS,
// SHARDNUMSUB).
//
// Receiving is not here: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE counterparts
// take a connection over, so they are `redpool::subscriber`'s methods (`client::subscriber()`).
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `pubsub_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

namespace cmd {

/// PUBLISH: sends `message` to every subscriber of `channel` (and of the patterns it matches);
/// the number of subscribers that received it on this server (in a cluster, on this node).
command<long long> publish(std::string_view channel, std::string_view message);
/// SPUBLISH: sends `message` to the subscribers of the shard channel `channel` (see
/// `subscriber::ssubscribe`); the number that received it.
command<long long> spublish(std::string_view channel, std::string_view message);
/// PUBSUB CHANNELS: the channels with at least one subscriber (pattern subscriptions do not
/// count), all of them or those matching the glob-style `pattern`. In no particular order.
command<std::vector<std::string>> pubsub_channels();
command<std::vector<std::string>> pubsub_channels(std::string_view pattern);
/// PUBSUB NUMSUB: each channel with its number of subscribers (pattern subscriptions do not
/// count), in the order asked; 0 for a channel nobody listens to. No channels: empty, nothing
/// sent.
command<std::vector<std::pair<std::string, long long>>> pubsub_numsub(std::span<const std::string_view> channels);
command<std::vector<std::pair<std::string, long long>>> pubsub_numsub(
    std::initializer_list<std::string_view> channels);
/// PUBSUB NUMPAT: the number of distinct patterns subscribed to by any client (a pattern two
/// clients subscribe to counts once).
command<long long> pubsub_numpat();
/// PUBSUB SHARDCHANNELS: the shard channels with at least one subscriber, all of them or those
/// matching the glob-style `pattern`. In no particular order.
command<std::vector<std::string>> pubsub_shardchannels();
command<std::vector<std::string>> pubsub_shardchannels(std::string_view pattern);
/// PUBSUB SHARDNUMSUB: each shard channel with its number of subscribers, in the order asked.
/// No channels: empty, nothing sent.
command<std::vector<std::pair<std::string, long long>>> pubsub_shardnumsub(
    std::span<const std::string_view> channels);
command<std::vector<std::pair<std::string, long long>>> pubsub_shardnumsub(
    std::initializer_list<std::string_view> channels);

}  // namespace cmd

/// The pub/sub commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class pubsub_commands {
public:
    auto publish(std::string_view channel, std::string_view message) { return run(cmd::publish(channel, message)); }
    auto spublish(std::string_view channel, std::string_view message) {
        return run(cmd::spublish(channel, message));
    }
    auto pubsub_channels() { return run(cmd::pubsub_channels()); }
    auto pubsub_channels(std::string_view pattern) { return run(cmd::pubsub_channels(pattern)); }
    auto pubsub_numsub(std::span<const std::string_view> channels) { return run(cmd::pubsub_numsub(channels)); }
    auto pubsub_numsub(std::initializer_list<std::string_view> channels) {
        return run(cmd::pubsub_numsub(channels));
    }
    auto pubsub_numpat() { return run(cmd::pubsub_numpat()); }
    auto pubsub_shardchannels() { return run(cmd::pubsub_shardchannels()); }
    auto pubsub_shardchannels(std::string_view pattern) { return run(cmd::pubsub_shardchannels(pattern)); }
    auto pubsub_shardnumsub(std::span<const std::string_view> channels) {
        return run(cmd::pubsub_shardnumsub(channels));
    }
    auto pubsub_shardnumsub(std::initializer_list<std::string_view> channels) {
        return run(cmd::pubsub_shardnumsub(channels));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
