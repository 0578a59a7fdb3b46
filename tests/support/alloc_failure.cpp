// The replaced global operator new and delete behind alloc_failure.hpp.
#include "tests/support/alloc_failure.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace redpool::test {
namespace {

thread_local long allocations_before_failure = -1;  // -1: disarmed
thread_local bool failed = false;
std::atomic<std::size_t> bytes{0};

void* allocate(std::size_t size) {
    if (allocations_before_failure == 0) {
        allocations_before_failure = -1;
        failed = true;
        throw std::bad_alloc();
    }
    if (allocations_before_failure > 0) --allocations_before_failure;
    bytes.fetch_add(size, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

}  // namespace

void fail_allocation_after(long n) noexcept {
    failed = false;
    allocations_before_failure = n;
}

bool stop_failing_allocations() noexcept {
    allocations_before_failure = -1;
    return failed;
}

std::size_t allocated_bytes() noexcept { return bytes.load(std::memory_order_relaxed); }

}  // namespace redpool::test

void* operator new(std::size_t size) { return redpool::test::allocate(size); }
void* operator new[](std::size_t size) { return redpool::test::allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return redpool::test::allocate(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
