// redis_bench::progress_line — the live "GET: rps=..." line on a terminal, redrawn four times
// a second from a thread of its own and erased at the end. Nothing when output is piped.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "run_state.hpp"

namespace redis_bench {

class progress_line {
public:
    progress_line(std::string title, const run_state& state, bool enabled);
    ~progress_line();
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;

private:
    void draw_until_stopped();

    std::string title_;
    const run_state& state_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace redis_bench
