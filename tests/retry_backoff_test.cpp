// detail::retry_backoff without a server: the upper bound doubles with each retry, draws are
// spread over the range (jitter), the cap holds, and extreme settings neither overflow nor hang.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <set>

#include "lib/client/client_core.hpp"

using namespace std::chrono_literals;
using redpool::detail::retry_backoff;
using ms = std::chrono::milliseconds;

TEST_CASE("retry backoff: each retry doubles the range, with jitter, up to the cap", "[retry]") {
    ms previous_highest{0};
    for (int retry = 0; retry < 8; ++retry) {
        INFO("retry " << retry);
        const ms upper = std::min(ms(512), ms(8) + ms(8 << retry));
        ms lowest = ms::max(), highest{0};
        std::set<long long> seen;
        for (int i = 0; i < 2000; ++i) {
            const ms b = retry_backoff(retry, 8ms, 512ms);
            lowest = std::min(lowest, b);
            highest = std::max(highest, b);
            seen.insert(b.count());
        }
        CHECK(lowest >= 8ms);
        CHECK(highest <= upper);
        CHECK(seen.size() > 5);                            // spread, not one value
        CHECK(highest >= upper - (upper - 8ms) / 4);       // reaches near the top of its range
        CHECK(highest >= previous_highest);
        previous_highest = highest;
    }
    CHECK(retry_backoff(20, 8ms, 512ms) <= 512ms);  // capped
}

TEST_CASE("retry backoff: a zero maximum disables it, extreme settings saturate", "[retry]") {
    CHECK(retry_backoff(3, 8ms, 0ms) == 0ms);
    CHECK(retry_backoff(0, 0ms, 0ms) == 0ms);
    CHECK(retry_backoff(5, 0ms, 10ms) == 0ms);  // no minimum: no spread either
    CHECK(retry_backoff(1000, ms::max(), ms::max()) == ms::max());  // saturated, not wrapped
    CHECK(retry_backoff(62, 1h, ms::max()) >= 1h);
    const auto before_first = retry_backoff(-1, 8ms, 512ms);  // read as the first retry
    CHECK(before_first >= 8ms);
    CHECK(before_first <= 16ms);
}
