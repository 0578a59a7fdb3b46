// The default scheduler: Asio timers on one background thread, and a thread per spawned task.
#include <asio.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/pool/scheduler.hpp"

namespace redpool::detail {
namespace {

// Background work has no caller to report to, and an exception escaping a thread would end the
// process; the pool's tasks are retried by their next trigger anyway (the reaper's next tick,
// the next return to the pool, the next probe).
void run_guarded(const scheduler::task& work) noexcept {
    try {
        work();
    } catch (...) {
    }
}

class thread_scheduler final : public scheduler {
public:
    thread_scheduler() : work_guard_(asio::make_work_guard(io_)), timer_thread_([this] { io_.run(); }) {}

    ~thread_scheduler() override { stop(); }

    void post_after(duration delay, task work) override {
        auto timer = std::make_shared<asio::steady_timer>(io_, delay);
        timer->async_wait([timer, work = std::move(work)](const asio::error_code& ec) {
            if (!ec) run_guarded(work);
        });
    }

    void spawn(task work) override {
        std::lock_guard lock(mu_);
        if (stopped_) return;
        join_finished();
        workers_.reserve(workers_.size() + 1);  // so nothing can throw once the thread runs
        auto done = std::make_shared<std::atomic<bool>>(false);
        // The thread touches only what it owns, so it may outlive the scheduler if stop() runs
        // on it (then it is detached, not joined).
        std::thread thread([work = std::move(work), done] {
            run_guarded(work);
            done->store(true, std::memory_order_release);
        });
        workers_.push_back({std::move(thread), std::move(done)});
    }

    void stop() override {
        std::vector<worker> workers;
        {
            std::lock_guard lock(mu_);
            if (stopped_) return;
            stopped_ = true;
            workers.swap(workers_);
        }
        io_.stop();
        wait_for(timer_thread_);
        for (auto& w : workers) wait_for(w.thread);
    }

private:
    struct worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    // Joins a thread, unless it is the calling one: stop() called from a task cannot wait for
    // itself, so that thread is left to finish on its own.
    static void wait_for(std::thread& t) {
        if (!t.joinable()) return;
        if (t.get_id() == std::this_thread::get_id()) t.detach();
        else t.join();
    }

    // Under mu_. Finished threads are joined here, so they do not pile up.
    void join_finished() {
        std::erase_if(workers_, [](worker& w) {
            if (!w.done->load(std::memory_order_acquire)) return false;
            w.thread.join();
            return true;
        });
    }

    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
    std::thread timer_thread_;
    std::mutex mu_;
    std::vector<worker> workers_;  // guarded by mu_
    bool stopped_ = false;         // guarded by mu_
};

}  // namespace

std::unique_ptr<scheduler> make_thread_scheduler() { return std::make_unique<thread_scheduler>(); }

}  // namespace redpool::detail
