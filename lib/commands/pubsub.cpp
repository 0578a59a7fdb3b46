// The pub/sub commands any connection may send: PUBLISH, SPUBLISH and the PUBSUB subcommands.
// The subscribing commands belong to redpool::subscriber (lib/client/subscriber.cpp).
#include "redpool/cmd/pubsub.hpp"

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using subscriber_counts = std::vector<std::pair<std::string, long long>>;

// NUMSUB and SHARDNUMSUB answer a flat list: channel, count, channel, count, ...
constexpr auto counts_from = &pairs_from_reply<std::string, long long>;

command<subscriber_counts> counts_of(std::string_view subcommand, std::span<const std::string_view> channels) {
    // The server would answer an empty list; nothing to ask.
    if (channels.empty()) return detail::answered_empty<subscriber_counts>();
    return args_builder("PUBSUB").add(subcommand).add_all(channels).build<subscriber_counts>(counts_from);
}

}  // namespace

command<long long> publish(std::string_view channel, std::string_view message) {
    return {"PUBLISH", channel, message};
}

command<long long> spublish(std::string_view channel, std::string_view message) {
    return {"SPUBLISH", channel, message};
}

command<std::vector<std::string>> pubsub_channels() { return {"PUBSUB", "CHANNELS"}; }

command<std::vector<std::string>> pubsub_channels(std::string_view pattern) {
    return {"PUBSUB", "CHANNELS", pattern};
}

command<subscriber_counts> pubsub_numsub(std::span<const std::string_view> channels) {
    return counts_of("NUMSUB", channels);
}

command<subscriber_counts> pubsub_numsub(std::initializer_list<std::string_view> channels) {
    return pubsub_numsub(as_span(channels));
}

command<long long> pubsub_numpat() { return {"PUBSUB", "NUMPAT"}; }

command<std::vector<std::string>> pubsub_shardchannels() { return {"PUBSUB", "SHARDCHANNELS"}; }

command<std::vector<std::string>> pubsub_shardchannels(std::string_view pattern) {
    return {"PUBSUB", "SHARDCHANNELS", pattern};
}

command<subscriber_counts> pubsub_shardnumsub(std::span<const std::string_view> channels) {
    return counts_of("SHARDNUMSUB", channels);
}

command<subscriber_counts> pubsub_shardnumsub(std::initializer_list<std::string_view> channels) {
    return pubsub_shardnumsub(as_span(channels));
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_pubsub_commands(command_registry& r) {
    r.add(cmd::publish("c", "m"));
    r.add(cmd::spublish("c", "m"));
    r.add(cmd::pubsub_channels());
    r.add(cmd::pubsub_numsub({"c"}));
    r.add(cmd::pubsub_numpat());
    r.add(cmd::pubsub_shardchannels());
    r.add(cmd::pubsub_shardnumsub({"c"}));
}

}  // namespace redpool::detail
