// detail::switch_watcher — listens to every sentinel for `+promoted-slave` and `+switch-master`,
// so a failover is known the moment the first sentinel announces it (the others may repeat it
// seconds later, as they learn it from each other's hello messages), and tells the locator.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "lib/net/node_address.hpp"
#include "lib/sentinel/sentinel_locator.hpp"

namespace redpool::detail {

class switch_watcher {
public:
    /// Starts one thread per sentinel. Each subscribes, then asks its sentinel where the master
    /// is (so nothing announced while it was away is missed); a lost connection is dialed
    /// again a second later.
    explicit switch_watcher(std::shared_ptr<sentinel_locator> locator);
    /// Stops and joins the threads (at once: a stop shuts their sockets down).
    ~switch_watcher();
    /// Asks the threads to stop, without waiting for them. Thread-safe.
    void stop() noexcept;
    switch_watcher(const switch_watcher&) = delete;
    switch_watcher& operator=(const switch_watcher&) = delete;

private:
    void watch(std::stop_token stop, const node_address& sentinel) const;
    void listen(std::stop_token stop, const node_address& sentinel) const;

    const std::shared_ptr<sentinel_locator> locator_;
    std::vector<std::jthread> threads_;
};

}  // namespace redpool::detail
