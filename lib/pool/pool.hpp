// detail::basic_pool — the go-redis-style connection pool, generic over the connection type so
// its logic is tested with fake connections and a manual clock. Read it beside go-redis v8's
// internal/pool/pool.go: get/put/remove, wait_turn/free_turn, pop_idle, dial_conn,
// check_min_idle_conns, reap_stale_conns.
//
// A connection type needs `bool is_usable() noexcept` (a cheap liveness check, may do I/O),
// `bool is_clean() const noexcept` (safe to hand to another caller) and a destructor that closes
// it. The dialer makes one, and should give up when its stop_token is stopped (close() does).
//
// Turns. pool_size turns bound what the pool has in hand at once: connections leased, being
// dialed, or being checked by the reaper. A get waits for a turn; a `turn` is a move-only value
// that frees itself, so every path returns it exactly once by construction. Background work
// takes turns too, as go-redis's does, but only one that is free at once (it never queues ahead
// of a caller): so the pool never has more than pool_size dials in flight (a restart does not
// set off a storm), and a concurrent miss cannot dial a replacement for the connection the
// reaper is checking and then close one of the two as surplus.
//
// Locking: one mutex over the lists, the turns and the counters, held only while they change.
// Dialing, closing and liveness checks happen outside it. The lists never allocate, so handing
// out and giving back cannot fail halfway; what throws under the lock (pool_timeout,
// pool_closed, a bad setting) does so before it has changed anything.
//
// Lifetime: the pool is always owned by shared_ptr (create()). close() waits for the callers it
// woke to leave; after it, while turns are out, the pool holds a reference to itself, and
// whoever frees the last turn lets go of it. So a lease may outlive every owner. After close()
// a turn only ends on a slow path (a clean connection coming back is refused, then removed),
// so the fast path never has to think about it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/pool/conn_list.hpp"
#include "lib/pool/dial_breaker.hpp"
#include "lib/pool/futex.hpp"
#include "lib/pool/pool_clock.hpp"
#include "lib/pool/pool_config.hpp"
#include "lib/pool/scheduler.hpp"
#include "redpool/error.hpp"
#include "redpool/pool.hpp"

namespace redpool::detail {

/// Why the pool closes a connection.

template <typename Conn, typename Clock = coarse_clock>
class basic_pool : public std::enable_shared_from_this<basic_pool<Conn, Clock>> {
    struct entry;
    class pool_lock;
    class pool_unlock;
    struct passkey {
        explicit passkey() = default;
    };

public:
    using time_point = typename Clock::time_point;
    using duration = pool_config::duration;
    using wait_clock = std::chrono::steady_clock;
    using dialer = std::function<std::unique_ptr<Conn>(std::stop_token)>;

    /// What a caller may still spend waiting for turns over several gets (a call and its
    /// retries): pool_timeout in all. A get that finds a turn free spends nothing.
    struct wait_budget {
        std::chrono::nanoseconds left{-1};  // negative: none spent yet, the whole pool_timeout
    };

    /// One of pool_size turns. Move-only; frees itself when destroyed unless handed on.
    /// Trap: its destructor takes the pool's lock, so it must never end while that lock is held;
    /// code under the lock hands it to free_turn (or release_turn) instead.
    class turn {
    public:
        turn() = default;
        turn(turn&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)) {}
        turn& operator=(turn&& other) noexcept {
            if (this != &other) {
                reset();
                pool_ = std::exchange(other.pool_, nullptr);
            }
            return *this;
        }
        ~turn() { reset(); }
        explicit operator bool() const noexcept { return pool_ != nullptr; }

    private:
        friend class basic_pool;
        friend class lease;
        explicit turn(basic_pool* pool) noexcept : pool_(pool) {}
        void reset() noexcept {
            if (pool_ != nullptr) std::exchange(pool_, nullptr)->free_turn();
        }
        basic_pool* pool_ = nullptr;
    };

    /// A borrowed connection, holding its turn; gives both back when destroyed.
    class lease {
    public:
        lease() = default;
        lease(lease&& other) noexcept
            : turn_(std::move(other.turn_)), entry_(std::exchange(other.entry_, nullptr)) {}
        lease& operator=(lease&& other) noexcept {
            if (this != &other) {
                release();
                turn_ = std::move(other.turn_);
                entry_ = std::exchange(other.entry_, nullptr);
            }
            return *this;
        }
        ~lease() { release(); }

        Conn& operator*() const noexcept { return *entry_->conn; }
        Conn* operator->() const noexcept { return entry_->conn.get(); }
        explicit operator bool() const noexcept { return entry_ != nullptr; }

        /// Gives the connection back now: to the idle list if it is clean, closed if its state
        /// is uncertain (a reply must never reach the wrong caller).
        void release() noexcept {
            if (entry_ == nullptr) return;
            basic_pool* pool = turn_.pool_;
            entry* e = std::exchange(entry_, nullptr);
            if (e->conn->is_clean()) pool->put(std::move(turn_), e);
            else pool->remove(std::move(turn_), e, close_reason::unusable);
        }

    private:
        friend class basic_pool;
        lease(turn&& t, entry* e) noexcept : turn_(std::move(t)), entry_(e) {}
        turn turn_;
        entry* entry_ = nullptr;
    };

    /// Validates `config` (throws `errc::invalid_argument`), then starts the pool: background
    /// dials for min idle, and the reaper.
    static std::shared_ptr<basic_pool> create(pool_config config, dialer dial,
                                              std::unique_ptr<scheduler> background, Clock clock = {}) {
        config.validate();
        auto pool = std::make_shared<basic_pool>(passkey{}, std::move(config), std::move(dial),
                                                 std::move(background), std::move(clock));
        pool->check_min_idle_conns();
        pool->schedule_reaper();
        return pool;
    }

    basic_pool(passkey, pool_config config, dialer dial, std::unique_ptr<scheduler> background, Clock clock)
        : config_(std::move(config)), fresh_for_(fresh_window(config_)), dial_(std::move(dial)),
          background_(std::move(background)), clock_(std::move(clock)) {}

    ~basic_pool() {
        close();
        assert(in_use_ == 0 && "a pool destroyed with leases out: close() it while it is shared");
        while (entry* e = all_.pop_front()) delete e;  // leased ones, were there any
    }

    basic_pool(const basic_pool&) = delete;
    basic_pool& operator=(const basic_pool&) = delete;

    /// Borrows a connection: waits for a turn (first come, first served, up to pool_timeout),
    /// then hands out an idle connection (a hit) or dials one (a miss). Throws pool_timeout,
    /// pool_closed, or the dial's error.
    [[gnu::always_inline]] lease get() { return get_within(nullptr); }
    /// Same, waiting only what is left of `budget`, and taking what it waits out of it.
    [[gnu::always_inline]] lease get(wait_budget& budget) { return get_within(&budget); }

    /// Whether the connection `l` holds has outlived conn_max_lifetime (with its jitter) or was
    /// superseded by close_all_conns(): a holder that keeps it for long (a multiplexed
    /// connection) gives it back when it is.
    bool is_past_lifetime(const lease& l) const noexcept {
        pool_lock lock(const_cast<basic_pool&>(*this));
        if (l.entry_->generation != generation_.load(std::memory_order_relaxed)) return true;
        return config_.conn_max_lifetime.count() > 0 && clock_.now() >= expires_at(*l.entry_);
    }

    /// Closes every idle connection now, and every leased one (and one being dialed) when it
    /// comes back, while the pool stays open: the server behind the address changed (a Sentinel
    /// failover), so no connection made before may carry another command.
    void close_all_conns() {
        pool_lock lock(*this);
        generation_.fetch_add(1, std::memory_order_relaxed);
        for (entry* e = idle_.front(); e != nullptr;) {
            entry* next = idle_.next(e);
            if (!e->being_checked) retire_idle(lock, e, close_reason::superseded);
            e = next;
        }
    }

    /// Closes idle connections now, wakes every waiter with pool_closed, cancels dials in
    /// flight and stops the background work; leased connections are closed as they come back.
    /// Idempotent; safe while other threads use the pool.
    void close() {
        {
            pool_lock lock(*this);
            if (closed_) return;
            closed_ = true;
            for (waiter* w = waiters_head_; w != nullptr; w = w->next) w->signal(waiter::closed);
            for (entry* e = idle_.front(); e != nullptr;) {
                entry* next = idle_.next(e);
                if (!e->being_checked) retire_idle(lock, e, close_reason::pool_closed);
                e = next;
            }
        }
        closing_.request_stop();
        background_->stop();
        // The waiters woken above need the lock, hence the pool, to leave: wait for them, so
        // that they are gone before the caller (an owner) can let the pool go.
        for (;;) {
            pool_lock lock(*this);
            if (waiter_count_ == 0) {
                if (in_use_ > 0) keep_alive_ = this->weak_from_this().lock();  // null in ~basic_pool
                return;
            }
            pool_unlock unlocked(lock);
            std::this_thread::yield();
        }
    }

    /// Closes idle connections that are stale (idle too long, too old, or dead), oldest first,
    /// then refills min idle. Run by the reaper every reaper_interval; callable on demand.
    /// Returns how many it closed.
    std::size_t reap_stale_conns() {
        std::shared_ptr<basic_pool> last_ref;  // declared before the lock: see free_turn
        std::size_t reaped = 0;
        {
            pool_lock lock(*this);
            entry* e = idle_.front();
            for (std::size_t left = idle_.size(); e != nullptr && left > 0 && !closed_; --left) {
                if (e->being_checked) {  // by another reap_stale_conns
                    e = idle_.next(e);
                    continue;
                }
                const time_point now = clock_.now();
                std::optional<close_reason> why = stale_reason(*e, now);
                if (!why && needs_liveness_check(*e, now) && !check_in_place(lock, e, last_ref)) {
                    why = close_reason::dead;
                }
                if (!why && is_superseded(*e)) why = close_reason::superseded;  // while it was checked
                if (closed_) why = close_reason::pool_closed;  // close() left it to us
                entry* next = idle_.next(e);  // read now: the list may have changed meanwhile
                if (why) {
                    retire_idle(lock, e, *why);
                    if (*why != close_reason::pool_closed) ++reaped;
                }
                e = next;
            }
            trim_idle(lock);  // what a shrink left while a connection was being checked
        }
        check_min_idle_conns();
        return reaped;
    }

    /// Dials in the background until min_idle_conns connections are idle (within pool_size).
    void check_min_idle_conns() noexcept {
        int dials = 0;
        {
            pool_lock lock(*this);
            if (closed_) return;
            dials = min_idle_shortfall();
            pending_dials_ += dials;
        }
        for (; dials > 0; --dials) {
            try {
                background_->spawn([this] { add_idle_conn(); });
            } catch (...) {
                pool_lock lock(*this);  // the next check tries again
                pending_dials_ -= dials;
                return;
            }
        }
    }

    pool_stats stats() const {
        pool_lock lock(const_cast<basic_pool&>(*this));
        pool_stats s = stats_;
        s.total_conns = static_cast<std::uint32_t>(all_.size());
        s.idle_conns = static_cast<std::uint32_t>(idle_.size());
        s.in_use = static_cast<std::uint32_t>(in_use_);
        s.waiters = static_cast<std::uint32_t>(waiter_count_);
        s.pool_size = static_cast<std::uint32_t>(config_.pool_size);
        return s;
    }

    // --- run-time tuning: each setter keeps every invariant pool_config::validate keeps, and
    // takes effect at once without dropping leased connections. Throw invalid_argument.

    /// Growing hands turns to waiters; shrinking closes surplus idle connections now and surplus
    /// leased ones when they come back. min_idle_conns is kept and applies in full again when
    /// the pool grows back.
    void set_pool_size(int size) {
        reconfigure([&](pool_config& c) { c.pool_size = size; });
    }
    void set_min_idle_conns(int n) {
        reconfigure([&](pool_config& c) {
            if (n > c.pool_size) {
                throw error(errc::invalid_argument,
                            fmt::format("min_idle_conns {} is outside 0..pool_size ({})", n, c.pool_size));
            }
            c.min_idle_conns = n;
        });
    }
    /// Closes idle connections beyond the new limit at once (as Go's database/sql does).
    void set_max_idle_conns(int n) {
        reconfigure([&](pool_config& c) { c.max_idle_conns = n; });
    }
    void set_pool_timeout(duration d) {
        reconfigure([&](pool_config& c) { c.pool_timeout = d; });
    }
    void set_conn_max_idle_time(duration d) {
        reconfigure([&](pool_config& c) { c.conn_max_idle_time = d; });
    }
    void set_conn_max_lifetime(duration d) {
        reconfigure([&](pool_config& c) { c.conn_max_lifetime = d; });
    }
    void set_conn_max_lifetime_jitter(duration d) {
        reconfigure([&](pool_config& c) { c.conn_max_lifetime_jitter = d; });
    }
    void set_pool_fifo(bool fifo) {
        reconfigure([&](pool_config& c) { c.pool_fifo = fifo; });
    }

private:
    struct all_tag {};
    struct idle_tag {};
    struct entry : list_hook<idle_tag>, list_hook<all_tag> {  // idle first: at offset 0, hot
        std::unique_ptr<Conn> conn;
        time_point created_at;
        time_point idle_since;
        double lifetime_jitter = 0;  // in [-1, 1]: this connection's share of the jitter
        std::uint64_t generation = 0;  // generation_ when its dial began
        bool being_checked = false;  // a reaper checks it outside the lock: nobody else touches it
        entry* next_doomed = nullptr;  // on a pool_lock's list of connections to close
        close_reason closed_for = close_reason::pool_closed;  // why, once doomed
    };
    using all_list = conn_list<entry, all_tag>;
    using idle_list = conn_list<entry, idle_tag>;

    // Connections taken out of the pool under the lock, closed once it is released (pool_lock
    // and pool_unlock close them: on the fast path there is nothing to check twice).
    class doomed_list {
    public:
        doomed_list() = default;
        doomed_list(const doomed_list&) = delete;
        doomed_list& operator=(const doomed_list&) = delete;
        void push(entry* e) noexcept {
            e->next_doomed = head_;
            head_ = e;
        }
        bool empty() const noexcept { return head_ == nullptr; }
        /// Closes them, telling `observer` (may be null) why each went.
        void close_all(const pool_observer* observer) noexcept {
            if (head_ != nullptr) [[unlikely]] close_all_slowly(observer);
        }

    private:
        [[gnu::noinline]] void close_all_slowly(const pool_observer* observer) noexcept {
            while (entry* e = head_) {
                head_ = e->next_doomed;
                const close_reason why = e->closed_for;
                delete e;
                if (observer != nullptr && observer->on_closed) {
                    try {
                        observer->on_closed(why);
                    } catch (...) {
                        // A hook's failure is the hook's: the pool carries on.
                    }
                }
            }
        }
        entry* head_ = nullptr;
    };

    // A finished wait for a turn, reported once the lock is released.
    struct wait_report {
        std::chrono::nanoseconds waited{0};
        wait_outcome outcome = wait_outcome::granted;
        bool pending = false;
    };

    // Whom to tell of what a lock's holder did, taken before the lock is released (the pool
    // may be gone right after: a waiter leaving a closed pool); null when there is nothing to
    // report or nobody to tell, which is the fast path.
    static std::shared_ptr<const pool_observer> observer_for(const basic_pool& pool, const doomed_list& doomed,
                                                             const wait_report& wait) noexcept {
        if (doomed.empty() && !wait.pending) [[likely]] return nullptr;
        return pool.config_.observer;
    }

    static void report_wait(const pool_observer* observer, const wait_report& wait) noexcept {
        if (!wait.pending || observer == nullptr || !observer->on_waited) return;
        try {
            observer->on_waited(wait.waited, wait.outcome);
        } catch (...) {
            // A hook's failure is the hook's.
        }
    }

    // The pool's lock, held by one call for as long as it lives. What the call retires under it
    // is closed right after it is released, never under it.
    class pool_lock {
    public:
        explicit pool_lock(basic_pool& pool) noexcept : pool_(pool) { pool_.mutex_.lock(); }
        [[gnu::always_inline]] ~pool_lock() {
            std::atomic<int>* const wake = pool_.take_deferred_wake();
            if (!doomed_.empty() || wait_.pending) [[unlikely]] {
                unlock_and_report(wake);
                return;
            }
            pool_.mutex_.unlock();
            if (wake != nullptr) futex_wake(wake, 1);
        }
        pool_lock(const pool_lock&) = delete;
        pool_lock& operator=(const pool_lock&) = delete;

        void doom(entry* e, close_reason why) noexcept {
            e->closed_for = why;
            doomed_.push(e);
        }
        void waited(std::chrono::nanoseconds how_long, wait_outcome outcome) noexcept {
            wait_ = {how_long, outcome, true};
        }

    private:
        friend class pool_unlock;
        // Out of line, so that the fast path above stays small enough to inline everywhere.
        [[gnu::noinline]] void unlock_and_report(std::atomic<int>* wake) noexcept {
            const auto observer = observer_for(pool_, doomed_, wait_);
            pool_.mutex_.unlock();
            if (wake != nullptr) futex_wake(wake, 1);
            doomed_.close_all(observer.get());
            report_wait(observer.get(), wait_);
        }
        basic_pool& pool_;
        doomed_list doomed_;
        wait_report wait_;
    };

    // Drops a pool_lock for its own lifetime (for I/O, or to sleep) and takes it again: the code
    // around it finds the lock as it left it. What was retired so far is closed meanwhile.
    class pool_unlock {
    public:
        explicit pool_unlock(pool_lock& lock) noexcept : lock_(lock) {
            std::atomic<int>* const wake = lock_.pool_.take_deferred_wake();
            if (!lock_.doomed_.empty()) [[unlikely]] {
                unlock_and_close(wake);
                return;
            }
            lock_.pool_.mutex_.unlock();
            if (wake != nullptr) futex_wake(wake, 1);
        }
        ~pool_unlock() { lock_.pool_.mutex_.lock(); }
        [[gnu::noinline]] void unlock_and_close(std::atomic<int>* wake) noexcept {
            const auto observer = observer_for(lock_.pool_, lock_.doomed_, wait_report{});
            lock_.pool_.mutex_.unlock();
            if (wake != nullptr) futex_wake(wake, 1);
            lock_.doomed_.close_all(observer.get());
        }
        pool_unlock(const pool_unlock&) = delete;
        pool_unlock& operator=(const pool_unlock&) = delete;

    private:
        pool_lock& lock_;
    };

    // A get waiting for a turn. Lives on the waiting thread's stack; linked into a FIFO queue.
    // It sleeps on its own futex word, which only changes under the pool's lock. A waiter
    // leaves only after re-taking that lock, so signalling under the lock never touches a
    // waiter that is gone.
    struct waiter {
        static constexpr int waiting = 0;
        static constexpr int granted = 1;  // a turn was handed over
        static constexpr int closed = 2;   // the pool closed

        std::atomic<int> state{waiting};
        waiter* prev = nullptr;
        waiter* next = nullptr;
        wait_clock::time_point since{};
        bool polling = false;  // guarded by the pool's lock; it sleeps at most head_poll at a time

        void signal(int why) noexcept {
            state.store(why, std::memory_order_relaxed);
            futex_wake(&state, 1);
        }
        bool has_turn() const noexcept { return state.load(std::memory_order_relaxed) == granted; }
    };

    // --- get ---------------------------------------------------------------------------------

    // Inlined, like get(): it is a few dozen instructions, and a call's register saves would be
    // a fifth of them.
    [[gnu::always_inline]] lease get_within(wait_budget* budget) {
        time_point now = clock_.now();
        turn t;  // declared before the lock: should it free itself, it does so after the lock
        entry* e = nullptr;
        bool refill = false;
        {
            pool_lock lock(*this);
            t = wait_turn(lock, budget, now);
            e = pop_idle(lock, now);
            if (e != nullptr) [[likely]] {
                ++stats_.hits;
                refill = config_.min_idle_conns > 0 && min_idle_shortfall() > 0;
            } else {
                ++stats_.misses;
            }
        }
        if (e == nullptr) [[unlikely]] {
            e = dial_conn(false);  // on failure `t` frees itself
            refill = true;         // the stale ones closed on the way may have left too few
        }
        lease out(std::move(t), e);
        if (refill) [[unlikely]] check_min_idle_conns();
        return out;
    }

    // Takes idle connections (newest first, or oldest with pool_fifo) until one is fit to hand
    // out, closing stale and dead ones on the way; nullptr when none is left. The lock is
    // dropped around a liveness check and held again on return.
    entry* pop_idle(pool_lock& lock, time_point now) noexcept {
        entry* e = take_idle();
        if (e == nullptr || is_fresh(*e, now)) [[likely]] return e;
        return pop_idle_checking(lock, e, now);
    }

    // pop_idle's slow path, from `e`: a connection that must be closed or checked first.
    [[gnu::noinline]] entry* pop_idle_checking(pool_lock& lock, entry* e, time_point now) noexcept {
        for (; e != nullptr; e = take_idle()) {
            if (is_fresh(*e, now)) return e;
            if (const auto why = stale_reason(*e, now)) {
                retire_stale(lock, e, *why);
                continue;
            }
            bool alive = false;
            {
                pool_unlock unlocked(lock);
                alive = e->conn->is_usable();
            }
            if (alive) return e;
            retire_stale(lock, e, close_reason::dead);
        }
        return nullptr;
    }

    // The next idle connection out of the list (newest, or oldest with pool_fifo), skipping
    // those a reaper is checking.
    entry* take_idle() noexcept {
        entry* e = config_.pool_fifo ? idle_.front() : idle_.back();
        while (e != nullptr && e->being_checked) [[unlikely]] {
            e = config_.pool_fifo ? idle_.next(e) : idle_.prev(e);
        }
        if (e != nullptr) idle_.erase(e);
        return e;
    }

    // --- turns -------------------------------------------------------------------------------

    // A turn at once if one is free and nobody has queued for barging_limit; otherwise queue
    // for one (and bring `now` up to date: the idle connections are judged after the wait).
    turn wait_turn(pool_lock& lock, wait_budget* budget, time_point& now) {
        if (closed_) [[unlikely]] throw_closed();
        if (in_use_ < config_.pool_size && (waiters_head_ == nullptr || !head_starving())) {
            ++in_use_;
            return turn(this);
        }
        turn t = queue_for_turn(lock, budget);
        now = clock_.now();
        return t;
    }

    // Queues behind earlier waiters until a turn is handed over, the wait allowed (pool_timeout,
    // or what is left of the caller's budget) has passed, or the pool closes.
    [[gnu::noinline]] turn queue_for_turn(pool_lock& lock, wait_budget* budget) {
        const auto start = wait_clock::now();
        const auto full = saturating_cast<std::chrono::nanoseconds>(config_.pool_timeout);
        const auto allowed = budget != nullptr && budget->left.count() >= 0 ? budget->left : full;
        const auto deadline = saturating_add(start, allowed);
        ++stats_.wait_count;
        waiter self;
        self.since = start;
        enqueue(&self);
        while (!self.has_turn() && !closed_) {
            const auto now = wait_clock::now();
            if (waiters_head_ == &self && in_use_ < config_.pool_size) {  // a turn left free for us
                unlink(&self);
                ++in_use_;
                self.state.store(waiter::granted, std::memory_order_relaxed);
                grant_turns();  // another free turn goes on to the next waiter, if it is due
                // Or the next waiter, now the head, is told to look for it (see head_poll).
                if (in_use_ < config_.pool_size && waiters_head_ != nullptr && !waiters_head_->polling) {
                    defer_wake(waiters_head_->state);
                }
                break;
            }
            if (now >= deadline) break;
            // While young, it wakes when it is due: a turn left free meanwhile is then its own.
            auto until = deadline;
            if (now < self.since + barging_limit) until = std::min(until, self.since + barging_limit);
            if (waiters_head_ == &self) {
                until = std::min(until, now + head_poll);
                self.polling = true;
            }
            pool_unlock unlocked(lock);
            futex_wait(&self.state, waiter::waiting,
                       until == wait_clock::time_point::max() ? std::chrono::nanoseconds(-1) : until - now);
        }
        const auto waited = wait_clock::now() - start;
        stats_.wait_duration += waited;
        if (budget != nullptr) budget->left = std::max(allowed - waited, std::chrono::nanoseconds(0));
        const bool granted = self.has_turn();  // grant_turns took it off the queue
        if (!granted) unlink(&self);
        lock.waited(waited, granted && !closed_ ? wait_outcome::granted
                            : closed_           ? wait_outcome::closed
                                                : wait_outcome::timed_out);
        --waiter_count_;  // only now: close() waits for every waiter it may have woken to leave
        if (closed_) {
            if (granted) --in_use_;  // close() waits for us, and keeps the pool only if turns remain
            throw_closed();
        }
        if (granted) return turn(this);
        ++stats_.timeouts;
        throw_timeout();
    }

    // A turn for background work: only one that is free at once, never queued for, so a caller
    // never waits behind work it did not ask for. Empty when none is free or the pool closed.
    turn try_take_turn() noexcept {
        if (closed_ || in_use_ >= config_.pool_size || waiters_head_ != nullptr) return {};
        ++in_use_;
        return turn(this);
    }

    // Every turn ends here exactly once: handed in under the lock, or from its destructor.
    // After close(), the call that frees the last turn takes the pool's reference to itself into
    // `last_ref`, which it declared before its lock: dropped after the lock, as its last act.
    void free_turn(turn&& t, std::shared_ptr<basic_pool>& last_ref) noexcept {
        release_turn(std::move(t));
        if (closed_ && in_use_ == 0) [[unlikely]] last_ref = std::move(keep_alive_);
    }
    void free_turn() noexcept {
        std::shared_ptr<basic_pool> last_ref;
        pool_lock lock(*this);
        --in_use_;
        grant_turns();
        if (closed_ && in_use_ == 0) last_ref = std::move(keep_alive_);
    }

    // The fast path's free_turn, for a pool that is not closed: then no turn is the last.
    void release_turn(turn&& t) noexcept {
        t.pool_ = nullptr;
        --in_use_;
        grant_turns();
    }

    // Hands free turns straight to the oldest waiters once they have waited barging_limit; until
    // then a running thread may take a free turn first (see barging_limit).
    void grant_turns() noexcept {
        if (waiters_head_ != nullptr) [[unlikely]] grant_turns_to_waiters();
    }
    // DESIGN §3.1's bounded exception to first come, first served: a running thread may take a
    // free turn ahead of the waiters unless the oldest has waited barging_limit, and a freed turn
    // is handed to the oldest waiter only once it has. Before that the head of the queue looks
    // for a free turn itself every head_poll, so a turn nobody else wants is not left waiting
    // for the head's timer; a releasing thread wakes nobody, as it usually takes the turn back
    // at once (waking the head for it cost a futex wake and a wasted wake-up per release).
    //
    // Measured with 64 threads on pool 10, GET through client-bench beside hiredis-direct (64
    // connections) in the same runs, and pool-bench (no I/O):
    //   strict queue           79-88k ops/s beside 105-121k;   3.05 us per get+put
    //   limit 1 ms, head woken 0.72-0.75x, p99 1.4-1.7x;        0.72 us
    //   limit 1 ms, head polls 0.76-0.84x, p99 1.2-1.6x;        0.35-0.43 us (2 threads: 0.29-0.32)
    //   limit 2 ms             0.95x, p99 2.3x
    //   limit 5 ms             1.04x, p99 5.6x
    //   1 ms + spin first      0.73-0.76x with 100 pauses before queueing, 0.24x with 2,000:
    //                          a spinning thread takes the core the server and the others need
    // A queued get waits about the limit (Little's law: the 54 threads without a turn are
    // served by turns freed at the throughput), so the limit trades throughput for p99 one for
    // one; 1 ms keeps p99 near the direct connections'. 11 threads on pool 10: p99 143-205 us.
    static constexpr std::chrono::milliseconds barging_limit{1};
    static constexpr std::chrono::microseconds head_poll{100};

    bool head_starving() const noexcept { return wait_clock::now() - waiters_head_->since >= barging_limit; }
    [[gnu::noinline]] void grant_turns_to_waiters() noexcept {
        while (waiters_head_ != nullptr && in_use_ < config_.pool_size && !closed_) {
            if (!head_starving()) break;  // the head looks for it itself (see head_poll)
            waiter* w = waiters_head_;
            unlink(w);  // it still counts as waiting until it has left queue_for_turn
            ++in_use_;
            w->state.store(waiter::granted, std::memory_order_relaxed);
            defer_wake(w->state);
        }
    }

    void enqueue(waiter* w) noexcept {
        w->prev = waiters_tail_;
        (waiters_tail_ != nullptr ? waiters_tail_->next : waiters_head_) = w;
        waiters_tail_ = w;
        ++waiter_count_;
    }

    void unlink(waiter* w) noexcept {
        (w->prev != nullptr ? w->prev->next : waiters_head_) = w->next;
        (w->next != nullptr ? w->next->prev : waiters_tail_) = w->prev;
        w->prev = w->next = nullptr;
    }

    // --- put and remove ----------------------------------------------------------------------

    // A lease ends with a connection that is clean: it goes back to the idle list, unless the
    // pool has no place for it (then it is removed).
    [[gnu::always_inline]] void put(turn&& t, entry* e) noexcept {
        const time_point now = clock_.now();
        std::optional<close_reason> refused;
        {
            pool_lock lock(*this);
            refused = reason_to_refuse(*e, now);
            if (!refused) [[likely]] {
                keep_idle(std::move(t), e, now);
                return;
            }
        }
        remove(std::move(t), e, *refused);
    }

    // A lease ends with a connection that must not be reused: it is closed, and min idle
    // refilled.
    [[gnu::noinline]] void remove(turn&& t, entry* e, close_reason why) noexcept {
        // The refill below runs after the turn is back, when close() may have let the pool go:
        // hold it till the end (declared before the lock, like last_ref: see free_turn).
        const std::shared_ptr<basic_pool> self = this->weak_from_this().lock();
        std::shared_ptr<basic_pool> last_ref;
        bool refill = false;
        {
            pool_lock lock(*this);
            retire(lock, e, why);
            free_turn(std::move(t), last_ref);
            refill = !closed_ && min_idle_shortfall() > 0;
        }
        if (refill) check_min_idle_conns();
    }

    // Ends turn `t`, which holds connection `e`, with `e` back in the idle list.
    // Under the lock, with the pool open (reason_to_refuse said so).
    void keep_idle(turn&& t, entry* e, time_point now) noexcept {
        e->idle_since = now;
        idle_.push_back(e);
        release_turn(std::move(t));
    }

    // The same for a connection dialed in the background, which the pool may no longer want.
    void keep_dialed(pool_lock& lock, turn&& t, entry* e, time_point now,
                     std::shared_ptr<basic_pool>& last_ref) noexcept {
        if (const auto why = reason_to_refuse(*e, now)) {
            retire(lock, e, *why);
            free_turn(std::move(t), last_ref);
        } else {
            keep_idle(std::move(t), e, now);
        }
    }

    // Why a clean connection coming back may not go idle, if it may not.
    std::optional<close_reason> reason_to_refuse(const entry& e, time_point now) const noexcept {
        if (closed_) return close_reason::pool_closed;
        if (is_superseded(e)) return close_reason::superseded;
        if (all_.size() > static_cast<std::size_t>(config_.pool_size)) return close_reason::surplus;
        if (config_.max_idle_conns > 0 && idle_.size() >= static_cast<std::size_t>(config_.max_idle_conns)) {
            return close_reason::idle_list_full;
        }
        if (config_.conn_max_lifetime.count() > 0 && now >= expires_at(e)) return close_reason::too_old;
        return std::nullopt;
    }

    // Takes a connection out of the pool for good, counting why; it closes when the lock is
    // released. `e` is in no idle list.
    void retire(pool_lock& lock, entry* e, close_reason why) noexcept {
        switch (why) {
            case close_reason::idle_too_long: ++stats_.idle_closed; break;
            case close_reason::too_old: ++stats_.lifetime_closed; break;
            case close_reason::unusable: ++stats_.unusable_closed; break;
            case close_reason::idle_list_full: ++stats_.max_idle_closed; break;
            case close_reason::dead:
            case close_reason::surplus:
            case close_reason::superseded:
            case close_reason::pool_closed: break;
        }
        all_.erase(e);
        lock.doom(e, why);
    }

    // The same for an idle connection found stale (too old, idle too long, dead), which also
    // counts in stale_conns. `e` is in no idle list.
    void retire_stale(pool_lock& lock, entry* e, close_reason why) noexcept {
        ++stats_.stale_conns;
        retire(lock, e, why);
    }

    // The same for a connection still in the idle list, stale or not.
    void retire_idle(pool_lock& lock, entry* e, close_reason why) noexcept {
        idle_.erase(e);
        const bool stale = why == close_reason::idle_too_long || why == close_reason::too_old || why == close_reason::dead;
        if (stale) retire_stale(lock, e, why);
        else retire(lock, e, why);
    }

    // Closes idle connections, oldest first, while the pool owns more than pool_size (it shrank)
    // or more than max_idle_conns are idle.
    void trim_idle(pool_lock& lock) noexcept {
        for (entry* e = idle_.front(); e != nullptr;) {
            entry* next = idle_.next(e);
            const bool surplus = all_.size() > static_cast<std::size_t>(config_.pool_size);
            const bool too_many = config_.max_idle_conns > 0 &&
                                  idle_.size() > static_cast<std::size_t>(config_.max_idle_conns);
            if (!surplus && !too_many) return;
            if (!e->being_checked) {
                retire_idle(lock, e, surplus ? close_reason::surplus : close_reason::idle_list_full);
            }
            e = next;
        }
    }

    // --- staleness ---------------------------------------------------------------------------

    bool is_superseded(const entry& e) const noexcept {
        return e.generation != generation_.load(std::memory_order_relaxed);
    }

    // Whether an idle connection may be handed out as it is: not too old, and idle for less
    // than both conn_max_idle_time and liveness_check_after. The common case, in one compare.
    bool is_fresh(const entry& e, time_point now) const noexcept {
        if (now - e.idle_since >= fresh_for_) return false;
        return config_.conn_max_lifetime.count() == 0 || now < expires_at(e);
    }

    // Why an idle connection must go without being checked, if it must.
    std::optional<close_reason> stale_reason(const entry& e, time_point now) const noexcept {
        if (config_.conn_max_lifetime.count() > 0 && now >= expires_at(e)) return close_reason::too_old;
        if (config_.conn_max_idle_time.count() > 0 && at_least(now - e.idle_since, config_.conn_max_idle_time)) {
            return close_reason::idle_too_long;
        }
        return std::nullopt;
    }

    // created_at + conn_max_lifetime + this connection's share of the jitter, saturating.
    time_point expires_at(const entry& e) const noexcept {
        constexpr double limit = 9e18;  // below 2^63 ms, so converting back is defined
        const double jitter_ms = std::clamp(static_cast<double>(config_.conn_max_lifetime_jitter.count()) *
                                                e.lifetime_jitter, -limit, limit);
        const auto jitter = duration(static_cast<duration::rep>(jitter_ms));
        const duration lifetime = jitter.count() >= 0 ? saturating_sum(config_.conn_max_lifetime, jitter)
                                                      : config_.conn_max_lifetime + jitter;
        return saturating_add(e.created_at, lifetime);
    }

    bool needs_liveness_check(const entry& e, time_point now) const noexcept {
        return at_least(now - e.idle_since, config_.liveness_check_after);
    }

    // How long an idle connection may be handed out unchecked: the shorter of
    // liveness_check_after and conn_max_idle_time (when set), in the clock's unit.
    static typename time_point::duration fresh_window(const pool_config& c) noexcept {
        using clock_duration = typename time_point::duration;
        const auto check_after = saturating_cast<clock_duration>(c.liveness_check_after);
        if (c.conn_max_idle_time.count() == 0) return check_after;
        return std::min(check_after, saturating_cast<clock_duration>(c.conn_max_idle_time));
    }

    // elapsed >= limit, where a limit too long for the clock's unit is never reached.
    static bool at_least(typename time_point::duration elapsed, duration limit) noexcept {
        return elapsed >= saturating_cast<typename time_point::duration>(limit);
    }

    // The reaper's liveness check of an idle connection, where it lies in the idle list, so its
    // order holds. While the lock is dropped for the check, nobody else touches the connection
    // (`being_checked`), and the turn held meanwhile keeps a concurrent miss from dialing a
    // replacement. With no turn free everything is in use: nothing to check. Returns false if
    // the connection is dead.
    bool check_in_place(pool_lock& lock, entry* e, std::shared_ptr<basic_pool>& last_ref) noexcept {
        turn t = try_take_turn();
        if (!t) return true;
        e->being_checked = true;
        bool alive = false;
        {
            pool_unlock unlocked(lock);
            alive = e->conn->is_usable();
        }
        e->being_checked = false;
        free_turn(std::move(t), last_ref);
        return alive;
    }

    // --- dialing -----------------------------------------------------------------------------

    // Dials a connection for the holder of a turn (the lock is not held), through the dial
    // breaker; `probing` is the breaker's own probe, which it lets through. The connection joins
    // the list of all connections. Throws the dial's error (pool_closed once the pool is
    // closed) or, while the breaker is tripped, the last dial's.
    entry* dial_conn(bool probing) {
        if (!probing) {
            std::optional<error> fast_failure;
            {
                pool_lock lock(*this);
                if (breaker_.tripped(config_.pool_size)) fast_failure = breaker_.fast_failure();
            }
            if (fast_failure) {
                ensure_probe();
                throw *fast_failure;
            }
        }
        auto fresh = std::make_unique<entry>();  // made here, outside the lock
        fresh->lifetime_jitter = random_unit();
        // Read before the dial: one that close_all_conns() overtakes may reach the old server.
        fresh->generation = generation_.load(std::memory_order_relaxed);
        try {
            fresh->conn = dial_(closing_.get_token());
        } catch (...) {
            note_dial_failure(std::current_exception());
            ensure_probe();
            throw;
        }
        pool_lock lock(*this);
        breaker_.on_success();
        fresh->created_at = fresh->idle_since = clock_.now();
        entry* e = fresh.release();
        all_.push_back(e);
        return e;
    }

    // Counts a failed dial towards the breaker; after close(), a cancelled dial is pool_closed.
    void note_dial_failure(std::exception_ptr failure) {
        auto [code, message] = describe(failure);  // built before locking: it allocates
        pool_lock lock(*this);
        if (closed_) throw_closed();
        ++stats_.dial_errors;
        breaker_.on_failure(code, std::move(message));
    }

    static std::pair<std::error_code, std::string> describe(std::exception_ptr failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::system_error& e) {
            return {e.code(), e.what()};
        } catch (const std::exception& e) {
            return {make_error_code(errc::io_error), e.what()};
        } catch (...) {
            return {make_error_code(errc::io_error), "dial failed"};
        }
    }

    // A tripped breaker always has a probe coming: whoever finds none scheduled schedules it.
    void ensure_probe() noexcept {
        {
            pool_lock lock(*this);
            if (closed_ || !breaker_.take_probe_duty(config_.pool_size)) return;
        }
        try {
            background_->post_after(std::chrono::seconds(1), [this] { spawn_probe(); });
        } catch (...) {
            pool_lock lock(*this);  // the next get that fails fast schedules it again
            breaker_.probe_done();
        }
    }

    // On the timer thread: the probe dials on a thread of its own, so a dial against a black
    // hole (dial_timeout) delays neither the reaper nor the next probe.
    void spawn_probe() {
        try {
            background_->spawn([this] { probe_dial(); });
        } catch (...) {
            {
                pool_lock lock(*this);
                breaker_.probe_done();
            }
            ensure_probe();
        }
    }

    void probe_dial() noexcept {
        turn t;  // declared before the lock: freed after it
        {
            pool_lock lock(*this);
            breaker_.probe_done();  // from here on, a failure schedules the next probe
            t = try_take_turn();
        }
        if (!t) return ensure_probe();  // every turn is taken: try again in a second
        entry* e = nullptr;
        try {
            e = dial_conn(true);  // a failure has scheduled the next probe
        } catch (...) {
            report_background_failure("the dial breaker's probe", std::current_exception());
            return;
        }
        const time_point now = clock_.now();
        {
            std::shared_ptr<basic_pool> last_ref;  // declared before the lock: see free_turn
            pool_lock lock(*this);
            keep_dialed(lock, std::move(t), e, now, last_ref);
        }
        check_min_idle_conns();
    }

    // One background dial towards min_idle_conns, on a thread of its own (see the class comment
    // for why it takes a turn).
    void add_idle_conn() noexcept {
        turn t;  // declared before the lock: freed after it
        {
            pool_lock lock(*this);
            // Callers may have made up the shortfall since this dial was planned.
            --pending_dials_;
            if (min_idle_shortfall() > 0) t = try_take_turn();
            if (!t) return;
            ++pending_dials_;
        }
        entry* e = nullptr;
        try {
            e = dial_conn(false);
        } catch (...) {
            {
                pool_lock lock(*this);  // counted by the breaker; the next check tries again
                --pending_dials_;
            }
            report_background_failure("a min-idle dial", std::current_exception());
            return;
        }
        const time_point now = clock_.now();
        std::shared_ptr<basic_pool> last_ref;  // declared before the lock: see free_turn
        pool_lock lock(*this);
        --pending_dials_;
        keep_dialed(lock, std::move(t), e, now, last_ref);
    }

    // Tells config_.report_background_failure what failed where no caller hears of it; not
    // the cancellation a close() causes.
    void report_background_failure(const char* what, std::exception_ptr failure) noexcept {
        if (!config_.report_background_failure) return;
        try {
            const auto [code, message] = describe(failure);
            if (code == make_error_code(errc::pool_closed)) return;
            config_.report_background_failure(fmt::format("{} failed: {}", what, message));
        } catch (...) {
            // A report that fails (out of memory, the callback threw) is dropped.
        }
    }

    // How many background dials min idle still needs, within pool_size. Under the lock.
    int min_idle_shortfall() const noexcept {
        const int idle = static_cast<int>(idle_.size()) + pending_dials_;
        const int room = config_.pool_size - static_cast<int>(all_.size()) - pending_dials_;
        return std::max(0, std::min(config_.effective_min_idle() - idle, room));
    }

    static double random_unit() {
        thread_local std::minstd_rand engine(std::random_device{}());
        return std::uniform_real_distribution<double>(-1.0, 1.0)(engine);
    }

    // --- background and tuning ---------------------------------------------------------------

    // If the next tick cannot be scheduled (out of memory) the reaper stops; gets still check
    // every idle connection on borrow, so nothing stale is handed out.
    void schedule_reaper() {
        duration interval{0};
        {
            pool_lock lock(*this);
            if (closed_) return;
            interval = config_.reaper_interval;
        }
        if (interval.count() <= 0) return;
        background_->post_after(interval, [this] {
            try {
                reap_stale_conns();
            } catch (...) {
                // Out of memory at worst; the next tick tries again.
            }
            schedule_reaper();
        });
    }

    template <typename Change>
    void reconfigure(Change change) {
        {
            pool_lock lock(*this);
            pool_config next = config_;
            change(next);
            next.validate();
            config_ = std::move(next);
            fresh_for_ = fresh_window(config_);
            trim_idle(lock);
            grant_turns();
        }
        check_min_idle_conns();
    }

    [[noreturn, gnu::cold, gnu::noinline]] void throw_closed() const {
        throw error(errc::pool_closed, fmt::format("connection pool for {} is closed", config_.address));
    }

    [[noreturn, gnu::cold, gnu::noinline]] void throw_timeout() const {
        throw error(errc::pool_timeout,
                    fmt::format("pool timeout: no connection to {} became free within {}ms "
                                "(pool_size {}, in use {}, idle {}, total {}, waiting {})",
                                config_.address, config_.pool_timeout.count(), config_.pool_size,
                                in_use_, idle_.size(), all_.size(), waiter_count_));
    }

    mutable futex_mutex mutex_;
    // A granted waiter's futex word, woken only after the lock is released, so the waiter does
    // not wake into a held lock. The waiter may have left by then (granted, it returns on any
    // wake-up); a wake on its stale word is a spurious wake-up, which every futex wait allows.
    std::atomic<int>* deferred_wake_ = nullptr;
    std::atomic<int>* take_deferred_wake() noexcept { return std::exchange(deferred_wake_, nullptr); }
    void defer_wake(std::atomic<int>& word) noexcept {
        if (deferred_wake_ == nullptr) deferred_wake_ = &word;
        else futex_wake(&word, 1);  // a second one in the same lock: rare, woken at once
    }
    pool_config config_;                     // guarded by mutex_
    typename time_point::duration fresh_for_;  // guarded by mutex_; fresh_window(config_)
    const dialer dial_;
    std::unique_ptr<scheduler> background_;
    Clock clock_;
    std::stop_source closing_;               // stopped by close(): cancels dials in flight
    all_list all_;                           // guarded by mutex_; owns every entry in it
    idle_list idle_;                         // guarded by mutex_; oldest at the front
    waiter* waiters_head_ = nullptr;         // guarded by mutex_; oldest first
    waiter* waiters_tail_ = nullptr;         // guarded by mutex_
    int waiter_count_ = 0;                   // guarded by mutex_
    int in_use_ = 0;                         // guarded by mutex_; turns taken
    int pending_dials_ = 0;                  // guarded by mutex_; min-idle dials under way
    dial_breaker breaker_;                   // guarded by mutex_
    bool closed_ = false;                    // guarded by mutex_
    std::atomic<std::uint64_t> generation_{0};  // written under mutex_: close_all_conns() count
    std::shared_ptr<basic_pool> keep_alive_; // guarded by mutex_; set by close() (see above)
    pool_stats stats_;                       // guarded by mutex_; counters only
};

}  // namespace redpool::detail
