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
// of a caller): so the pool never dials more than pool_size connections at once (a restart does
// not set off a storm), a finished background dial is never surplus, and a concurrent miss
// cannot dial a replacement for the connection the reaper is checking and then close one of
// the two as surplus.
//
// Locking: one mutex over the lists, the turns and the counters, held only while they change.
// Dialing, closing and liveness checks happen outside it, and nothing done under it allocates
// or throws.
//
// Lifetime: the pool is always owned by shared_ptr (create()). After close(), while turns are
// out or callers still wait, it holds a reference to itself; whoever frees the last of them lets
// go of it. So a lease, or a caller woken by close(), may outlive every owner.
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
enum class close_reason : std::uint8_t {
    idle_too_long,   ///< idle longer than conn_max_idle_time
    too_old,         ///< older than conn_max_lifetime (with its jitter)
    dead,            ///< failed the liveness check while idle
    unusable,        ///< came back in an uncertain state: a timeout, an error, unread data
    idle_list_full,  ///< came back while max_idle_conns were idle
    surplus,         ///< the pool shrank below the connections it owns
    pool_closed,
};

template <typename Conn, typename Clock = coarse_clock>
class basic_pool : public std::enable_shared_from_this<basic_pool<Conn, Clock>> {
    struct entry;
    class pool_lock;
    struct passkey {
        explicit passkey() = default;
    };

public:
    using time_point = typename Clock::time_point;
    using duration = pool_config::duration;
    using wait_clock = std::chrono::steady_clock;
    using dialer = std::function<std::unique_ptr<Conn>(std::stop_token)>;

    /// One of pool_size turns. Move-only; frees itself when destroyed unless handed on.
    /// Trap: its destructor takes the pool's lock, so it must never end while that lock is held;
    /// code under the lock hands it to free_turn(lock, std::move(t)) instead.
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
        : config_(std::move(config)), dial_(std::move(dial)), background_(std::move(background)),
          clock_(std::move(clock)) {}

    ~basic_pool() {
        close();
        // Only a pool destroyed without close() while callers wait gets here with waiters: they
        // were woken by close() above and leave at once, but they need the lock to leave.
        for (;;) {
            pool_lock lock(*this);
            if (waiter_count_ == 0) break;
            lock.unlock();
            std::this_thread::yield();
        }
        assert(in_use_ == 0 && "a pool destroyed with leases out: close() it while it is shared");
        while (entry* e = all_.pop_front()) delete e;  // leased ones, were there any
    }

    basic_pool(const basic_pool&) = delete;
    basic_pool& operator=(const basic_pool&) = delete;

    /// Borrows a connection: waits for a turn (first come, first served, up to pool_timeout),
    /// then hands out an idle connection (a hit) or dials one (a miss). Throws pool_timeout,
    /// pool_closed, or the dial's error.
    lease get() { return get_within(nullptr); }
    /// Same, waiting for a turn only until pool_timeout after `since` (when a call began), so
    /// the retries of one call share one pool_timeout.
    lease get(wait_clock::time_point since) { return get_within(&since); }

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
                entry* next = idle_list::next(e);
                if (!e->being_checked) retire_idle(lock, e, close_reason::pool_closed);
                e = next;
            }
            if (in_use_ > 0 || waiter_count_ > 0) keep_alive_ = this->weak_from_this().lock();
        }
        closing_.request_stop();
        background_->stop();
    }

    /// Closes idle connections that are stale (idle too long, too old, or dead), oldest first,
    /// then refills min idle. Run by the reaper every reaper_interval; callable on demand.
    /// Returns how many it closed.
    std::size_t reap_stale_conns() {
        std::size_t reaped = 0;
        {
            pool_lock lock(*this);
            entry* e = idle_.front();
            for (std::size_t left = idle_.size(); e != nullptr && left > 0 && !closed_; --left) {
                if (e->being_checked) {  // by another reap_stale_conns
                    e = idle_list::next(e);
                    continue;
                }
                const time_point now = clock_.now();
                std::optional<close_reason> why = stale_reason(*e, now);
                if (!why && needs_liveness_check(*e, now) && !check_in_place(lock, e)) {
                    why = close_reason::dead;
                }
                if (closed_) why = close_reason::pool_closed;  // close() left it to us
                entry* next = idle_list::next(e);  // read now: the list may have changed meanwhile
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
    struct entry {
        std::unique_ptr<Conn> conn;
        time_point created_at;
        time_point idle_since;
        double lifetime_jitter = 0;  // in [-1, 1]: this connection's share of the jitter
        bool being_checked = false;  // the reaper checks it outside the lock: nobody else touches it
        list_links all_links;
        list_links idle_links;
        entry* next_doomed = nullptr;
    };
    using all_list = conn_list<entry, &entry::all_links>;
    using idle_list = conn_list<entry, &entry::idle_links>;

    // Connections taken out of the pool under the lock, closed once it is released.
    class doomed_list {
    public:
        doomed_list() = default;
        doomed_list(const doomed_list&) = delete;
        doomed_list& operator=(const doomed_list&) = delete;
        ~doomed_list() { close_all(); }
        void push(entry* e) noexcept {
            e->next_doomed = head_;
            head_ = e;
        }
        void close_all() noexcept {
            while (entry* e = head_) {
                head_ = e->next_doomed;
                delete e;
            }
        }

    private:
        entry* head_ = nullptr;
    };

    // The pool's lock, held by one call. What the call retires under it is closed right after
    // it is released (never under it). After close(), it also carries the pool's reference to
    // itself out of the call that freed the last turn: dropped after everything else, when the
    // call ends, so nothing touches the pool after it may be gone.
    class pool_lock {
    public:
        explicit pool_lock(basic_pool& pool) noexcept : mutex_(pool.mutex_) { mutex_.lock(); }
        ~pool_lock() { unlock(); }
        pool_lock(const pool_lock&) = delete;
        pool_lock& operator=(const pool_lock&) = delete;

        void lock() noexcept {
            mutex_.lock();
            held_ = true;
        }
        void unlock() noexcept {
            if (held_) {
                held_ = false;
                mutex_.unlock();
            }
            doomed_.close_all();
        }
        void doom(entry* e) noexcept { doomed_.push(e); }
        void take_last_ref(std::shared_ptr<basic_pool> ref) noexcept { last_ref_ = std::move(ref); }

    private:
        futex_mutex& mutex_;
        bool held_ = true;
        doomed_list doomed_;
        std::shared_ptr<basic_pool> last_ref_;  // declared last: destroyed first, after unlock()
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

        void signal(int why) noexcept {
            state.store(why, std::memory_order_relaxed);
            futex_wake(&state, 1);
        }
        bool has_turn() const noexcept { return state.load(std::memory_order_relaxed) == granted; }
    };

    // --- get ---------------------------------------------------------------------------------

    lease get_within(const wait_clock::time_point* since) {
        const time_point now = clock_.now();
        pool_lock lock(*this);
        turn t = wait_turn(lock, since);
        if (entry* e = pop_idle(lock, now)) {
            ++stats_.hits;
            const bool refill = min_idle_shortfall() > 0;
            lock.unlock();
            lease out(std::move(t), e);
            if (refill) check_min_idle_conns();
            return out;
        }
        ++stats_.misses;
        lock.unlock();
        entry* e = dial_conn(false);  // on failure `t` frees itself
        lease out(std::move(t), e);
        check_min_idle_conns();  // the stale ones closed on the way may have left too few
        return out;
    }

    // Takes idle connections (newest first, or oldest with pool_fifo) until one is fit to hand
    // out, closing stale and dead ones on the way; nullptr when none is left. The lock is
    // dropped around a liveness check and held again on return.
    entry* pop_idle(pool_lock& lock, time_point now) noexcept {
        while (entry* e = take_idle()) {
            if (const auto why = stale_reason(*e, now)) {
                retire(lock, e, *why);
                ++stats_.stale_conns;
                continue;
            }
            if (!needs_liveness_check(*e, now)) return e;
            lock.unlock();
            const bool alive = e->conn->is_usable();
            lock.lock();
            if (alive) return e;
            retire(lock, e, close_reason::dead);
            ++stats_.stale_conns;
        }
        return nullptr;
    }

    // The next idle connection out of the list, skipping one the reaper is checking.
    entry* take_idle() noexcept {
        const bool fifo = config_.pool_fifo;
        entry* e = fifo ? idle_.front() : idle_.back();
        while (e != nullptr && e->being_checked) e = fifo ? idle_list::next(e) : idle_list::prev(e);
        if (e != nullptr) idle_.erase(e);
        return e;
    }

    // --- turns -------------------------------------------------------------------------------

    // A turn at once if one is free and nobody queues before us; otherwise queue for one.
    turn wait_turn(pool_lock& lock, const wait_clock::time_point* since) {
        if (closed_) [[unlikely]] throw_closed();
        if (in_use_ < config_.pool_size && waiters_head_ == nullptr) {
            ++in_use_;
            return turn(this);
        }
        return queue_for_turn(lock, since);
    }

    // Queues behind earlier waiters until a turn is handed over, pool_timeout has passed since
    // `since` (default: now), or the pool closes.
    turn queue_for_turn(pool_lock& lock, const wait_clock::time_point* since) {
        const auto start = wait_clock::now();
        const auto deadline = saturating_add(since != nullptr ? *since : start, config_.pool_timeout);
        ++stats_.wait_count;
        waiter self;
        enqueue(&self);
        while (!self.has_turn() && !closed_) {
            const auto now = wait_clock::now();
            if (now >= deadline) break;
            lock.unlock();
            futex_wait(&self.state, waiter::waiting,
                       deadline == wait_clock::time_point::max() ? std::chrono::nanoseconds(-1) : deadline - now);
            lock.lock();
        }
        stats_.wait_duration += wait_clock::now() - start;
        const bool granted = self.has_turn();  // grant_turns dequeued it
        if (!granted) dequeue(&self);
        if (closed_) {
            if (granted) --in_use_;
            let_go_if_last(lock);
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
    void free_turn(pool_lock& lock, turn&& t) noexcept {
        t.pool_ = nullptr;
        --in_use_;
        grant_turns();
        if (closed_) [[unlikely]] let_go_if_last(lock);
    }
    void free_turn() noexcept {
        pool_lock lock(*this);
        --in_use_;
        grant_turns();
        if (closed_) [[unlikely]] let_go_if_last(lock);
    }

    // Hands free turns straight to the oldest waiters, so a newcomer can never overtake them.
    void grant_turns() noexcept {
        while (waiters_head_ != nullptr && in_use_ < config_.pool_size && !closed_) {
            waiter* w = waiters_head_;
            dequeue(w);
            ++in_use_;
            w->signal(waiter::granted);
        }
    }

    // After close(): when nothing is out any more, the call holding `lock` carries away the
    // pool's reference to itself.
    void let_go_if_last(pool_lock& lock) noexcept {
        if (in_use_ == 0 && waiter_count_ == 0 && keep_alive_) lock.take_last_ref(std::move(keep_alive_));
    }

    void enqueue(waiter* w) noexcept {
        w->prev = waiters_tail_;
        (waiters_tail_ != nullptr ? waiters_tail_->next : waiters_head_) = w;
        waiters_tail_ = w;
        ++waiter_count_;
    }

    void dequeue(waiter* w) noexcept {
        (w->prev != nullptr ? w->prev->next : waiters_head_) = w->next;
        (w->next != nullptr ? w->next->prev : waiters_tail_) = w->prev;
        w->prev = w->next = nullptr;
        --waiter_count_;
    }

    // --- put and remove ----------------------------------------------------------------------

    // A lease ends with a connection that is clean: it goes back to the idle list, unless the
    // pool has no place for it.
    void put(turn&& t, entry* e) noexcept { end_lease(std::move(t), e, std::nullopt); }

    // A lease ends with a connection that must not be reused: it is closed.
    void remove(turn&& t, entry* e, close_reason why) noexcept { end_lease(std::move(t), e, why); }

    void end_lease(turn&& t, entry* e, std::optional<close_reason> why) noexcept {
        bool refill = false;
        {
            pool_lock lock(*this);
            refill = give_back(lock, std::move(t), e, clock_.now(), why);
        }  // the lock may have carried the pool's last reference away: touch nothing after it
        if (refill) check_min_idle_conns();
    }

    // Ends turn `t`, which holds connection `e`: back to the idle list, or closed (`why`, or
    // when the pool has no place for it). Returns whether min idle needs a refill now.
    bool give_back(pool_lock& lock, turn&& t, entry* e, time_point now, std::optional<close_reason> why) noexcept {
        if (!why) why = reason_to_refuse(*e, now);
        if (why) [[unlikely]] {
            retire(lock, e, *why);
        } else {
            e->idle_since = now;
            idle_.push_back(e);
        }
        free_turn(lock, std::move(t));
        return why && !closed_ && min_idle_shortfall() > 0;
    }

    // Why a clean connection coming back may not go idle, if it may not.
    std::optional<close_reason> reason_to_refuse(const entry& e, time_point now) const noexcept {
        if (closed_) return close_reason::pool_closed;
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
            case close_reason::idle_too_long: ++stats_.max_idle_time_closed; break;
            case close_reason::too_old: ++stats_.max_lifetime_closed; break;
            case close_reason::unusable: ++stats_.unusable_closed; break;
            case close_reason::idle_list_full: ++stats_.max_idle_closed; break;
            case close_reason::dead:
            case close_reason::surplus:
            case close_reason::pool_closed: break;
        }
        all_.erase(e);
        lock.doom(e);
    }

    // The same for a connection in the idle list; closing one as stale counts in stale_conns.
    void retire_idle(pool_lock& lock, entry* e, close_reason why) noexcept {
        idle_.erase(e);
        if (why == close_reason::idle_too_long || why == close_reason::too_old || why == close_reason::dead) {
            ++stats_.stale_conns;
        }
        retire(lock, e, why);
    }

    // Closes idle connections, oldest first, while the pool owns more than pool_size (it shrank)
    // or more than max_idle_conns are idle.
    void trim_idle(pool_lock& lock) noexcept {
        for (entry* e = idle_.front(); e != nullptr;) {
            entry* next = idle_list::next(e);
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

    // elapsed >= limit, where a limit too long for the clock's unit is never reached.
    static bool at_least(typename time_point::duration elapsed, duration limit) noexcept {
        return elapsed >= saturating_cast<typename time_point::duration>(limit);
    }

    // The reaper's liveness check of an idle connection, where it lies in the idle list, so its
    // order holds. While the lock is dropped for the check, nobody else touches the connection
    // (`being_checked`), and the turn held meanwhile keeps a concurrent miss from dialing a
    // replacement. With no turn free everything is in use: nothing to check. Returns false if
    // the connection is dead.
    bool check_in_place(pool_lock& lock, entry* e) noexcept {
        turn t = try_take_turn();
        if (!t) return true;
        e->being_checked = true;
        lock.unlock();
        const bool alive = e->conn->is_usable();
        lock.lock();
        e->being_checked = false;
        free_turn(lock, std::move(t));
        return alive;
    }

    // --- dialing -----------------------------------------------------------------------------

    // Dials a connection for the holder of a turn (the lock is not held), through the dial
    // breaker; `probing` is the breaker's own probe, which it lets through. The connection joins
    // the list of all connections. Throws the dial's error (pool_closed once the pool is
    // closed) or, while the breaker is tripped, the last dial's.
    entry* dial_conn(bool probing) {
        {
            pool_lock lock(*this);
            if (!probing && breaker_.tripped(config_.pool_size)) {
                error failure = breaker_.fast_failure();
                lock.unlock();
                ensure_probe();
                throw failure;
            }
        }
        auto fresh = std::make_unique<entry>();  // allocated here: nothing under the lock can throw
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
        fresh->lifetime_jitter = random_unit();
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
            return;
        }
        {
            pool_lock lock(*this);
            give_back(lock, std::move(t), e, clock_.now(), std::nullopt);
        }
        check_min_idle_conns();
    }

    // One background dial towards min_idle_conns, on a thread of its own (see the class comment
    // for why it takes a turn).
    void add_idle_conn() noexcept {
        turn t;  // declared before the lock: freed after it
        {
            pool_lock lock(*this);
            t = try_take_turn();
            if (!t) {
                --pending_dials_;
                return;
            }
        }
        entry* e = nullptr;
        try {
            e = dial_conn(false);
        } catch (...) {
            pool_lock lock(*this);  // counted by the breaker; the next check tries again
            --pending_dials_;
            return;
        }
        pool_lock lock(*this);
        --pending_dials_;
        give_back(lock, std::move(t), e, clock_.now(), std::nullopt);
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

    void schedule_reaper() {
        if (config_.reaper_interval.count() <= 0) return;
        background_->post_after(config_.reaper_interval, [this] {
            try {
                reap_stale_conns();
            } catch (...) {
                // Out of memory at worst; the next tick tries again.
            }
            {
                pool_lock lock(*this);
                if (closed_) return;
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
            trim_idle(lock);
            grant_turns();
        }
        check_min_idle_conns();
    }

    [[noreturn]] void throw_closed() const {
        throw error(errc::pool_closed, fmt::format("connection pool for {} is closed", config_.address));
    }

    [[noreturn]] void throw_timeout() const {
        throw error(errc::pool_timeout,
                    fmt::format("pool timeout: no connection to {} became free within {}ms "
                                "(pool_size {}, in use {}, idle {}, total {}, waiting {})",
                                config_.address, config_.pool_timeout.count(), config_.pool_size,
                                in_use_, idle_.size(), all_.size(), waiter_count_));
    }

    mutable futex_mutex mutex_;
    pool_config config_;                     // guarded by mutex_
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
    std::shared_ptr<basic_pool> keep_alive_; // guarded by mutex_; set by close() (see above)
    pool_stats stats_;                       // guarded by mutex_; counters only
};

}  // namespace redpool::detail
