// The progress line.
#include "progress.hpp"

#include <cstdio>

namespace redis_bench {

progress_line::progress_line(std::string title, const run_state& state, bool enabled)
    : title_(std::move(title)), state_(state) {
    if (enabled) thread_ = std::thread([this] { draw_until_stopped(); });
}

progress_line::~progress_line() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    std::fputs("\r\x1b[K", stdout);  // erase the line before the result is printed
    std::fflush(stdout);
}

void progress_line::draw_until_stopped() {
    const auto start = run_state::clock::now();
    auto last = start;
    long last_done = 0;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
        const auto now = run_state::clock::now();
        const long done = state_.finished();
        const double recent = std::chrono::duration<double>(now - last).count();
        const double overall = std::chrono::duration<double>(now - start).count();
        std::printf("\r\x1b[K%s: rps=%.1f (overall: %.1f)", title_.c_str(),
                    recent > 0 ? static_cast<double>(done - last_done) / recent : 0.0,
                    overall > 0 ? static_cast<double>(done) / overall : 0.0);
        std::fflush(stdout);
        last = now;
        last_done = done;
    }
}

}  // namespace redis_bench
