// Allocation failures on demand, for exception-safety tests, and a count of bytes allocated:
// linking this replaces the global operator new and delete of the test binary (every form, so
// AddressSanitizer never sees a mismatched pair). While armed on a thread, the n-th allocation
// there throws std::bad_alloc (once); every other allocation, and every other thread, is served
// as usual.
#pragma once

#include <cstddef>
#include <new>

namespace redpool::test {

/// Makes allocation number `n` (0-based) from now on, on this thread, throw std::bad_alloc.
void fail_allocation_after(long n) noexcept;
/// Disarms; returns whether the armed failure happened.
bool stop_failing_allocations() noexcept;

/// Bytes requested from operator new so far, by every thread.
std::size_t allocated_bytes() noexcept;

/// Runs `body` with allocation `n` failing; returns whether std::bad_alloc came out of it.
template <typename Body>
bool with_allocation_failing(long n, Body body) {
    fail_allocation_after(n);
    bool threw = false;
    try {
        body();
    } catch (const std::bad_alloc&) {
        threw = true;
    }
    stop_failing_allocations();
    return threw;
}

}  // namespace redpool::test
