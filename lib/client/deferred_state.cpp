// What deferred states need from the library: their memory, recycled per thread, the releases
// of dropped handles kept until the thread's batch waits for the server, and the name of the
// command they wait for, read back from its encoding only when a message needs it. The fast
// paths are inline in redpool/detail/thread_cache.hpp; this is everything else.
#include <charconv>
#include <cstddef>
#include <new>
#include <utility>

#include "redpool/deferred.hpp"

namespace redpool::detail {

// The model is repeated: GCC takes it from the definition, not from the header's declaration.
[[gnu::tls_model("initial-exec")]] thread_local constinit state_block_cache* thread_state_blocks = nullptr;
[[gnu::tls_model("initial-exec")]] thread_local constinit dropped_handles* thread_dropped_handles = nullptr;

namespace {

// AddressSanitizer checks every allocation only if each one really is one.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool recycle = false;
#else
constexpr bool recycle = true;
#endif

// Each thread's cache and list are made by its first need and destroyed when it ends (their
// destructors do the cleaning up). Once they are gone, nothing makes them again: `*_gone` is
// trivially destructible, so later thread_local or static destructors still read it and take
// the slow path (blocks freed, handles released at once).
[[gnu::tls_model("initial-exec")]] thread_local bool blocks_gone = false;
[[gnu::tls_model("initial-exec")]] thread_local bool dropped_gone = false;

struct blocks_owner {
    ~blocks_owner() {
        blocks_gone = true;
        // Taken first, so that nothing reaches the cache while its blocks are freed.
        state_block_cache* k = std::exchange(thread_state_blocks, nullptr);
        for (auto*& h : k->head) {
            while (h != nullptr) ::operator delete(std::exchange(h, h->next));
        }
        delete k;
    }
};

struct dropped_owner {
    ~dropped_owner() {
        dropped_gone = true;
        dropped_handles* d = thread_dropped_handles;
        // Last first, counted down before each release: destroying a state may drop a deferred
        // it held, which comes back to defer_release and is released at once.
        thread_dropped_handles = nullptr;
        while (d->count > 0) d->slots[--d->count]->release();
        delete d;
    }
};

state_block_cache* make_block_cache() noexcept {
    if (blocks_gone) return nullptr;
    thread_state_blocks = new (std::nothrow) state_block_cache;
    if (thread_state_blocks != nullptr) {
        thread_local blocks_owner ends_with_the_thread;
    }
    return thread_state_blocks;
}

}  // namespace

void* take_state_block_slow(std::size_t size) {
    const std::size_t c = state_block_cache::class_of(size);
    return ::operator new(c < state_block_cache::classes ? (c + 1) * state_block_cache::step : size);
}

void give_state_block(void* block, std::size_t size) noexcept {
    const std::size_t c = state_block_cache::class_of(size);
    state_block_cache* k = nullptr;
    if (recycle && c < state_block_cache::classes) {
        k = thread_state_blocks;
        if (k == nullptr) k = make_block_cache();  // a thread's first give-back
    }
    if (k != nullptr && k->kept[c] < state_block_cache::max_kept) {
        k->head[c] = ::new (block) state_block_cache::free_block{k->head[c]};
        ++k->kept[c];
        return;
    }
    ::operator delete(block);
}

// --- handles dropped while their batch still holds them ----------------------------------------

void keep_deferred_releases() noexcept {
    if (thread_dropped_handles != nullptr || dropped_gone) return;
    // Without memory for it, releases are immediate.
    thread_dropped_handles = new (std::nothrow) dropped_handles;
    if (thread_dropped_handles != nullptr) {
        thread_local dropped_owner ends_with_the_thread;
    }
}

bool defer_release_slow(deferred_slot* slot) noexcept {
    dropped_handles* d = thread_dropped_handles;
    if (d == nullptr) return false;  // no batch on this thread, or the thread is ending
    // Full: all of it is released at once, so it never pins much.
    release_dropped_handles();
    d->slots[d->count++] = slot;
    return true;
}

void release_dropped_handles() noexcept {
    dropped_handles* d = thread_dropped_handles;
    if (d == nullptr) return;
    // Last first, and counted down before each release: destroying a state may drop a deferred
    // it held, which may come back here and append.
    while (d->count > 0) d->slots[--d->count]->release();
}

std::string_view command_name_of(const char* encoded) noexcept {
    // "*<n>\r\n$<length>\r\n<name>\r\n..."
    if (encoded == nullptr || *encoded != '*') return {};
    const char* at = encoded;
    while (*at != '\n') ++at;
    if (*++at != '$') return {};
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(at + 1, at + 21, length);
    if (ec != std::errc() || end[0] != '\r') return {};
    return {end + 2, length};
}

}  // namespace redpool::detail
