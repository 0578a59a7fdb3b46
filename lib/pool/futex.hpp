// detail::futex_mutex and futex_wait/futex_wake — the pool's lock and its waiters' sleep.
//
// std::mutex goes through pthread_mutex_lock/unlock (~30 instructions each, out of line), which
// was a third of the pool's get+put cost. This lock is one inline atomic instruction each way
// when uncontended, spins briefly (the pool holds it for tens of nanoseconds) and then sleeps
// on a futex (Drepper, "Futexes Are Tricky", mutex 3). Linux only, like the rest of redpool;
// any CPU architecture.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

namespace redpool::detail {

/// Sleeps while `*word == expected`, at most `timeout` (negative: no limit). Returns on a wake,
/// a timeout, a signal, or at once if the word already differs: callers re-check their state.
inline void futex_wait(std::atomic<int>* word, int expected, std::chrono::nanoseconds timeout) {
    timespec ts{};
    timespec* limit = nullptr;
    if (timeout.count() >= 0) {
        ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
        limit = &ts;
    }
    ::syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAIT_PRIVATE, expected, limit,
              nullptr, 0);
}

/// Wakes up to `count` threads sleeping on `word`.
inline void futex_wake(std::atomic<int>* word, int count) {
    ::syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAKE_PRIVATE, count, nullptr,
              nullptr, 0);
}

static_assert(sizeof(std::atomic<int>) == sizeof(int), "futex words must be plain ints");

/// Tells the CPU that this is a spin-wait loop (lets a sibling hyper-thread run, saves power).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield" ::: "memory");
#elif defined(__powerpc64__)
    asm volatile("or 27,27,27" ::: "memory");
#else
    std::atomic_signal_fence(std::memory_order_seq_cst);  // at least not optimised away
#endif
}

class futex_mutex {
public:
    void lock() noexcept {
        int expected = unlocked;
        if (!state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
            lock_contended(expected);
        }
    }

    bool try_lock() noexcept {
        int expected = unlocked;
        return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }

    void unlock() noexcept {
        if (state_.exchange(unlocked, std::memory_order_release) == contended) {
            futex_wake(&state_, 1);
        }
    }

private:
    static constexpr int unlocked = 0;
    static constexpr int locked = 1;
    static constexpr int contended = 2;  // locked, and someone may sleep on it

    void lock_contended(int seen) noexcept {
        for (int spin = 0; spin < 100 && seen != unlocked; ++spin) {
            cpu_relax();
            seen = state_.load(std::memory_order_relaxed);
        }
        if (seen == unlocked && try_lock()) return;
        // From here on the state says "contended", so the unlock that frees us wakes us.
        while (state_.exchange(contended, std::memory_order_acquire) != unlocked) {
            futex_wait(&state_, contended, std::chrono::nanoseconds(-1));
        }
    }

    std::atomic<int> state_{unlocked};
};

}  // namespace redpool::detail
