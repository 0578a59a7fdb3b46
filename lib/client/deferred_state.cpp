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

// The thread's object behind one of thread_cache.hpp's pointers: made by the thread's first
// need, and destroyed when the thread ends, after `drain` gave back what it holds. Unhooked
// before it is drained, so that what draining releases cannot reach it. Once it is gone,
// nothing makes it again: `gone` is trivially destructible, so later thread_local or static
// destructors still read it and take the slow path (blocks freed, handles released at once).
template <class T, T*& (*pointer)() noexcept, void (*drain)(T&) noexcept>
struct per_thread {
    [[gnu::tls_model("initial-exec")]] static inline thread_local bool gone = false;

    /// The thread's object, made now; null once the thread's was destroyed, or without memory.
    static T* make() noexcept {
        if (gone) return nullptr;
        T*& object = pointer();
        object = new (std::nothrow) T;
        if (object != nullptr) {
            thread_local owner ends_with_the_thread;
        }
        return object;
    }

private:
    struct owner {
        ~owner() {
            gone = true;
            T* object = std::exchange(pointer(), nullptr);
            drain(*object);
            delete object;
        }
    };
};

state_block_cache*& block_cache_pointer() noexcept { return thread_state_blocks; }

void free_blocks(state_block_cache& k) noexcept {
    for (auto*& h : k.head) {
        while (h != nullptr) ::operator delete(std::exchange(h, h->next));
    }
}

using blocks = per_thread<state_block_cache, block_cache_pointer, free_blocks>;

dropped_handles*& dropped_handles_pointer() noexcept { return thread_dropped_handles; }

// Last first, and counted down before each release: destroying a state may drop a deferred it
// held, which may come back to defer_release and append (or, once the list is unhooked at the
// thread's end, be released at once).
void release_kept(dropped_handles& d) noexcept {
    while (d.count > 0) d.slots[--d.count]->release();
}

using dropped = per_thread<dropped_handles, dropped_handles_pointer, release_kept>;

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
        if (k == nullptr) k = blocks::make();  // a thread's first give-back
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
    if (thread_dropped_handles == nullptr) (void)dropped::make();  // without memory, releases are immediate
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
    if (dropped_handles* d = thread_dropped_handles) release_kept(*d);
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
