// redpool::async_subscriber: a subscriber driven by a thread of its own. The subscriber is not
// thread-safe, so only that thread touches it: (un)subscribe calls are handed to it as tasks,
// and pending receives are served in order, in short polls, so tasks never wait long.
#include "redpool/async_subscriber.hpp"

#include <asio/error.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "redpool/error.hpp"

namespace redpool {
namespace detail {

class subscriber_worker {
public:
    explicit subscriber_worker(subscriber sub) : sub_(std::move(sub)), thread_([this] { loop(); }) {}
    ~subscriber_worker() { stop(); }

    std::uint64_t new_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }

    /// Runs `task` on the worker's thread and waits for it; rethrows what it throws.
    void call(std::function<void(subscriber&)> task) {
        std::packaged_task<void()> packaged([this, task = std::move(task)] { task(sub_); });
        std::future<void> done = packaged.get_future();
        {
            std::lock_guard lock(mutex_);
            if (stopping_) throw error(errc::pool_closed, "the subscriber is closed");
            tasks_.push_back(std::move(packaged));
        }
        wake_.notify_one();
        done.get();
    }

    void receive(receive_operation* op) noexcept {
        {
            std::lock_guard lock(mutex_);
            if (!stopping_) {
                receives_.push_back(op);
                wake_.notify_one();
                return;
            }
        }
        finish(op, asio::error::operation_aborted, {});
    }

    void cancel(std::uint64_t id) noexcept {
        receive_operation* found = nullptr;
        {
            std::lock_guard lock(mutex_);
            for (auto it = receives_.begin(); it != receives_.end(); ++it) {
                if ((*it)->id == id) {
                    found = *it;
                    receives_.erase(it);
                    break;
                }
            }
        }
        if (found != nullptr) finish(found, asio::error::operation_aborted, {});
    }

    std::uint64_t reconnects() const noexcept { return sub_.reconnects(); }

    /// Ends the thread, completes pending receives with operation_aborted, closes. Idempotent.
    void stop() noexcept {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ && !thread_.joinable()) return;
            stopping_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
        std::deque<receive_operation*> left;
        {
            std::lock_guard lock(mutex_);
            left.swap(receives_);
        }
        for (receive_operation* op : left) finish(op, asio::error::operation_aborted, {});
        sub_.close();
    }

private:
    static void finish(receive_operation* op, std::error_code ec, message m) noexcept {
        op->deliver(ec, std::move(m));
        delete op;
    }

    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return stopping_ || !tasks_.empty() || !receives_.empty(); });
            if (stopping_) return;
            if (!tasks_.empty()) {
                std::packaged_task<void()> task = std::move(tasks_.front());
                tasks_.pop_front();
                lock.unlock();
                task();
                lock.lock();
                continue;
            }
            receive_operation* op = receives_.front();
            lock.unlock();
            std::optional<message> m;
            std::error_code ec;
            if (!kept_.empty()) {
                m = std::move(kept_.front());
                kept_.erase(kept_.begin());
            } else {
                try {
                    m = sub_.receive(poll);
                } catch (const std::system_error& e) {
                    ec = e.code();
                } catch (...) {
                    ec = make_error_code(errc::io_error);
                }
            }
            lock.lock();
            if (receives_.empty() || receives_.front() != op) {
                // Cancelled while it waited: what it got is the next one's.
                if (m) kept_.push_back(std::move(*m));
                continue;
            }
            if (!m && !ec) continue;  // nothing yet: poll again (tasks first)
            receives_.pop_front();
            lock.unlock();
            finish(op, ec, m ? std::move(*m) : message());
            lock.lock();
        }
    }

    static constexpr std::chrono::milliseconds poll{50};

    subscriber sub_;  // only the worker's thread uses it (and stop(), after the thread ended)
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::packaged_task<void()>> tasks_;   // guarded by mutex_
    std::deque<receive_operation*> receives_;        // guarded by mutex_; the front is served
    bool stopping_ = false;                          // guarded by mutex_
    std::vector<message> kept_;                      // the thread's: received for a cancelled op
    std::atomic<std::uint64_t> next_id_{0};
    std::thread thread_;
};

std::uint64_t new_receive_id(subscriber_worker& worker) noexcept { return worker.new_id(); }

void start_receive(subscriber_worker& worker, receive_operation* op) noexcept { worker.receive(op); }

void cancel_receive(const std::weak_ptr<subscriber_worker>& worker, std::uint64_t id) noexcept {
    if (auto w = worker.lock()) w->cancel(id);
}

}  // namespace detail

async_subscriber::async_subscriber(asio::any_io_executor executor, subscriber sub)
    : executor_(std::move(executor)), worker_(std::make_shared<detail::subscriber_worker>(std::move(sub))) {}

async_subscriber::async_subscriber(async_subscriber&&) noexcept = default;
async_subscriber& async_subscriber::operator=(async_subscriber&& other) noexcept {
    if (this != &other) {
        if (worker_) worker_->stop();
        executor_ = std::move(other.executor_);
        worker_ = std::move(other.worker_);
    }
    return *this;
}

async_subscriber::~async_subscriber() {
    if (worker_) worker_->stop();
}

namespace {

detail::subscriber_worker& live(const std::shared_ptr<detail::subscriber_worker>& worker) {
    if (!worker) throw error(errc::pool_closed, "this subscriber was moved from");
    return *worker;
}

}  // namespace

void async_subscriber::subscribe(std::initializer_list<std::string_view> channels) {
    subscribe(std::span<const std::string_view>(channels.begin(), channels.size()));
}
void async_subscriber::subscribe(std::span<const std::string_view> channels) {
    live(worker_).call([channels](subscriber& s) { s.subscribe(channels); });
}
void async_subscriber::psubscribe(std::initializer_list<std::string_view> patterns) {
    psubscribe(std::span<const std::string_view>(patterns.begin(), patterns.size()));
}
void async_subscriber::psubscribe(std::span<const std::string_view> patterns) {
    live(worker_).call([patterns](subscriber& s) { s.psubscribe(patterns); });
}
void async_subscriber::unsubscribe(std::initializer_list<std::string_view> channels) {
    unsubscribe(std::span<const std::string_view>(channels.begin(), channels.size()));
}
void async_subscriber::unsubscribe(std::span<const std::string_view> channels) {
    live(worker_).call([channels](subscriber& s) { s.unsubscribe(channels); });
}
void async_subscriber::punsubscribe(std::initializer_list<std::string_view> patterns) {
    punsubscribe(std::span<const std::string_view>(patterns.begin(), patterns.size()));
}
void async_subscriber::punsubscribe(std::span<const std::string_view> patterns) {
    live(worker_).call([patterns](subscriber& s) { s.punsubscribe(patterns); });
}

std::uint64_t async_subscriber::reconnects() const noexcept { return worker_ ? worker_->reconnects() : 0; }

void async_subscriber::close() {
    live(worker_).call([](subscriber& s) { s.close(); });
}

}  // namespace redpool
