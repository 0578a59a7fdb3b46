#include "lib/cluster/cluster_core.hpp"

#include <algorithm>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "lib/cluster/combine_replies.hpp"
#include "lib/cluster/key_slot.hpp"
#include "lib/cluster/redirect.hpp"
#include "lib/pool/pool_clock.hpp"
#include "redpool/conn.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using steady = std::chrono::steady_clock;

// At most one refresh per this long after a redirection or failure: a burst of MOVED replies
// (every command of a migrated slot) reads the map once.
constexpr auto refresh_cooldown = std::chrono::milliseconds(100);


// A node's pool: the node options with the node's address; READONLY on each connection when
// reads may go to replicas (harmless on a master, which a replica may become).
options node_options(const cluster_options& cluster, const node_address& address) {
    options o = cluster.node;
    o.host = address.host;
    o.port = address.port;
    o.path.clear();
    // The COMMAND table nests 8 deep (a subcommand's key specs), hiredis 0.14.1's most.
    o.max_reply_depth = 8;
    if (cluster.read_from_replicas) {
        o.on_connect = [user = cluster.node.on_connect](conn& c) {
            const reply r = c.exec({"READONLY"});
            if (r.is_error()) throw error(errc::invalid_argument, fmt::format("READONLY refused: {}", r.as_string()));
            if (user) user(c);
        };
    }
    return o;
}

bool is_scan(std::string_view name) noexcept {
    return name.size() == 4 && (name[0] | 0x20) == 's' && (name[1] | 0x20) == 'c' && (name[2] | 0x20) == 'a' &&
           (name[3] | 0x20) == 'n';
}

// Whether two maps route every slot to the same nodes (a periodic refresh mostly finds so).
bool same_layout(const slot_map& a, const slot_map& b) {
    if (a.ranges().size() != b.ranges().size()) return false;
    for (std::size_t i = 0; i < a.ranges().size(); ++i) {
        const auto& x = a.ranges()[i];
        const auto& y = b.ranges()[i];
        if (x.first != y.first || x.last != y.last || !(x.master == y.master) || x.replicas != y.replicas) return false;
    }
    return true;
}

std::mt19937& random_engine() {
    thread_local std::mt19937 engine{std::random_device{}()};
    return engine;
}

}  // namespace

cluster_core::cluster_core(cluster_options opts) : opts_(std::move(opts)) {
    for (const std::string& a : opts_.addrs) seeds_.push_back(parse_node_address(a, "cluster seed"));
}

cluster_core::~cluster_core() { close(); }

void cluster_core::close() noexcept {
    std::map<std::string, std::shared_ptr<node>> nodes;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        nodes.swap(nodes_);
    }
    for (auto& [name, n] : nodes) n->core->close();
}

std::shared_ptr<cluster_core::node> cluster_core::node_for(const node_address& address) {
    std::lock_guard lock(mutex_);
    if (closed_) throw error(errc::pool_closed, "the cluster client is closed");
    auto it = nodes_.find(address.name);
    if (it != nodes_.end()) return it->second;
    auto n = std::make_shared<node>();
    n->core = std::make_shared<client_core>(node_options(opts_, address));
    nodes_.emplace(address.name, n);
    return n;
}

const cluster_core::routed_map& cluster_core::load_first_map() {
    std::lock_guard refreshing(refresh_mutex_);
    if (const routed_map* map = map_.load(std::memory_order_acquire)) return *map;  // loaded meanwhile
    load_map();
    return *map_.load(std::memory_order_acquire);
}


void cluster_core::load_map() {
    // The nodes of the map we have first (they know the newest layout), then the seeds.
    std::vector<node_address> candidates;
    if (const routed_map* known = map_.load(std::memory_order_acquire)) {
        candidates = known->map.masters();
        for (const node_address& n : known->map.nodes()) {
            if (std::find(candidates.begin(), candidates.end(), n) == candidates.end()) candidates.push_back(n);
        }
    }
    for (const node_address& s : seeds_) {
        if (std::find(candidates.begin(), candidates.end(), s) == candidates.end()) candidates.push_back(s);
    }
    std::string failures;
    for (const node_address& candidate : candidates) {
        try {
            static constexpr std::string_view cluster_slots[] = {"CLUSTER", "SLOTS"};
            const reply r = node_for(candidate)->core->run(cluster_slots);
            if (r.is_error()) throw error(errc::server_error, std::string(r.as_string()));
            auto map = std::make_unique<routed_map>(routed_map{slot_map::from_cluster_slots(r, candidate.host), {}});
            if (map->map.empty()) throw error(errc::server_error, "it serves no slots");
            for (const slot_map::range& range : map->map.ranges()) map->masters.push_back(node_for(range.master));
            const auto now_known = map->map.nodes();
            std::vector<std::shared_ptr<node>> gone;
            {
                std::lock_guard lock(mutex_);
                const routed_map* newest = maps_.empty() ? nullptr : maps_.back().get();
                if (newest == nullptr || !same_layout(newest->map, map->map)) {
                    maps_.push_back(std::move(map));
                    map_.store(maps_.back().get(), std::memory_order_release);
                }
                // Pools of nodes no longer in the cluster are closed (calls under way finish);
                // seeds stay, to find the cluster again.
                for (auto it = nodes_.begin(); it != nodes_.end();) {
                    const bool known = std::any_of(now_known.begin(), now_known.end(),
                                                   [&](const node_address& a) { return a.name == it->first; });
                    const bool seed = std::any_of(seeds_.begin(), seeds_.end(),
                                                  [&](const node_address& a) { return a.name == it->first; });
                    if (known || seed) {
                        ++it;
                    } else {
                        gone.push_back(it->second);
                        it = nodes_.erase(it);
                    }
                }
            }
            for (auto& n : gone) n->core->close();
            note_refreshed();
            return;
        } catch (const error& e) {
            if (e.code() == errc::pool_closed) throw;
            failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", candidate.name, e.what());
        }
    }
    note_refreshed();  // a failed attempt counts too: the cooldown spares the nodes a storm
    throw error(errc::io_error, fmt::format("no cluster node gave its slot map ({})", failures));
}

void cluster_core::load_commands() {
    std::string failures;
    for (const node_address& candidate : current_map().masters()) {
        try {
            static constexpr std::string_view command[] = {"COMMAND"};
            const reply r = node_for(candidate)->core->run(command);
            if (r.is_error()) throw error(errc::server_error, std::string(r.as_string()));
            auto table = std::make_shared<const command_keys>(command_keys::from_command_reply(r));
            std::lock_guard lock(mutex_);
            if (!commands_) {  // the first load wins: readers may hold a pointer to it already
                commands_ = std::move(table);
                commands_ready_.store(commands_.get(), std::memory_order_release);
            }
            return;
        } catch (const error& e) {
            if (e.code() == errc::pool_closed) throw;
            failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", candidate.name, e.what());
        }
    }
    throw error(errc::io_error, fmt::format("no cluster node gave its command table ({})", failures));
}

void cluster_core::refresh() {
    std::lock_guard refreshing(refresh_mutex_);
    load_map();
}

void cluster_core::note_refreshed() noexcept {
    last_refresh_ns_.store(coarse_clock().now().time_since_epoch().count(), std::memory_order_relaxed);
}

std::chrono::nanoseconds cluster_core::since_refresh() const noexcept {
    // The coarse clock (~5 ns, a few ms resolution) is read by every command; the periods it
    // measures are 100 ms and 10 s.
    return coarse_clock().now().time_since_epoch() - steady::duration(last_refresh_ns_.load(std::memory_order_relaxed));
}

void cluster_core::refresh_soon() noexcept {
    std::unique_lock refreshing(refresh_mutex_, std::try_to_lock);
    if (!refreshing.owns_lock()) return;  // one is under way: its map will do
    if (since_refresh() < refresh_cooldown) return;
    try {
        load_map();
    } catch (const error&) {
        // Keep the map we have; the next redirection or failure tries again.
    }
}

cluster_core::route cluster_core::route_of(std::span<const std::string_view> args) {
    route r;
    const command_routing* routing = current_commands().find(args);
    if (routing == nullptr) return r;  // unknown to the server: any master says so
    r.readonly = routing->readonly;
    r.response = routing->response;
    if (const auto key = command_keys::first_key_of(*routing, args)) {
        // The first key's slot. Keys in other slots are the server's to refuse (CROSSSLOT).
        r.where = route::kind::slot;
        r.slot = key_slot(*key);
        return r;
    }
    switch (routing->request) {
        case request_policy::all_shards:
            r.where = route::kind::all_masters;
            break;
        case request_policy::all_nodes:
            r.where = route::kind::all_nodes;
            break;
        default:
            r.where = route::kind::any_master;
            break;
    }
    return r;
}

std::pair<cluster_core::node*, const node_address*> cluster_core::pick(const route& r, const routed_map& routed) {
    const slot_map& map = routed.map;
    std::size_t index = 0;
    if (r.where == route::kind::any_master) {
        // A random range's master: a node serving more slots is picked more often.
        index = std::uniform_int_distribution<std::size_t>(0, map.ranges().size() - 1)(random_engine());
    } else {
        const slot_map::range* range = map.find(r.slot);
        if (range == nullptr) {
            throw error(errc::io_error, fmt::format("no cluster node serves slot {} (CLUSTERDOWN)", r.slot));
        }
        index = static_cast<std::size_t>(range - map.ranges().data());
    }
    const slot_map::range& range = map.ranges()[index];
    if (r.where == route::kind::any_master || !r.readonly || !opts_.read_from_replicas || range.replicas.empty()) {
        return {routed.masters[index].get(), &range.master};
    }
    const node_address& replica = pick_replica(range);
    return {node_for(replica).get(), &replica};  // held by nodes_ while the map names it
}

const node_address& cluster_core::pick_replica(const slot_map::range& range) {
    if (!opts_.route_by_latency) {
        std::uniform_int_distribution<std::size_t> any(0, range.replicas.size());
        const std::size_t i = any(random_engine());
        return i == 0 ? range.master : range.replicas[i - 1];
    }
    // The fastest lately; a node not measured yet counts as fastest, so each gets measured.
    const node_address* best = &range.master;
    std::int64_t best_ns = node_for(range.master)->latency_ns.load(std::memory_order_relaxed);
    for (const node_address& replica : range.replicas) {
        const std::int64_t ns = node_for(replica)->latency_ns.load(std::memory_order_relaxed);
        if (ns < best_ns) {
            best = &replica;
            best_ns = ns;
        }
    }
    return *best;
}

reply cluster_core::run_asking_or_timed(node& n, bool asking, std::span<const std::string_view> args,
                                        std::span<const char> wire_bytes) {
    const auto start = opts_.route_by_latency ? steady::now() : steady::time_point();
    reply out;
    if (!asking) {
        out = n.core->run(args, wire_bytes);
    } else {
        // ASKING holds for the next command on its connection only: both go on one lease. A
        // failure part way leaves a reply unread, so the lease closes the connection.
        static constexpr std::string_view asking_command[] = {"ASKING"};
        const auto timeout = read_timeout_for(command_info_of(args), args, n.core->settings().read_timeout);
        connection_pool::lease conn = n.core->pool().get();
        reply asked;
        conn->append(asking_command);
        conn->append(args, wire_bytes);
        conn->flush();
        conn->read_reply(asked, timeout);
        conn->read_reply(out, timeout);
        if (asked.is_error()) out = std::move(asked);
    }
    if (opts_.route_by_latency) {
        // An exponential moving average (1/8 new), enough to tell a near node from a far one.
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - start).count();
        const std::int64_t old = n.latency_ns.load(std::memory_order_relaxed);
        n.latency_ns.store(old == 0 ? ns : old + (ns - old) / 8, std::memory_order_relaxed);
    }
    return out;
}

reply cluster_core::run(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    // Most commands: keyed, to the master of the first key's slot, answered without a
    // redirection. That path is spelled out here, short; everything else takes the general one.
    const command_routing* routing = current_commands().find(args);
    if (routing != nullptr && !(routing->readonly && opts_.read_from_replicas)) [[likely]] {
        if (const auto key = command_keys::first_key_of(*routing, args)) {
            if (periodic_refresh_due()) [[unlikely]] refresh_soon();
            const routed_map& routed = current_routed();
            if (const slot_map::range* range = routed.map.find(key_slot(*key))) [[likely]] {
                node& n = *routed.masters[static_cast<std::size_t>(range - routed.map.ranges().data())];
                return run_routed_to(n, range->master, args, wire_bytes);
            }
        }
    }
    return run_general(args, wire_bytes);
}

reply cluster_core::run_routed_to(node& n, const node_address& address, std::span<const std::string_view> args,
                                  std::span<const char> wire_bytes) {
    // One named result, returned on every path and changed in place on the slow one, so it is
    // built where the caller wants it (a reply is not cheap to move).
    reply out = attempt(n, false, args, wire_bytes);
    if (out.is_error()) [[unlikely]] after_error(address, out, args, wire_bytes);
    return out;
}

reply cluster_core::run_general(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    // SUBSCRIBE, MONITOR, QUIT... (several replies, or the connection taken over) are refused
    // by the node's client_core, with errc::invalid_argument, before anything is sent.
    const route r = route_of(args);
    if (r.where == route::kind::any_master && is_scan(args[0])) {
        // A SCAN cursor belongs to one node: pages from whichever master would skip and repeat
        // keys without a word. Refused rather than wrong.
        throw error(errc::invalid_argument,
                    "SCAN through a cluster_client: a cursor belongs to one node; use scan(scan_options), "
                    "which scans every master in turn");
    }
    return run_routed(r, args, wire_bytes);
}

reply cluster_core::run_routed(const route& r, std::span<const std::string_view> args,
                               std::span<const char> wire_bytes) {
    if (periodic_refresh_due()) refresh_soon();  // the caller that sees it due pays for it
    const routed_map& routed = current_routed();
    if (r.where == route::kind::all_masters) return fan_out(routed.map.masters(), r, args, wire_bytes);
    if (r.where == route::kind::all_nodes) return fan_out(routed.map.nodes(), r, args, wire_bytes);
    const auto [node, address] = pick(r, routed);
    return run_routed_to(*node, *address, args, wire_bytes);
}

reply cluster_core::attempt(node& n, bool asking, std::span<const std::string_view> args,
                            std::span<const char> wire_bytes) {
    try {
        return run_on(n, asking, args, wire_bytes);
    } catch (const error& e) {
        // The node's own retries are spent: maybe it failed over. Read the map for the next
        // command; this one fails with the cause.
        if (e.code() != errc::pool_closed) refresh_soon();
        throw;
    }
}

// An error reply `out` from `from`: a redirection is followed (up to max_redirects) and `out`
// becomes the answer of the node it leads to; anything else is the server's answer, as data.
void cluster_core::after_error(const node_address& from, reply& out, std::span<const std::string_view> args,
                               std::span<const char> wire_bytes) {
    node_address target = from;
    for (int redirects = 0;; ++redirects) {
        const std::string_view text = out.as_string();
        const auto to = parse_redirect(text, target.host);
        if (!to) {
            if (is_cluster_down(text)) refresh_soon();
            return;
        }
        if (redirects >= opts_.max_redirects) return;
        const bool asking = to->what == redirect::kind::ask;
        if (!asking) refresh_soon();  // the slot has a new owner: so may others
        target = to->to;
        out = attempt(*node_for(target), asking, args, wire_bytes);
        if (!out.is_error()) return;
    }
}

reply cluster_core::fan_out(const std::vector<node_address>& targets, const route& r,
                            std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    std::vector<reply> replies;
    replies.reserve(targets.size());
    for (const node_address& target : targets) {
        try {
            replies.push_back(run_on(target, false, args, wire_bytes));
        } catch (const error& e) {
            if (e.code() != errc::pool_closed) refresh_soon();
            throw;
        }
    }
    return combine_replies(r.response, std::move(replies));
}

std::map<std::string, reply> cluster_core::for_each_master(std::span<const std::string_view> args) {
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    std::map<std::string, reply> out;
    for (const node_address& master : current_map().masters()) out.emplace(master.name, run_on(master, false, args, {}));
    return out;
}

std::shared_ptr<client_core> cluster_core::master_core_of(std::string_view key) {
    const int slot = key_slot(key);
    const slot_map::range* range = current_map().find(slot);
    if (range == nullptr) {
        refresh_soon();
        throw error(errc::io_error, fmt::format("no cluster node serves slot {} now", slot));
    }
    return node_for(range->master)->core;
}

std::vector<std::shared_ptr<client_core>> cluster_core::master_cores() {
    std::vector<std::shared_ptr<client_core>> cores;
    for (const node_address& master : current_map().masters()) cores.push_back(node_for(master)->core);
    return cores;
}

redpool::pool_stats cluster_core::stats() const {
    redpool::pool_stats sum;
    for (const auto& [name, s] : node_stats()) {
        sum.hits += s.hits;
        sum.misses += s.misses;
        sum.timeouts += s.timeouts;
        sum.total_conns += s.total_conns;
        sum.idle_conns += s.idle_conns;
        sum.stale_conns += s.stale_conns;
        sum.wait_count += s.wait_count;
        sum.wait_duration += s.wait_duration;
        sum.max_idle_closed += s.max_idle_closed;
        sum.idle_closed += s.idle_closed;
        sum.lifetime_closed += s.lifetime_closed;
        sum.unusable_closed += s.unusable_closed;
        sum.dial_errors += s.dial_errors;
        sum.in_use += s.in_use;
        sum.waiters += s.waiters;
        sum.pool_size += s.pool_size;
        sum.mux_conns += s.mux_conns;
        sum.in_flight += s.in_flight;
        sum.mux_waiting += s.mux_waiting;
        sum.mux_writes += s.mux_writes;
        sum.mux_requests += s.mux_requests;
        sum.abandoned_replies += s.abandoned_replies;
        sum.resent += s.resent;
    }
    return sum;
}

std::map<std::string, redpool::pool_stats> cluster_core::node_stats() const {
    std::map<std::string, std::shared_ptr<node>> nodes;
    {
        std::lock_guard lock(mutex_);
        nodes = nodes_;
    }
    std::map<std::string, redpool::pool_stats> out;
    for (const auto& [name, n] : nodes) out.emplace(name, n->core->stats());
    return out;
}

}  // namespace redpool::detail
