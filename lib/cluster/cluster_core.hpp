// detail::cluster_core — what a cluster_client is made of: a client_core (a pool) per node, the
// slot map, the command table, and routing with redirections. Thread-safe: the map and the
// table are immutable snapshots swapped under a mutex, so a command routes on one snapshot
// while a refresh builds the next.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "lib/client/client_core.hpp"
#include "lib/cluster/command_keys.hpp"
#include "lib/cluster/slot_map.hpp"
#include "redpool/cluster_client.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"

namespace redpool::detail {

class cluster_core {
public:
    /// `opts` must be valid (cluster_options::validate).
    explicit cluster_core(cluster_options opts);
    ~cluster_core();
    cluster_core(const cluster_core&) = delete;
    cluster_core& operator=(const cluster_core&) = delete;

    /// Routes and runs one command (see cluster_client): a server error comes back as data.
    reply run(std::span<const std::string_view> args, std::span<const char> wire_bytes);

    /// One command of a batch: its arguments and, when not empty, their encoding.
    struct batch_item {
        std::span<const std::string_view> args;
        std::span<const char> wire_bytes;
    };
    /// Runs a cross-slot pipeline (see cluster_pipeline): `replies[i]` is item i's reply, or
    /// `failures[i]` what its connection failed with.
    void run_batch(std::span<const batch_item> items, std::vector<reply>& replies,
                   std::vector<std::exception_ptr>& failures);
    std::map<std::string, reply> for_each_master(std::span<const std::string_view> args);

    /// The pool of the master serving `key`'s slot now, for what needs a connection of its own
    /// there (transactions, WATCH, sharded pub/sub). Throws `io_error` when no node serves the
    /// slot (and refreshes the map).
    std::shared_ptr<client_core> master_core_of(std::string_view key);
    /// The pools of every master now, in slot order.
    std::vector<std::shared_ptr<client_core>> master_cores();
    /// After a redirection that a caller of master_core_of met: refresh the map (within the
    /// cooldown).
    void note_redirected() noexcept { refresh_soon(); }

    const cluster_options& settings() const noexcept { return opts_; }
    redpool::pool_stats stats() const;
    std::map<std::string, redpool::pool_stats> node_stats() const;

    /// Reads the slot map now, whatever the cooldown. Throws when no node answers.
    void refresh();
    void close() noexcept;

private:
    // The map is read again this often anyway, so that a change no redirection told of (a
    // replica added or promoted, for read_from_replicas) is seen.
    static constexpr std::chrono::seconds refresh_period{10};

    struct node {
        std::shared_ptr<client_core> core;
        std::atomic<std::int64_t> latency_ns{0};  // moving average of round trips (route_by_latency)
    };
    // Where a command goes.
    struct route {
        enum class kind { slot, any_master, all_masters, all_nodes } where = kind::any_master;
        int slot = 0;
        bool readonly = false;
        response_policy response = response_policy::none;
    };

    route route_of(std::span<const std::string_view> args);
    // A slot map with the node of each range's master (masters[i] serves map.ranges()[i]), so
    // that a command finds its pool without a lock or a lookup by name. Built when the map is
    // swapped in, and kept with it.
    struct routed_map {
        slot_map map;
        std::vector<std::shared_ptr<node>> masters;
    };

    reply run_general(std::span<const std::string_view> args, std::span<const char> wire_bytes);
    reply run_routed(const route& r, std::span<const std::string_view> args, std::span<const char> wire_bytes);
    // Whether the map is due for its periodic read (checked on a fraction of the commands).
    bool periodic_refresh_due() noexcept {
        // The clock is read every 64th command of a thread, not every one: a few nanoseconds
        // saved per command, and the map is read again at most 64 commands late.
        static constinit thread_local std::uint32_t countdown = 0;
        if ((++countdown & 63) != 0) [[likely]] return false;
        return since_refresh() > refresh_period;
    }
    // run_on, refreshing the map when the node fails.
    reply attempt(node& n, bool asking, std::span<const std::string_view> args, std::span<const char> wire_bytes);
    [[gnu::noinline]] void after_error(const node_address& from, reply& out, std::span<const std::string_view> args,
                                       std::span<const char> wire_bytes);
    reply fan_out(const std::vector<node_address>& targets, const route& r, std::span<const std::string_view> args,
                  std::span<const char> wire_bytes);
    // One attempt on node `n` (ASKING first when `asking`), timing it for route_by_latency.
    reply run_on(node& n, bool asking, std::span<const std::string_view> args, std::span<const char> wire_bytes) {
        if (!asking && !opts_.route_by_latency) [[likely]] return n.core->run(args, wire_bytes);
        return run_asking_or_timed(n, asking, args, wire_bytes);
    }
    [[gnu::noinline]] reply run_asking_or_timed(node& n, bool asking, std::span<const std::string_view> args,
                                                std::span<const char> wire_bytes);
    reply run_on(const node_address& target, bool asking, std::span<const std::string_view> args,
                 std::span<const char> wire_bytes) {
        return run_on(*node_for(target), asking, args, wire_bytes);
    }
    // The node for `r` in `routed`, and its address (a reference into the map, which outlives
    // the command).
    std::pair<node*, const node_address*> pick(const route& r, const routed_map& routed);
    // A read's node among a range's master and replicas: random, or the fastest lately.
    const node_address& pick_replica(const slot_map::range& range);

    std::shared_ptr<node> node_for(const node_address& address);
    // The newest map, loading the first if there is none yet. Every map ever swapped in stays
    // until the client ends (one per change of layout: a refresh that finds the same layout
    // keeps the map it has), so a command routes on a plain pointer, without a lock.
    const slot_map& current_map() { return current_routed().map; }
    const routed_map& current_routed() {
        if (const routed_map* map = map_.load(std::memory_order_acquire)) [[likely]] return *map;
        return load_first_map();
    }
    const command_keys& current_commands() {
        // Loaded once and never replaced, so after the first load a plain atomic load will do.
        if (const command_keys* table = commands_ready_.load(std::memory_order_acquire)) [[likely]] return *table;
        load_commands();
        return *commands_ready_.load(std::memory_order_acquire);
    }
    const routed_map& load_first_map();
    // One command to node `n` (at `address`), following redirections.
    reply run_routed_to(node& n, const node_address& address, std::span<const std::string_view> args,
                        std::span<const char> wire_bytes);
    // A refresh after a redirection or a failure: skipped while another runs or within the
    // cooldown of the last one.
    void refresh_soon() noexcept;
    void note_refreshed() noexcept;
    std::chrono::nanoseconds since_refresh() const noexcept;
    // Asks the known nodes, then the seeds, for CLUSTER SLOTS; swaps the map in. Throws when
    // none answered.
    void load_map();
    void load_commands();

    const cluster_options opts_;
    std::vector<node_address> seeds_;

    mutable std::mutex mutex_;  // guards what follows, up to refresh_mutex_
    std::map<std::string, std::shared_ptr<node>> nodes_;  // by "host:port"
    std::vector<std::unique_ptr<const routed_map>> maps_;  // every map swapped in; the last is the newest
    std::atomic<const routed_map*> map_{nullptr};           // maps_.back(), for readers without the lock
    std::shared_ptr<const command_keys> commands_;
    std::atomic<const command_keys*> commands_ready_{nullptr};  // commands_, once loaded
    bool closed_ = false;

    std::mutex refresh_mutex_;  // one refresh at a time
    // When the map was last read (steady clock, ns): written under refresh_mutex_, read by
    // every command to see whether the periodic refresh is due.
    std::atomic<std::int64_t> last_refresh_ns_{0};
};

}  // namespace redpool::detail
