#include "lib/client/lease_tracker.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace redpool::detail {

std::shared_ptr<lease_tracker> lease_tracker::for_options(const options& opts) {
    if (opts.lease_warning_after.count() <= 0) return nullptr;
    return std::make_shared<lease_tracker>(opts.lease_warning_after, opts.logger);
}

lease_tracker::lease_tracker(options::duration warn_after, std::function<void(log_level, std::string_view)> logger)
    : warn_after_(warn_after), logger_(std::move(logger)) {}

lease_tracker::~lease_tracker() { stop(); }

lease_tracker::ticket& lease_tracker::ticket::operator=(ticket&& other) noexcept {
    if (this != &other) {
        if (tracker_) tracker_->forget(id_);
        tracker_ = std::move(other.tracker_);
        id_ = other.id_;
    }
    return *this;
}

lease_tracker::ticket::~ticket() {
    if (tracker_) tracker_->forget(id_);
}

lease_tracker::ticket lease_tracker::track(std::string_view what, const char* file, int line) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    held_.emplace(id, record{clock::now(), what, file, line});
    if (!watcher_.joinable()) watcher_ = std::jthread([this](std::stop_token stop) { watch(stop); });
    return ticket(shared_from_this(), id);
}

void lease_tracker::forget(std::uint64_t id) noexcept {
    std::lock_guard lock(mutex_);
    held_.erase(id);
}

void lease_tracker::stop() noexcept {
    if (watcher_.joinable() && watcher_.get_id() != std::this_thread::get_id()) {
        watcher_.request_stop();
        watcher_.join();
    }
}

// Looks every quarter of the limit (at least every 10 ms, at most every second), so a leak is
// reported at most a quarter late.
void lease_tracker::watch(std::stop_token stop) {
    const auto period = std::clamp<clock::duration>(warn_after_ / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        wake_.wait_for(lock, stop, period, [] { return false; });
        if (stop.stop_requested()) return;
        const auto now = clock::now();
        std::vector<std::pair<record, clock::duration>> due;
        for (auto& [id, r] : held_) {
            if (!r.reported && now - r.taken >= warn_after_) {
                r.reported = true;
                due.emplace_back(r, now - r.taken);
            }
        }
        if (due.empty()) continue;
        lock.unlock();  // the logger runs without the lock: it may take its time
        for (const auto& [r, held] : due) report(r, held);
        lock.lock();
    }
}

void lease_tracker::report(const record& r, clock::duration held) noexcept {
    try {
        const std::string message = fmt::format(
            "possible leak: a {} taken at {}:{} has been held for {:.1f} s (lease_warning_after {} ms); "
            "release it (let it go out of scope) when done, or raise the limit",
            r.what, r.file, r.line, std::chrono::duration<double>(held).count(), warn_after_.count());
        if (logger_) logger_(log_level::warning, message);
        else std::fprintf(stderr, "redpool: %s\n", message.c_str());
    } catch (...) {
        // A logger's failure, or no memory for the message: the report is lost, nothing else.
    }
}

}  // namespace redpool::detail
