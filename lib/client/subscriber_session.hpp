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
//
// A refusal concerns names, never the connection. Subscribing is asked one command per kind
// (Redis refuses such a command whole when one name is not allowed, e.g. by the user's ACL
// channel permissions); after a refusal the names not confirmed are asked again one by one,
// and only those refused then are forgotten: the others, and the connection, stay. A refusal
// met while restoring after a reconnection is reported once, by the next call that can report
// it (the subscribe call whose names it concerns, else `receive`).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
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
#include <utility>
#include <vector>

#include "lib/client/lease_tracker.hpp"
#include "lib/net/connection.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"
#include "redpool/subscriber.hpp"

namespace redpool::detail {

/// The three kinds of subscription, each with its own commands.
enum class subscription_kind { channel, pattern, shard_channel };
inline constexpr std::size_t subscription_kinds = 3;

class subscriber_session {
public:
    using clock = std::chrono::steady_clock;

    /// `dial` makes its connections (the client's dialer: see client_core::dialer).
    subscriber_session(std::shared_ptr<const options> opts, connection_dialer dial);
    subscriber_session(const subscriber_session&) = delete;
    subscriber_session& operator=(const subscriber_session&) = delete;

    /// SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE `names`, returning once the server confirmed them.
    /// Throws reply_error naming those it refused (forgotten if this call added them).
    void subscribe(subscription_kind kind, std::span<const std::string_view> names);
    /// UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE `names`; every one of the kind when empty.
    void unsubscribe(subscription_kind kind, std::span<const std::string_view> names);

    /// The next message before `deadline`, reconnecting as needed; nullopt when none came or
    /// `stop` was requested (which also cancels a dial in progress, but not the restore that
    /// follows a dial, nor a health PING being written). Throws reply_error first if a restore
    /// had subscriptions refused that no call reported yet.
    std::optional<message> receive(clock::time_point deadline, std::stop_token stop = {});

    std::uint64_t reconnects() const noexcept { return reconnects_.load(std::memory_order_relaxed); }
    void close() noexcept;
    /// Tracked for leak detection until closed or gone (options::lease_warning_after).
    void track_as(lease_tracker::ticket ticket) noexcept { ticket_ = std::move(ticket); }

private:
    using name_set = std::set<std::string, std::less<>>;
    // Names by kind, indexed by subscription_kind.
    using names_by_kind = std::array<name_set, subscription_kinds>;
    // Names the server refused, with the first refusal's message.
    struct refusals {
        std::string server_message;
        names_by_kind names;
        bool empty() const noexcept;
    };

    void check_open() const;
    bool has_subscriptions() const noexcept;
    name_set& remembered(subscription_kind kind) noexcept;

    // An unsubscribe command on the current connection, confirmed. When the connection fails
    // (killed, the server restarted, perhaps long before this call noticed), it is dropped and
    // one immediate dial restores every subscription, this change included: the caller's turn,
    // so no backoff. Throws the dial's error, or reply_error if the server refused the change.
    void change(std::span<const std::string_view> args);
    // Sends `args`, then PING with a fresh token, and reads until that pong (`ping_and_await`):
    // messages meanwhile go to the inbox; the first refusal is thrown once the pong is in.
    // Transport failures throw; `what` names the wait in a timeout's message.
    void confirmed(connection& conn, std::span<const std::string_view> args);
    // Subscribes `conn` to `wanted` (one command per kind, then the names left unconfirmed
    // after a refusal one by one) and returns what the server refused. Transport failures throw.
    refusals subscribe_confirmed(connection& conn, const names_by_kind& wanted, std::string_view what);
    // Reads until the pong of a fresh PING. Confirmed subscriptions are added to `subscribed`
    // when given; returns the first refusal's message, if any.
    std::optional<std::string> ping_and_await(connection& conn, std::string_view what,
                                              names_by_kind* subscribed = nullptr);
    // Sorts one unsolicited reply: a message is queued, confirmations and pongs are dropped,
    // a malformed one throws protocol_error.
    void take(reply&& r);

    // Dials and subscribes again to everything remembered; counts a reconnection when the
    // connection had dropped. Names the server refuses are forgotten and kept in `unreported_`;
    // the connection and the other subscriptions stay. Throws the dial's error.
    void connect_and_restore(std::stop_token stop);
    // Same, and any failure delays receive's next dial by a backoff.
    void dial_now(std::stop_token stop);
    // receive's dial: a failure that may pass is only scheduled again, not thrown.
    void redial(std::stop_token stop);
    // Throws the unreported refusals of `names` of `kind` (a subscribe call's own), if any.
    void throw_refused_of(subscription_kind kind, std::span<const std::string_view> names);
    // The redial backoff's cap: max_retry_backoff, or 100 ms when that is zero (a subscriber
    // redials for ever, so it must never do so in a tight loop); back_off does the same for
    // a zero min_retry_backoff.
    options::duration redial_backoff_max() const noexcept;
    void back_off() noexcept;
    void lose_connection() noexcept;
    // The health check, once receive's wait found nothing: a PING after health_check_interval
    // of silence, a dead connection when its pong is late.
    void check_health(clock::time_point now);
    clock::time_point health_due() const noexcept;
    void heard(clock::time_point now) noexcept;

    const std::shared_ptr<const options> opts_;
    const connection_dialer dial_;
    std::unique_ptr<connection> conn_;  // null before the first subscribe and after a drop
    names_by_kind subscriptions_;  // what the caller asked for, minus what the server refused
    refusals unreported_;          // refused while restoring, not yet told to the caller
    std::deque<message> inbox_;    // read while a call waited for its confirmations
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
    lease_tracker::ticket ticket_;
};

}  // namespace redpool::detail
