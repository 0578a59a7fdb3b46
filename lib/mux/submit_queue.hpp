// detail::submit_queue — where callers on any thread hand requests to the event loop that owns
// a multiplexed connection (automatic pipelining, see docs/design/auto_pipelining.md): an
// intrusive list with many producers and one consumer.
//
// A push is one compare-and-swap on the head and allocates nothing (the node is the caller's
// request). The consumer takes everything queued with one exchange and reverses it into
// arrival order, so a turn of the event loop writes all of it at once. There is no pop of a
// single node, hence no ABA problem, and a producer never touches a node after pushing it.
#pragma once

#include <atomic>

namespace redpool::detail {

/// The link a queued node carries: derive T from submit_link<T>.
template <class T>
struct submit_link {
    T* next_submitted = nullptr;
};

template <class T>
class submit_queue {
public:
    submit_queue() = default;
    submit_queue(const submit_queue&) = delete;
    submit_queue& operator=(const submit_queue&) = delete;

    /// Queues `node` (in no queue now). Returns true if the queue was empty: the caller that
    /// makes it non-empty is the one that must wake the consumer, so that every wake finds
    /// work and none is lost (the consumer takes everything on each wake).
    bool push(T* node) noexcept {
        T* head = head_.load(std::memory_order_relaxed);
        do {
            node->next_submitted = head;
            // Release: the consumer that takes the node sees it whole. A later push continues
            // the release sequence, so one acquire by the consumer covers every node.
        } while (!head_.compare_exchange_weak(head, node, std::memory_order_release, std::memory_order_relaxed));
        return head == nullptr;
    }

    /// Takes every queued node: the oldest, linked through next_submitted to the newest, whose
    /// link is null. Null when nothing was queued. Only the consumer calls it.
    T* take_all() noexcept {
        T* newest_first = head_.exchange(nullptr, std::memory_order_acquire);
        T* oldest_first = nullptr;
        while (newest_first != nullptr) {
            T* rest = newest_first->next_submitted;
            newest_first->next_submitted = oldest_first;
            oldest_first = newest_first;
            newest_first = rest;
        }
        return oldest_first;
    }

    /// A hint: another thread may push at any moment.
    bool empty() const noexcept { return head_.load(std::memory_order_relaxed) == nullptr; }

private:
    std::atomic<T*> head_{nullptr};
};

}  // namespace redpool::detail
