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

class async_client;

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
/// one of the pool's turns, and never enters the pool. It dials lazily, on the first subscribe,
/// and keeps its own copy of the options, so it goes on working after the client is closed or
/// destroyed.
///
/// Each (un)subscribe call returns once the server has confirmed every channel or pattern it
/// names (messages that arrive meanwhile are kept for `receive`). While `receive` waits, the
/// connection is checked with PING every `options::health_check_interval` of silence, and a
/// PING unanswered within `read_timeout` counts as a dead connection. When it drops (killed,
/// server restarted, output buffer limit, silent death) the subscriber dials again — at once
/// after a connection that lived at least `max_retry_backoff`, else after a jittered backoff
/// (`min_retry_backoff` .. `max_retry_backoff`), as between failed dials, so a server that
/// keeps dropping it is never dialed in a tight loop — and subscribes again to every channel,
/// pattern and shard channel it had. Messages published meanwhile are lost: `reconnects()`
/// counts the reconnections so that callers can tell a gap may have happened.
///
/// Unlike commands, which give up after `max_retries`, a subscriber redials for as long as it
/// is used, so a zero backoff (which commands take as "retry at once") would make it dial in a
/// tight loop while the server is down: here a zero `max_retry_backoff` means 100 ms (also as
/// the life after which a dropped connection is dialed again at once), and a zero
/// `min_retry_backoff` means 100 ms or `max_retry_backoff`, whichever is less.
///
/// A refusal concerns names, never the connection: when the server refuses some names while
/// they are restored (e.g. the user's ACL channel permissions changed — Redis then also drops
/// the connection), those names alone are forgotten; the connection and every other
/// subscription stay. The next `receive` throws one `reply_error` that names them (the server's
/// message first, so `prefix()` is its error code, e.g. `NOPERM`), once; or the `subscribe`
/// call whose own names they are, when the restore happened on its dial.
///
/// Belongs to one thread at a time (hand it to the thread that calls `run`, and take it back
/// after that thread stopped); only `reconnects()` may be read from any thread meanwhile.
class subscriber {
public:
    subscriber(subscriber&&) noexcept;
    subscriber& operator=(subscriber&&) noexcept;
    /// Closes the connection.
    ~subscriber();

    /// SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE. Names already subscribed to are fine; an empty
    /// list does nothing. Throw `redpool::error` if the server cannot be reached (the
    /// subscription is still remembered, and made on the next reconnection) and `reply_error`
    /// naming the names the server refuses (e.g. `NOPERM`): those this call added are
    /// forgotten, the others of the call are subscribed all the same. A connection found
    /// dropped is dialed again at once, and the call goes on on the new one (a refusal there
    /// of older names is left for `receive` to report).
    void subscribe(std::initializer_list<std::string_view> channels);
    void subscribe(std::span<const std::string_view> channels);
    void psubscribe(std::initializer_list<std::string_view> patterns);
    void psubscribe(std::span<const std::string_view> patterns);
    void ssubscribe(std::initializer_list<std::string_view> channels);
    void ssubscribe(std::span<const std::string_view> channels);
    /// UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE; an empty list means every one of the kind.
    /// Names not subscribed to are fine. The names are forgotten even if the call throws, so
    /// no reconnection restores them. Messages to them that were already under way may still
    /// be received.
    void unsubscribe(std::initializer_list<std::string_view> channels = {});
    void unsubscribe(std::span<const std::string_view> channels);
    void punsubscribe(std::initializer_list<std::string_view> patterns = {});
    void punsubscribe(std::span<const std::string_view> patterns);
    void sunsubscribe(std::initializer_list<std::string_view> channels = {});
    void sunsubscribe(std::span<const std::string_view> channels);

    /// The next message, waiting up to `timeout` for one (zero: only what has arrived); nullopt
    /// if none came. Reconnects as needed meanwhile (see above); a dial under way, with the
    /// restore that follows it, may make it return up to `dial_timeout` + `read_timeout` late
    /// (+ another `read_timeout` when the restore meets a refusal and asks name by name).
    /// Throws only when `close()` was called (`errc::pool_closed`), when the options make
    /// reconnecting impossible (`errc::auth_failed`, `errc::invalid_argument`, or what
    /// `on_connect` throws; the next call tries again), or once after the server refused to
    /// restore some subscriptions (`reply_error` naming them; they are forgotten, the rest are
    /// restored, and the next call goes on receiving — messages already read are kept for it).
    std::optional<message> receive(std::chrono::milliseconds timeout);

    /// Callback style, for a thread of its own: calls `on_message` for every message until
    /// `stop` is requested. The request is checked at least every `poll` interval, and cancels
    /// a dial under way at once; but two steps are finished first: restoring the subscriptions
    /// on a connection just dialed (up to `read_timeout`, twice that after a refusal), and
    /// writing a health PING (up to `write_timeout`, only when the socket's buffer is full).
    /// Throws what `receive` throws (a `reply_error` for refused restores ends it: call it
    /// again to go on), and what `on_message` throws.
    void run(const std::function<void(const message&)>& on_message, std::stop_token stop,
             std::chrono::milliseconds poll = std::chrono::milliseconds(100));

    /// How many times the connection was dialed again after it dropped (the first dial, even
    /// a late one, does not count). Safe to read from any thread.
    std::uint64_t reconnects() const noexcept;

    /// Closes the connection; later calls throw `errc::pool_closed`. Idempotent.
    void close() noexcept;

private:
    friend class client;
    friend class cluster_client;
    friend class async_client;
    explicit subscriber(std::unique_ptr<detail::subscriber_session> session) noexcept;
    // The session; a moved-from subscriber throws `errc::pool_closed`, as a closed one does.
    detail::subscriber_session& session() const;

    std::unique_ptr<detail::subscriber_session> session_;
};

}  // namespace redpool
