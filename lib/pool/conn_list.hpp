// detail::conn_list — the pool's lists of connections (all of them, and the idle ones): an
// intrusive doubly-linked list through a `list_links` member of each element. Push, pop and
// erase anywhere are O(1) and never allocate, so nothing under the pool's lock can throw.
#pragma once

#include <cstddef>

namespace redpool::detail {

/// Where an element keeps its place in one list.
struct list_links {
    void* prev = nullptr;
    void* next = nullptr;
};

template <typename T, list_links T::*Links>
class conn_list {
public:
    conn_list() = default;
    conn_list(const conn_list&) = delete;
    conn_list& operator=(const conn_list&) = delete;

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    /// The oldest and the newest element, or nullptr when empty.
    T* front() const noexcept { return front_; }
    T* back() const noexcept { return back_; }
    /// The neighbours of an element in the list: towards the back (newer) and the front (older).
    static T* next(T* item) noexcept { return static_cast<T*>((item->*Links).next); }
    static T* prev(T* item) noexcept { return static_cast<T*>((item->*Links).prev); }

    void push_back(T* item) noexcept {
        (item->*Links).prev = back_;
        (item->*Links).next = nullptr;
        if (back_ != nullptr) (back_->*Links).next = item;
        else front_ = item;
        back_ = item;
        ++size_;
    }

    /// Takes `item`, which must be in this list, out of it.
    void erase(T* item) noexcept {
        T* before = prev(item);
        T* after = next(item);
        if (before != nullptr) (before->*Links).next = after;
        else front_ = after;
        if (after != nullptr) (after->*Links).prev = before;
        else back_ = before;
        (item->*Links) = {};
        --size_;
    }

    T* pop_front() noexcept { return take(front_); }
    T* pop_back() noexcept { return take(back_); }

private:
    T* take(T* item) noexcept {
        if (item != nullptr) erase(item);
        return item;
    }

    T* front_ = nullptr;
    T* back_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace redpool::detail
