#include "lib/cluster/command_keys.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

[[noreturn]] void bad_shape(std::string_view what) {
    throw error(errc::protocol_error, fmt::format("COMMAND: unexpected reply ({})", what));
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

// A RESP2 map: a flat array of key, value, key, value... The value of `key`, or nullptr.
const reply* field(const reply& map, std::string_view key) {
    if (!map.is_array()) return nullptr;
    for (std::size_t i = 0; i + 1 < map.size(); i += 2) {
        if (map[i].is_string() || map[i].is_status()) {
            if (map[i].as_string() == key) return &map[i + 1];
        }
    }
    return nullptr;
}

int int_field(const reply& map, std::string_view key) {
    const reply* value = field(map, key);
    if (value == nullptr || !value->is_integer()) bad_shape(fmt::format("no integer \"{}\" in a key spec", key));
    return static_cast<int>(value->as_integer());
}

key_spec spec_of(const reply& map) {
    key_spec spec;
    const reply* begin = field(map, "begin_search");
    const reply* find = field(map, "find_keys");
    if (begin == nullptr || find == nullptr) bad_shape("a key spec without begin_search or find_keys");
    const reply* begin_type = field(*begin, "type");
    const reply* begin_args = field(*begin, "spec");
    if (begin_type == nullptr || begin_args == nullptr) bad_shape("a begin_search without type or spec");
    const std::string_view begin_kind = begin_type->as_string();
    if (begin_kind == "index") {
        spec.begin_kind = key_spec::begin::index;
        spec.index = int_field(*begin_args, "index");
    } else if (begin_kind == "keyword") {
        spec.begin_kind = key_spec::begin::keyword;
        const reply* keyword = field(*begin_args, "keyword");
        if (keyword == nullptr || !keyword->is_string()) bad_shape("a keyword begin_search without its keyword");
        spec.keyword = std::string(keyword->as_string());
        spec.start_from = int_field(*begin_args, "startfrom");
    }
    const reply* find_type = field(*find, "type");
    const reply* find_args = field(*find, "spec");
    if (find_type == nullptr || find_args == nullptr) bad_shape("a find_keys without type or spec");
    const std::string_view find_kind = find_type->as_string();
    if (find_kind == "range") {
        spec.find_kind = key_spec::find::range;
        spec.last_key = int_field(*find_args, "lastkey");
        spec.key_step = int_field(*find_args, "keystep");
        spec.limit = int_field(*find_args, "limit");
    } else if (find_kind == "keynum") {
        spec.find_kind = key_spec::find::keynum;
        spec.keynum_index = int_field(*find_args, "keynumidx");
        spec.first_key = int_field(*find_args, "firstkey");
        spec.key_step = int_field(*find_args, "keystep");
    }
    return spec;
}

void read_tip(std::string_view tip, command_routing& routing) {
    constexpr std::string_view request = "request_policy:";
    constexpr std::string_view response = "response_policy:";
    if (tip.starts_with(request)) {
        const std::string_view p = tip.substr(request.size());
        if (p == "all_shards") routing.request = request_policy::all_shards;
        else if (p == "all_nodes") routing.request = request_policy::all_nodes;
        else if (p == "multi_shard") routing.request = request_policy::multi_shard;
        else if (p == "special") routing.request = request_policy::special;
    } else if (tip.starts_with(response)) {
        const std::string_view p = tip.substr(response.size());
        if (p == "all_succeeded") routing.response = response_policy::all_succeeded;
        else if (p == "one_succeeded") routing.response = response_policy::one_succeeded;
        else if (p == "agg_sum") routing.response = response_policy::agg_sum;
        else if (p == "agg_min") routing.response = response_policy::agg_min;
        else if (p == "agg_max") routing.response = response_policy::agg_max;
        else if (p == "agg_logical_and") routing.response = response_policy::agg_logical_and;
        else if (p == "agg_logical_or") routing.response = response_policy::agg_logical_or;
        else if (p == "special") routing.response = response_policy::special;
    }
}

// One COMMAND entry: [name, arity, flags, first key, last key, step, ACL categories, tips, key
// specs, subcommands], and its subcommands (entries of the same shape) into `out`.
using command_map = std::unordered_map<std::string, command_routing, command_keys::name_hash, command_keys::name_equal>;

// Where visit_keys would find the first key without searching: a spec that begins at index i
// and whose range reaches at least i (last_key >= 0: always; last_key < 0 and no limit: when
// i <= argc + last_key).
void note_fixed_first_key(command_routing& routing) {
    if (routing.keys.empty()) return;
    const key_spec& spec = routing.keys.front();
    if (spec.begin_kind != key_spec::begin::index || spec.find_kind != key_spec::find::range || spec.index < 1) return;
    if (spec.last_key >= 0) {
        routing.fixed_first_key = spec.index;
        routing.fixed_first_key_needs = spec.index + 1;
    } else if (spec.limit <= 1) {
        routing.fixed_first_key = spec.index;
        routing.fixed_first_key_needs = std::max(spec.index + 1, spec.index - spec.last_key);
    }
}

void read_entry(const reply& entry, command_map& out) {
    if (entry.is_nil()) return;  // COMMAND INFO of a name the server does not know
    if (!entry.is_array() || entry.size() < 10 || !entry[0].is_string()) bad_shape("an entry is not 10 fields");
    command_routing routing;
    for (const reply& flag : entry[2].elements()) {
        if ((flag.is_status() || flag.is_string()) && flag.as_string() == "readonly") routing.readonly = true;
    }
    for (const reply& tip : entry[7].elements()) {
        if (tip.is_string() || tip.is_status()) read_tip(tip.as_string(), routing);
    }
    for (const reply& spec : entry[8].elements()) routing.keys.push_back(spec_of(spec));
    note_fixed_first_key(routing);
    for (const reply& sub : entry[9].elements()) read_entry(sub, out);
    routing.has_subcommands = !entry[9].elements().empty();
    out.insert_or_assign(lower(entry[0].as_string()), std::move(routing));
}

// A non-negative count from an argument, as the server reads numkeys; -1 when it is not one.
long long count_of(std::string_view text) {
    long long n = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    return ec == std::errc() && end == text.data() + text.size() && n >= 0 ? n : -1;
}

// Calls `found` with each key one spec finds in `args` (db.c, getKeysUsingKeySpecs), until it
// returns false; false when it did.
template <class Found>
bool visit_keys(const key_spec& spec, std::span<const std::string_view> args, Found&& found) {
    const long long argc = static_cast<long long>(args.size());
    long long first = 0;
    switch (spec.begin_kind) {
        case key_spec::begin::index:
            first = spec.index;
            break;
        case key_spec::begin::keyword: {
            const bool forward = spec.start_from > 0;
            long long i = forward ? spec.start_from : argc + spec.start_from;
            const long long end = forward ? argc - 1 : 0;
            first = -1;
            for (; forward ? i <= end : i >= end; i += forward ? 1 : -1) {
                if (i >= 0 && i < argc && equal_ignoring_case(args[static_cast<std::size_t>(i)], spec.keyword)) {
                    first = i + 1;
                    break;
                }
            }
            if (first < 0) return true;  // no such keyword: no keys from this spec
            break;
        }
        case key_spec::begin::unknown:
            return true;
    }
    long long last = 0;
    switch (spec.find_kind) {
        case key_spec::find::range:
            if (spec.last_key >= 0) last = first + spec.last_key;
            else if (spec.limit <= 1) last = argc + spec.last_key;
            else last = first + ((argc - first) / spec.limit + spec.last_key);
            break;
        case key_spec::find::keynum: {
            const long long at = first + spec.keynum_index;
            if (at < 0 || at >= argc) return true;
            const long long count = count_of(args[static_cast<std::size_t>(at)]);
            if (count < 0) return true;  // the server refuses it
            first += spec.first_key;
            last = first + count - 1;
            break;
        }
        case key_spec::find::unknown:
            return true;
    }
    const long long step = std::max(spec.key_step, 1);
    for (long long i = first; i <= last && i < argc; i += step) {
        if (i >= 1 && !found(args[static_cast<std::size_t>(i)])) return false;
    }
    return true;
}

}  // namespace

namespace {
constexpr unsigned char ascii_lower(unsigned char c) noexcept { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
}  // namespace

std::size_t command_keys::name_hash::operator()(std::string_view name) const noexcept {
    std::size_t h = 14695981039346656037ull;  // FNV-1a over the lower-cased bytes
    for (const char c : name) h = (h ^ ascii_lower(static_cast<unsigned char>(c))) * 1099511628211ull;
    return h;
}

bool command_keys::name_equal::operator()(std::string_view a, std::string_view b) const noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(static_cast<unsigned char>(x)) == ascii_lower(static_cast<unsigned char>(y));
           });
}

command_keys command_keys::from_command_reply(const reply& commands) {
    if (!commands.is_array()) bad_shape("not an array");
    command_keys table;
    for (const reply& entry : commands.elements()) read_entry(entry, table.commands_);
    return table;
}

std::uint64_t command_keys::next_id() noexcept {
    static std::atomic<std::uint64_t> ids{0};
    return ids.fetch_add(1, std::memory_order_relaxed) + 1;
}

const command_routing* command_keys::find_in_table(std::span<const std::string_view> args) const {
    if (args.empty()) return nullptr;
    const std::string_view name = args[0];
    const auto it = commands_.find(name);
    if (it == commands_.end()) return nullptr;
    if (!it->second.has_subcommands && name.size() <= sizeof last_command_lookup.name) {
        command_lookup_cache& last = last_command_lookup;
        last.table = id_;
        last.size = name.size();
        std::memcpy(last.name, name.data(), name.size());
        last.routing = &it->second;
    }
    if (it->second.has_subcommands && args.size() >= 2) {
        // A container's subcommand has an entry of its own ("object|encoding").
        const auto sub = commands_.find(lower(args[0]) + "|" + lower(args[1]));
        if (sub != commands_.end()) return &sub->second;
    }
    return &it->second;
}

std::vector<std::string_view> command_keys::keys_of(const command_routing& routing,
                                                    std::span<const std::string_view> args) {
    std::vector<std::string_view> keys;
    for (const key_spec& spec : routing.keys) {
        visit_keys(spec, args, [&](std::string_view key) {
            keys.push_back(key);
            return true;
        });
    }
    return keys;
}

std::optional<std::string_view> command_keys::first_key_searched(const command_routing& routing,
                                                                 std::span<const std::string_view> args) {
    std::optional<std::string_view> first;
    for (const key_spec& spec : routing.keys) {
        if (!visit_keys(spec, args, [&](std::string_view key) {
                first = key;
                return false;
            })) {
            break;
        }
    }
    return first;
}

}  // namespace redpool::detail
