// The registry of typed commands, gathered from every command group.
#include "lib/commands/registry.hpp"

namespace redpool::detail {

void command_registry::add_args(std::span<const std::string_view> args) {
    entries_.emplace_back(args.begin(), args.end());
}

command_registry typed_commands() {
    command_registry r;
    register_string_commands(r);
    register_key_commands(r);
    register_server_commands(r);
    register_hash_commands(r);
    register_hyperloglog_commands(r);
    register_bitmap_commands(r);
    register_list_commands(r);
    register_set_commands(r);
    register_sorted_set_commands(r);
    register_stream_commands(r);
    register_geo_commands(r);
    register_scripting_commands(r);
    register_pubsub_commands(r);
    return r;
}

}  // namespace redpool::detail
