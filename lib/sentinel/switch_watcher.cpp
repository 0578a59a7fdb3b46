#include "lib/sentinel/switch_watcher.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "lib/sentinel/sentinel_replies.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

// +promoted-slave comes first, the moment the replica answers as master; +switch-master once
// the failover is done. Either one moves the client.
constexpr std::string_view switch_channel = "+switch-master";
constexpr std::string_view promoted_channel = "+promoted-slave";
constexpr auto redial_after = std::chrono::seconds(1);

// Sleeps `d`, or less if `stop` is requested.
void pause(std::stop_token stop, std::chrono::milliseconds d) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
}

// A stop request shuts the socket down, waking a blocked read. It shuts down a duplicate, so a
// descriptor number the connection has closed and the system reused is never touched.
class shutdown_on_stop {
public:
    shutdown_on_stop(std::stop_token stop, int fd) : twin_(::fcntl(fd, F_DUPFD_CLOEXEC, 0)) {
        callback_.emplace(stop, [twin = twin_] {
            if (twin >= 0) ::shutdown(twin, SHUT_RDWR);
        });
    }
    ~shutdown_on_stop() {
        callback_.reset();  // waits for a callback under way
        if (twin_ >= 0) ::close(twin_);
    }
    shutdown_on_stop(const shutdown_on_stop&) = delete;
    shutdown_on_stop& operator=(const shutdown_on_stop&) = delete;

private:
    const int twin_;
    std::optional<std::stop_callback<std::function<void()>>> callback_;
};

}  // namespace

switch_watcher::switch_watcher(std::shared_ptr<sentinel_locator> locator) : locator_(std::move(locator)) {
    threads_.reserve(locator_->sentinels().size());
    for (const node_address& sentinel : locator_->sentinels()) {
        threads_.emplace_back([this, sentinel](std::stop_token stop) { watch(stop, sentinel); });
    }
}

switch_watcher::~switch_watcher() {
    stop();
    threads_.clear();  // joins
}

void switch_watcher::stop() noexcept {
    for (auto& t : threads_) t.request_stop();
}

void switch_watcher::watch(std::stop_token stop, const node_address& sentinel) const {
    while (!stop.stop_requested()) {
        try {
            listen(stop, sentinel);
        } catch (const std::exception& e) {
            // Unreachable, or the connection broke: the other sentinels still speak.
            if (!stop.stop_requested()) {
                locator_->log(log_level::warning, fmt::format("sentinel {}: {} (listening for failovers again in 1 s)",
                                                              sentinel.name, e.what()));
            }
        } catch (...) {
        }
        pause(stop, redial_after);
    }
}

void switch_watcher::listen(std::stop_token stop, const node_address& sentinel) const {
    auto conn = connection::open(locator_->sentinel_options(sentinel), stop);
    shutdown_on_stop wake(stop, conn->native_handle());
    conn->send_unpaired(std::initializer_list<std::string_view>{"SUBSCRIBE", switch_channel, promoted_channel});
    // Subscribed first, then asked: a switch between the two is heard either way.
    if (auto master = locator_->ask_master(sentinel, stop)) locator_->master_moved(*master);
    reply message;
    while (!stop.stop_requested()) {
        if (!conn->read_pushed(message, std::chrono::steady_clock::time_point::max())) continue;
        // ["message", channel, payload]
        if (!message.is_array() || message.size() != 3 || !message[0].is_string() || !message[1].is_string() ||
            !message[2].is_string() || message[0].as_string() != "message") {
            continue;  // a subscription's confirmation
        }
        const std::string_view payload = message[2].as_string();
        const auto announced = message[1].as_string() == promoted_channel ? parse_promoted_replica(payload)
                                                                           : parse_switch_master(payload);
        if (announced && announced->master_name == locator_->master_name()) locator_->master_moved(announced->to);
    }
}

}  // namespace redpool::detail
