// redpool/cmd/streams.hpp — Redis's stream commands: XADD and reading (XRANGE, XREAD), consumer
// groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), trimming, and XINFO.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `stream_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
//
// Entry ids are strings as Redis writes them ("1700000000000-0"); wherever Redis takes an id,
// its special forms ("*", "-", "+", "$", ">", "0") are passed through as they are.
//
// Counts are `long long`: a negative one throws `errc::invalid_argument` before anything is
// sent. Where a count is optional in Redis (COUNT of XRANGE, XREAD, XAUTOCLAIM...), 0 sends
// none: no limit, or the server's default.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// One stream entry: its id and its field-value pairs, in the order they were added.
struct stream_entry {
    /// The entry's id ("1700000000000-0").
    std::string id;
    /// The field-value pairs, in the order XADD gave them. Empty for an entry that was deleted
    /// while pending in a consumer group: XREADGROUP re-reading history reports only its id
    /// (an entry that exists always has a field).
    std::vector<std::pair<std::string, std::string>> fields;

    friend bool operator==(const stream_entry&, const stream_entry&) = default;
};

/// Reads a stream entry (`[id, [field, value, ...]]`), so `command<stream_entry>` and
/// `command<std::optional<stream_entry>>` work with `from_reply`.
template <>
struct reply_converter<stream_entry> {
    static stream_entry convert(reply&& r);
};

/// The entries XREAD and XREADGROUP return from one stream.
struct stream_entries {
    /// The stream's key, as given in the request.
    std::string key;
    /// Its entries, oldest first. XREAD leaves out a stream with none; XREADGROUP re-reading a
    /// consumer's history lists every stream asked, with no entries where none are pending.
    std::vector<stream_entry> entries;
};

/// How XADD and XTRIM trim a stream: by length (MAXLEN) or by lowest id (MINID), never both.
struct stream_trim {
    /// MAXLEN: keep at most this many entries, the newest. Negative throws `errc::invalid_argument`.
    std::optional<long long> max_len;
    /// MINID: evict the entries whose ids are lower than this one.
    std::optional<std::string> min_id;
    /// `~` (true): trim only whole macro nodes, which is cheaper and may keep a few more
    /// entries than asked; `=` (false): trim exactly. True without `max_len` or `min_id`
    /// throws `errc::invalid_argument`.
    bool approximate = false;
    /// LIMIT: evict at most this many entries in one call (0: no limit); nullopt leaves the
    /// server's default. Only with `approximate`; otherwise, or negative, throws
    /// `errc::invalid_argument`.
    std::optional<long long> limit;
};

/// Options of XREAD.
struct xread_options {
    /// COUNT: most entries returned per stream; 0 sends no COUNT (no limit). Negative throws
    /// `errc::invalid_argument`.
    long long count = 0;
    /// BLOCK: when no stream has entries, wait this long for some (zero: for ever); nullopt
    /// returns at once. The client waits for the reply up to this time + 1 s + `read_timeout`
    /// (Redis may end a block up to a timer tick late), and for ever with zero. Negative throws
    /// `errc::invalid_argument`.
    std::optional<std::chrono::milliseconds> block;
};

/// Options of XREADGROUP.
struct xreadgroup_options {
    /// COUNT: most entries returned per stream; 0 sends no COUNT (no limit). Negative throws
    /// `errc::invalid_argument`.
    long long count = 0;
    /// BLOCK, as for `xread_options::block`.
    std::optional<std::chrono::milliseconds> block;
    /// NOACK: the entries read are not added to the group's pending list (no XACK needed).
    bool no_ack = false;
};

/// Options of XGROUP CREATE.
struct xgroup_create_options {
    /// MKSTREAM: create an empty stream if the key does not exist (otherwise an error).
    bool mkstream = false;
    /// ENTRIESREAD: the group's read counter, for its lag; nullopt leaves it unknown.
    std::optional<long long> entries_read;
};

/// One consumer in XPENDING's summary.
struct xpending_consumer {
    /// The consumer's name.
    std::string name;
    /// Its entries delivered and not yet acknowledged.
    long long pending = 0;
};

/// XPENDING's summary of a group's pending entries.
struct xpending_summary {
    /// Entries delivered and not yet acknowledged.
    long long count = 0;
    /// The lowest pending id; nullopt when nothing is pending.
    std::optional<std::string> smallest_id;
    /// The highest pending id; nullopt when nothing is pending.
    std::optional<std::string> greatest_id;
    /// The consumers with pending entries.
    std::vector<xpending_consumer> consumers;
};

/// Filters of XPENDING's extended form.
struct xpending_options {
    /// IDLE: only entries not delivered for at least this long; zero for every entry.
    std::chrono::milliseconds min_idle{0};
    /// Only this consumer's entries; nullopt for every consumer's.
    std::optional<std::string> consumer;
};

/// One pending entry, from XPENDING's extended form.
struct xpending_entry {
    /// The pending entry's id.
    std::string id;
    /// The consumer it was last delivered to.
    std::string consumer;
    /// Time since it was last delivered.
    std::chrono::milliseconds idle{0};
    /// How many times it was delivered.
    long long deliveries = 0;
};

/// Options of XCLAIM.
struct xclaim_options {
    /// IDLE: set the claimed entries' idle time to this; nullopt (and no `time`) resets it to
    /// zero, as if just delivered.
    std::optional<std::chrono::milliseconds> idle;
    /// TIME: the same, as the time they were last delivered (sent in whole milliseconds since
    /// the epoch). Setting both `idle` and `time` throws `errc::invalid_argument` (the server
    /// would silently use TIME).
    std::optional<std::chrono::system_clock::time_point> time;
    /// RETRYCOUNT: set their delivery count to this (default: incremented, unless JUSTID).
    std::optional<long long> retry_count;
    /// FORCE: claim ids that are not pending in the group, provided they exist in the stream.
    bool force = false;
};

/// One call's result of XAUTOCLAIM: `T` is `stream_entry`, or `std::string` for JUSTID.
template <class T>
struct xautoclaim_page {
    /// Where the next call starts; "0-0" once the whole pending list was scanned.
    std::string next_start_id;
    /// The entries claimed.
    std::vector<T> claimed;
    /// Pending ids whose entries no longer exist in the stream; they were removed from the
    /// pending list.
    std::vector<std::string> deleted_ids;
};

/// Options of XSETID.
struct xsetid_options {
    /// ENTRIESADDED: the count of entries ever added to the stream.
    std::optional<long long> entries_added;
    /// MAXDELETEDID: the highest id deleted from the stream.
    std::optional<std::string> max_deleted_id;
};

/// XINFO STREAM. Fields that the server does not report are left at their defaults (those
/// marked 7.0 are absent before Redis 7.0).
struct stream_info {
    /// Entries in the stream now.
    long long length = 0;
    /// Keys of the stream's radix tree (each holds a macro node of entries).
    long long radix_tree_keys = 0;
    /// Nodes of the stream's radix tree.
    long long radix_tree_nodes = 0;
    /// The id of the last entry added, or set by XSETID ("0-0" if neither happened); it
    /// stays when that entry is deleted.
    std::string last_generated_id;
    /// The highest id deleted from the stream ("0-0" if none was). 7.0
    std::string max_deleted_entry_id;
    /// Entries ever added to the stream. 7.0
    long long entries_added = 0;
    /// The id of the first entry, as the stream recorded it. 7.0
    std::string recorded_first_entry_id;
    /// Consumer groups.
    long long groups = 0;
    /// The first (oldest) entry; nullopt for an empty stream.
    std::optional<stream_entry> first_entry;
    /// The last (newest) entry; nullopt for an empty stream.
    std::optional<stream_entry> last_entry;
};

/// One consumer group, from XINFO GROUPS.
struct stream_group_info {
    /// The group's name.
    std::string name;
    /// How many consumers the group has.
    long long consumers = 0;
    /// Entries delivered and not yet acknowledged.
    long long pending = 0;
    /// The id of the last entry delivered to the group, or the one it was created or last set
    /// at (XGROUP CREATE, XGROUP SETID).
    std::string last_delivered_id;
    /// The group's read counter; nullopt when unknown (and before Redis 7.0).
    std::optional<long long> entries_read;
    /// Entries not yet delivered to the group; nullopt when the server cannot tell (and
    /// before Redis 7.0).
    std::optional<long long> lag;
};

/// One consumer of a group, from XINFO CONSUMERS.
struct stream_consumer_info {
    /// The consumer's name.
    std::string name;
    /// Entries delivered to it and not yet acknowledged.
    long long pending = 0;
    /// Time since its last attempted read or claim (before Redis 7.2: its last successful one).
    std::chrono::milliseconds idle{0};
    /// Time since its last successful read or claim, -1 ms if it never had one; nullopt before
    /// Redis 7.2, which does not report it.
    std::optional<std::chrono::milliseconds> inactive;
};

namespace cmd {

/// XADD: appends an entry (id "*" lets the server choose) and returns its id, trimming the
/// stream first as `trim` says. Creates the stream if needed; `xadd_nomkstream` does not.
/// No fields, or an invalid `trim`, throw `errc::invalid_argument`.
command<std::string> xadd(std::string_view key, std::string_view id,
                          std::span<const std::pair<std::string_view, std::string_view>> fields,
                          const stream_trim& trim = {});
command<std::string> xadd(std::string_view key, std::string_view id,
                          std::initializer_list<std::pair<std::string_view, std::string_view>> fields,
                          const stream_trim& trim = {});
/// XADD ... NOMKSTREAM: like `xadd`, but nullopt (and nothing added) if the stream does not
/// exist.
command<std::optional<std::string>> xadd_nomkstream(
    std::string_view key, std::string_view id, std::span<const std::pair<std::string_view, std::string_view>> fields,
    const stream_trim& trim = {});
command<std::optional<std::string>> xadd_nomkstream(
    std::string_view key, std::string_view id,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields, const stream_trim& trim = {});
/// XRANGE: the entries with ids from `start` to `end` ("-" and "+" for the ends; a "(" prefix
/// excludes an id), oldest first, at most `count` of them (0 sends no COUNT: all of them).
/// Empty for a missing key. A negative count throws `errc::invalid_argument`.
command<std::vector<stream_entry>> xrange(std::string_view key, std::string_view start, std::string_view end,
                                          long long count = 0);
/// XREVRANGE: the same, newest first; note that `end` comes first, as in Redis.
command<std::vector<stream_entry>> xrevrange(std::string_view key, std::string_view end, std::string_view start,
                                             long long count = 0);
/// XREAD: the entries after the given id of each stream ({key, id} pairs; id "$" for entries
/// added from now on), one `stream_entries` per stream that has some. Empty when none has
/// (after waiting, with `block`). No streams, or invalid options, throw
/// `errc::invalid_argument`.
command<std::vector<stream_entries>> xread(std::span<const std::pair<std::string_view, std::string_view>> streams,
                                           const xread_options& opts = {});
command<std::vector<stream_entries>> xread(
    std::initializer_list<std::pair<std::string_view, std::string_view>> streams, const xread_options& opts = {});
/// XREADGROUP: reads for `consumer` of `group` ({key, id} pairs: id ">" for entries never
/// delivered to the group, which become pending for this consumer; any other id re-reads the
/// consumer's pending entries after it, where a deleted one has no fields). A stream read with
/// ">" that has nothing new is left out, as in `xread`; a stream re-read is listed even with
/// no entries. No streams, or invalid options, throw `errc::invalid_argument`.
command<std::vector<stream_entries>> xreadgroup(
    std::string_view group, std::string_view consumer,
    std::span<const std::pair<std::string_view, std::string_view>> streams, const xreadgroup_options& opts = {});
command<std::vector<stream_entries>> xreadgroup(
    std::string_view group, std::string_view consumer,
    std::initializer_list<std::pair<std::string_view, std::string_view>> streams,
    const xreadgroup_options& opts = {});
/// XGROUP CREATE: a consumer group that will deliver the entries after `id` ("$": only new
/// ones; "0": all). Throws `reply_error` (BUSYGROUP) if the group exists, and for a missing
/// key unless `mkstream`.
command<void> xgroup_create(std::string_view key, std::string_view group, std::string_view id,
                            const xgroup_create_options& opts = {});
/// XGROUP DESTROY: true if the group existed and was destroyed.
command<bool> xgroup_destroy(std::string_view key, std::string_view group);
/// XGROUP SETID: sets the group's last delivered id, and with `entries_read` its read counter.
command<void> xgroup_setid(std::string_view key, std::string_view group, std::string_view id,
                           std::optional<long long> entries_read = std::nullopt);
/// XGROUP CREATECONSUMER: true if the consumer was created, false if it existed.
command<bool> xgroup_createconsumer(std::string_view key, std::string_view group, std::string_view consumer);
/// XGROUP DELCONSUMER: how many pending entries the deleted consumer had (they are no longer
/// pending). 0 if it did not exist.
command<long long> xgroup_delconsumer(std::string_view key, std::string_view group, std::string_view consumer);
/// XACK: how many of the ids were pending in the group and are now acknowledged. No ids: 0,
/// nothing sent.
command<long long> xack(std::string_view key, std::string_view group, std::string_view id);
command<long long> xack(std::string_view key, std::string_view group, std::span<const std::string_view> ids);
command<long long> xack(std::string_view key, std::string_view group, std::initializer_list<std::string_view> ids);
/// XPENDING: a summary of the group's pending entries. Throws `reply_error` (NOGROUP) for a
/// missing group or key.
command<xpending_summary> xpending(std::string_view key, std::string_view group);
/// XPENDING key group [IDLE ms] start end count [consumer]: the pending entries with ids from
/// `start` to `end`, oldest first, at most `count` of them (Redis requires the count: 0 returns
/// none). A negative count throws `errc::invalid_argument`.
command<std::vector<xpending_entry>> xpending(std::string_view key, std::string_view group, std::string_view start,
                                              std::string_view end, long long count,
                                              const xpending_options& opts = {});
/// XCLAIM: gives `consumer` the pending entries among `ids` that were not delivered for at
/// least `min_idle`, and returns them (an id whose entry was deleted is dropped from the
/// pending list and not returned). No ids, or both `idle` and `time`, throw
/// `errc::invalid_argument`.
command<std::vector<stream_entry>> xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                                          std::chrono::milliseconds min_idle, std::span<const std::string_view> ids,
                                          const xclaim_options& opts = {});
command<std::vector<stream_entry>> xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                                          std::chrono::milliseconds min_idle,
                                          std::initializer_list<std::string_view> ids,
                                          const xclaim_options& opts = {});
/// XCLAIM ... JUSTID: the same, returning only the claimed ids (their delivery counts are not
/// incremented).
command<std::vector<std::string>> xclaim_justid(std::string_view key, std::string_view group,
                                                std::string_view consumer, std::chrono::milliseconds min_idle,
                                                std::span<const std::string_view> ids,
                                                const xclaim_options& opts = {});
command<std::vector<std::string>> xclaim_justid(std::string_view key, std::string_view group,
                                                std::string_view consumer, std::chrono::milliseconds min_idle,
                                                std::initializer_list<std::string_view> ids,
                                                const xclaim_options& opts = {});
/// XAUTOCLAIM: like XCLAIM for the pending entries from `start` on ("0-0" for all), scanning
/// at most `count` of them (0 sends no COUNT: the server's default, 100). Call again from
/// `next_start_id` until it is "0-0". A negative count throws `errc::invalid_argument`.
command<xautoclaim_page<stream_entry>> xautoclaim(std::string_view key, std::string_view group,
                                                  std::string_view consumer, std::chrono::milliseconds min_idle,
                                                  std::string_view start, long long count = 0);
/// XAUTOCLAIM ... JUSTID: the same, with only the claimed ids.
command<xautoclaim_page<std::string>> xautoclaim_justid(std::string_view key, std::string_view group,
                                                        std::string_view consumer,
                                                        std::chrono::milliseconds min_idle, std::string_view start,
                                                        long long count = 0);
/// XDEL: how many of the entries existed and were deleted. No ids: 0, nothing sent.
command<long long> xdel(std::string_view key, std::string_view id);
command<long long> xdel(std::string_view key, std::span<const std::string_view> ids);
command<long long> xdel(std::string_view key, std::initializer_list<std::string_view> ids);
/// XLEN: the number of entries (0 for a missing key).
command<long long> xlen(std::string_view key);
/// XTRIM: how many entries were evicted. A `trim` with neither `max_len` nor `min_id`, or
/// otherwise invalid, throws `errc::invalid_argument`.
command<long long> xtrim(std::string_view key, const stream_trim& trim);
/// XSETID: sets the stream's last id (which may not be lower than its last entry's).
command<void> xsetid(std::string_view key, std::string_view last_id, const xsetid_options& opts = {});
/// XINFO STREAM (not FULL). Throws `reply_error` for a missing key.
command<stream_info> xinfo_stream(std::string_view key);
/// XINFO GROUPS: the stream's consumer groups. Throws `reply_error` for a missing key.
command<std::vector<stream_group_info>> xinfo_groups(std::string_view key);
/// XINFO CONSUMERS: the group's consumers. Throws `reply_error` (NOGROUP) for a missing group.
command<std::vector<stream_consumer_info>> xinfo_consumers(std::string_view key, std::string_view group);

}  // namespace cmd

/// The stream commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class stream_commands {
    using field_span = std::span<const std::pair<std::string_view, std::string_view>>;
    using field_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;
    using id_span = std::span<const std::string_view>;
    using id_list = std::initializer_list<std::string_view>;

public:
    auto xadd(std::string_view key, std::string_view id, field_span fields, const stream_trim& trim = {}) {
        return run(cmd::xadd(key, id, fields, trim));
    }
    auto xadd(std::string_view key, std::string_view id, field_list fields, const stream_trim& trim = {}) {
        return run(cmd::xadd(key, id, fields, trim));
    }
    auto xadd_nomkstream(std::string_view key, std::string_view id, field_span fields, const stream_trim& trim = {}) {
        return run(cmd::xadd_nomkstream(key, id, fields, trim));
    }
    auto xadd_nomkstream(std::string_view key, std::string_view id, field_list fields, const stream_trim& trim = {}) {
        return run(cmd::xadd_nomkstream(key, id, fields, trim));
    }
    auto xrange(std::string_view key, std::string_view start, std::string_view end, long long count = 0) {
        return run(cmd::xrange(key, start, end, count));
    }
    auto xrevrange(std::string_view key, std::string_view end, std::string_view start, long long count = 0) {
        return run(cmd::xrevrange(key, end, start, count));
    }
    auto xread(field_span streams, const xread_options& opts = {}) { return run(cmd::xread(streams, opts)); }
    auto xread(field_list streams, const xread_options& opts = {}) { return run(cmd::xread(streams, opts)); }
    auto xreadgroup(std::string_view group, std::string_view consumer, field_span streams,
                    const xreadgroup_options& opts = {}) {
        return run(cmd::xreadgroup(group, consumer, streams, opts));
    }
    auto xreadgroup(std::string_view group, std::string_view consumer, field_list streams,
                    const xreadgroup_options& opts = {}) {
        return run(cmd::xreadgroup(group, consumer, streams, opts));
    }
    auto xgroup_create(std::string_view key, std::string_view group, std::string_view id,
                       const xgroup_create_options& opts = {}) {
        return run(cmd::xgroup_create(key, group, id, opts));
    }
    auto xgroup_destroy(std::string_view key, std::string_view group) { return run(cmd::xgroup_destroy(key, group)); }
    auto xgroup_setid(std::string_view key, std::string_view group, std::string_view id,
                      std::optional<long long> entries_read = std::nullopt) {
        return run(cmd::xgroup_setid(key, group, id, entries_read));
    }
    auto xgroup_createconsumer(std::string_view key, std::string_view group, std::string_view consumer) {
        return run(cmd::xgroup_createconsumer(key, group, consumer));
    }
    auto xgroup_delconsumer(std::string_view key, std::string_view group, std::string_view consumer) {
        return run(cmd::xgroup_delconsumer(key, group, consumer));
    }
    auto xack(std::string_view key, std::string_view group, std::string_view id) {
        return run(cmd::xack(key, group, id));
    }
    auto xack(std::string_view key, std::string_view group, id_span ids) { return run(cmd::xack(key, group, ids)); }
    auto xack(std::string_view key, std::string_view group, id_list ids) { return run(cmd::xack(key, group, ids)); }
    auto xpending(std::string_view key, std::string_view group) { return run(cmd::xpending(key, group)); }
    auto xpending(std::string_view key, std::string_view group, std::string_view start, std::string_view end,
                  long long count, const xpending_options& opts = {}) {
        return run(cmd::xpending(key, group, start, end, count, opts));
    }
    auto xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                std::chrono::milliseconds min_idle, id_span ids, const xclaim_options& opts = {}) {
        return run(cmd::xclaim(key, group, consumer, min_idle, ids, opts));
    }
    auto xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                std::chrono::milliseconds min_idle, id_list ids, const xclaim_options& opts = {}) {
        return run(cmd::xclaim(key, group, consumer, min_idle, ids, opts));
    }
    auto xclaim_justid(std::string_view key, std::string_view group, std::string_view consumer,
                       std::chrono::milliseconds min_idle, id_span ids, const xclaim_options& opts = {}) {
        return run(cmd::xclaim_justid(key, group, consumer, min_idle, ids, opts));
    }
    auto xclaim_justid(std::string_view key, std::string_view group, std::string_view consumer,
                       std::chrono::milliseconds min_idle, id_list ids, const xclaim_options& opts = {}) {
        return run(cmd::xclaim_justid(key, group, consumer, min_idle, ids, opts));
    }
    auto xautoclaim(std::string_view key, std::string_view group, std::string_view consumer,
                    std::chrono::milliseconds min_idle, std::string_view start, long long count = 0) {
        return run(cmd::xautoclaim(key, group, consumer, min_idle, start, count));
    }
    auto xautoclaim_justid(std::string_view key, std::string_view group, std::string_view consumer,
                           std::chrono::milliseconds min_idle, std::string_view start, long long count = 0) {
        return run(cmd::xautoclaim_justid(key, group, consumer, min_idle, start, count));
    }
    auto xdel(std::string_view key, std::string_view id) { return run(cmd::xdel(key, id)); }
    auto xdel(std::string_view key, id_span ids) { return run(cmd::xdel(key, ids)); }
    auto xdel(std::string_view key, id_list ids) { return run(cmd::xdel(key, ids)); }
    auto xlen(std::string_view key) { return run(cmd::xlen(key)); }
    auto xtrim(std::string_view key, const stream_trim& trim) { return run(cmd::xtrim(key, trim)); }
    auto xsetid(std::string_view key, std::string_view last_id, const xsetid_options& opts = {}) {
        return run(cmd::xsetid(key, last_id, opts));
    }
    auto xinfo_stream(std::string_view key) { return run(cmd::xinfo_stream(key)); }
    auto xinfo_groups(std::string_view key) { return run(cmd::xinfo_groups(key)); }
    auto xinfo_consumers(std::string_view key, std::string_view group) {
        return run(cmd::xinfo_consumers(key, group));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
