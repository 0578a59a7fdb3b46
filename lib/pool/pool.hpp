// detail::basic_pool — the go-redis-style connection pool, generic over the connection type so
// its logic is tested with fake connections and a manual clock. Read it beside go-redis v8's
// internal/pool/pool.go: get/put/remove, wait_turn/free_turn, pop_idle, check_min_idle_conns,
// reap_stale_conns.
//
// A connection type needs: `bool is_usable()` (a cheap liveness check, may do I/O),
// `bool is_clean() const` (safe to hand to another caller), and a destructor that closes it.
//
// Locking: one mutex over the lists, the tokens and the counters, held only while they change.
// Dialing, closing and liveness checks happen outside it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/pool/futex.hpp"
#include "lib/pool/idle_ring.hpp"
#include "lib/pool/pool_clock.hpp"
#include "redpool/error.hpp"
#include "redpool/pool.hpp"
#include "lib/pool/scheduler.hpp"

namespace redpool::detail {

struct pool_config {
    using duration = std::chrono::milliseconds;
    int pool_size = 10;
    int min_idle_conns = 0;
    int max_idle_conns = 0;             // 0: no limit
    duration pool_timeout{4000};        // 0: fail at once when no token is free
    duration conn_max_idle_time{0};     // 0: no limit
    duration conn_max_lifetime{0};      // 0: no limit
    duration conn_max_lifetime_jitter{0};
    bool pool_fifo = false;
    duration reaper_interval{0};        // 0: no background reaper
    // Idle connections returned less than this long ago skip the liveness check on borrow.
    // The check (recv MSG_PEEK) costs ~0.4 us of CPU here, ~3% of a whole GET; under load a
    // connection comes back within a round trip, so nearly every check is skipped, while
    // anything that kills sockets behind the pool's back (a restart takes ~70 ms, the
    // server's idle timeout a second or more) leaves them idle far longer than this.
    duration liveness_check_after{10};
    std::string address;                // for messages
};

template <typename Conn, typename Clock = coarse_clock>
class basic_pool {
    struct entry;

public:
    using time_point = typename Clock::time_point;
    using duration = pool_config::duration;
    using dialer = std::function<std::unique_ptr<Conn>()>;

    /// A borrowed connection; returns itself to the pool when destroyed.
    class lease {
    public:
        lease() = default;
        lease(lease&& other) noexcept
            : pool_(std::exchange(other.pool_, nullptr)), entry_(std::exchange(other.entry_, nullptr)) {}
        lease& operator=(lease&& other) noexcept {
            if (this != &other) {
                release();
                pool_ = std::exchange(other.pool_, nullptr);
                entry_ = std::exchange(other.entry_, nullptr);
            }
            return *this;
        }
        ~lease() { release(); }

        Conn& operator*() const noexcept { return *entry_->conn; }
        Conn* operator->() const noexcept { return entry_->conn.get(); }
        explicit operator bool() const noexcept { return entry_ != nullptr; }

        /// Gives the connection back now: idle if clean, closed otherwise.
        void release() noexcept {
            if (entry_ != nullptr) std::exchange(pool_, nullptr)->put(std::exchange(entry_, nullptr));
        }

    private:
        friend class basic_pool;
        lease(basic_pool* pool, entry* e) noexcept : pool_(pool), entry_(e) {}
        basic_pool* pool_ = nullptr;
        entry* entry_ = nullptr;
    };

    basic_pool(pool_config config, dialer dial, std::unique_ptr<scheduler> background,
               Clock clock = {})
        : config_(std::move(config)),
          dial_(std::move(dial)),
          background_(std::move(background)),
          clock_(std::move(clock)) {
        idle_.reserve(static_cast<std::size_t>(config_.pool_size));
        check_min_idle_conns();
        schedule_reaper();
    }

    ~basic_pool() {
        close();
        background_->stop();
    }

    basic_pool(const basic_pool&) = delete;
    basic_pool& operator=(const basic_pool&) = delete;

    /// Borrows a connection: waits for a turn (up to pool_timeout), then reuses an idle
    /// connection (a hit) or dials one (a miss). Throws pool_timeout, pool_closed, or the dial's
    /// error.
    lease get() {
        const time_point now = clock_.now();
        lock_type lock(mutex_);
        if (closed_) throw_closed();
        if (!take_turn()) {
            wait_turn(lock);
            return get_with_turn(lock, clock_.now());
        }
        // The common case, kept short: the idle connection on top is fresh enough to hand out
        // without a liveness check.
        entry* e = fresh_idle(now);
        if (e == nullptr) return get_with_turn(lock, now);
        ++stats_.hits;
        const bool refill = config_.min_idle_conns > 0 && min_idle_shortfall() > 0;
        lock.unlock();
        lease out(this, e);
        if (refill) check_min_idle_conns();  // the pop left fewer than min_idle_conns idle
        return out;
    }

    /// Closes idle connections now, fails every waiter with pool_closed, and closes leased
    /// connections as they come back. Idempotent.
    void close() {
        std::vector<std::unique_ptr<entry>> doomed;
        {
            std::lock_guard lock(mutex_);
            if (closed_) return;
            closed_ = true;
            for (waiter* w = waiters_head_; w != nullptr; w = w->next) w->signal(waiter::closed);
            while (entry* e = idle_.pop_front()) doomed.push_back(remove_from_all(e));
        }
    }

    /// Closes idle connections that are stale (idle too long, too old, or dead), then refills
    /// min idle. Run by the reaper every reaper_interval; callable on demand. Returns how many
    /// it closed.
    std::size_t reap_stale_conns() {
        std::vector<std::unique_ptr<entry>> doomed;  // closed once the lock is released
        std::size_t stale = 0;
        {
            lock_type lock(mutex_);
            doomed.reserve(idle_.size());  // no allocation once entries are out of the list
            // Each idle connection once, oldest first. Only the one being checked is out of the
            // idle list, so concurrent gets still find the others (go-redis reaps this way).
            for (std::size_t left = idle_.size(); left > 0 && !closed_; --left) {
                entry* e = idle_.pop_front();
                if (e == nullptr) break;
                const time_point now = clock_.now();
                if (retire_if_stale(e, now, doomed)) {
                    ++stale;
                    continue;
                }
                if (needs_liveness_check(*e, now) && !check_outside_lock(*e, lock)) {
                    retire_dead(e, doomed);
                    ++stale;
                    continue;
                }
                // set_pool_size may have shrunk the pool meanwhile.
                if (closed_ || all_.size() > static_cast<std::size_t>(config_.pool_size)) {
                    doomed.push_back(remove_from_all(e));
                } else {
                    idle_.push_back(e);
                }
            }
        }
        doomed.clear();
        check_min_idle_conns();
        return stale;
    }

    /// Dials in the background until min_idle_conns connections are idle (within pool_size).
    void check_min_idle_conns() {
        int dials = 0;
        {
            std::lock_guard lock(mutex_);
            if (closed_) return;
            dials = min_idle_shortfall();
            pending_dials_ += dials;
        }
        for (int i = 0; i < dials; ++i) background_->post([this] { add_idle_conn(); });
    }

    pool_stats stats() const {
        std::lock_guard lock(mutex_);
        pool_stats s = stats_;
        s.total_conns = static_cast<std::uint32_t>(all_.size());
        s.idle_conns = static_cast<std::uint32_t>(idle_.size());
        s.in_use = static_cast<std::uint32_t>(in_use_);
        s.waiters = static_cast<std::uint32_t>(waiter_count_);
        s.pool_size = static_cast<std::uint32_t>(config_.pool_size);
        return s;
    }

    /// Changes the number of tokens. Growing wakes waiters; shrinking closes surplus idle
    /// connections now and surplus leased ones when they come back.
    void set_pool_size(int size) {
        if (size < 1) throw error(errc::invalid_argument, fmt::format("pool_size {} is less than 1", size));
        std::vector<std::unique_ptr<entry>> doomed;
        {
            std::lock_guard lock(mutex_);
            // Shrinking to or below the failures so far trips the dial breaker without the
            // failure that starts its probe: start it here, or gets would fail fast for good.
            if (dial_errors_in_row_ >= size && dial_errors_in_row_ < config_.pool_size && !closed_) {
                background_->post_after(std::chrono::seconds(1), [this] { probe_dial(); });
            }
            config_.pool_size = size;
            idle_.reserve(static_cast<std::size_t>(size));  // put() must not allocate
            config_.min_idle_conns = std::min(config_.min_idle_conns, size);
            while (all_.size() > static_cast<std::size_t>(size) && !idle_.empty()) {
                doomed.push_back(remove_from_all(idle_.pop_front()));
            }
            grant_turns();
        }
        check_min_idle_conns();
    }

    void set_min_idle_conns(int n) {
        {
            std::lock_guard lock(mutex_);
            if (n < 0 || n > config_.pool_size) {
                throw error(errc::invalid_argument,
                            fmt::format("min_idle_conns {} is outside 0..pool_size ({})", n, config_.pool_size));
            }
            config_.min_idle_conns = n;
        }
        check_min_idle_conns();
    }

    void set_max_idle_conns(int n) { set_field(&pool_config::max_idle_conns, n, n >= 0, "max_idle_conns"); }
    void set_pool_timeout(duration d) { set_field(&pool_config::pool_timeout, d, d.count() >= 0, "pool_timeout"); }
    void set_conn_max_idle_time(duration d) {
        set_field(&pool_config::conn_max_idle_time, d, d.count() >= 0, "conn_max_idle_time");
    }
    void set_conn_max_lifetime(duration d) {
        set_field(&pool_config::conn_max_lifetime, d, d.count() >= 0, "conn_max_lifetime");
    }

private:
    struct entry {
        std::unique_ptr<Conn> conn;
        time_point created_at;
        time_point idle_since;
        double lifetime_jitter;   // in [-1, 1]: this connection's share of the jitter
        std::size_t index = 0;    // position in all_
    };

    // A get waiting for a token. Lives on the waiting thread's stack; linked into a FIFO queue.
    // It sleeps on its own futex word, which only changes under the pool's lock. A waiter
    // leaves only after re-taking that lock, so signalling under the lock never touches a
    // waiter that is gone.
    struct waiter {
        static constexpr int waiting = 0;
        static constexpr int granted = 1;  // a token was handed over
        static constexpr int closed = 2;   // the pool closed

        std::atomic<int> state{waiting};
        waiter* prev = nullptr;
        waiter* next = nullptr;

        void signal(int why) {
            state.store(why, std::memory_order_relaxed);
            futex_wake(&state, 1);
        }
        bool has_token() const { return state.load(std::memory_order_relaxed) == granted; }
    };

    using lock_type = std::unique_lock<futex_mutex>;

    // With a turn taken: pops idle connections, closing stale and dead ones, until one is good
    // (a hit); with none left, dials (a miss).
    lease get_with_turn(lock_type& lock, time_point now) {
        std::vector<std::unique_ptr<entry>> doomed;  // closed outside the lock
        while (entry* e = pop_idle()) {
            if (retire_if_stale(e, now, doomed)) continue;
            if (needs_liveness_check(*e, now) && !check_outside_lock(*e, lock)) {
                retire_dead(e, doomed);
                continue;
            }
            ++stats_.hits;
            const bool refill = min_idle_shortfall() > 0;
            lock.unlock();
            lease out(this, e);
            if (refill) check_min_idle_conns();
            return out;
        }
        ++stats_.misses;
        const bool refill = config_.min_idle_conns > 0;
        lease out(this, new_conn(lock, std::move(doomed)));
        if (refill) check_min_idle_conns();
        return out;
    }

    // The idle connection get() would pop, if it needs neither closing nor checking.
    entry* fresh_idle(time_point now) {
        entry* e = config_.pool_fifo ? idle_.front() : idle_.back();
        if (e == nullptr || stale_reason(*e, now) != nullptr || needs_liveness_check(*e, now)) {
            return nullptr;
        }
        return pop_idle();
    }

    // --- tokens ------------------------------------------------------------------------------

    // The fast path: a free token and nobody queued before us.
    bool take_turn() {
        if (in_use_ >= config_.pool_size || waiters_head_ != nullptr) return false;
        ++in_use_;
        return true;
    }

    // Queues behind earlier waiters until a token is handed over, the timeout passes, or the
    // pool closes.
    void wait_turn(lock_type& lock) {
        const auto start = std::chrono::steady_clock::now();
        ++stats_.wait_count;
        if (config_.pool_timeout.count() == 0) {
            ++stats_.timeouts;
            throw_timeout();
        }
        waiter self;
        enqueue(&self);
        const auto deadline = start + config_.pool_timeout;
        while (!self.has_token() && !closed_) {
            const auto left = deadline - std::chrono::steady_clock::now();
            if (left.count() <= 0) break;
            lock.unlock();
            futex_wait(&self.state, waiter::waiting, left);
            lock.lock();
        }
        stats_.wait_duration += std::chrono::steady_clock::now() - start;
        const bool granted = self.has_token();
        if (!granted) dequeue(&self);
        if (granted && !closed_) return;
        if (granted) free_turn();
        if (closed_) throw_closed();
        ++stats_.timeouts;
        throw_timeout();
    }

    // Every path that ends a lease calls this exactly once, under the lock.
    void free_turn() {
        --in_use_;
        grant_turns();
    }

    // Hands free tokens straight to the oldest waiters, so a newcomer can never overtake them.
    void grant_turns() {
        while (waiters_head_ != nullptr && in_use_ < config_.pool_size) {
            waiter* w = waiters_head_;
            dequeue(w);
            ++in_use_;
            w->signal(waiter::granted);
        }
    }

    void enqueue(waiter* w) {
        w->prev = waiters_tail_;
        (waiters_tail_ != nullptr ? waiters_tail_->next : waiters_head_) = w;
        waiters_tail_ = w;
        ++waiter_count_;
    }

    void dequeue(waiter* w) {
        (w->prev != nullptr ? w->prev->next : waiters_head_) = w->next;
        (w->next != nullptr ? w->next->prev : waiters_tail_) = w->prev;
        w->prev = w->next = nullptr;
        --waiter_count_;
    }

    // --- idle list and staleness ------------------------------------------------------------

    // How many background dials min_idle_conns still needs, within pool_size. Under the lock.
    int min_idle_shortfall() const {
        const int idle = static_cast<int>(idle_.size()) + pending_dials_;
        const int room = config_.pool_size - static_cast<int>(all_.size()) - pending_dials_;
        return std::max(0, std::min(config_.min_idle_conns - idle, room));
    }

    entry* pop_idle() { return config_.pool_fifo ? idle_.pop_front() : idle_.pop_back(); }

    // Why a connection must go, or nullptr if it may stay.
    const char* stale_reason(const entry& e, time_point now) const {
        if (config_.conn_max_lifetime.count() > 0 && now >= expires_at(e)) return "lifetime";
        if (config_.conn_max_idle_time.count() > 0 && now - e.idle_since >= config_.conn_max_idle_time) {
            return "idle";
        }
        return nullptr;
    }

    time_point expires_at(const entry& e) const {
        const auto jitter = std::chrono::duration_cast<duration>(
            config_.conn_max_lifetime_jitter * e.lifetime_jitter);
        return e.created_at + config_.conn_max_lifetime + jitter;
    }

    bool needs_liveness_check(const entry& e, time_point now) const {
        return now - e.idle_since >= config_.liveness_check_after;
    }

    // The liveness check does I/O, so the lock is dropped around it. The entry is out of the
    // idle list meanwhile, so no one else can take it.
    bool check_outside_lock(entry& e, lock_type& lock) {
        lock.unlock();
        const bool usable = e.conn->is_usable();
        lock.lock();
        return usable;
    }

    bool retire_if_stale(entry* e, time_point now, std::vector<std::unique_ptr<entry>>& doomed) {
        const char* reason = stale_reason(*e, now);
        if (reason == nullptr) return false;
        ++(reason[0] == 'l' ? stats_.lifetime_closed : stats_.idle_closed);
        ++stats_.stale_conns;
        doomed.push_back(remove_from_all(e));
        return true;
    }

    void retire_dead(entry* e, std::vector<std::unique_ptr<entry>>& doomed) {
        ++stats_.stale_conns;
        doomed.push_back(remove_from_all(e));
    }


    // --- all connections ---------------------------------------------------------------------

    entry* add_to_all(std::unique_ptr<Conn> conn, time_point now) {
        auto e = std::make_unique<entry>();
        e->conn = std::move(conn);
        e->created_at = now;
        e->idle_since = now;
        e->lifetime_jitter = random_unit();
        e->index = all_.size();
        all_.push_back(std::move(e));
        return all_.back().get();
    }

    // Swap-remove: O(1), order of all_ does not matter.
    std::unique_ptr<entry> remove_from_all(entry* e) {
        const std::size_t i = e->index;
        std::unique_ptr<entry> owned = std::move(all_[i]);
        if (i + 1 != all_.size()) {
            all_[i] = std::move(all_.back());
            all_[i]->index = i;
        }
        all_.pop_back();
        return owned;
    }

    static double random_unit() {
        thread_local std::minstd_rand engine(std::random_device{}());
        return std::uniform_real_distribution<double>(-1.0, 1.0)(engine);
    }

    // --- dialing -----------------------------------------------------------------------------

    // Called with a token held; the dial happens outside the lock and a failed dial frees the
    // token. After pool_size failures in a row, fails fast with the last error while one
    // background probe redials about once a second (go-redis's dial-storm guard).
    entry* new_conn(lock_type& lock, std::vector<std::unique_ptr<entry>> doomed) {
        if (dial_errors_in_row_ >= config_.pool_size) {
            free_turn();
            error failure(last_dial_error_.code, fmt::format("{} (failing fast after {} failed dials; retrying in the background)",
                                                             last_dial_error_.message, dial_errors_in_row_));
            lock.unlock();  // `doomed` closes outside the lock
            throw failure;
        }
        lock.unlock();
        doomed.clear();
        std::unique_ptr<Conn> conn;
        try {
            conn = dial_();
        } catch (...) {
            lock.lock();
            free_turn();
            note_dial_error(std::current_exception());
            throw;
        }
        lock.lock();
        dial_errors_in_row_ = 0;
        entry* e = add_to_all(std::move(conn), clock_.now());
        lock.unlock();
        return e;
    }

    // Under the lock.
    void note_dial_error(std::exception_ptr failure) {
        ++stats_.dial_errors;
        last_dial_error_ = describe(failure);
        if (++dial_errors_in_row_ == config_.pool_size && !closed_) {
            background_->post_after(std::chrono::seconds(1), [this] { probe_dial(); });
        }
    }

    struct dial_failure {
        std::error_code code = make_error_code(errc::io_error);
        std::string message;
    };

    static dial_failure describe(std::exception_ptr failure) {
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

    void probe_dial() {
        std::unique_ptr<Conn> conn;
        try {
            conn = dial_();
        } catch (...) {
            std::lock_guard lock(mutex_);
            ++stats_.dial_errors;
            last_dial_error_ = describe(std::current_exception());
            if (!closed_) background_->post_after(std::chrono::seconds(1), [this] { probe_dial(); });
            return;
        }
        keep_as_idle(std::move(conn), /*was_pending=*/false);
        check_min_idle_conns();
    }

    void add_idle_conn() {
        std::unique_ptr<Conn> conn;
        try {
            conn = dial_();
        } catch (...) {
            std::lock_guard lock(mutex_);
            --pending_dials_;
            note_dial_error(std::current_exception());
            return;
        }
        keep_as_idle(std::move(conn), /*was_pending=*/true);
    }

    void keep_as_idle(std::unique_ptr<Conn> conn, bool was_pending) {
        std::lock_guard lock(mutex_);
        if (was_pending) --pending_dials_;
        dial_errors_in_row_ = 0;
        if (closed_ || all_.size() >= static_cast<std::size_t>(config_.pool_size)) return;  // conn closes
        idle_.push_back(add_to_all(std::move(conn), clock_.now()));
    }

    // --- returning ---------------------------------------------------------------------------

    void put(entry* e) noexcept {
        const time_point now = clock_.now();
        lock_type lock(mutex_);
        if (should_keep(*e, now)) {
            e->idle_since = now;
            idle_.push_back(e);
            free_turn();
            return;
        }
        std::unique_ptr<entry> doomed = remove_from_all(e);
        const bool refill = !closed_ && config_.min_idle_conns > 0;
        free_turn();
        lock.unlock();
        doomed.reset();  // closes the connection outside the lock
        if (refill) check_min_idle_conns();
    }

    // Under the lock. An unclean connection (unread reply, failed request) is never reused.
    bool should_keep(const entry& e, time_point now) {
        if (closed_ || !e.conn->is_clean()) return false;
        if (all_.size() > static_cast<std::size_t>(config_.pool_size)) return false;
        if (config_.max_idle_conns > 0 && idle_.size() >= static_cast<std::size_t>(config_.max_idle_conns)) return false;
        if (config_.conn_max_lifetime.count() > 0 && now >= expires_at(e)) {
            ++stats_.lifetime_closed;
            return false;
        }
        return true;
    }

    // --- background --------------------------------------------------------------------------

    void schedule_reaper() {
        if (config_.reaper_interval.count() <= 0) return;
        background_->post_after(config_.reaper_interval, [this] {
            try {
                reap_stale_conns();
            } catch (...) {
                // Out of memory at worst; the next tick tries again.
            }
            std::lock_guard lock(mutex_);
            if (!closed_) schedule_reaper();
        });
    }

    template <typename T>
    void set_field(T pool_config::*field, T value, bool ok, const char* name) {
        if (!ok) throw error(errc::invalid_argument, fmt::format("{} must not be negative", name));
        std::lock_guard lock(mutex_);
        config_.*field = value;
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
    pool_config config_;                          // guarded by mutex_
    const dialer dial_;
    std::unique_ptr<scheduler> background_;
    Clock clock_;
    std::vector<std::unique_ptr<entry>> all_;     // guarded by mutex_; every connection owned
    idle_ring<entry> idle_;                       // guarded by mutex_
    waiter* waiters_head_ = nullptr;              // guarded by mutex_; oldest first
    waiter* waiters_tail_ = nullptr;              // guarded by mutex_
    int waiter_count_ = 0;                        // guarded by mutex_
    int in_use_ = 0;                              // guarded by mutex_; tokens taken
    int pending_dials_ = 0;                       // guarded by mutex_; background dials under way
    int dial_errors_in_row_ = 0;                  // guarded by mutex_
    dial_failure last_dial_error_;                // guarded by mutex_
    bool closed_ = false;                         // guarded by mutex_
    pool_stats stats_;                            // guarded by mutex_; counters only
};

}  // namespace redpool::detail
