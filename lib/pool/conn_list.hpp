// detail::conn_list — the pool's lists of connections (all of them, and the idle ones): an
// intrusive, circular doubly-linked list. An element joins a list through a `list_hook<Tag>`
// base, one per list it can be in. Push, pop and erase anywhere are O(1), branch-free and never
// allocate, so nothing under the pool's lock can throw.
#pragma once

#include <cstddef>

namespace redpool::detail {

/// An element's place in the lists tagged `Tag`.
template <typename Tag>
struct list_hook {
    list_hook* prev = nullptr;
    list_hook* next = nullptr;
};

/// Elements of type T (derived from list_hook<Tag>), oldest at the front.
template <typename T, typename Tag>
class conn_list {
    using hook = list_hook<Tag>;

public:
    conn_list() noexcept { head_.prev = head_.next = &head_; }
    conn_list(const conn_list&) = delete;  // elements point at head_
    conn_list& operator=(const conn_list&) = delete;

    std::size_t size() const noexcept { return size_; }

    /// The oldest and the newest element, or nullptr when empty.
    T* front() const noexcept { return element(head_.next); }
    T* back() const noexcept { return element(head_.prev); }
    /// The neighbours of an element in this list: towards the back (newer) and the front (older),
    /// or nullptr at either end.
    T* next(T* item) const noexcept { return element(as_hook(item)->next); }
    T* prev(T* item) const noexcept { return element(as_hook(item)->prev); }

    void push_back(T* item) noexcept {
        hook* h = as_hook(item);
        h->prev = head_.prev;
        h->next = &head_;
        head_.prev->next = h;
        head_.prev = h;
        ++size_;
    }

    /// Takes `item`, which must be in this list, out of it.
    void erase(T* item) noexcept {
        hook* h = as_hook(item);
        h->prev->next = h->next;
        h->next->prev = h->prev;
        --size_;
    }

    T* pop_front() noexcept {
        T* item = front();
        if (item != nullptr) erase(item);
        return item;
    }

private:
    static hook* as_hook(T* item) noexcept { return static_cast<hook*>(item); }

    // The element a hook belongs to; nullptr for the list's own head.
    T* element(const hook* h) const noexcept {
        return h == &head_ ? nullptr : static_cast<T*>(const_cast<hook*>(h));
    }

    hook head_;
    std::size_t size_ = 0;
};

}  // namespace redpool::detail
