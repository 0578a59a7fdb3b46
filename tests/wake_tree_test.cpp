// detail::wake_tree and sync_request: the callers of one read's replies are woken as a tree,
// each woken caller waking two more. A wake-up lost anywhere leaves a caller asleep for good
// (these wait without a deadline), so every case checks that all callers came back; the cap on
// that wait only stops a hang. Callers are caught in each state the tree must handle: asleep,
// not asleep yet (they find `done` by themselves and must still pass the wake-ups on), and
// gone (they gave up: the publisher passes their wake-ups on). Runs under ThreadSanitizer.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "lib/mux/sync_request.hpp"
#include "tests/support/test_helpers.hpp"

using namespace std::chrono_literals;
using redpool::detail::sync_request;
using redpool::detail::wake_tree;
using redpool::test::eventually;

namespace {

enum class caller_kind { sleeps, comes_late, gives_up };

// One round: n callers of the given kinds wait on their requests; the publisher (this thread,
// as the event loop) delivers them all in one tree. Returns how many callers saw their reply.
int run_round(const std::vector<caller_kind>& kinds) {
    const std::size_t n = kinds.size();
    const char wire[] = "*1\r\n$4\r\nPING\r\n";
    std::vector<sync_request*> requests;
    for (std::size_t i = 0; i < n; ++i) requests.push_back(new sync_request({wire, sizeof wire - 1}));

    std::atomic<int> returned{0};
    std::atomic<int> saw_reply{0};
    std::atomic<int> wrong_reply{0};  // counted here: Catch's assertions are not thread-safe
    std::atomic<int> gone{0};
    std::atomic<bool> published{false};
    std::vector<std::jthread> callers;
    for (std::size_t i = 0; i < n; ++i) {
        callers.emplace_back([&, i] {
            sync_request* r = requests[i];
            bool got = false;
            switch (kinds[i]) {
                case caller_kind::sleeps:  // no deadline: only a wake-up brings it back
                    got = r->wait(std::chrono::steady_clock::time_point::max());
                    break;
                case caller_kind::comes_late:  // first looks once the tree is published
                    while (!published.load()) std::this_thread::yield();
                    got = r->wait(std::chrono::steady_clock::time_point::max());
                    break;
                case caller_kind::gives_up:  // its deadline has passed: it leaves at once
                    got = r->wait(std::chrono::steady_clock::now() - 1s);
                    break;
            }
            if (got) {
                ++saw_reply;
                if (r->result.as_string() != "PONG" || r->error()) ++wrong_reply;
            } else {
                ++gone;
            }
            r->dispose();  // the caller's share
            ++returned;
        });
    }
    // Those giving up are gone before the publishing, as they must be to count as gone. Most
    // sleepers are asleep by now; any that are not take the "not asleep yet" path, also right.
    const auto giving_up = std::count(kinds.begin(), kinds.end(), caller_kind::gives_up);
    REQUIRE(eventually([&] { return gone.load() == giving_up; }, 20s));
    std::this_thread::sleep_for(2ms);
    wake_tree tree;
    for (sync_request* r : requests) {
        r->result = redpool::reply::make_status("PONG");
        r->deliver_among(tree);
    }
    tree.publish();
    published = true;
    for (sync_request* r : requests) r->dispose();  // the library's share, after publishing
    REQUIRE(eventually([&] { return returned.load() == static_cast<int>(n); }, 20s));
    CHECK(wrong_reply == 0);
    return saw_reply.load();
}

}  // namespace

TEST_CASE("wake_tree: every sleeping caller is woken, in trees of 1 to 70", "[mux]") {
    for (std::size_t n : {1, 2, 3, 4, 5, 7, 8, 15, 16, 33, 64, 70}) {
        INFO(n << " callers");
        CHECK(run_round(std::vector<caller_kind>(n, caller_kind::sleeps)) == static_cast<int>(n));
    }
}

TEST_CASE("wake_tree: callers not yet asleep pass the wake-ups on; those gone leave them to the publisher",
          "[mux]") {
    // The roots and inner nodes that gave up or came late are the cases a wake-up could be lost
    // at: every position of each kind, in a tree of 15, and random mixes.
    for (caller_kind odd_one : {caller_kind::comes_late, caller_kind::gives_up}) {
        for (std::size_t at = 0; at < 15; ++at) {
            std::vector<caller_kind> kinds(15, caller_kind::sleeps);
            kinds[at] = odd_one;
            INFO("kind " << static_cast<int>(odd_one) << " at " << at);
            CHECK(run_round(kinds) == (odd_one == caller_kind::gives_up ? 14 : 15));
        }
    }
    std::mt19937 random(12345);
    for (int round = 0; round < 30; ++round) {
        std::vector<caller_kind> kinds(1 + random() % 64);
        int gave_up = 0;
        for (auto& k : kinds) {
            k = static_cast<caller_kind>(random() % 3);
            if (k == caller_kind::gives_up) ++gave_up;
        }
        INFO("round " << round);
        CHECK(run_round(kinds) == static_cast<int>(kinds.size()) - gave_up);
    }
}
