// redpool/subscriber.hpp — pub/sub: a connection of its own that receives the messages of the
// channels, patterns and shard channels it subscribes to, and survives a dropped connection.
//
//     redpool::subscriber sub = redis.subscriber();
//     sub.subscribe({"news"});
//     while (auto m = sub.receive(std::chrono::seconds(1))) use(m->channel, m->payload);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

namespace redpool {

namespace detail {
class subscriber_session;
}

/// A message published to a channel the subscriber listens to.
struct message {
    enum class kind_type {
        message,   ///< to a channel given to `subscribe`
        pmessage,  ///< to a channel matching a pattern given to `psubscribe`
        smessage,  ///< to a shard channel given to `ssubscribe`
    };
    kind_type kind = kind_type::message;
    /// The channel it was published to.
    std::string channel;
    /// The pattern it matched (`pmessage` only; empty otherwise).
    std::string pattern;
    /// What was published.
    std::string payload;
};

/// A pub/sub connection, dialed with the client's options but outside its pool: it never takes
/// one of the pool's turns, and never enters the pool.
///
/// Each (un)subscribe call returns once the server has confirmed every channel or pattern it
/// names (messages that arrive meanwhile are kept for `receive`). While `receive` waits, the
/// connection is checked with PING every `options::health_check_interval` of silence; when it
/// drops (killed, server restarted, output buffer limit) the subscriber dials again with
/// jittered backoff (`min_retry_backoff` .. `max_retry_backoff`) and subscribes again to every
/// channel, pattern and shard channel it had. Messages published meanwhile are lost:
/// `reconnects()` counts the reconnections so that callers can tell a gap may have happened.
///
/// Belongs to one thread at a time.
class subscriber {
public:
    subscriber(subscriber&&) noexcept;
    subscriber& operator=(subscriber&&) noexcept;
    /// Closes the connection.
    ~subscriber();

    /// SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE. Throw `redpool::error` if the server cannot be
    /// reached (the subscription is still remembered, and made on the next reconnection) and
    /// `reply_error` if it refuses one.
    void subscribe(std::initializer_list<std::string_view> channels);
    void subscribe(std::span<const std::string_view> channels);
    void psubscribe(std::initializer_list<std::string_view> patterns);
    void psubscribe(std::span<const std::string_view> patterns);
    void ssubscribe(std::initializer_list<std::string_view> channels);
    void ssubscribe(std::span<const std::string_view> channels);
    /// UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE; an empty list means every one.
    void unsubscribe(std::initializer_list<std::string_view> channels = {});
    void unsubscribe(std::span<const std::string_view> channels);
    void punsubscribe(std::initializer_list<std::string_view> patterns = {});
    void punsubscribe(std::span<const std::string_view> patterns);
    void sunsubscribe(std::initializer_list<std::string_view> channels = {});
    void sunsubscribe(std::span<const std::string_view> channels);

    /// The next message, waiting up to `timeout` for one; nullopt if none came. Reconnects as
    /// needed meanwhile (see above); throws only when `close()` was called or the options make
    /// reconnecting impossible (`errc::auth_failed`, `errc::invalid_argument`).
    std::optional<message> receive(std::chrono::milliseconds timeout);

    /// Callback style, for a thread of its own: calls `on_message` for every message until
    /// `stop` is requested (checked at least every `poll` interval).
    void run(const std::function<void(const message&)>& on_message, std::stop_token stop,
             std::chrono::milliseconds poll = std::chrono::milliseconds(100));

    /// How many times the connection was dialed again after it dropped.
    std::uint64_t reconnects() const noexcept;

    /// Closes the connection; later calls throw `errc::pool_closed`. Idempotent.
    void close() noexcept;

private:
    friend class client;
    explicit subscriber(std::unique_ptr<detail::subscriber_session> session) noexcept;

    std::unique_ptr<detail::subscriber_session> session_;
};

}  // namespace redpool
