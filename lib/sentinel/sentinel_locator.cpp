#include "lib/sentinel/sentinel_locator.hpp"

#include <algorithm>
#include <initializer_list>
#include <random>
#include <string_view>

#include <fmt/format.h>

#include "lib/sentinel/sentinel_replies.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

std::vector<node_address> parse_sentinels(const options& opts) {
    std::vector<node_address> sentinels;
    for (const std::string& a : opts.sentinel_addrs) sentinels.push_back(parse_node_address(a, "options: sentinel_addrs"));
    return sentinels;
}

// A copy without the sentinel settings, so its address() names the server itself.
options without_sentinels(const options& opts) {
    options o = opts;
    o.sentinel_master.clear();
    o.sentinel_addrs.clear();
    o.sentinel_username.clear();
    o.sentinel_password.clear();
    o.sentinel_replica_only = false;
    o.path.clear();
    return o;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
    return out;
}

bool is_unknown_master(std::string_view message) {
    return message.find("No such master") != std::string_view::npos;
}

const node_address& pick_one(const std::vector<node_address>& servers) {
    thread_local std::minstd_rand random{std::random_device{}()};
    return servers[std::uniform_int_distribution<std::size_t>(0, servers.size() - 1)(random)];
}

}  // namespace

sentinel_locator::sentinel_locator(const options& opts)
    : opts_(opts), all_sentinels_(parse_sentinels(opts)), sentinels_(all_sentinels_) {}

options sentinel_locator::sentinel_options(const node_address& sentinel) const {
    options o = without_sentinels(opts_);
    o.host = sentinel.host;
    o.port = sentinel.port;
    o.username = opts_.sentinel_username;
    o.password = opts_.sentinel_password;
    o.credentials_provider = nullptr;  // the master's, not the sentinels'
    o.db = 0;
    o.on_connect = nullptr;
    return o;
}

std::unique_ptr<connection> sentinel_locator::dial(std::stop_token stop) {
    const node_address server = locate(stop);
    options o = without_sentinels(opts_);
    o.host = server.host;
    o.port = server.port;
    try {
        return connection::open(o, stop, opts_.sentinel_replica_only ? "slave" : "master");
    } catch (const error& e) {
        // Gone, or no longer in its role: the next dial asks the sentinels again.
        if (e.code() == errc::io_error || e.code() == errc::connect_timeout) forget(server);
        throw;
    }
}

void sentinel_locator::set_on_switch(std::function<void()> on_switch) {
    std::lock_guard lock(mutex_);
    on_switch_ = std::move(on_switch);
}

void sentinel_locator::master_moved(const node_address& to) {
    std::lock_guard lock(mutex_);
    if (!opts_.sentinel_replica_only) return adopt(to);
    // A replica client: the replicas follow the new master, and the one in use may be it now.
    const bool moved = master_ && *master_ != to;
    master_ = to;
    if (!moved) return;
    current_.reset();
    if (on_switch_) on_switch_();
}

node_address sentinel_locator::locate(std::stop_token stop) {
    {
        std::lock_guard lock(mutex_);
        if (current_) return *current_;
    }
    std::lock_guard asking(asking_);
    {
        std::lock_guard lock(mutex_);
        if (current_) return *current_;  // found by whoever asked meanwhile
    }
    const node_address found = ask_sentinels(stop);
    std::lock_guard lock(mutex_);
    adopt(found);
    return found;
}

// In turn, as go-redis does; the first that answers goes to the front for next time.
node_address sentinel_locator::ask_sentinels(std::stop_token stop) {
    std::vector<node_address> order;
    {
        std::lock_guard lock(mutex_);
        order = sentinels_;
    }
    std::vector<std::string> failures;
    std::vector<std::string> unaware;
    bool all_refused_login = true;
    for (const node_address& sentinel : order) {
        if (stop.stop_requested()) break;
        try {
            std::optional<node_address> found = ask(sentinel, stop);
            if (!found) {
                unaware.push_back(sentinel.name);
                continue;
            }
            std::lock_guard lock(mutex_);
            const auto it = std::find(sentinels_.begin(), sentinels_.end(), sentinel);
            if (it != sentinels_.end()) std::rotate(sentinels_.begin(), it, it + 1);
            return *found;
        } catch (const error& e) {
            failures.push_back(e.what());  // they name the sentinel, never a password
            all_refused_login = all_refused_login && e.code() == errc::auth_failed;
        }
    }
    const std::string& name = opts_.sentinel_master;
    if (!unaware.empty()) {
        throw error(errc::invalid_argument, fmt::format("sentinel master \"{}\": the sentinels at {} monitor no "
                                                        "master of that name", name, joined(unaware, ", ")));
    }
    if (stop.stop_requested()) throw error(errc::io_error, fmt::format("sentinel master \"{}\": canceled", name));
    throw error(all_refused_login ? errc::auth_failed : errc::io_error,
                fmt::format("sentinel master \"{}\": no sentinel answered ({})", name, joined(failures, "; ")));
}

std::optional<node_address> sentinel_locator::ask(const node_address& sentinel, std::stop_token stop) const {
    if (!opts_.sentinel_replica_only) return ask_master(sentinel, stop);
    auto conn = connection::open(sentinel_options(sentinel), stop);
    const reply r = conn->exec(std::initializer_list<std::string_view>{"SENTINEL", "REPLICAS", opts_.sentinel_master});
    if (r.is_error() && is_unknown_master(r.as_string())) return std::nullopt;
    if (r.is_error()) {
        throw error(errc::server_error, fmt::format("SENTINEL REPLICAS on {}: {}", sentinel.name, r.as_string()));
    }
    const std::vector<node_address> healthy = healthy_replicas_of(r);
    if (healthy.empty()) {
        throw error(errc::io_error, fmt::format("sentinel {}: master \"{}\" has no healthy replica", sentinel.name,
                                                opts_.sentinel_master));
    }
    return pick_one(healthy);
}

std::optional<node_address> sentinel_locator::ask_master(const node_address& sentinel, std::stop_token stop) const {
    auto conn = connection::open(sentinel_options(sentinel), stop);
    const reply r = conn->exec(
        std::initializer_list<std::string_view>{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", opts_.sentinel_master});
    if (r.is_error()) {
        throw error(errc::server_error,
                    fmt::format("SENTINEL GET-MASTER-ADDR-BY-NAME on {}: {}", sentinel.name, r.as_string()));
    }
    return master_address_of(r);
}

// Dials go to `server` from now on; a master other than the last one known means a failover
// this client learnt of by asking, and what was dialed before may lead to the old master.
void sentinel_locator::adopt(const node_address& server) {
    current_ = server;
    if (opts_.sentinel_replica_only) return;
    const bool moved = master_ && *master_ != server;
    master_ = server;
    if (moved && on_switch_) on_switch_();
}

void sentinel_locator::log(log_level level, std::string_view message) const noexcept {
    if (!opts_.logger) return;
    try {
        opts_.logger(level, message);
    } catch (...) {
        // The logger's own failure is dropped, as options::logger says.
    }
}

void sentinel_locator::forget(const node_address& server) {
    std::lock_guard lock(mutex_);
    if (current_ == server) current_.reset();
}

}  // namespace redpool::detail
