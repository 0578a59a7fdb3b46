// redis_bench's tests: the commands redis-benchmark 7 sends for each, with its key
// placeholders, and the run order (LRANGE tests are preceded by the LPUSH that fills the list).
#pragma once

#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace redis_bench {

/// "__rand_int__": replaced by 12 random digits with -r, left as is without (redis-benchmark).
inline constexpr std::string_view rand_placeholder = "__rand_int__";

struct test_spec {
    std::string title;              // as printed: "GET", "MSET (10 keys)"
    std::vector<std::string> args;  // one request; args may contain rand_placeholder
    bool inline_command = false;    // PING_INLINE: sent as "PING\r\n"
};

/// The tests to run for `cfg`, in order, each with its data value of `-d` bytes.
std::vector<test_spec> plan_tests(const config& cfg);

/// One request's bytes, repeated `count` times, and where every placeholder sits in them.
struct encoded_batch {
    std::string bytes;
    std::vector<std::size_t> placeholders;   // offsets of the 12-byte placeholders
    std::vector<std::size_t> request_ends;   // end offset of each request
};

encoded_batch encode_batch(const test_spec& spec, int count);

/// Draws random keys for the placeholders (-r).
class key_randomizer {
public:
    explicit key_randomizer(long keyspace, unsigned seed);
    bool enabled() const noexcept { return keyspace_ > 0; }
    /// Overwrites the 12 bytes at `at` with a zero-padded random number below the keyspace.
    void fill(char* at);
    /// A copy of `arg` with each placeholder replaced (for sync mode).
    std::string fill_copy(const std::string& arg);

private:
    long keyspace_;
    std::minstd_rand engine_;
};

/// One request after another of a test, its keys randomized, as arguments for a client call
/// (sync and client modes).
class request_args {
public:
    request_args(const test_spec& spec, long keyspace, unsigned seed)
        : spec_(spec), keys_(keyspace, seed), args_(spec.args.size()), views_(spec.args.size()) {}

    /// The next request's arguments, valid until the next call.
    std::span<const std::string_view> next() {
        for (std::size_t i = 0; i < args_.size(); ++i) {
            args_[i] = keys_.fill_copy(spec_.args[i]);
            views_[i] = args_[i];
        }
        return views_;
    }

private:
    const test_spec& spec_;
    key_randomizer keys_;
    std::vector<std::string> args_;
    std::vector<std::string_view> views_;
};

}  // namespace redis_bench
