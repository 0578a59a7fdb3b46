// The async mode: each connection writes a batch of -P requests, reads their replies, and
// writes the next batch, on one of --threads Asio event loops. Connections are dialed (with
// the handshake) by redpool's own connection code, then handed to Asio.
#include <sys/socket.h>
#include <unistd.h>

#include <asio.hpp>
#include <fmt/format.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/net/connection.hpp"
#include "lib/protocol/protocol.hpp"
#include "progress.hpp"
#include "redpool/error.hpp"
#include "run_state.hpp"
#include "runner.hpp"

namespace redis_bench {
namespace {

using clock = run_state::clock;

// A dialed, authenticated socket, released from redpool's connection to an Asio socket.
asio::generic::stream_protocol::socket adopt(asio::io_context& io, const redpool::options& server) {
    auto conn = redpool::detail::connection::open(server);
    const int fd = conn->release();
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const int family = addr.ss_family;
    asio::generic::stream_protocol protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP);
    try {
        return asio::generic::stream_protocol::socket(io, protocol, fd);
    } catch (...) {
        ::close(fd);
        throw;
    }
}

class bench_connection {
public:
    bench_connection(asio::generic::stream_protocol::socket socket, const test_spec& spec,
                     const config& cfg, latency_histogram& latency, unsigned seed)
        : socket_(std::move(socket)),
          batch_(encode_batch(spec, cfg.pipeline)),
          pipeline_(cfg.pipeline),
          keys_(cfg.keyspace, seed),
          reader_({std::size_t{1} << 30, std::size_t{1} << 28, 7}),
          latency_(latency) {}

    void start(run_state& state) {
        state_ = &state;
        next_batch();
    }

private:
    void next_batch() {
        expected_ = state_->claim(pipeline_);
        if (expected_ == 0) return;  // the test is over: leave the event loop
        received_ = 0;
        const std::size_t end = batch_.request_ends[static_cast<std::size_t>(expected_ - 1)];
        if (keys_.enabled()) {
            for (std::size_t at : batch_.placeholders) {
                if (at < end) keys_.fill(batch_.bytes.data() + at);
            }
        }
        sent_at_ = clock::now();
        asio::async_write(socket_, asio::buffer(batch_.bytes.data(), end),
                          [this](const asio::error_code& ec, std::size_t) {
                              if (ec) return fail(ec.message());
                              read_more();
                          });
    }

    void read_more() {
        socket_.async_read_some(asio::buffer(buffer_), [this](const asio::error_code& ec, std::size_t n) {
            if (ec) return fail(ec == asio::error::eof ? "connection closed by server" : ec.message());
            try {
                consume(n);
            } catch (const redpool::error& e) {
                return fail(e.what());
            }
            if (received_ == expected_) next_batch();
            else read_more();
        });
    }

    // Every request of a batch counts from the batch's write to the read that completed it.
    void consume(std::size_t n) {
        reader_.feed(buffer_, n);
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - sent_at_).count();
        long parsed = 0, errors = 0;
        while (received_ < expected_ && reader_.next(reply_)) {
            ++received_;
            ++parsed;
            if (reply_.is_error()) ++errors;
            latency_.record(static_cast<std::uint64_t>(ns));
        }
        state_->done(parsed, errors);
    }

    void fail(const std::string& why) { state_->fail(why); }

    asio::generic::stream_protocol::socket socket_;
    encoded_batch batch_;
    const long pipeline_;
    key_randomizer keys_;
    redpool::detail::reply_reader reader_;
    redpool::reply reply_;
    run_state* state_ = nullptr;
    latency_histogram& latency_;
    clock::time_point sent_at_;
    long expected_ = 0;
    long received_ = 0;
    char buffer_[16 * 1024];
};

struct event_loop {
    asio::io_context io{1};
    latency_histogram latency;
    std::vector<std::unique_ptr<bench_connection>> connections;
};

// Ends the test when no reply has arrived for `limit`: the event loops have no deadlines of
// their own, so a server that stops answering would otherwise hang them (and --duration).
class stall_watchdog {
public:
    stall_watchdog(run_state& state, std::vector<std::unique_ptr<event_loop>>& loops,
                   std::chrono::seconds limit)
        : thread_([this, &state, &loops, limit] { watch(state, loops, limit); }) {}

    ~stall_watchdog() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

private:
    void watch(run_state& state, std::vector<std::unique_ptr<event_loop>>& loops, std::chrono::seconds limit) {
        long seen = -1;
        auto since = clock::now();
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
            const long done = state.finished();
            if (done != seen) {
                seen = done;
                since = clock::now();
            } else if (clock::now() - since >= limit) {
                state.fail(fmt::format("no reply from the server for {} s", limit.count()));
                for (auto& loop : loops) loop->io.stop();
                return;
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;  // guarded by mutex_
    std::thread thread_;
};

std::optional<clock::time_point> deadline_of(const config& cfg) {
    if (!cfg.duration) return std::nullopt;
    return clock::now() + *cfg.duration;
}

}  // namespace

test_result run_async(const config& cfg, const test_spec& spec, const redpool::options& server) {
    const int loops = std::min(cfg.threads, cfg.clients);
    std::vector<std::unique_ptr<event_loop>> workers;
    for (int i = 0; i < loops; ++i) workers.push_back(std::make_unique<event_loop>());
    for (int c = 0; c < cfg.clients; ++c) {
        auto& loop = *workers[static_cast<std::size_t>(c % loops)];
        loop.connections.push_back(std::make_unique<bench_connection>(
            adopt(loop.io, server), spec, cfg, loop.latency, 0x5eed + static_cast<unsigned>(c)));
    }
    run_state live(cfg.requests, deadline_of(cfg));  // the clock starts once all are connected
    redpool::bench::measurement m;
    m.start();
    {
        progress_line progress(spec.title, live, show_progress(cfg));
        stall_watchdog watchdog(live, workers, std::chrono::seconds(10));
        for (auto& loop : workers) {
            for (auto& conn : loop->connections) conn->start(live);
        }
        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < workers.size(); ++i) {
            threads.emplace_back([&loop = *workers[i]] { loop.io.run(); });
        }
        workers[0]->io.run();
        for (auto& t : threads) t.join();
    }
    m.stop();
    test_result result = finish_test(spec.title, live, m);
    for (auto& loop : workers) result.latency.merge(loop->latency);
    return result;
}

}  // namespace redis_bench
