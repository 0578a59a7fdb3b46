// redpool/async_subscriber.hpp — pub/sub for Asio programs: a `redpool::subscriber` whose
// messages are received with an Asio operation, `async_receive`.
//
//     redpool::async_subscriber sub = redis.subscriber();   // redis: a redpool::async_client
//     sub.subscribe({"news"});
//     for (;;) {
//         redpool::message m = co_await sub.async_receive(asio::use_awaitable);
//         use(m.channel, m.payload);
//     }
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include "redpool/subscriber.hpp"

namespace redpool {

namespace detail {

class subscriber_worker;

/// One pending async_receive, its handler erased.
class receive_operation {
public:
    virtual ~receive_operation() = default;
    /// Hands `m` (or the failure `ec`) to the handler, through its executor.
    virtual void deliver(std::error_code ec, message m) noexcept = 0;
    std::uint64_t id = 0;
};

template <class Handler>
class receive_operation_for final : public receive_operation {
public:
    receive_operation_for(Handler&& handler, const asio::any_io_executor& fallback)
        : handler_(std::move(handler)),
          work_(asio::prefer(asio::get_associated_executor(handler_, fallback),
                             asio::execution::outstanding_work.tracked)) {}

    void deliver(std::error_code ec, message m) noexcept override {
        work_executor work(std::move(work_));
        asio::post(work, [h = std::move(handler_), ec, m = std::move(m)]() mutable { std::move(h)(ec, std::move(m)); });
    }

private:
    using work_executor = std::decay_t<decltype(asio::prefer(
        std::declval<asio::associated_executor_t<Handler, asio::any_io_executor>>(),
        asio::execution::outstanding_work.tracked))>;
    Handler handler_;
    work_executor work_;
};

// The non-template half, in lib/client/async_subscriber.cpp.
std::uint64_t new_receive_id(subscriber_worker& worker) noexcept;
/// Takes `op`; it completes exactly once.
void start_receive(subscriber_worker& worker, receive_operation* op) noexcept;
void cancel_receive(const std::weak_ptr<subscriber_worker>& worker, std::uint64_t id) noexcept;

struct receive_canceller {
    std::weak_ptr<subscriber_worker> worker;
    std::uint64_t id;
    void operator()(asio::cancellation_type type) const noexcept {
        if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) !=
            asio::cancellation_type::none) {
            cancel_receive(worker, id);
        }
    }
};

struct initiate_receive {
    std::shared_ptr<subscriber_worker> worker;
    asio::any_io_executor fallback;

    template <class Handler>
    void operator()(Handler&& handler) const {
        using handler_type = std::decay_t<Handler>;
        auto slot = asio::get_associated_cancellation_slot(handler);
        handler_type h(std::forward<Handler>(handler));
        auto* op = new receive_operation_for<handler_type>(std::move(h), fallback);
        op->id = new_receive_id(*worker);
        if (slot.is_connected()) slot.template emplace<receive_canceller>(receive_canceller{worker, op->id});
        start_receive(*worker, op);
    }
};

}  // namespace detail

/// A `redpool::subscriber` (see there: its own connection outside the pool, health checks,
/// reconnection with every subscription restored) whose messages come through `async_receive`.
/// Made by `async_client::subscriber()`.
///
/// The subscriber is driven by a thread of its own, which waits for messages only while an
/// `async_receive` is pending (in 50 ms polls), so the (un)subscribe calls, which block until
/// the server confirmed them as `subscriber`'s do, wait at most that long for their turn. Safe
/// to use from any thread.
class async_subscriber {
public:
    using executor_type = asio::any_io_executor;

    async_subscriber(async_subscriber&&) noexcept;
    async_subscriber& operator=(async_subscriber&&) noexcept;
    /// Completes pending receives with `asio::error::operation_aborted` and closes the connection.
    ~async_subscriber();

    executor_type get_executor() const noexcept { return executor_; }

    /// As `subscriber`'s, blocking until the server confirmed; they throw as those do.
    void subscribe(std::initializer_list<std::string_view> channels);
    void subscribe(std::span<const std::string_view> channels);
    void psubscribe(std::initializer_list<std::string_view> patterns);
    void psubscribe(std::span<const std::string_view> patterns);
    void unsubscribe(std::initializer_list<std::string_view> channels = {});
    void unsubscribe(std::span<const std::string_view> channels);
    void punsubscribe(std::initializer_list<std::string_view> patterns = {});
    void punsubscribe(std::span<const std::string_view> patterns);

    /// The next message; completes with `void(std::error_code, redpool::message)`. Several may
    /// be pending: each gets the next message, in the order they were started. Fails as
    /// `subscriber::receive` throws (`errc::pool_closed` after `close()`, `errc::auth_failed`,
    /// `errc::server_error` when the server refused to restore some subscriptions after a
    /// reconnection: the next receive goes on). Cancellation (terminal or partial) completes it
    /// with `operation_aborted`; a message it was receiving meanwhile goes to the next one.
    template <class CompletionToken>
    auto async_receive(CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, void(std::error_code, message)>(
            detail::initiate_receive{worker_, executor_}, token);
    }

    /// Reconnections so far (see `subscriber::reconnects`).
    std::uint64_t reconnects() const noexcept;
    /// Closes the connection; pending and later receives fail with `errc::pool_closed`.
    void close();

private:
    friend class async_client;
    async_subscriber(asio::any_io_executor executor, subscriber sub);

    asio::any_io_executor executor_;
    std::shared_ptr<detail::subscriber_worker> worker_;
};

}  // namespace redpool
