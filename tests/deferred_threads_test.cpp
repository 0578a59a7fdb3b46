// deferred handles and their batch on different threads: a handle dropped while its batch
// still holds the result is released later, by the dropping thread (see
// deferred_slot::release_handle). These tests run under ThreadSanitizer, which checks that the
// handles and the batch never race, and under AddressSanitizer, whose leak check at exit fails
// if a dropped handle's result is never released.
#include <catch2/catch.hpp>

#include <atomic>
#include <barrier>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::test::check_pool_invariants;
using redpool::test::options_for;
using redpool::test::shared_server;

namespace {

std::string key(int i) { return "deferred_threads_test:" + std::to_string(i); }

constexpr int keys = 64;

void set_keys(redpool::client& redis) {
    auto p = redis.pipeline();
    for (int i = 0; i < keys; ++i) p.set(key(i), "v" + std::to_string(i));
    p.exec();
}

}  // namespace

TEST_CASE("deferred: copies dropped on another thread while the pipeline runs", "[deferred][threads]") {
    redpool::client redis(options_for(shared_server()));
    set_keys(redis);
    constexpr int commands = 3000;
    for (int round = 0; round < 5; ++round) {
        auto p = redis.pipeline();
        std::vector<redpool::deferred<std::optional<std::string>>> mine;
        std::vector<redpool::deferred<std::optional<std::string>>> theirs;
        for (int i = 0; i < commands; ++i) {
            mine.push_back(p.get(key(i % keys)));
            theirs.push_back(mine.back());
        }
        // The other thread drops its copies (some before, some during, some after exec),
        // while this one runs the batch and reads its own.
        std::barrier start(2);
        std::thread dropper([&] {
            start.arrive_and_wait();
            while (!theirs.empty()) theirs.pop_back();
        });
        start.arrive_and_wait();
        const auto replies = p.exec();
        dropper.join();
        REQUIRE(replies.size() == static_cast<std::size_t>(commands));
        for (int i = 0; i < commands; ++i) {
            REQUIRE(mine[static_cast<std::size_t>(i)].get() == "v" + std::to_string(i % keys));
        }
    }
    check_pool_invariants(redis);
}

TEST_CASE("deferred: a pipeline built on a thread that drops every handle and ends, run on another",
          "[deferred][threads]") {
    redpool::client redis(options_for(shared_server()));
    set_keys(redis);
    // More handles than a thread keeps for later (1,024), so some are released at once, the
    // rest when the thread ends; the batch, moved here, releases its own references last.
    constexpr int commands = 2500;
    std::promise<redpool::pipeline> built;
    std::thread builder([&] {
        auto p = redis.pipeline();
        for (int i = 0; i < commands; ++i) (void)p.get(key(i % keys));
        built.set_value(std::move(p));
    });
    redpool::pipeline p = built.get_future().get();
    builder.join();
    const auto replies = p.exec();
    REQUIRE(replies.size() == static_cast<std::size_t>(commands));
    for (int i = 0; i < commands; ++i) {
        REQUIRE(replies[static_cast<std::size_t>(i)].as_string() == "v" + std::to_string(i % keys));
    }
    check_pool_invariants(redis);
}

TEST_CASE("deferred: a handle kept by another thread outlives the pipeline and its thread's drops",
          "[deferred][threads]") {
    redpool::client redis(options_for(shared_server()));
    set_keys(redis);
    redpool::deferred<std::optional<std::string>> kept;
    {
        auto p = redis.pipeline();
        auto first = p.get(key(1));
        kept = first;
        for (int i = 0; i < 100; ++i) (void)p.get(key(2));  // dropped: released later, by this thread
        p.exec();
        CHECK(first.get() == "v1");
    }  // the pipeline, and `first`, are gone: `kept` is the last holder
    std::thread reader([kept] { CHECK(kept.get() == "v1"); });
    reader.join();
    CHECK(kept.get() == "v1");
    check_pool_invariants(redis);
}

namespace {

// A result that counts its live copies, so a test can see when a deferred's result is freed.
struct counted {
    static inline std::atomic<int> live{0};
    std::string value;
    explicit counted(std::string v) : value(std::move(v)) { ++live; }
    counted(const counted& other) : value(other.value) { ++live; }
    counted(counted&& other) noexcept : value(std::move(other.value)) { ++live; }
    counted& operator=(const counted&) = default;
    counted& operator=(counted&&) = default;
    ~counted() { --live; }
};

counted read_counted(redpool::reply&& r) { return counted(r.take_string()); }

}  // namespace

TEST_CASE("deferred: a result is freed as soon as its last holder drops it, whichever thread dropped copies",
          "[deferred][threads]") {
    redpool::client redis(options_for(shared_server()));
    set_keys(redis);
    const int live_before = counted::live;
    std::vector<redpool::deferred<counted>> copies;
    std::barrier dropped(2);
    std::barrier checked(2);
    std::thread worker;
    {
        auto p = redis.pipeline();
        for (int i = 0; i < 100; ++i) copies.push_back(p.run(redpool::command<counted>({"GET", key(1)}, &read_counted)));
        p.exec();
        REQUIRE(counted::live - live_before == 100);
        // A thread that runs batches too (so it keeps the releases of handles dropped before
        // their batch ran) drops its copies of these settled results, and stays alive.
        worker = std::thread([&redis, &dropped, &checked, mine = copies]() mutable {
            auto own = redis.pipeline();
            (void)own.get(key(2));
            own.exec();
            mine.clear();
            dropped.arrive_and_wait();
            checked.arrive_and_wait();
        });
        dropped.arrive_and_wait();
        CHECK(copies[0].get().value == "v1");
    }  // the pipeline is gone
    copies.clear();  // the last holders
    CHECK(counted::live == live_before);  // now, not when the worker ends
    checked.arrive_and_wait();
    worker.join();
    check_pool_invariants(redis);
}
