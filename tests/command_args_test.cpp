// detail::args_builder without a server: the arguments it gathers, numbers formatted inline or
// spilled, through a move.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "lib/commands/command_args.hpp"

TEST_CASE("args_builder: a moved builder keeps its numbers, inline and spilled", "[command_args]") {
    using redpool::detail::args_builder;
    auto texts = [](const redpool::command<long long>& c) {
        return std::vector<std::string>(c.args().begin(), c.args().end());
    };
    args_builder small("ZADD");
    small.add("k").add_double(1.5).add("m").add_integer(-42);
    args_builder moved(std::move(small));
    CHECK(texts(moved.build<long long>()) == std::vector<std::string>{"ZADD", "k", "1.5", "m", "-42"});

    // More than the 16 inline views and 4 inline numbers: both spill, and survive a move too.
    args_builder big("RPUSH");
    big.add("k");
    std::vector<std::string> expected{"RPUSH", "k"};
    for (int i = 0; i < 20; ++i) {
        big.add_integer(i * 1000);
        expected.push_back(std::to_string(i * 1000));
    }
    big.add_timeout_seconds(std::chrono::milliseconds(1500));
    expected.push_back("1.500");
    args_builder big_moved(std::move(big));
    CHECK(texts(big_moved.build<long long>()) == expected);
    CHECK(big_moved.size() == expected.size());
}
