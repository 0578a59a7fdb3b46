// detail::pod_list — a growable array of trivially copyable values whose append is a compare
// and a store, inlined where it is called. std::vector's push_back is not inlined into a
// function as large as a batch's queuing path, and a 1,000-command pipeline appends a
// thousand times per batch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

namespace redpool::detail {

template <class T>
class pod_list {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return size_ == capacity_; }
    T* begin() noexcept { return data_.get(); }
    T* end() noexcept { return data_.get() + size_; }
    const T* begin() const noexcept { return data_.get(); }
    const T* end() const noexcept { return data_.get() + size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    operator std::span<const T>() const noexcept { return {data_.get(), size_}; }

    /// Makes room for one more, doubling; may throw std::bad_alloc, changing nothing.
    void make_room() {
        if (full()) grow();
    }
    /// Appends into room made already (`!full()`).
    void push_unchecked(const T& value) noexcept { data_[size_++] = value; }
    void push_back(const T& value) {
        make_room();
        push_unchecked(value);
    }
    void clear() noexcept { size_ = 0; }
    void swap(pod_list& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }

private:
    [[gnu::noinline]] void grow() {
        const std::size_t capacity = std::max<std::size_t>(16, 2 * capacity_);
        std::unique_ptr<T[]> bigger(new T[capacity]);
        if (size_ != 0) std::memcpy(bigger.get(), data_.get(), size_ * sizeof(T));
        data_ = std::move(bigger);
        capacity_ = capacity;
    }

    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace redpool::detail
