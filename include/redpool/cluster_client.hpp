// redpool/cluster_client.hpp — a client for Redis Cluster: one connection pool per node,
// commands routed by the hash slot of their keys, redirections followed.
//
//     redpool::cluster_options o;
//     o.addrs = {"10.0.0.1:7000", "10.0.0.2:7000"};  // any reachable node will do
//     redpool::cluster_client redis(o);
//     redis.set("user:{42}:name", "Ada");
//     auto name = redis.get("user:{42}:name");
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/cluster_pipeline.hpp"
#include "redpool/commands.hpp"
#include "redpool/options.hpp"
#include "redpool/pinned.hpp"
#include "redpool/pipeline.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"
#include "redpool/scan_range.hpp"
#include "redpool/subscriber.hpp"

namespace redpool {

namespace detail {
class cluster_core;
}

/// How to reach a cluster, and how every node's pool is set up.
struct cluster_options {
    /// Seed nodes as "host:port" (an IPv6 host in brackets). Any one that answers gives the
    /// cluster's layout (CLUSTER SLOTS); the others are tried in turn when it does not.
    std::vector<std::string> addrs;
    /// The options each node's pool is built with; `host` and `port` are the node's own, and
    /// `path` (unix sockets) and `db` (a cluster has only db 0) must stay unset.
    options node;
    /// How many MOVED or ASK redirections one command follows before its last redirection is
    /// its result (as data from `exec`, a `reply_error` from a typed method).
    int max_redirects = 3;
    /// Read-only commands (the server's "readonly" flag) may go to a replica of the slot's
    /// master, chosen at random among the master and its replicas; their connections send
    /// READONLY once connected. Replicas may lag behind their master.
    bool read_from_replicas = false;
    /// With `read_from_replicas`: the node of the slot that answered fastest lately, instead
    /// of a random one.
    bool route_by_latency = false;

    /// `redis://[user:password@]host:port?addr=host2:port2&addr=...&max_redirects=N&
    /// read_from_replicas=true&route_by_latency=true&<any option of redpool::options>`: the URL's
    /// host and every `addr` are seeds; the other query keys set `node`. Throws
    /// `errc::invalid_argument` naming what is wrong (never the password).
    static cluster_options from_url(std::string_view url);
    /// Throws `errc::invalid_argument` for no seeds, a seed that is not host:port, a unix
    /// socket or db in `node`, a negative `max_redirects`, or bad `node` options.
    void validate() const;
};

/// A Redis Cluster client with every typed command of `redpool::client` (`get`, `hset`, ...)
/// and `exec`. Thread-safe; connections are pooled per node, each pool as `cluster_options::node`
/// says (pool_size, timeouts, retries, ...).
///
/// **Routing.** A command's keys are found as the server finds them (the key specifications of
/// its COMMAND table, asked once), and it goes to the master serving the first key's hash slot
/// (hash tags `{...}` put keys in one slot). Keys in different slots get the server's
/// CROSSSLOT error, never a partial result. Keyless commands follow the server's command tips:
/// DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD, FUNCTION LOAD, PING... go to every master (or every
/// node) and their replies are combined as the tip says (summed, concatenated, all OK); others go
/// to any master. `for_each_master` runs anything else everywhere. `scan(scan_options)` scans
/// every master in turn; one SCAN page from a cursor (`scan(cursor)`, `exec({"SCAN", ...})`) is
/// refused (`errc::invalid_argument`), since a cursor belongs to one node.
///
/// **One slot, one connection.** `transaction(key)`, `pin(key)` and `watch(keys, fn)` run on
/// the master serving the key's slot: their keys must share it (hash tags), or the server
/// answers CROSSSLOT. A slot that moves meanwhile makes its commands fail with MOVED (the map
/// is then refreshed): run them again.
///
/// **Redirections.** MOVED: the slot map is refreshed (at most one refresh at a time, and not
/// more often than every 100 ms) and the command is sent at once to the node named. ASK: ASKING
/// and the command on one connection of the node named. TRYAGAIN and CLUSTERDOWN: retried with
/// backoff (`node.min_retry_backoff`..`max_retry_backoff`) up to `node.max_retries` times. At
/// most `max_redirects` redirections in all. A connection error on a node also refreshes the
/// map (after the node's own retries), so a failover is followed.
class cluster_client : public commands<cluster_client> {
public:
    /// Validates the options (throws `errc::invalid_argument`). Connects lazily: the first
    /// command reads the cluster's layout from a seed.
    explicit cluster_client(cluster_options opts);
    /// Same as `cluster_client(cluster_options::from_url(url))`.
    explicit cluster_client(std::string_view url);
    /// Closes every node's pool. No other thread may still be inside a call.
    ~cluster_client();
    cluster_client(const cluster_client&) = delete;
    cluster_client& operator=(const cluster_client&) = delete;

    /// Runs any command, routed as described above. A server error is returned as data;
    /// transport and pool failures throw `redpool::error`, as `client::exec` does. Commands that
    /// need a connection of their own (SUBSCRIBE, MULTI, WATCH, ...) throw `errc::invalid_argument`.
    reply exec(std::initializer_list<std::string_view> args);
    reply exec(std::span<const std::string_view> args);
    reply exec(const std::vector<std::string>& args);

    /// Runs a typed command (see `client::run`); every typed method is `run` of its command.
    template <class T>
    T run(const command<T>& c) {
        if (c.answered_locally()) return c.read(reply());
        return c.read(route(c.args(), c.wire_bytes()));
    }

    /// An empty pipeline across slots (see `redpool::cluster_pipeline`): commands in any
    /// slots, each sent to its node, the nodes' parts at once, replies in the order queued.
    cluster_pipeline pipeline();

    /// SCAN every master in turn, lazily: `for (const std::string& k : redis.scan({.match =
    /// "user:*"}))`. The masters are those of the slot map when the scan starts; a failover
    /// during the scan may make a node's page fail (thrown by `++`).
    scan_range scan(scan_options opts = {});
    /// One SCAN page from `cursor`: refused with `errc::invalid_argument` (see above).
    using commands<cluster_client>::scan;

    /// An empty MULTI/EXEC transaction on the master serving `key`'s slot: every key it
    /// touches must be in that slot. Each `exec()` borrows one of that node's connections.
    redpool::transaction transaction(std::string_view key);
    /// One connection of the master serving `key`'s slot, leased for as long as the result
    /// lives (see `client::pin`).
    redpool::pinned pin(std::string_view key, const char* file = __builtin_FILE(), int line = __builtin_LINE());
    /// Optimistic locking as `client::watch`, on the master serving the keys' slot (they must
    /// share one). A WATCH answered with MOVED refreshes the map and goes to the new node, up
    /// to `max_redirects` times.
    void watch(std::initializer_list<std::string_view> keys, std::function<void(redpool::pinned&)> fn);
    void watch(std::span<const std::string_view> keys, std::function<void(redpool::pinned&)> fn);

    /// A subscriber (see `redpool::subscriber`) on a master for SUBSCRIBE and PSUBSCRIBE: a
    /// cluster carries every PUBLISH to every node, so any one will do.
    redpool::subscriber subscriber();
    /// A subscriber on the master serving `channel`'s slot, for SSUBSCRIBE of channels in that
    /// slot (sharded pub/sub; SPUBLISH is routed by its channel like a key). When the slot
    /// moves, the server ends those subscriptions: subscribe again with a new shard_subscriber.
    redpool::subscriber shard_subscriber(std::string_view channel);

    /// Runs `args` on every master, one after the other, and returns their replies by node
    /// ("host:port"). For what the command tips do not cover.
    std::map<std::string, reply> for_each_master(std::span<const std::string_view> args);
    std::map<std::string, reply> for_each_master(std::initializer_list<std::string_view> args);

    /// The counters of every node's pool, summed.
    redpool::pool_stats pool_stats() const;
    /// Each node's own counters, by "host:port".
    std::map<std::string, redpool::pool_stats> node_stats() const;

    /// Reads the slot map again now (CLUSTER SLOTS from a known node or a seed).
    void refresh();
    /// Closes every pool; later calls throw `errc::pool_closed`. Idempotent.
    void close();

private:
    reply route(std::span<const std::string_view> args, std::span<const char> wire_bytes);

    std::shared_ptr<detail::cluster_core> core_;  // shared with its pipelines
};

}  // namespace redpool
