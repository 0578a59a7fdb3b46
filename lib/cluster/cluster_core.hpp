// detail::cluster_core — what a cluster_client is made of: a client_core (a pool) per node, the
// slot map, the command table, and routing with redirections. Thread-safe: the map and the
// table are immutable snapshots swapped under a mutex, so a command routes on one snapshot
// while a refresh builds the next.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <span>
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
    reply run_routed(const route& r, std::span<const std::string_view> args, std::span<const char> wire_bytes);
    reply fan_out(const std::vector<node_address>& targets, const route& r, std::span<const std::string_view> args,
                  std::span<const char> wire_bytes);
    // One attempt on `target` (ASKING first when `asking`), timing it for route_by_latency.
    reply run_on(const node_address& target, bool asking, std::span<const std::string_view> args,
                 std::span<const char> wire_bytes);
    // The node for `r` in `map`: a reference into it (the map outlives the command).
    const node_address& pick(const route& r, const slot_map& map);

    std::shared_ptr<node> node_for(const node_address& address);
    // The newest map, loading the first if there is none yet. Every map ever swapped in stays
    // until the client ends (one per change of layout: a refresh that finds the same layout
    // keeps the map it has), so a command routes on a plain pointer, without a lock.
    const slot_map& current_map();
    const command_keys& current_commands();
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
    std::vector<std::unique_ptr<const slot_map>> maps_;  // every map swapped in; the last is the newest
    std::atomic<const slot_map*> map_{nullptr};           // maps_.back(), for readers without the lock
    std::shared_ptr<const command_keys> commands_;
    std::atomic<const command_keys*> commands_ready_{nullptr};  // commands_, once loaded
    bool closed_ = false;

    std::mutex refresh_mutex_;  // one refresh at a time
    // When the map was last read (steady clock, ns): written under refresh_mutex_, read by
    // every command to see whether the periodic refresh is due.
    std::atomic<std::int64_t> last_refresh_ns_{0};
};

}  // namespace redpool::detail
