// detail::subscriber_session — what a redpool::subscriber is: one connection dialed outside the
// pool, the channels, patterns and shard channels it must be subscribed to, the messages read
// while waiting for something else, the health PING, and the reconnection that restores it all.
//
// The remembered subscriptions are the truth; the connection follows them. A subscribe call
// records its names before anything is sent, an unsubscribe call forgets them first, so that
// whatever happens to the connection meanwhile, the next dial restores exactly what the caller
// asked for. Each call that changes subscriptions ends with `PING <token>`: every confirmation
// and refusal of the call comes back before that pong, so the call knows it is done without
// counting confirmations (UNSUBSCRIBE with no names confirms a number of channels it does not
// say in advance).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

#include "lib/net/connection.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"
#include "redpool/subscriber.hpp"

namespace redpool::detail {

/// The three kinds of subscription, each with its own commands.
enum class subscription_kind { channel, pattern, shard_channel };

class subscriber_session {
public:
    using clock = std::chrono::steady_clock;

    explicit subscriber_session(std::shared_ptr<const options> opts);
    subscriber_session(const subscriber_session&) = delete;
    subscriber_session& operator=(const subscriber_session&) = delete;

    /// SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE `names`, returning once the server confirmed them.
    void subscribe(subscription_kind kind, std::span<const std::string_view> names);
    /// UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE `names`; every one of the kind when empty.
    void unsubscribe(subscription_kind kind, std::span<const std::string_view> names);

    /// The next message before `deadline`, reconnecting as needed; nullopt when none came or
    /// `stop` was requested (which also cancels a dial in progress).
    std::optional<message> receive(clock::time_point deadline, std::stop_token stop = {});

    std::uint64_t reconnects() const noexcept { return reconnects_.load(std::memory_order_relaxed); }
    void close() noexcept;

private:
    using name_set = std::set<std::string, std::less<>>;

    void check_open() const;
    bool has_subscriptions() const noexcept;
    name_set& remembered(subscription_kind kind) noexcept;

    // A (un)subscribe command on the current connection, confirmed. When the connection fails
    // (killed, the server restarted, perhaps long before this call noticed), it is dropped and
    // one immediate dial restores every subscription, this change included: the caller's turn,
    // so no backoff. Throws the dial's error, or reply_error if the server refused the change.
    void change(std::span<const std::string_view> args);
    // Sends `args`, then PING with a fresh token, and reads until that pong (`ping_and_await`):
    // messages meanwhile go to the inbox; the first refusal is thrown once the pong is in.
    // Transport failures throw; `what` names the wait in a timeout's message.
    void confirmed(connection& conn, std::span<const std::string_view> args);
    void ping_and_await(connection& conn, std::string_view what);
    // Sorts one unsolicited reply: a message is queued, confirmations and pongs are dropped,
    // a malformed one throws protocol_error.
    void take(reply&& r);

    // Dials and subscribes again to everything remembered; counts a reconnection when the
    // connection had dropped. Throws the dial's error, or reply_error if the server refused a
    // subscription (the new connection is then closed).
    void connect_and_restore(std::stop_token stop);
    // Same, and any failure delays receive's next dial by a backoff.
    void dial_now(std::stop_token stop);
    // receive's dial: a failure that may pass is only scheduled again, not thrown.
    void redial(std::stop_token stop);
    void back_off() noexcept;
    void lose_connection() noexcept;
    // The health check, once receive's wait found nothing: a PING after health_check_interval
    // of silence, a dead connection when its pong is late.
    void check_health(clock::time_point now);
    clock::time_point health_due() const noexcept;
    void heard(clock::time_point now) noexcept;

    const std::shared_ptr<const options> opts_;
    std::unique_ptr<connection> conn_;  // null before the first subscribe and after a drop
    name_set channels_;
    name_set patterns_;
    name_set shard_channels_;
    std::deque<message> inbox_;  // read while a call waited for its confirmations
    std::uint64_t next_token_ = 0;

    bool closed_ = false;
    bool dropped_ = false;  // the connection was lost: the next successful dial is a reconnection
    clock::time_point connected_at_{};
    int dial_failures_ = 0;  // since the last connection that lived long enough to count
    clock::time_point next_dial_at_{};

    clock::time_point last_heard_{};  // the last reply from the server, or the dial
    bool awaiting_pong_ = false;      // a health PING went out and nothing came back since
    clock::time_point pong_deadline_{};

    // Read by other threads (a monitor beside a thread in `run`).
    std::atomic<std::uint64_t> reconnects_{0};
};

}  // namespace redpool::detail
