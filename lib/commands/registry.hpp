// detail::command_registry — every typed command, as the arguments one of its factories
// builds. //tools/command-coverage reads the command names from it and compares them with the
// server's own list, so "typed" means "a factory exists", never a list kept by hand.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"

namespace redpool::detail {

class command_registry {
public:
    /// Records the arguments `c` sends.
    template <class T>
    void add(const command<T>& c) {
        add_args(c.args());
    }
    /// The recorded argument lists, in the order they were added.
    const std::vector<std::vector<std::string>>& entries() const noexcept { return entries_; }

private:
    void add_args(std::span<const std::string_view> args);

    std::vector<std::vector<std::string>> entries_;
};

// One per command group, each defined beside the group's factories.
void register_string_commands(command_registry& r);
void register_key_commands(command_registry& r);
void register_server_commands(command_registry& r);
void register_hash_commands(command_registry& r);
void register_hyperloglog_commands(command_registry& r);
void register_bitmap_commands(command_registry& r);
void register_list_commands(command_registry& r);
void register_set_commands(command_registry& r);
void register_sorted_set_commands(command_registry& r);
void register_stream_commands(command_registry& r);
void register_geo_commands(command_registry& r);
void register_scripting_commands(command_registry& r);
void register_pubsub_commands(command_registry& r);

/// Every group's commands.
command_registry typed_commands();

}  // namespace redpool::detail
