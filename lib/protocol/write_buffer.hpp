// detail::write_buffer — a growable byte buffer that is never zero-filled, so encoding a
// command costs one bounds check and the copies of its bytes.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace redpool::detail {

class write_buffer {
public:
    const char* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    /// Makes room for `n` more bytes and returns where they go; `commit` says how many were used.
    char* reserve_tail(std::size_t n) {
        if (capacity_ - size_ < n) grow(size_ + n);
        return data_.get() + size_;
    }
    void commit(std::size_t n) noexcept { size_ += n; }

    void append(const char* bytes, std::size_t n) {
        std::memcpy(reserve_tail(n), bytes, n);
        size_ += n;
    }

    /// Appends `n` bytes if they fit without growing, and says whether they did.
    bool append_in_place(const char* bytes, std::size_t n) noexcept {
        if (capacity_ - size_ < n) return false;
        std::memcpy(data_.get() + size_, bytes, n);
        size_ += n;
        return true;
    }

    /// Drops the first `n` bytes (at most size()), moving the rest to the front.
    void discard_front(std::size_t n) noexcept {
        if (n < size_) std::memmove(data_.get(), data_.get() + n, size_ - n);
        size_ = n < size_ ? size_ - n : 0;
    }
    /// Forgets the contents; keeps the memory unless it grew past `keep`, so one huge request
    /// does not pin its buffer for the life of an idle connection.
    void clear(std::size_t keep) noexcept {
        size_ = 0;
        if (capacity_ > keep) {
            data_.reset();
            capacity_ = 0;
        }
    }

private:
    void grow(std::size_t needed) {
        std::size_t cap = capacity_ == 0 ? 256 : capacity_;
        while (cap < needed) cap *= 2;
        std::unique_ptr<char[]> bigger(new char[cap]);
        if (size_ != 0) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = cap;
    }

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace redpool::detail
