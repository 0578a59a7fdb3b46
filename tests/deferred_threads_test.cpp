// deferred handles and their batch on different threads: a handle dropped while its batch
// still holds the result is released later, by the dropping thread (see
// deferred_slot::release_handle). These tests run under ThreadSanitizer, which checks that the
// handles and the batch never race, and under AddressSanitizer, whose leak check at exit fails
// if a dropped handle's result is never released.
#include <catch2/catch.hpp>

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
