// The main() of every test binary: Catch2's runner plus a listener that prints one machine-read
// line with the number of passed and failed test cases, which tests/run_all.sh adds up.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdio>

namespace {

class count_listener : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testRunEnded(const Catch::TestRunStats& stats) override {
        const auto& cases = stats.totals.testCases;
        std::printf("redpool-test-cases: passed=%zu failed=%zu\n",
                    static_cast<std::size_t>(cases.passed + cases.failedButOk),
                    static_cast<std::size_t>(cases.failed));
        std::fflush(stdout);
    }
};

}  // namespace

CATCH_REGISTER_LISTENER(count_listener)
