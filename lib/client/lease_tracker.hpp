// detail::lease_tracker — leak detection (options::lease_warning_after), as HikariCP's: each
// pinned connection or subscriber a caller takes is registered with the place it was taken
// (file and line, from the call site), and one reported once through the logger when it is
// held longer than the limit. A watcher thread looks every quarter of the limit; it runs only
// for clients that set one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "redpool/options.hpp"

namespace redpool::detail {

class lease_tracker : public std::enable_shared_from_this<lease_tracker> {
public:
    using clock = std::chrono::steady_clock;

    /// A tracker for `opts` (lease_warning_after, logger); null when the limit is zero (off).
    static std::shared_ptr<lease_tracker> for_options(const options& opts);

    lease_tracker(options::duration warn_after, std::function<void(log_level, std::string_view)> logger);
    ~lease_tracker();
    lease_tracker(const lease_tracker&) = delete;
    lease_tracker& operator=(const lease_tracker&) = delete;

    /// Held by what it tracks: dropping it ends the tracking. Empty when there is no tracker.
    class ticket {
    public:
        ticket() = default;
        ticket(ticket&& other) noexcept = default;
        ticket& operator=(ticket&& other) noexcept;
        ~ticket();

    private:
        friend class lease_tracker;
        ticket(std::shared_ptr<lease_tracker> tracker, std::uint64_t id) : tracker_(std::move(tracker)), id_(id) {}
        std::shared_ptr<lease_tracker> tracker_;
        std::uint64_t id_ = 0;
    };

    /// Starts tracking `what` (a static string: "pinned connection", "subscriber") taken at
    /// `file`:`line` (static strings from __builtin_FILE).
    ticket track(std::string_view what, const char* file, int line);
    /// Stops the watcher (the client is closing); tickets may still come back afterwards.
    void stop() noexcept;

private:
    struct record {
        clock::time_point taken;
        std::string_view what;
        const char* file;
        int line;
        bool reported = false;
    };

    void forget(std::uint64_t id) noexcept;
    void watch(std::stop_token stop);
    void report(const record& r, clock::duration held) noexcept;

    const options::duration warn_after_;
    const std::function<void(log_level, std::string_view)> logger_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::map<std::uint64_t, record> held_;  // guarded by mutex_
    std::uint64_t next_id_ = 1;             // guarded by mutex_
    std::jthread watcher_;                  // started with the first ticket
};

}  // namespace redpool::detail
