// detail::request_fifo — requests in order, linked through their own `next`: those waiting for
// room, and those in flight on a connection. Owned by one strand; allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "redpool/detail/async_request.hpp"

namespace redpool::detail {

class request_fifo {
public:
    request_fifo() = default;
    request_fifo(const request_fifo&) = delete;
    request_fifo& operator=(const request_fifo&) = delete;

    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }
    async_request* front() const noexcept { return head_; }

    void push_back(async_request* r) noexcept {
        r->next = nullptr;
        if (tail_ != nullptr) tail_->next = r;
        else head_ = r;
        tail_ = r;
        ++size_;
    }

    /// Puts every request of `other` ahead of this one's, in their order; `other` ends empty.
    void splice_front(request_fifo& other) noexcept {
        if (other.empty()) return;
        other.tail_->next = head_;
        if (tail_ == nullptr) tail_ = other.tail_;
        head_ = other.head_;
        size_ += other.size_;
        other.head_ = other.tail_ = nullptr;
        other.size_ = 0;
    }

    async_request* pop_front() noexcept {
        async_request* r = head_;
        if (r == nullptr) return nullptr;
        head_ = r->next;
        if (head_ == nullptr) tail_ = nullptr;
        r->next = nullptr;
        --size_;
        return r;
    }

    /// Unlinks and returns the request `id`, or null when it is not here.
    async_request* remove(std::uint64_t id) noexcept {
        async_request* before = nullptr;
        for (async_request* r = head_; r != nullptr; before = r, r = r->next) {
            if (r->id != id) continue;
            (before != nullptr ? before->next : head_) = r->next;
            if (tail_ == r) tail_ = before;
            r->next = nullptr;
            --size_;
            return r;
        }
        return nullptr;
    }

    /// The request `id` without unlinking it, or null.
    async_request* find(std::uint64_t id) const noexcept {
        for (async_request* r = head_; r != nullptr; r = r->next) {
            if (r->id == id) return r;
        }
        return nullptr;
    }

private:
    async_request* head_ = nullptr;
    async_request* tail_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace redpool::detail
