// Host-name lookups on a thread of their own, waited for with a deadline.
#include "lib/net/resolve.hpp"

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <asio.hpp>
#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using endpoints = std::vector<asio::ip::tcp::endpoint>;

// What the lookup thread and the waiting dial share; the last of the two to let go frees it.
struct lookup_state {
    std::mutex mu;
    std::condition_variable_any done_cv;
    bool done = false;                   // guarded by mu
    endpoints found;                     // guarded by mu
    std::exception_ptr failure;          // guarded by mu
};

}  // namespace

endpoints system_lookup(const std::string& host, int port) {
    asio::io_context io(1);
    asio::ip::tcp::resolver resolver(io);
    asio::error_code ec;
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) throw error(errc::io_error, fmt::format("resolving {} failed: {}", host, ec.message()));
    endpoints found;
    for (const auto& entry : results) found.push_back(entry.endpoint());
    return found;
}

endpoints resolve_within(const std::string& host, int port, std::chrono::steady_clock::time_point deadline,
                         std::stop_token stop, const host_lookup& lookup, long long dial_timeout_ms) {
    auto state = std::make_shared<lookup_state>();
    std::thread([state, lookup, host, port] {
        endpoints found;
        std::exception_ptr failure;
        try {
            found = lookup(host, port);
        } catch (...) {
            failure = std::current_exception();
        }
        std::lock_guard lock(state->mu);
        state->found = std::move(found);
        state->failure = failure;
        state->done = true;
        state->done_cv.notify_all();
    }).detach();

    std::unique_lock lock(state->mu);
    const auto finished = [&] { return state->done; };
    const bool done = deadline == std::chrono::steady_clock::time_point::max()
                          ? state->done_cv.wait(lock, stop, finished)
                          : state->done_cv.wait_until(lock, stop, deadline, finished);
    if (!done && stop.stop_requested()) {
        throw error(errc::io_error, fmt::format("dial {}:{}: canceled while resolving", host, port));
    }
    if (!done) {
        throw error(errc::connect_timeout, fmt::format("dial {}:{}: resolving did not finish within {}ms",
                                                       host, port, dial_timeout_ms));
    }
    if (state->failure) std::rethrow_exception(state->failure);
    if (state->found.empty()) throw error(errc::io_error, fmt::format("dial {}:{}: no address found", host, port));
    return std::move(state->found);
}

}  // namespace redpool::detail
