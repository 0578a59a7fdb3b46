// The default scheduler: Asio timers and posts on one background thread.
#include <asio.hpp>

#include <mutex>
#include <thread>

#include "lib/pool/scheduler.hpp"

namespace redpool::detail {
namespace {

// Background work has no caller to report to, and an exception escaping io_context::run would
// end the process; the pool's tasks are retried by their next trigger anyway (the reaper's next
// tick, the next return to the pool).
void run_guarded(const scheduler::task& work) noexcept {
    try {
        work();
    } catch (...) {
    }
}

class thread_scheduler final : public scheduler {
public:
    thread_scheduler() : work_guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

    ~thread_scheduler() override { stop(); }

    void post(task work) override {
        asio::post(io_, [work = std::move(work)] { run_guarded(work); });
    }

    void post_after(duration delay, task work) override {
        auto timer = std::make_shared<asio::steady_timer>(io_, delay);
        timer->async_wait([timer, work = std::move(work)](const asio::error_code& ec) {
            if (!ec) run_guarded(work);
        });
    }

    void stop() override {
        std::call_once(stopped_, [this] {
            io_.stop();
            if (thread_.joinable()) thread_.join();
        });
    }

private:
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
    std::thread thread_;
    std::once_flag stopped_;
};

}  // namespace

std::unique_ptr<scheduler> make_thread_scheduler() { return std::make_unique<thread_scheduler>(); }

}  // namespace redpool::detail
