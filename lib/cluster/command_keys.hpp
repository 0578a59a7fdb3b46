// detail::command_keys — where each command's keys are, and how a keyless one is routed, from
// the server's own COMMAND table (Redis 7: key specifications and command tips). Asking the
// server rather than keeping a table here means every command the server knows routes, modules'
// included, with the server's own rules for finding keys (db.c, getKeysUsingKeySpecs).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "redpool/reply.hpp"

namespace redpool::detail {

/// Where a keyless command goes (its `request_policy` tip), and how the replies of several
/// nodes become one (its `response_policy` tip).
enum class request_policy { any_node, all_shards, all_nodes, multi_shard, special };
enum class response_policy { none, all_succeeded, one_succeeded, agg_sum, agg_min, agg_max, agg_logical_and, agg_logical_or, special };

/// One key specification: how to find where a run of keys begins, and how far it goes.
struct key_spec {
    enum class begin { index, keyword, unknown } begin_kind = begin::unknown;
    int index = 0;            // begin::index: the first key's position
    std::string keyword;      // begin::keyword: the keys follow this argument (upper case)
    int start_from = 0;       // begin::keyword: where the search starts; negative: from the end, backwards
    enum class find { range, keynum, unknown } find_kind = find::unknown;
    int last_key = 0;         // find::range: relative to the first key; negative: from the end
    int key_step = 1;         // both: keys are this many arguments apart
    int limit = 0;            // find::range with last_key < 0: keys take 1/limit of what is left
    int keynum_index = 0;     // find::keynum: the count's position, relative to the begin
    int first_key = 0;        // find::keynum: the first key's position, relative to the begin
};

struct command_routing {
    std::vector<key_spec> keys;
    request_policy request = request_policy::any_node;
    response_policy response = response_policy::none;
    bool readonly = false;  // may run on a replica (its "readonly" flag)
    bool has_subcommands = false;  // a container (CONFIG, OBJECT...): its subcommands have entries
    // When the first key spec starts at a fixed position and takes at least one key from there
    // (GET, SET, MSET, DEL...): that position, and how many arguments make it present. Zero
    // otherwise. first_key_of's shortcut past the general search.
    int fixed_first_key = 0;
    int fixed_first_key_needs = 0;
};

/// A thread's last command_keys::find of a command without subcommands.
struct command_lookup_cache {
    std::uint64_t table = 0;  // the id of the table it is from; 0: none
    std::size_t size = 0;
    char name[24] = {};
    const command_routing* routing = nullptr;
};
// constinit: no per-access initialization check.
inline constinit thread_local command_lookup_cache last_command_lookup{};

class command_keys {
public:
    command_keys() = default;
    // Each object has an identity of its own (see find's cache), copies and moves included.
    command_keys(const command_keys& other) : commands_(other.commands_) {}
    command_keys(command_keys&& other) noexcept : commands_(std::move(other.commands_)) {}
    command_keys& operator=(const command_keys& other) {
        commands_ = other.commands_;
        id_ = next_id();
        return *this;
    }
    command_keys& operator=(command_keys&& other) noexcept {
        commands_ = std::move(other.commands_);
        id_ = next_id();
        return *this;
    }

    /// Builds the table from a COMMAND reply (or COMMAND INFO's). Throws `errc::protocol_error`
    /// for a reply of another shape.
    static command_keys from_command_reply(const reply& commands);

    /// The routing of `args`' command (its subcommand's, for a container such as OBJECT or
    /// XGROUP), or nullptr for a command the server does not know.
    const command_routing* find(std::span<const std::string_view> args) const {
        // Each thread remembers its last lookup: programs send the same few commands again and
        // again, and comparing a few bytes costs a fraction of hashing the name. Keyed by the
        // table's id, never reused, so an entry of a table since destroyed is never matched.
        if (!args.empty()) {
            const command_lookup_cache* last = &last_command_lookup;
            const std::size_t size = args[0].size();
            if (last->table == id_ && size == last->size) {
                const char* name = args[0].data();
                const char* cached = last->name;
                std::size_t i = 0;
                while (i < size && name[i] == cached[i]) ++i;
                if (i == size) return last->routing;
            }
        }
        return find_in_table(args);
    }

    /// The keys of `args`, in order, as the server would find them; empty for a keyless command.
    /// Arguments that the specifications point past (a malformed command) are left out: the
    /// server rejects the command itself.
    static std::vector<std::string_view> keys_of(const command_routing& routing, std::span<const std::string_view> args);

    /// The first of those keys (what routing needs), without collecting the rest.
    static std::optional<std::string_view> first_key_of(const command_routing& routing,
                                                        std::span<const std::string_view> args) {
        if (routing.fixed_first_key > 0 && args.size() >= static_cast<std::size_t>(routing.fixed_first_key_needs)) {
            return args[static_cast<std::size_t>(routing.fixed_first_key)];
        }
        return first_key_searched(routing, args);
    }

    std::size_t size() const noexcept { return commands_.size(); }

    /// Command names in any case, looked up as they come (no lower-cased copy per command).
    struct name_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view name) const noexcept;
    };
    struct name_equal {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const noexcept;
    };

private:
    static std::uint64_t next_id() noexcept;
    const command_routing* find_in_table(std::span<const std::string_view> args) const;
    static std::optional<std::string_view> first_key_searched(const command_routing& routing,
                                                              std::span<const std::string_view> args);

    // Lower case; "config|get" for a subcommand.
    std::unordered_map<std::string, command_routing, name_hash, name_equal> commands_;
    std::uint64_t id_ = next_id();  // never 0, never reused
};

}  // namespace redpool::detail
