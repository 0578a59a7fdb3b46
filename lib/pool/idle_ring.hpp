// detail::idle_ring — the pool's idle list: a ring buffer of pointers that pops from either
// end (LIFO from the back, FIFO from the front) without allocating once it has grown.
#pragma once

#include <cstddef>
#include <memory>

namespace redpool::detail {

template <typename T>
class idle_ring {
public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    void push_back(T* item) {
        if (size_ == capacity_) grow();
        slots_[(head_ + size_) & (capacity_ - 1)] = item;
        ++size_;
    }

    void push_front(T* item) {
        if (size_ == capacity_) grow();
        head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
        slots_[head_] = item;
        ++size_;
    }

    T* pop_back() noexcept {
        if (size_ == 0) return nullptr;
        --size_;
        return slots_[(head_ + size_) & (capacity_ - 1)];
    }

    T* pop_front() noexcept {
        if (size_ == 0) return nullptr;
        T* item = slots_[head_];
        head_ = (head_ + 1) & (capacity_ - 1);
        --size_;
        return item;
    }

    /// The newest and the oldest item, or nullptr when empty.
    T* back() const noexcept { return size_ == 0 ? nullptr : at(size_ - 1); }
    T* front() const noexcept { return size_ == 0 ? nullptr : at(0); }

    /// Element `i` counted from the front (the oldest).
    T* at(std::size_t i) const noexcept { return slots_[(head_ + i) & (capacity_ - 1)]; }

    /// Makes room for `n` items so later pushes do not allocate.
    void reserve(std::size_t n) {
        while (capacity_ < n) grow();
    }

private:
    void grow() {
        std::size_t bigger = capacity_ == 0 ? 16 : capacity_ * 2;
        auto slots = std::make_unique<T*[]>(bigger);
        for (std::size_t i = 0; i < size_; ++i) slots[i] = at(i);
        slots_ = std::move(slots);
        capacity_ = bigger;
        head_ = 0;
    }

    std::unique_ptr<T*[]> slots_;
    std::size_t capacity_ = 0;  // a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace redpool::detail
