// Fakes for unit tests of detail::basic_pool: a connection that counts its live instances, a
// dialer that can be told to fail, a clock that moves only when told, and a scheduler that runs
// background work only when told. Together they make every pool path deterministic, so pool
// tests need no sleeps and no server.
//
// All of them are safe to use from several threads; the state a test inspects lives behind a
// shared_ptr so the test keeps it while the pool owns the fake's other half.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <stop_token>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lib/pool/scheduler.hpp"
#include "redpool/error.hpp"

namespace redpool::test {

class fake_conn;

/// Every fake_conn made by one dialer: how many are alive, and each by id while it lives.
struct conn_registry {
    std::atomic<int> live{0};
    std::atomic<int> double_closes{0};  // a destructor found its id already gone
    mutable std::mutex mu;
    std::map<int, fake_conn*> by_id;    // guarded by mu

    /// The live connection with this id, or nullptr once it is closed.
    fake_conn* find(int id) const {
        std::lock_guard lock(mu);
        auto it = by_id.find(id);
        return it == by_id.end() ? nullptr : it->second;
    }
    bool is_live(int id) const { return find(id) != nullptr; }
};

/// A connection with switchable health. `usable` is what is_usable() answers (it also counts
/// its calls), `clean` what is_clean() answers. `on_usable` / `on_close` run inside
/// is_usable() and the destructor, to let a test act at exactly that moment.
class fake_conn {
public:
    fake_conn(std::shared_ptr<conn_registry> registry, int id) : registry_(std::move(registry)), id_(id) {
        std::lock_guard lock(registry_->mu);
        registry_->by_id[id_] = this;
        registry_->live.fetch_add(1);
    }
    ~fake_conn() {
        if (on_close) on_close(*this);
        std::lock_guard lock(registry_->mu);
        if (registry_->by_id.erase(id_) == 0) registry_->double_closes.fetch_add(1);
        registry_->live.fetch_sub(1);
    }
    fake_conn(const fake_conn&) = delete;
    fake_conn& operator=(const fake_conn&) = delete;

    bool is_usable() noexcept {
        usable_calls.fetch_add(1);
        if (on_usable) on_usable(*this);
        return usable.load();
    }
    bool is_clean() const noexcept { return clean.load(); }
    int id() const noexcept { return id_; }

    std::atomic<bool> usable{true};
    std::atomic<bool> clean{true};
    std::atomic<int> usable_calls{0};
    std::atomic<int> holders{0};  // for tests that check a lease is never shared
    std::function<void(fake_conn&)> on_usable;
    std::function<void(fake_conn&)> on_close;

private:
    std::shared_ptr<conn_registry> registry_;
    int id_;
};

/// A dialer for basic_pool<fake_conn>: copy it into the pool, keep it to steer and inspect.
/// Ids start at 1 and count up in dial order. When told to fail, it throws
/// `redpool::error(errc::io_error, "dial <n> refused")`; a dial whose stop_token is stopped
/// throws `redpool::error(errc::io_error, "dial <n> canceled")`.
class fake_dialer {
public:
    fake_dialer() : state_(std::make_shared<state>()) {}

    std::unique_ptr<fake_conn> operator()(std::stop_token stop) const {
        const int n = state_->dials.fetch_add(1) + 1;
        std::function<void(std::stop_token)> hook;
        {
            std::lock_guard lock(state_->mu);
            hook = state_->on_dial;
        }
        if (hook) hook(stop);
        if (stop.stop_requested()) {
            throw redpool::error(redpool::errc::io_error, "dial " + std::to_string(n) + " canceled");
        }
        if (state_->fail.load()) {
            state_->failures.fetch_add(1);
            throw redpool::error(redpool::errc::io_error, "dial " + std::to_string(n) + " refused");
        }
        auto conn = std::make_unique<fake_conn>(state_->registry, state_->next_id.fetch_add(1));
        std::function<void(fake_conn&)> setup;
        {
            std::lock_guard lock(state_->mu);
            setup = state_->on_new_conn;
        }
        if (setup) setup(*conn);
        return conn;
    }

    void fail(bool yes) const { state_->fail.store(yes); }
    /// Runs at the start of every dial, before it succeeds or fails; it may block until the
    /// dial's stop_token is stopped, like a dial to a black hole.
    void on_dial(std::function<void(std::stop_token)> hook) const {
        std::lock_guard lock(state_->mu);
        state_->on_dial = std::move(hook);
    }
    /// Runs on every connection the dialer makes, before the pool gets it.
    void on_new_conn(std::function<void(fake_conn&)> setup) const {
        std::lock_guard lock(state_->mu);
        state_->on_new_conn = std::move(setup);
    }

    int dials() const { return state_->dials.load(); }
    int failures() const { return state_->failures.load(); }
    int live() const { return state_->registry->live.load(); }
    int double_closes() const { return state_->registry->double_closes.load(); }
    fake_conn* find(int id) const { return state_->registry->find(id); }
    bool is_live(int id) const { return state_->registry->is_live(id); }
    const std::shared_ptr<conn_registry>& registry() const { return state_->registry; }

private:
    struct state {
        std::shared_ptr<conn_registry> registry = std::make_shared<conn_registry>();
        std::atomic<bool> fail{false};
        std::atomic<int> dials{0};
        std::atomic<int> failures{0};
        std::atomic<int> next_id{1};
        std::mutex mu;
        std::function<void(std::stop_token)> on_dial;   // guarded by mu
        std::function<void(fake_conn&)> on_new_conn;    // guarded by mu
    };
    std::shared_ptr<state> state_;
};

/// A clock that stands still until advanced; copies share the time. Starts at 1000 s so no
/// time point is the epoch.
class manual_clock {
public:
    using time_point = std::chrono::steady_clock::time_point;

    manual_clock() : ns_(std::make_shared<std::atomic<std::int64_t>>(std::int64_t{1'000'000'000'000})) {}

    time_point now() const noexcept { return time_point(std::chrono::nanoseconds(ns_->load())); }

    template <typename Rep, typename Period>
    void advance(std::chrono::duration<Rep, Period> d) const {
        ns_->fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    }

private:
    std::shared_ptr<std::atomic<std::int64_t>> ns_;
};

/// What a test keeps of a manual_scheduler: the queues, the virtual time, and the knobs that
/// run the work. Tasks run on the calling thread, outside the mutex.
class manual_scheduler_state {
public:
    using duration = redpool::detail::scheduler::duration;
    using task = redpool::detail::scheduler::task;

    /// Moves `clock` along with the virtual time, so a timed task sees the time it was due at.
    void link_clock(manual_clock clock) {
        std::lock_guard lock(mu_);
        clock_ = std::move(clock);
        linked_ = true;
    }

    /// Makes the next `n` spawns, or posts after a delay, throw std::bad_alloc, as when a thread
    /// or a timer cannot be made.
    void fail_next_spawns(int n) {
        std::lock_guard lock(mu_);
        failing_spawns_ = n;
    }
    void fail_next_posts(int n) {
        std::lock_guard lock(mu_);
        failing_posts_ = n;
    }

    /// A spawned task: it waits in the ready queue for run_pending().
    void spawn(task work) {
        std::lock_guard lock(mu_);
        if (failing_spawns_ > 0) {
            --failing_spawns_;
            throw std::bad_alloc();
        }
        if (stopped_) return;
        ready_.push_back(std::move(work));
    }

    void post_after(duration delay, task work) {
        std::lock_guard lock(mu_);
        if (failing_posts_ > 0) {
            --failing_posts_;
            throw std::bad_alloc();
        }
        if (stopped_) return;
        // A multimap keeps equal keys in insertion order, like a timer queue.
        timed_.emplace(now_ + delay, std::move(work));
    }

    /// Drops all queued work, waits for work running on other threads, ignores later posts.
    void stop() {
        std::unique_lock lock(mu_);
        stopped_ = true;
        ready_.clear();
        timed_.clear();
        idle_.wait(lock, [this] { return running_ == running_here(); });
    }

    /// Runs spawned tasks until none is left, including ones spawned meanwhile, on the calling
    /// thread. Returns how many ran.
    std::size_t run_pending() {
        std::size_t ran = 0;
        while (task work = take_ready()) {
            run(work);
            ++ran;
        }
        return ran;
    }

    /// Moves the virtual time forward by `delay`, running each timed task that falls due, in
    /// due order and at its due time (tasks posted meanwhile included). Spawned tasks are left
    /// for run_pending(). Returns how many timed tasks ran.
    std::size_t advance(duration delay) {
        std::size_t ran = 0;
        duration target;
        {
            std::lock_guard lock(mu_);
            target = now_ + delay;
        }
        while (task work = take_due(target)) {
            run(work);
            ++ran;
        }
        std::lock_guard lock(mu_);
        move_time_to(target);
        return ran;
    }

    std::size_t ready_count() const {
        std::lock_guard lock(mu_);
        return ready_.size();
    }
    std::size_t timed_count() const {
        std::lock_guard lock(mu_);
        return timed_.size();
    }
    /// When the earliest timed task falls due, relative to now; negative if none is queued.
    duration next_due_in() const {
        std::lock_guard lock(mu_);
        return timed_.empty() ? duration(-1) : timed_.begin()->first - now_;
    }

private:
    task take_ready() {
        std::lock_guard lock(mu_);
        if (ready_.empty()) return {};
        task work = std::move(ready_.front());
        ready_.pop_front();
        ++running_;
        ++running_by_thread_[std::this_thread::get_id()];
        return work;
    }

    task take_due(duration target) {
        std::lock_guard lock(mu_);
        if (timed_.empty() || timed_.begin()->first > target) return {};
        auto it = timed_.begin();
        move_time_to(it->first);
        task work = std::move(it->second);
        timed_.erase(it);
        ++running_;
        ++running_by_thread_[std::this_thread::get_id()];
        return work;
    }

    // Under mu_.
    void move_time_to(duration t) {
        if (t <= now_) return;
        if (linked_) clock_.advance(t - now_);
        now_ = t;
    }

    // Bookkeeping survives a throwing task, so stop() never waits for a task that is gone.
    void run(const task& work) {
        struct done_guard {
            manual_scheduler_state* self;
            ~done_guard() {
                std::lock_guard lock(self->mu_);
                --self->running_;
                --self->running_by_thread_[std::this_thread::get_id()];
                self->idle_.notify_all();
            }
        } guard{this};
        work();
    }

    // stop() called from inside a task must not wait for that task. Under mu_.
    int running_here() { return running_by_thread_[std::this_thread::get_id()]; }

    mutable std::mutex mu_;
    std::condition_variable idle_;
    std::deque<task> ready_;                    // guarded by mu_
    std::multimap<duration, task> timed_;       // guarded by mu_; keyed by due time
    duration now_{0};                           // guarded by mu_; virtual time
    manual_clock clock_;                        // guarded by mu_
    bool linked_ = false;                       // guarded by mu_
    bool stopped_ = false;                      // guarded by mu_
    int running_ = 0;                           // guarded by mu_; tasks running now
    std::map<std::thread::id, int> running_by_thread_;  // guarded by mu_
    int failing_spawns_ = 0;                    // guarded by mu_
    int failing_posts_ = 0;                     // guarded by mu_
};

/// The pool's half of a manual scheduler; the test keeps the shared state.
class manual_scheduler final : public redpool::detail::scheduler {
public:
    explicit manual_scheduler(std::shared_ptr<manual_scheduler_state> state) : state_(std::move(state)) {}

    void post_after(duration delay, task work) override { state_->post_after(delay, std::move(work)); }
    void spawn(task work) override { state_->spawn(std::move(work)); }
    void stop() override { state_->stop(); }

private:
    std::shared_ptr<manual_scheduler_state> state_;
};

}  // namespace redpool::test
