// The stream commands: XADD, XRANGE, XREAD, consumer groups, trimming and XINFO.
#include "redpool/cmd/streams.hpp"

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/each_from.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {

// A list of entries. Before Redis 7.0, XCLAIM answered nil for a claimed id whose entry was
// deleted; such an element is skipped, as 7.0 does itself.
std::vector<stream_entry> entries_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    std::vector<stream_entry> out;
    out.reserve(e.size());
    for (reply& entry : e) {
        if (!entry.is_nil()) out.push_back(from_reply<stream_entry>(std::move(entry)));
    }
    return out;
}

std::vector<std::string> strings_from(reply&& r) { return from_reply<std::vector<std::string>>(std::move(r)); }

// [[key, [entry, ...]], ...]; nil (nothing arrived within BLOCK) is an empty result.
std::vector<stream_entries> stream_entries_from(reply&& r) {
    std::vector<reply>& streams = detail::array_from_reply(r);
    std::vector<stream_entries> out;
    out.reserve(streams.size());
    for (reply& s : streams) {
        std::vector<reply>& e = detail::array_from_reply(s);
        if (e.size() != 2) throw_unexpected_reply(s, "[key, entries]");
        out.push_back({from_reply<std::string>(std::move(e[0])), entries_from(std::move(e[1]))});
    }
    return out;
}

// [count, smallest id, greatest id, [[consumer, "count"], ...]]; the last three nil when
// nothing is pending.
xpending_summary xpending_summary_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 4) throw_unexpected_reply(r, "[count, smallest id, greatest id, consumers]");
    xpending_summary out;
    out.count = from_reply<long long>(std::move(e[0]));
    out.smallest_id = from_reply<std::optional<std::string>>(std::move(e[1]));
    out.greatest_id = from_reply<std::optional<std::string>>(std::move(e[2]));
    std::vector<reply>& consumers = detail::array_from_reply(e[3]);
    out.consumers.reserve(consumers.size());
    for (reply& c : consumers) {
        std::vector<reply>& pair = detail::array_from_reply(c);
        if (pair.size() != 2) throw_unexpected_reply(c, "[consumer, count]");
        out.consumers.push_back({from_reply<std::string>(std::move(pair[0])), detail::integer_from_text(pair[1])  /* XPENDING counts in a bulk string */});
    }
    return out;
}

// [[id, consumer, idle ms, deliveries], ...]
std::vector<xpending_entry> xpending_entries_from(reply&& r) {
    std::vector<reply>& entries = detail::array_from_reply(r);
    std::vector<xpending_entry> out;
    out.reserve(entries.size());
    for (reply& entry : entries) {
        std::vector<reply>& e = detail::array_from_reply(entry);
        if (e.size() != 4) throw_unexpected_reply(entry, "[id, consumer, idle, deliveries]");
        out.push_back({from_reply<std::string>(std::move(e[0])), from_reply<std::string>(std::move(e[1])),
                       from_reply<std::chrono::milliseconds>(std::move(e[2])), from_reply<long long>(std::move(e[3]))});
    }
    return out;
}

// [next start id, claimed, deleted ids]; Redis 6.2 sends no third element.
template <class T, std::vector<T> (*read_claimed)(reply&&)>
xautoclaim_page<T> xautoclaim_page_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 2 && e.size() != 3) throw_unexpected_reply(r, "[next id, claimed, deleted ids]");
    xautoclaim_page<T> page;
    page.next_start_id = from_reply<std::string>(std::move(e[0]));
    page.claimed = read_claimed(std::move(e[1]));
    if (e.size() == 3) page.deleted_ids = strings_from(std::move(e[2]));
    return page;
}

stream_info stream_info_from(reply&& r) {
    stream_info info;
    detail::for_each_field(r, [&](std::string_view name, reply&& value) {
        if (name == "length") info.length = from_reply<long long>(std::move(value));
        else if (name == "radix-tree-keys") info.radix_tree_keys = from_reply<long long>(std::move(value));
        else if (name == "radix-tree-nodes") info.radix_tree_nodes = from_reply<long long>(std::move(value));
        else if (name == "last-generated-id") info.last_generated_id = from_reply<std::string>(std::move(value));
        else if (name == "max-deleted-entry-id") info.max_deleted_entry_id = from_reply<std::string>(std::move(value));
        else if (name == "entries-added") info.entries_added = from_reply<long long>(std::move(value));
        else if (name == "recorded-first-entry-id")
            info.recorded_first_entry_id = from_reply<std::string>(std::move(value));
        else if (name == "groups") info.groups = from_reply<long long>(std::move(value));
        else if (name == "first-entry") info.first_entry = from_reply<std::optional<stream_entry>>(std::move(value));
        else if (name == "last-entry") info.last_entry = from_reply<std::optional<stream_entry>>(std::move(value));
    });
    return info;
}

stream_group_info stream_group_from(reply&& r) {
    stream_group_info group;
    detail::for_each_field(r, [&](std::string_view name, reply&& value) {
        if (name == "name") group.name = from_reply<std::string>(std::move(value));
        else if (name == "consumers") group.consumers = from_reply<long long>(std::move(value));
        else if (name == "pending") group.pending = from_reply<long long>(std::move(value));
        else if (name == "last-delivered-id") group.last_delivered_id = from_reply<std::string>(std::move(value));
        else if (name == "entries-read") group.entries_read = from_reply<std::optional<long long>>(std::move(value));
        else if (name == "lag") group.lag = from_reply<std::optional<long long>>(std::move(value));
    });
    return group;
}

stream_consumer_info stream_consumer_from(reply&& r) {
    using std::chrono::milliseconds;
    stream_consumer_info consumer;
    detail::for_each_field(r, [&](std::string_view name, reply&& value) {
        if (name == "name") consumer.name = from_reply<std::string>(std::move(value));
        else if (name == "pending") consumer.pending = from_reply<long long>(std::move(value));
        else if (name == "idle") consumer.idle = from_reply<milliseconds>(std::move(value));
        else if (name == "inactive") consumer.inactive = from_reply<milliseconds>(std::move(value));
    });
    return consumer;
}

}  // namespace

stream_entry reply_converter<stream_entry>::convert(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 2) throw_unexpected_reply(r, "[id, [field, value, ...]]");
    // A deleted entry re-read from a pending list has nil for its fields: no fields.
    return {from_reply<std::string>(std::move(e[0])), pairs_from_reply<std::string, std::string>(std::move(e[1]))};
}

namespace cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using pair_span = std::span<const std::pair<std::string_view, std::string_view>>;

// MAXLEN|MINID [=|~] threshold [LIMIT n], as XADD and XTRIM take it.
void add_trim(args_builder& args, std::string_view name, const stream_trim& trim) {
    if (trim.max_len && trim.min_id)
        throw error(errc::invalid_argument, fmt::format("{}: max_len and min_id are mutually exclusive", name));
    if (!trim.max_len && !trim.min_id) {
        // `~` and LIMIT qualify a threshold: alone they would be dropped without a word.
        if (trim.limit) throw error(errc::invalid_argument, fmt::format("{}: a limit without a threshold", name));
        if (trim.approximate)
            throw error(errc::invalid_argument, fmt::format("{}: approximate trimming without a threshold", name));
        return;
    }
    if (trim.max_len && *trim.max_len < 0) throw error(errc::invalid_argument, fmt::format("{}: negative max_len", name));
    if (trim.limit && !trim.approximate)
        throw error(errc::invalid_argument, fmt::format("{}: a limit needs approximate trimming", name));
    if (trim.limit && *trim.limit < 0) throw error(errc::invalid_argument, fmt::format("{}: negative limit", name));
    if (trim.max_len) args.add("MAXLEN").add(trim.approximate ? "~" : "=").add_integer(*trim.max_len);
    else args.add("MINID").add(trim.approximate ? "~" : "=").add(*trim.min_id);
    if (trim.limit) args.add("LIMIT").add_integer(*trim.limit);
}

// XADD key [NOMKSTREAM] [trim] id field value ...
args_builder xadd_args(std::string_view key, std::string_view id, pair_span fields, const stream_trim& trim,
                       bool nomkstream) {
    if (fields.empty()) throw error(errc::invalid_argument, "XADD: no fields");
    args_builder args("XADD");
    args.add(key);
    if (nomkstream) args.add("NOMKSTREAM");
    add_trim(args, "XADD", trim);
    args.add(id).add_pairs(fields);
    return args;
}

void require_count(std::string_view name, long long count) {
    if (count < 0) throw error(errc::invalid_argument, fmt::format("{}: negative count", name));
}

// COUNT n, where Redis takes it as an option: 0 leaves it out (no limit, or the default).
void add_count(args_builder& args, std::string_view name, long long count) {
    require_count(name, count);
    if (count > 0) args.add("COUNT").add_integer(count);
}

// BLOCK ms: milliseconds as an integer, which is where the client reads its deadline from.
void add_block(args_builder& args, std::string_view name, const std::optional<std::chrono::milliseconds>& block) {
    if (!block) return;
    if (block->count() < 0) throw error(errc::invalid_argument, fmt::format("{}: negative block time", name));
    args.add("BLOCK").add_integer(block->count());
}

// STREAMS key ... id ...
void add_streams(args_builder& args, std::string_view name, pair_span streams) {
    if (streams.empty()) throw error(errc::invalid_argument, fmt::format("{}: no streams", name));
    args.add("STREAMS");
    for (const auto& s : streams) args.add(s.first);
    for (const auto& s : streams) args.add(s.second);
}

void require_ids(std::string_view name, std::span<const std::string_view> ids) {
    if (ids.empty()) throw error(errc::invalid_argument, fmt::format("{}: no ids", name));
}

// XCLAIM key group consumer min-idle id ... [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID]
args_builder xclaim_args(std::string_view key, std::string_view group, std::string_view consumer,
                         std::chrono::milliseconds min_idle, std::span<const std::string_view> ids,
                         const xclaim_options& opts, bool justid) {
    require_ids("XCLAIM", ids);
    // Both set the last delivery time; given both, the server silently keeps TIME.
    if (opts.idle && opts.time) throw error(errc::invalid_argument, "XCLAIM: both idle and time");
    args_builder args("XCLAIM");
    args.add(key).add(group).add(consumer).add_integer(min_idle.count()).add_all(ids);
    if (opts.idle) args.add("IDLE").add_integer(opts.idle->count());
    if (opts.time) {
        using std::chrono::duration_cast;
        args.add("TIME").add_integer(
            duration_cast<std::chrono::milliseconds>(opts.time->time_since_epoch()).count());
    }
    if (opts.retry_count) args.add("RETRYCOUNT").add_integer(*opts.retry_count);
    if (opts.force) args.add("FORCE");
    if (justid) args.add("JUSTID");
    return args;
}

// XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID]
args_builder xautoclaim_args(std::string_view key, std::string_view group, std::string_view consumer,
                             std::chrono::milliseconds min_idle, std::string_view start, long long count,
                             bool justid) {
    args_builder args("XAUTOCLAIM");
    args.add(key).add(group).add(consumer).add_integer(min_idle.count()).add(start);
    add_count(args, "XAUTOCLAIM", count);
    if (justid) args.add("JUSTID");
    return args;
}

command<std::vector<stream_entry>> range(std::string_view name, std::string_view key, std::string_view from,
                                         std::string_view to, long long count) {
    args_builder args(name);
    args.add(key).add(from).add(to);
    add_count(args, name, count);
    return args.build<std::vector<stream_entry>>(&entries_from);
}

}  // namespace

command<std::string> xadd(std::string_view key, std::string_view id, pair_span fields, const stream_trim& trim) {
    return xadd_args(key, id, fields, trim, false).build<std::string>();
}

command<std::string> xadd(std::string_view key, std::string_view id,
                          std::initializer_list<std::pair<std::string_view, std::string_view>> fields,
                          const stream_trim& trim) {
    return xadd(key, id, as_span(fields), trim);
}

command<std::optional<std::string>> xadd_nomkstream(std::string_view key, std::string_view id, pair_span fields,
                                                    const stream_trim& trim) {
    return xadd_args(key, id, fields, trim, true).build<std::optional<std::string>>();
}

command<std::optional<std::string>> xadd_nomkstream(
    std::string_view key, std::string_view id,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields, const stream_trim& trim) {
    return xadd_nomkstream(key, id, as_span(fields), trim);
}

command<std::vector<stream_entry>> xrange(std::string_view key, std::string_view start, std::string_view end,
                                          long long count) {
    return range("XRANGE", key, start, end, count);
}

command<std::vector<stream_entry>> xrevrange(std::string_view key, std::string_view end, std::string_view start,
                                             long long count) {
    return range("XREVRANGE", key, end, start, count);
}

// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...
command<std::vector<stream_entries>> xread(pair_span streams, const xread_options& opts) {
    args_builder args("XREAD");
    add_count(args, "XREAD", opts.count);
    add_block(args, "XREAD", opts.block);
    add_streams(args, "XREAD", streams);
    return args.build<std::vector<stream_entries>>(&stream_entries_from);
}

command<std::vector<stream_entries>> xread(std::initializer_list<std::pair<std::string_view, std::string_view>> streams,
                                           const xread_options& opts) {
    return xread(as_span(streams), opts);
}

// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
command<std::vector<stream_entries>> xreadgroup(std::string_view group, std::string_view consumer, pair_span streams,
                                                const xreadgroup_options& opts) {
    args_builder args("XREADGROUP");
    args.add("GROUP").add(group).add(consumer);
    add_count(args, "XREADGROUP", opts.count);
    add_block(args, "XREADGROUP", opts.block);
    if (opts.no_ack) args.add("NOACK");
    add_streams(args, "XREADGROUP", streams);
    return args.build<std::vector<stream_entries>>(&stream_entries_from);
}

command<std::vector<stream_entries>> xreadgroup(
    std::string_view group, std::string_view consumer,
    std::initializer_list<std::pair<std::string_view, std::string_view>> streams, const xreadgroup_options& opts) {
    return xreadgroup(group, consumer, as_span(streams), opts);
}

command<void> xgroup_create(std::string_view key, std::string_view group, std::string_view id,
                            const xgroup_create_options& opts) {
    args_builder args("XGROUP");
    args.add("CREATE").add(key).add(group).add(id);
    if (opts.mkstream) args.add("MKSTREAM");
    if (opts.entries_read) args.add("ENTRIESREAD").add_integer(*opts.entries_read);
    return args.build<void>(&detail::read_ok);
}

command<bool> xgroup_destroy(std::string_view key, std::string_view group) {
    return {"XGROUP", "DESTROY", key, group};
}

command<void> xgroup_setid(std::string_view key, std::string_view group, std::string_view id,
                           std::optional<long long> entries_read) {
    args_builder args("XGROUP");
    args.add("SETID").add(key).add(group).add(id);
    if (entries_read) args.add("ENTRIESREAD").add_integer(*entries_read);
    return args.build<void>(&detail::read_ok);
}

command<bool> xgroup_createconsumer(std::string_view key, std::string_view group, std::string_view consumer) {
    return {"XGROUP", "CREATECONSUMER", key, group, consumer};
}

command<long long> xgroup_delconsumer(std::string_view key, std::string_view group, std::string_view consumer) {
    return {"XGROUP", "DELCONSUMER", key, group, consumer};
}

command<long long> xack(std::string_view key, std::string_view group, std::string_view id) {
    return {"XACK", key, group, id};
}

command<long long> xack(std::string_view key, std::string_view group, std::span<const std::string_view> ids) {
    if (ids.empty()) return detail::answered_empty<long long>();
    return args_builder("XACK").add(key).add(group).add_all(ids).build<long long>();
}

command<long long> xack(std::string_view key, std::string_view group, std::initializer_list<std::string_view> ids) {
    return xack(key, group, as_span(ids));
}

command<xpending_summary> xpending(std::string_view key, std::string_view group) {
    return command<xpending_summary>({"XPENDING", key, group}, &xpending_summary_from);
}

// XPENDING key group [IDLE ms] start end count [consumer]
command<std::vector<xpending_entry>> xpending(std::string_view key, std::string_view group, std::string_view start,
                                              std::string_view end, long long count, const xpending_options& opts) {
    require_count("XPENDING", count);
    args_builder args("XPENDING");
    args.add(key).add(group);
    if (opts.min_idle.count() != 0) args.add("IDLE").add_integer(opts.min_idle.count());
    args.add(start).add(end).add_integer(count);
    if (opts.consumer) args.add(*opts.consumer);
    return args.build<std::vector<xpending_entry>>(&xpending_entries_from);
}

command<std::vector<stream_entry>> xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                                          std::chrono::milliseconds min_idle, std::span<const std::string_view> ids,
                                          const xclaim_options& opts) {
    return xclaim_args(key, group, consumer, min_idle, ids, opts, false).build<std::vector<stream_entry>>(&entries_from);
}

command<std::vector<stream_entry>> xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                                          std::chrono::milliseconds min_idle,
                                          std::initializer_list<std::string_view> ids, const xclaim_options& opts) {
    return xclaim(key, group, consumer, min_idle, as_span(ids), opts);
}

command<std::vector<std::string>> xclaim_justid(std::string_view key, std::string_view group,
                                                std::string_view consumer, std::chrono::milliseconds min_idle,
                                                std::span<const std::string_view> ids, const xclaim_options& opts) {
    return xclaim_args(key, group, consumer, min_idle, ids, opts, true).build<std::vector<std::string>>();
}

command<std::vector<std::string>> xclaim_justid(std::string_view key, std::string_view group,
                                                std::string_view consumer, std::chrono::milliseconds min_idle,
                                                std::initializer_list<std::string_view> ids,
                                                const xclaim_options& opts) {
    return xclaim_justid(key, group, consumer, min_idle, as_span(ids), opts);
}

command<xautoclaim_page<stream_entry>> xautoclaim(std::string_view key, std::string_view group,
                                                  std::string_view consumer, std::chrono::milliseconds min_idle,
                                                  std::string_view start, long long count) {
    return xautoclaim_args(key, group, consumer, min_idle, start, count, false)
        .build<xautoclaim_page<stream_entry>>(&xautoclaim_page_from<stream_entry, &entries_from>);
}

command<xautoclaim_page<std::string>> xautoclaim_justid(std::string_view key, std::string_view group,
                                                        std::string_view consumer,
                                                        std::chrono::milliseconds min_idle, std::string_view start,
                                                        long long count) {
    return xautoclaim_args(key, group, consumer, min_idle, start, count, true)
        .build<xautoclaim_page<std::string>>(&xautoclaim_page_from<std::string, &strings_from>);
}

command<long long> xdel(std::string_view key, std::string_view id) { return {"XDEL", key, id}; }

command<long long> xdel(std::string_view key, std::span<const std::string_view> ids) {
    if (ids.empty()) return detail::answered_empty<long long>();
    return args_builder("XDEL").add(key).add_all(ids).build<long long>();
}

command<long long> xdel(std::string_view key, std::initializer_list<std::string_view> ids) {
    return xdel(key, as_span(ids));
}

command<long long> xlen(std::string_view key) { return {"XLEN", key}; }

command<long long> xtrim(std::string_view key, const stream_trim& trim) {
    if (!trim.max_len && !trim.min_id) throw error(errc::invalid_argument, "XTRIM: neither max_len nor min_id");
    args_builder args("XTRIM");
    args.add(key);
    add_trim(args, "XTRIM", trim);
    return args.build<long long>();
}

command<void> xsetid(std::string_view key, std::string_view last_id, const xsetid_options& opts) {
    args_builder args("XSETID");
    args.add(key).add(last_id);
    if (opts.entries_added) args.add("ENTRIESADDED").add_integer(*opts.entries_added);
    if (opts.max_deleted_id) args.add("MAXDELETEDID").add(*opts.max_deleted_id);
    return args.build<void>(&detail::read_ok);
}

command<stream_info> xinfo_stream(std::string_view key) {
    return command<stream_info>({"XINFO", "STREAM", key}, &stream_info_from);
}

command<std::vector<stream_group_info>> xinfo_groups(std::string_view key) {
    return command<std::vector<stream_group_info>>({"XINFO", "GROUPS", key},
                                                   &detail::each_from<stream_group_info, &stream_group_from>);
}

command<std::vector<stream_consumer_info>> xinfo_consumers(std::string_view key, std::string_view group) {
    return command<std::vector<stream_consumer_info>>({"XINFO", "CONSUMERS", key, group},
                                                      &detail::each_from<stream_consumer_info, &stream_consumer_from>);
}

}  // namespace cmd
}  // namespace redpool

namespace redpool::detail {

void register_stream_commands(command_registry& r) {
    using std::chrono::milliseconds;
    r.add(cmd::xadd("s", "*", {{"f", "v"}}));
    r.add(cmd::xrange("s", "-", "+"));
    r.add(cmd::xrevrange("s", "+", "-"));
    r.add(cmd::xread({{"s", "0"}}));
    r.add(cmd::xreadgroup("g", "c", {{"s", ">"}}));
    r.add(cmd::xgroup_create("s", "g", "$"));
    r.add(cmd::xgroup_destroy("s", "g"));
    r.add(cmd::xgroup_setid("s", "g", "$"));
    r.add(cmd::xgroup_createconsumer("s", "g", "c"));
    r.add(cmd::xgroup_delconsumer("s", "g", "c"));
    r.add(cmd::xack("s", "g", {"0-1"}));
    r.add(cmd::xpending("s", "g"));
    r.add(cmd::xclaim("s", "g", "c", milliseconds(0), {"0-1"}));
    r.add(cmd::xautoclaim("s", "g", "c", milliseconds(0), "0-0"));
    r.add(cmd::xdel("s", {"0-1"}));
    r.add(cmd::xlen("s"));
    r.add(cmd::xtrim("s", {.max_len = 0}));
    r.add(cmd::xsetid("s", "0-1"));
    r.add(cmd::xinfo_stream("s"));
    r.add(cmd::xinfo_groups("s"));
    r.add(cmd::xinfo_consumers("s", "g"));
}

}  // namespace redpool::detail
