// What deferred states need from the library: their memory, recycled per thread, and the name
// of the command they wait for, read back from its encoding only when a message needs it.
#include <charconv>
#include <cstddef>
#include <new>
#include <utility>

#include "redpool/deferred.hpp"

namespace redpool::detail {
namespace {

// One T per thread, made by the thread's first make() and destroyed when the thread ends (T's
// destructor does the cleaning up). The hot path reads one plain pointer, `object` (initial-exec
// TLS: an offset from the thread pointer, no call). Once the thread's T is gone, make() refuses:
// `gone` is trivially destructible, so later thread_local or static destructors still read it.
template <class T>
struct per_thread {
    [[gnu::tls_model("initial-exec")]] static inline thread_local T* object = nullptr;
    [[gnu::tls_model("initial-exec")]] static inline thread_local bool gone = false;

    static T* make() noexcept {
        if (gone) return nullptr;
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
            delete std::exchange(object, nullptr);  // first, so T's destructor cannot reach it
        }
    };
};

// Blocks of one size class (16, 32, ... 256 bytes) kept for reuse. A pipeline of n commands
// takes n blocks and gives them back together, so each thread keeps up to a batch's worth;
// beyond that, and for larger states, the system allocator serves. Classes are fine-grained
// because a batch walks through all of its states: a 72-byte state in a 128-byte block would
// make that walk touch 78% more memory.
constexpr std::size_t block_step = 16;
constexpr std::size_t size_classes = 16;
constexpr std::size_t max_kept = 4096;

struct free_block {
    free_block* next;
};

struct block_cache {
    free_block* head[size_classes] = {};
    std::size_t kept[size_classes] = {};

    ~block_cache() {
        for (auto*& h : head) {
            while (h != nullptr) ::operator delete(std::exchange(h, h->next));
        }
    }
};

// The class of a block of `size` bytes; size_classes when it has none.
std::size_t class_of(std::size_t size) noexcept { return size == 0 ? size_classes : (size - 1) / block_step; }

// AddressSanitizer checks every allocation only if each one really is one.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool recycle = false;
#else
constexpr bool recycle = true;
#endif

}  // namespace

void* take_state_block(std::size_t size) {
    const std::size_t c = class_of(size);
    block_cache* k = per_thread<block_cache>::object;
    if (recycle && c < size_classes && k != nullptr && k->head[c] != nullptr) {
        free_block* b = k->head[c];
        k->head[c] = b->next;
        --k->kept[c];
        return b;
    }
    return ::operator new(c < size_classes ? (c + 1) * block_step : size);
}

void give_state_block(void* block, std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    block_cache* k = nullptr;
    if (recycle && c < size_classes) {
        k = per_thread<block_cache>::object;
        if (k == nullptr) k = per_thread<block_cache>::make();  // a thread's first give-back
    }
    if (k != nullptr && k->kept[c] < max_kept) {
        k->head[c] = ::new (block) free_block{k->head[c]};
        ++k->kept[c];
        return;
    }
    ::operator delete(block);
}

// --- handles dropped while their batch still holds them ----------------------------------------
namespace {

// Kept on the thread that dropped them, until that thread's next batch waits for the server. A
// batch's worth is typical (a pipeline whose results nobody reads); when the list is full, all
// of it is released at once, so it never pins much.
constexpr std::size_t max_dropped = 1024;

struct dropped_handles {
    deferred_slot* slots[max_dropped];
    std::size_t count = 0;

    void release_all() noexcept {
        // Last first, and counted down before each release: destroying a state may drop a
        // deferred it held, which may come back here and append.
        while (count > 0) slots[--count]->release();
    }
    ~dropped_handles() { release_all(); }  // the thread is ending
};

using dropped = per_thread<dropped_handles>;

}  // namespace

void keep_deferred_releases() noexcept {
    if (dropped::object == nullptr) (void)dropped::make();  // without memory for it, releases are immediate
}

bool defer_release(deferred_slot* slot) noexcept {
    dropped_handles* d = dropped::object;
    if (d == nullptr) return false;  // no batch on this thread, or the thread is ending
    if (d->count == max_dropped) d->release_all();
    d->slots[d->count++] = slot;
    return true;
}

void release_dropped_handles() noexcept {
    if (dropped_handles* d = dropped::object) d->release_all();
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
