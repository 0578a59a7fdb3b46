// The client mode: -c callers (coroutines) share one redpool::async_client, each awaiting one
// request at a time, on --threads threads running one io_context. The library pipelines their
// concurrent requests by itself, so this measures what a program embedding async_client gets;
// the result carries the pool's stats, batch size included (mux_requests / mux_writes).
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <redpool/async_client.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "progress.hpp"
#include "run_state.hpp"
#include "runner.hpp"

namespace redis_bench {
namespace {

using clock = run_state::clock;

asio::awaitable<void> caller(redpool::async_client& client, const test_spec& spec, long keyspace, unsigned seed,
                             run_state& state, latency_histogram& latency) {
    request_args requests(spec, keyspace, seed);
    while (state.claim(1) == 1) {
        const std::span<const std::string_view> args = requests.next();
        const auto start = clock::now();
        auto [ec, reply] = co_await client.async_exec(args, asio::experimental::as_tuple(asio::use_awaitable));
        latency.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start).count()));
        // A pool timeout is a measurement here (it shows in the pool's stats), not a failure.
        if (ec && ec != redpool::errc::pool_timeout) state.fail("async_client: " + ec.message());
        state.done(1, ec || reply.is_error() ? 1 : 0);
    }
}

}  // namespace

test_result run_client(const config& cfg, const test_spec& spec, const redpool::options& server) {
    asio::io_context io(cfg.threads);
    const redpool::options opts = pool_options(cfg, server);
    auto owned = std::make_unique<redpool::async_client>(io.get_executor(), opts);
    redpool::async_client& client = *owned;
    // Fails at once, with a clear error, if the server is unusable; and brings the connection.
    std::optional<std::error_code> ping;
    client.async_exec({"PING"}, [&](std::error_code ec, redpool::reply) { ping = ec; });
    const auto give_up = clock::now() + std::chrono::seconds(10);
    while (!ping && clock::now() < give_up) io.run_one_for(std::chrono::milliseconds(100));
    if (!ping) throw std::runtime_error("PING: no reply within 10 s");
    if (*ping) throw std::runtime_error("PING: " + ping->message());
    std::vector<latency_histogram> latencies(static_cast<std::size_t>(cfg.clients));
    run_state state(cfg.requests, cfg.duration ? std::optional(clock::now() + *cfg.duration) : std::nullopt);
    auto remaining = std::make_shared<std::atomic<int>>(cfg.clients);
    redpool::bench::measurement m;
    m.start();
    {
        progress_line progress(spec.title, state, show_progress(cfg));
        for (int c = 0; c < cfg.clients; ++c) {
            asio::co_spawn(io,
                           caller(client, spec, cfg.keyspace, 0x5eed + static_cast<unsigned>(c), state,
                                  latencies[static_cast<std::size_t>(c)]),
                           [&io, remaining](std::exception_ptr) {
                               // The last caller ends the run: the client's connections keep
                               // the io_context busy otherwise.
                               if (remaining->fetch_sub(1) == 1) io.stop();
                           });
        }
        std::vector<std::thread> threads;
        for (int t = 1; t < cfg.threads; ++t) threads.emplace_back([&io] { io.run(); });
        io.run();
        for (auto& t : threads) t.join();
    }
    m.stop();
    test_result result = finish_test(spec.title, state, m);
    for (const auto& h : latencies) result.latency.merge(h);
    result.pool = client.pool_stats();
    // The client closes its connections on the event loop: let it, before the loop goes.
    owned.reset();
    io.restart();
    io.run_for(std::chrono::seconds(2));
    return result;
}

}  // namespace redis_bench
