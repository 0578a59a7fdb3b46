// detail::sentinel_locator — where a Sentinel-managed master (or one of its replicas) is: asked
// of the sentinels in turn, remembered until a dial proves it wrong or a sentinel announces a
// failover, and checked with ROLE on every connection it dials.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/net/connection.hpp"
#include "lib/net/node_address.hpp"
#include "redpool/options.hpp"

namespace redpool::detail {

class sentinel_locator {
public:
    /// `opts` is validated and names a sentinel_master.
    explicit sentinel_locator(const options& opts);

    /// The pool's dialer: a connection to the master (a replica with sentinel_replica_only),
    /// with ROLE checked in its handshake. Throws as connection::open does, `io_error` when no
    /// sentinel answers or the server is no longer in its role (retryable: the next dial asks
    /// the sentinels again), and `invalid_argument` when no sentinel knows the master's name.
    std::unique_ptr<connection> dial(std::stop_token stop);

    /// What to do when the master has moved: close every connection made before (the pool's
    /// close_all_conns). Called with the locator's lock held, on whichever thread learnt it.
    void set_on_switch(std::function<void()> on_switch);

    /// A sentinel announced (or, asked, answered) that the master now is `to`.
    void master_moved(const node_address& to);

    /// Asks one sentinel where the master is: nullopt if it does not know the name. Throws
    /// as connection::open does when the sentinel cannot be reached.
    std::optional<node_address> ask_master(const node_address& sentinel, std::stop_token stop) const;

    /// The options a connection to `sentinel` is made with: its address, the sentinel
    /// credentials, no database, no on_connect.
    options sentinel_options(const node_address& sentinel) const;

    const std::vector<node_address>& sentinels() const noexcept { return all_sentinels_; }
    /// Passes `message` to options::logger, if set; never throws.
    void log(log_level level, std::string_view message) const noexcept;
    const std::string& master_name() const noexcept { return opts_.sentinel_master; }

private:
    node_address locate(std::stop_token stop);
    node_address ask_sentinels(std::stop_token stop);
    std::optional<node_address> ask(const node_address& sentinel, std::stop_token stop) const;
    void adopt(const node_address& server);  // under mutex_
    void forget(const node_address& server);

    const options opts_;
    const std::vector<node_address> all_sentinels_;

    mutable std::mutex mutex_;
    std::vector<node_address> sentinels_;  // the last one that answered first
    std::optional<node_address> current_;  // where dials go; empty: ask the sentinels
    std::optional<node_address> master_;   // the last master known, to tell a switch
    std::function<void()> on_switch_;
    std::mutex asking_;  // one round of questions at a time; the others use its answer
};

}  // namespace redpool::detail
