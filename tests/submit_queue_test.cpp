// detail::submit_queue: many threads push, one takes everything at once. Runs under
// ThreadSanitizer (the push publishes a node that the taker reads) and checks that nothing is
// lost, duplicated or reordered within a producer, and that the "was empty" result of push is
// a wake-up protocol that never leaves queued nodes without a wake.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "lib/mux/submit_queue.hpp"

using redpool::detail::submit_link;
using redpool::detail::submit_queue;

namespace {

struct node : submit_link<node> {
    int producer = 0;
    int seq = 0;
};

std::vector<const node*> drain(submit_queue<node>& q) {
    std::vector<const node*> out;
    for (node* n = q.take_all(); n != nullptr; n = n->next_submitted) out.push_back(n);
    return out;
}

}  // namespace

TEST_CASE("submit_queue: one thread gets its nodes back in the order pushed", "[mux]") {
    submit_queue<node> q;
    CHECK(q.empty());
    CHECK(q.take_all() == nullptr);
    node a, b, c;
    CHECK(q.push(&a));        // was empty: this caller wakes the consumer
    CHECK_FALSE(q.push(&b));  // not empty: a wake is on its way already
    CHECK_FALSE(q.push(&c));
    CHECK_FALSE(q.empty());
    const auto got = drain(q);
    REQUIRE(got.size() == 3);
    CHECK(got[0] == &a);
    CHECK(got[1] == &b);
    CHECK(got[2] == &c);
    CHECK(c.next_submitted == nullptr);
    CHECK(q.empty());
    CHECK(q.push(&b));  // empty again after the take
    const auto again = drain(q);
    REQUIRE(again.size() == 1);
    CHECK(again[0] == &b);
}

// Producers push; each push that found the queue empty adds one wake. The consumer takes
// everything only when it has a wake it has not used, as an event loop would. A lost wake
// would leave nodes queued with no wake to take them: the consumer would stop short (the cap
// below fails the test instead of hanging).
TEST_CASE("submit_queue: many producers, nothing lost, duplicated or reordered, no wake lost", "[mux]") {
    constexpr int producers = 4;
    constexpr int per_producer = 50'000;
    std::vector<std::vector<node>> nodes(producers, std::vector<node>(per_producer));
    submit_queue<node> q;
    std::atomic<long> wakes{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            for (int i = 0; i < per_producer; ++i) {
                node& n = nodes[static_cast<std::size_t>(p)][static_cast<std::size_t>(i)];
                n.producer = p;
                n.seq = i;
                if (q.push(&n)) wakes.fetch_add(1, std::memory_order_release);
            }
        });
    }
    go.store(true, std::memory_order_release);

    std::vector<int> next_seq(producers, 0);
    long taken = 0;
    long wakes_used = 0;
    bool in_order = true;
    const auto cap = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (taken < long{producers} * per_producer && std::chrono::steady_clock::now() < cap) {
        if (wakes.load(std::memory_order_acquire) == wakes_used) {
            std::this_thread::yield();
            continue;
        }
        ++wakes_used;
        for (const node* n : drain(q)) {
            in_order = in_order && n->seq == next_seq[static_cast<std::size_t>(n->producer)];
            next_seq[static_cast<std::size_t>(n->producer)] = n->seq + 1;
            ++taken;
        }
    }
    for (auto& t : threads) t.join();
    CHECK(in_order);
    CHECK(taken == long{producers} * per_producer);
    for (int p = 0; p < producers; ++p) CHECK(next_seq[static_cast<std::size_t>(p)] == per_producer);
    CHECK(q.empty());
}
