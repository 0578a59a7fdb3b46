// detail::pod_list — a growable array of trivially copyable values that is never zero-filled,
// and whose append is a compare and a store, inlined where it is called. Both matter on the
// request path: std::vector zero-fills the bytes it grows into, and its push_back is not inlined
// into a function as large as a batch's queuing, which appends a thousand times per 1,000-command
// pipeline. The request buffers (write_buffer) and a batch's list of queued commands are both one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "redpool/detail/copy_bytes.hpp"

namespace redpool::detail {

/// `MinCapacity`: the capacity of the first allocation.
template <class T, std::size_t MinCapacity = 16>
class pod_list {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T> &&
                  std::is_trivially_default_constructible_v<T>);

public:
    pod_list() = default;
    pod_list(const pod_list&) = delete;
    pod_list& operator=(const pod_list&) = delete;
    /// The source is left empty, with no memory.
    pod_list(pod_list&& other) noexcept { swap(other); }
    pod_list& operator=(pod_list&& other) noexcept {
        pod_list(std::move(other)).swap(*this);
        return *this;
    }

    T* data() noexcept { return data_.get(); }
    const T* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    /// No room for one more without growing.
    bool full() const noexcept { return size_ == capacity_; }
    const T* begin() const noexcept { return data(); }
    const T* end() const noexcept { return data() + size_; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    operator std::span<const T>() const noexcept { return {data(), size_}; }

    /// Makes room for one more (growing by doubling); may throw std::bad_alloc, changing nothing.
    void make_room() {
        if (full()) grow(size_ + 1);
    }
    /// Appends into room made already (`!full()`).
    void push_unchecked(const T& value) noexcept { data_[size_++] = value; }

    /// Makes room for `n` more and returns where they go; `commit` says how many were used.
    T* reserve_tail(std::size_t n) {
        if (capacity_ - size_ < n) grow(size_ + n);
        return data() + size_;
    }
    void commit(std::size_t n) noexcept { size_ += n; }
    void append(const T* values, std::size_t n) {
        if (n != 0) std::memcpy(reserve_tail(n), values, n * sizeof(T));
        size_ += n;
    }
    /// Appends `n` values if they fit without growing, and says whether they did. Forced inline:
    /// it is the queuing of each command in a batch, and the copy made it look too large to GCC.
    [[gnu::always_inline]] bool append_in_place(const T* values, std::size_t n) noexcept {
        if (capacity_ - size_ < n) return false;
        copy_bytes(reinterpret_cast<char*>(data() + size_), reinterpret_cast<const char*>(values), n * sizeof(T));
        size_ += n;
        return true;
    }
    /// Drops the first `n` values (at most size()), moving the rest to the front.
    void discard_front(std::size_t n) noexcept {
        if (n < size_) std::memmove(data(), data() + n, (size_ - n) * sizeof(T));
        size_ = n < size_ ? size_ - n : 0;
    }

    void clear() noexcept { size_ = 0; }
    /// Forgets the contents; keeps the memory unless it grew past `keep` values, so that one
    /// huge batch does not pin its buffer for the life of an idle connection.
    void clear(std::size_t keep) noexcept {
        size_ = 0;
        if (capacity_ > keep) {
            data_.reset();
            capacity_ = 0;
        }
    }
    void swap(pod_list& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }

private:
    [[gnu::noinline]] void grow(std::size_t needed) {
        if (needed > std::size_t(-1) / 2 / sizeof(T)) throw std::length_error("pod_list: too large");
        std::size_t capacity = std::max(MinCapacity, capacity_);
        while (capacity < needed) capacity *= 2;
        std::unique_ptr<T[]> bigger(new T[capacity]);  // default-initialized: not zero-filled
        if (size_ != 0) std::memcpy(bigger.get(), data(), size_ * sizeof(T));
        data_ = std::move(bigger);
        capacity_ = capacity;
    }

    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace redpool::detail
