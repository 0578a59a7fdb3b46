// redpool/detail/thread_cache.hpp — not part of the API: each thread's memory for deferred
// states, and its list of dropped handles whose release waits for the thread's next batch.
// Public only so that their fast paths are inline: a 1,000-command pipeline takes a state and
// drops a handle a thousand times while the server has nothing to do, and a call each cost a
// measurable share of that. Defined in lib/client/deferred_state.cpp.
#pragma once

#include <cstddef>

namespace redpool::detail {

class deferred_slot;

/// Blocks of one size class (16, 32, ... 256 bytes) kept for reuse. A pipeline of n commands
/// takes n blocks and gives them back together, so each thread keeps up to a batch's worth.
struct state_block_cache {
    static constexpr std::size_t step = 16;
    static constexpr std::size_t classes = 16;
    static constexpr std::size_t max_kept = 4096;
    /// The class of a block of `size` bytes; `classes` when it has none.
    static constexpr std::size_t class_of(std::size_t size) noexcept {
        return size == 0 || size > step * classes ? classes : (size - 1) / step;
    }

    struct free_block {
        free_block* next;
    };
    free_block* head[classes] = {};
    std::size_t kept[classes] = {};
};

/// Handles dropped while their batch still held them, released at the thread's next wait for
/// the server. A batch's worth is typical (a pipeline whose results nobody reads).
struct dropped_handles {
    static constexpr std::size_t capacity = 1024;
    deferred_slot* slots[capacity];
    std::size_t count = 0;
};

// Null until the thread first needs one, and again once the thread has ended: a thread_local
// or static destructor that runs later finds none and takes the slow path.
[[gnu::tls_model("initial-exec")]] extern thread_local constinit state_block_cache* thread_state_blocks;
[[gnu::tls_model("initial-exec")]] extern thread_local constinit dropped_handles* thread_dropped_handles;

void* take_state_block_slow(std::size_t size);
bool defer_release_slow(deferred_slot* slot) noexcept;

/// Memory for a deferred state of `size` bytes: the thread's last one given back of its class,
/// or new.
inline void* take_state_block(std::size_t size) {
    constexpr std::size_t none = state_block_cache::classes;
    const std::size_t c = state_block_cache::class_of(size);
    if (state_block_cache* k = thread_state_blocks; c != none && k != nullptr && k->head[c] != nullptr) {
        state_block_cache::free_block* b = k->head[c];
        k->head[c] = b->next;
        --k->kept[c];
        return b;
    }
    return take_state_block_slow(size);
}

/// Gives a block from take_state_block back (kept by this thread, or freed).
void give_state_block(void* block, std::size_t size) noexcept;

/// Makes this thread keep the releases `defer_release` is given. A batch turns it on for the
/// thread it is built on; other threads release at once.
void keep_deferred_releases() noexcept;
/// Releases what `defer_release` kept on this thread. Batches call it while waiting for the
/// server, and when they are destroyed.
void release_dropped_handles() noexcept;

/// Keeps `slot`'s release for this thread's next `release_dropped_handles()` and returns true,
/// or returns false if this thread keeps none (see `keep_deferred_releases`). A full list is
/// released first.
inline bool defer_release(deferred_slot* slot) noexcept {
    dropped_handles* d = thread_dropped_handles;
    if (d == nullptr || d->count == dropped_handles::capacity) return defer_release_slow(slot);
    d->slots[d->count++] = slot;
    return true;
}

}  // namespace redpool::detail
