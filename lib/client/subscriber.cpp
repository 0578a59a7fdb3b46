// redpool::subscriber over detail::subscriber_session: subscriptions confirmed by the server,
// messages received with a health check while idle, and reconnection with jittered backoff
// that restores every channel, pattern and shard channel (RELIABILITY.md row 24).
#include "lib/client/subscriber_session.hpp"
#include "lib/commands/command_args.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/base/deadline.hpp"
#include "lib/client/client_core.hpp"
#include "redpool/client.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using clock = subscriber_session::clock;

// The redial backoff in place of a zero min_retry_backoff or max_retry_backoff. Zero disables
// the backoff of commands, which give up after max_retries; a subscriber never gives up, so
// it would dial in a tight loop while the server is down.
constexpr options::duration backoff_for_zero = std::chrono::milliseconds(100);

struct kind_commands {
    std::string_view subscribe;
    std::string_view unsubscribe;
};

constexpr kind_commands commands_of(subscription_kind kind) noexcept {
    switch (kind) {
        case subscription_kind::pattern: return {"PSUBSCRIBE", "PUNSUBSCRIBE"};
        case subscription_kind::shard_channel: return {"SSUBSCRIBE", "SUNSUBSCRIBE"};
        case subscription_kind::channel: break;
    }
    return {"SUBSCRIBE", "UNSUBSCRIBE"};
}

std::vector<std::string_view> command_of(std::string_view verb, std::span<const std::string_view> names) {
    std::vector<std::string_view> args;
    args.reserve(names.size() + 1);
    args.push_back(verb);
    args.insert(args.end(), names.begin(), names.end());
    return args;
}

// A dial or restore that failed for a reason that may pass: the server down, restarting,
// frozen, or killing the connection. A refused password or a bad option does not pass.
bool may_pass(const error& e) noexcept {
    switch (static_cast<errc>(e.code().value())) {
        case errc::connect_timeout:
        case errc::read_timeout:
        case errc::write_timeout:
        case errc::io_error:
        case errc::protocol_error:
        case errc::reply_too_large:
        case errc::connection_broken:
            return e.code().category() == category();
        default:
            return false;
    }
}

// The reply to `PING token`: ["pong", token] in subscribed mode, the bulk string `token` once
// every subscription is gone and the connection talks plain RESP2 again.
bool is_pong_for(const reply& r, std::string_view token) {
    if (r.is_string()) return r.as_string() == token;
    return r.is_array() && r.size() == 2 && r[0].is_string() && r[0].as_string() == "pong" &&
           r[1].is_string() && r[1].as_string() == token;
}

// The kind a subscribe confirmation is for; nullopt for anything else.
std::optional<subscription_kind> subscribed_kind(std::string_view confirmation) noexcept {
    if (confirmation == "subscribe") return subscription_kind::channel;
    if (confirmation == "psubscribe") return subscription_kind::pattern;
    if (confirmation == "ssubscribe") return subscription_kind::shard_channel;
    return std::nullopt;
}

constexpr subscription_kind kind_at(std::size_t index) noexcept { return static_cast<subscription_kind>(index); }
constexpr std::size_t index_of(subscription_kind kind) noexcept { return static_cast<std::size_t>(kind); }

constexpr std::string_view label_of(subscription_kind kind) noexcept {
    switch (kind) {
        case subscription_kind::pattern: return "pattern";
        case subscription_kind::shard_channel: return "shard channel";
        case subscription_kind::channel: break;
    }
    return "channel";
}

// `server_message (what: channel "a", pattern "b*")`: the server's words first, so that
// reply_error::prefix() is still its error code; a long list is cut short.
template <typename NamesByKind>
std::string refusal_message(std::string_view server_message, std::string_view what, const NamesByKind& names) {
    constexpr std::size_t shown_at_most = 8;
    std::string listed;
    std::size_t count = 0;
    for (std::size_t k = 0; k < names.size(); ++k) {
        for (const std::string& name : names[k]) {
            if (count++ < shown_at_most) {
                listed += fmt::format("{}{} {:?}", listed.empty() ? "" : ", ", label_of(kind_at(k)), name);
            }
        }
    }
    if (count > shown_at_most) listed += fmt::format(" and {} more", count - shown_at_most);
    return fmt::format("{} ({}: {})", server_message, what, listed);
}

bool is_confirmation(std::string_view kind) {
    return kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe" || kind == "unsubscribe" ||
           kind == "punsubscribe" || kind == "sunsubscribe";
}

[[noreturn]] void malformed(std::string_view kind, std::size_t elements) {
    throw error(errc::protocol_error,
                fmt::format("protocol error: a pub/sub {:?} reply of {} elements, or not of strings", kind,
                            elements));
}

bool all_strings(const std::vector<reply>& e) {
    return std::all_of(e.begin(), e.end(), [](const reply& r) { return r.is_string(); });
}

// Waits until `until` or a stop request, whichever comes first; the caller looks again.
void sleep_until(clock::time_point until, const std::stop_token& stop) {
    // Never one wait past a minute: a time point at the clock's end must not overflow inside.
    until = std::min(until, clock::now() + std::chrono::minutes(1));
    std::mutex mu;
    std::condition_variable_any wake;
    std::unique_lock lock(mu);
    wake.wait_until(lock, stop, until, [] { return false; });
}

}  // namespace

subscriber_session::subscriber_session(std::shared_ptr<const options> opts, connection_dialer dial)
    : opts_(std::move(opts)), dial_(std::move(dial)) {}

void subscriber_session::check_open() const {
    if (closed_) throw error(errc::pool_closed, "the subscriber was closed");
}

bool subscriber_session::has_subscriptions() const noexcept {
    return std::any_of(subscriptions_.begin(), subscriptions_.end(), [](const name_set& s) { return !s.empty(); });
}

subscriber_session::name_set& subscriber_session::remembered(subscription_kind kind) noexcept {
    return subscriptions_[index_of(kind)];
}

bool subscriber_session::refusals::empty() const noexcept {
    return std::all_of(names.begin(), names.end(), [](const name_set& s) { return s.empty(); });
}

// --- subscribing and unsubscribing -------------------------------------------------------------

void subscriber_session::subscribe(subscription_kind kind, std::span<const std::string_view> names) {
    check_open();
    if (names.empty()) return;  // SUBSCRIBE needs a name; nothing to confirm
    auto& set = remembered(kind);
    std::vector<std::string> added;
    for (std::string_view n : names) {
        if (set.emplace(n).second) added.emplace_back(n);
    }
    if (conn_) {
        try {
            names_by_kind wanted;
            wanted[index_of(kind)].insert(names.begin(), names.end());
            const refusals refused = subscribe_confirmed(*conn_, wanted, commands_of(kind).subscribe);
            if (refused.empty()) return;
            // Not subscribed, so not to be restored either. A name this call did not add was
            // subscribed before on this connection, and still is.
            const name_set& no = refused.names[index_of(kind)];
            for (const std::string& n : added) {
                if (no.contains(n)) set.erase(n);
            }
            throw reply_error(refusal_message(refused.server_message, "refused", refused.names));
        } catch (const reply_error&) {
            throw;
        } catch (const error&) {
            // The connection failed (killed, the server restarted) perhaps long before this
            // call noticed: the dial below restores everything remembered, these included.
            lose_connection();
        }
    }
    dial_now({});
    throw_refused_of(kind, names);
}

void subscriber_session::throw_refused_of(subscription_kind kind, std::span<const std::string_view> names) {
    name_set& unreported = unreported_.names[index_of(kind)];
    refusals mine;
    for (std::string_view n : names) {
        auto it = unreported.find(n);
        if (it != unreported.end()) mine.names[index_of(kind)].insert(unreported.extract(it));
    }
    if (mine.empty()) return;
    const std::string message = refusal_message(unreported_.server_message, "refused", mine.names);
    if (unreported_.empty()) unreported_.server_message.clear();
    throw reply_error(message);
}

void subscriber_session::unsubscribe(subscription_kind kind, std::span<const std::string_view> names) {
    check_open();
    auto& set = remembered(kind);
    if (names.empty()) {
        set.clear();
    } else {
        for (std::string_view n : names) {
            if (auto it = set.find(n); it != set.end()) set.erase(it);
        }
    }
    if (conn_) change(command_of(commands_of(kind).unsubscribe, names));
}

void subscriber_session::change(std::span<const std::string_view> args) {
    try {
        confirmed(*conn_, args);
    } catch (const reply_error&) {
        throw;  // the server said no; the connection is as good as before
    } catch (const error&) {
        // The connection failed (killed, the server restarted) perhaps long before this call
        // noticed: one dial now restores everything remembered, this change included.
        lose_connection();
        if (has_subscriptions()) dial_now({});
    }
}

void subscriber_session::confirmed(connection& conn, std::span<const std::string_view> args) {
    conn.send_unpaired(args);
    if (auto refusal = ping_and_await(conn, args[0])) throw reply_error(std::move(*refusal));
}

subscriber_session::refusals subscriber_session::subscribe_confirmed(connection& conn, const names_by_kind& wanted,
                                                                     std::string_view what) {
    refusals refused;
    names_by_kind subscribed;
    bool sent = false;
    for (std::size_t k = 0; k < subscription_kinds; ++k) {
        if (wanted[k].empty()) continue;
        std::vector<std::string_view> args{commands_of(kind_at(k)).subscribe};
        args.insert(args.end(), wanted[k].begin(), wanted[k].end());
        conn.send_unpaired(args);
        sent = true;
    }
    if (!sent) return refused;
    std::optional<std::string> refusal = ping_and_await(conn, what, &subscribed);
    if (!refusal) return refused;

    // Redis refuses a whole command for one name it does not allow: each name left unconfirmed
    // is asked for again alone, so that only the names refused then are lost.
    names_by_kind again;
    for (std::size_t k = 0; k < subscription_kinds; ++k) {
        for (const std::string& name : wanted[k]) {
            if (subscribed[k].contains(name)) continue;
            conn.send_unpaired(std::initializer_list<std::string_view>{commands_of(kind_at(k)).subscribe, name});
            again[k].insert(name);
        }
    }
    if (std::all_of(again.begin(), again.end(), [](const name_set& s) { return s.empty(); })) return refused;
    if (auto second = ping_and_await(conn, what, &subscribed)) refusal = std::move(second);
    for (std::size_t k = 0; k < subscription_kinds; ++k) {
        for (const std::string& name : again[k]) {
            if (!subscribed[k].contains(name)) refused.names[k].insert(name);
        }
    }
    if (!refused.empty()) refused.server_message = std::move(*refusal);
    return refused;
}

std::optional<std::string> subscriber_session::ping_and_await(connection& conn, std::string_view what,
                                                              names_by_kind* subscribed) {
    const std::string token = fmt::format("redpool-{}", ++next_token_);
    conn.send_unpaired(std::initializer_list<std::string_view>{"PING", token});
    const auto deadline = deadline_after(clock::now(), opts_->read_timeout);
    std::optional<std::string> refusal;
    for (;;) {
        reply r;
        if (!conn.read_pushed(r, deadline)) {
            conn.close();
            throw error(errc::read_timeout,
                        fmt::format("read timeout on {}: {} not confirmed within {}ms", conn.address(), what,
                                    opts_->read_timeout.count()),
                        true);
        }
        heard(clock::now());
        if (is_pong_for(r, token)) break;
        if (r.is_error()) {
            if (!refusal) refusal = r.take_string();
            continue;
        }
        if (subscribed != nullptr && r.is_array() && r.size() == 3 && r[0].is_string() && r[1].is_string()) {
            if (const auto kind = subscribed_kind(r[0].as_string())) {
                (*subscribed)[index_of(*kind)].emplace(r[1].as_string());
            }
        }
        take(std::move(r));
    }
    return refusal;
}

void subscriber_session::take(reply&& r) {
    // Errors, +PONG and the bulk pongs of plain mode need nothing done: they only prove that
    // the server is there, which the caller has noted.
    if (!r.is_array()) return;
    std::vector<reply>& e = r.elements();
    if (e.empty() || !e[0].is_string()) malformed("", e.size());
    const std::string_view kind = e[0].as_string();
    if (kind == "message" || kind == "smessage") {
        if (e.size() != 3 || !all_strings(e)) malformed(kind, e.size());
        message m;
        m.kind = kind == "message" ? message::kind_type::message : message::kind_type::smessage;
        m.channel = e[1].take_string();
        m.payload = e[2].take_string();
        inbox_.push_back(std::move(m));
    } else if (kind == "pmessage") {
        if (e.size() != 4 || !all_strings(e)) malformed(kind, e.size());
        message m;
        m.kind = message::kind_type::pmessage;
        m.pattern = e[1].take_string();
        m.channel = e[2].take_string();
        m.payload = e[3].take_string();
        inbox_.push_back(std::move(m));
    } else if (is_confirmation(kind)) {
        // ["subscribe", name or nil, count]: the call that sent it waits for its pong instead.
        if (e.size() != 3) malformed(kind, e.size());
    }
    // Anything else ("pong", a kind a later server adds) is not for the caller.
}

// --- the connection ------------------------------------------------------------------------------

void subscriber_session::connect_and_restore(std::stop_token stop) {
    auto conn = dial_(stop);
    refusals refused = subscribe_confirmed(*conn, subscriptions_, "restoring the subscriptions");
    const auto now = clock::now();
    conn_ = std::move(conn);
    connected_at_ = now;
    heard(now);
    if (dropped_) {
        dropped_ = false;
        reconnects_.fetch_add(1, std::memory_order_relaxed);
    }
    if (refused.empty()) return;
    // E.g. the user's channel permissions changed: those names are lost, not the rest. They are
    // forgotten, so no later dial asks again, and kept until a call reports them.
    for (std::size_t k = 0; k < subscription_kinds; ++k) {
        for (const std::string& name : refused.names[k]) subscriptions_[k].erase(name);
        unreported_.names[k].merge(refused.names[k]);
    }
    if (unreported_.server_message.empty()) unreported_.server_message = std::move(refused.server_message);
}

void subscriber_session::dial_now(std::stop_token stop) {
    try {
        connect_and_restore(std::move(stop));
    } catch (const error&) {
        back_off();  // receive must not dial again in a tight loop
        throw;
    }
}

void subscriber_session::redial(std::stop_token stop) {
    try {
        dial_now(std::move(stop));
    } catch (const error& e) {
        if (!may_pass(e)) throw;
    }
}

options::duration subscriber_session::redial_backoff_max() const noexcept {
    return opts_->max_retry_backoff.count() > 0 ? opts_->max_retry_backoff : backoff_for_zero;
}

void subscriber_session::back_off() noexcept {
    const auto max = redial_backoff_max();
    // A zero minimum leaves the jitter no range to draw from: every wait would be zero.
    const auto min = opts_->min_retry_backoff.count() > 0 ? opts_->min_retry_backoff : std::min(backoff_for_zero, max);
    const auto wait = retry_backoff(dial_failures_, min, max);
    dial_failures_ = std::min(dial_failures_ + 1, 64);
    next_dial_at_ = saturating_add(clock::now(), wait);
}

void subscriber_session::lose_connection() noexcept {
    if (!conn_) return;
    conn_.reset();  // closes it: what it would still say can no longer be trusted
    dropped_ = true;
    awaiting_pong_ = false;
    // A connection that lived a while is dialed again at once (a kill, a restart). One that
    // drops again soon after it was made (the output buffer limit again, a server that accepts
    // and closes) waits a growing backoff, so the subscriber never spins on it.
    const auto now = clock::now();
    if (now - connected_at_ >= redial_backoff_max()) {
        dial_failures_ = 0;
        next_dial_at_ = now;
    } else {
        back_off();
    }
}

// --- receiving -----------------------------------------------------------------------------------

std::optional<message> subscriber_session::receive(clock::time_point deadline, std::stop_token stop) {
    check_open();
    for (;;) {
        if (!unreported_.empty()) {
            // Once: the names are forgotten, and the subscriber goes on with the others.
            refusals refused = std::exchange(unreported_, refusals{});
            throw reply_error(refusal_message(refused.server_message,
                                              "refused when subscribing again after a reconnection, so forgotten",
                                              refused.names));
        }
        if (!inbox_.empty()) {
            message m = std::move(inbox_.front());
            inbox_.pop_front();
            return m;
        }
        if (stop.stop_requested()) return std::nullopt;
        const auto now = clock::now();
        if (!conn_) {
            if (has_subscriptions() && now >= next_dial_at_) {
                redial(stop);
                continue;
            }
            // Nothing can arrive before the next dial (or, with no subscription, at all).
            if (now >= deadline) return std::nullopt;
            sleep_until(has_subscriptions() ? std::min(deadline, next_dial_at_) : deadline, stop);
            continue;
        }
        try {
            reply r;
            if (conn_->read_pushed(r, std::min(deadline, health_due()))) {
                heard(clock::now());
                take(std::move(r));
                continue;
            }
        } catch (const error&) {
            lose_connection();  // closed, reset, or nonsense: dial again
            continue;
        }
        const auto after = clock::now();
        check_health(after);
        if (after >= deadline) return std::nullopt;
    }
}

subscriber_session::clock::time_point subscriber_session::health_due() const noexcept {
    if (opts_->health_check_interval.count() <= 0) return clock::time_point::max();
    if (awaiting_pong_) return pong_deadline_;
    return saturating_add(last_heard_, opts_->health_check_interval);
}

void subscriber_session::check_health(clock::time_point now) {
    if (!conn_ || now < health_due()) return;
    if (awaiting_pong_) {
        lose_connection();  // silent for read_timeout after a PING: frozen, or a black hole
        return;
    }
    try {
        conn_->send_unpaired(std::initializer_list<std::string_view>{"PING"});
    } catch (const error&) {
        lose_connection();
        return;
    }
    awaiting_pong_ = true;
    pong_deadline_ = deadline_after(now, opts_->read_timeout);
}

void subscriber_session::heard(clock::time_point now) noexcept {
    last_heard_ = now;
    awaiting_pong_ = false;
}

void subscriber_session::close() noexcept {
    closed_ = true;
    conn_.reset();
    inbox_.clear();
    unreported_ = refusals{};
    ticket_ = lease_tracker::ticket();  // no longer held: nothing to report
}

}  // namespace redpool::detail

namespace redpool {


subscriber::subscriber(std::unique_ptr<detail::subscriber_session> session) noexcept : session_(std::move(session)) {}
subscriber::subscriber(subscriber&&) noexcept = default;
subscriber& subscriber::operator=(subscriber&&) noexcept = default;
subscriber::~subscriber() = default;

detail::subscriber_session& subscriber::session() const {
    if (!session_) throw error(errc::pool_closed, "the subscriber was moved from");
    return *session_;
}

void subscriber::subscribe(std::initializer_list<std::string_view> channels) { subscribe(detail::as_span(channels)); }
void subscriber::subscribe(std::span<const std::string_view> channels) {
    session().subscribe(detail::subscription_kind::channel, channels);
}
void subscriber::psubscribe(std::initializer_list<std::string_view> patterns) { psubscribe(detail::as_span(patterns)); }
void subscriber::psubscribe(std::span<const std::string_view> patterns) {
    session().subscribe(detail::subscription_kind::pattern, patterns);
}
void subscriber::ssubscribe(std::initializer_list<std::string_view> channels) { ssubscribe(detail::as_span(channels)); }
void subscriber::ssubscribe(std::span<const std::string_view> channels) {
    session().subscribe(detail::subscription_kind::shard_channel, channels);
}

void subscriber::unsubscribe(std::initializer_list<std::string_view> channels) { unsubscribe(detail::as_span(channels)); }
void subscriber::unsubscribe(std::span<const std::string_view> channels) {
    session().unsubscribe(detail::subscription_kind::channel, channels);
}
void subscriber::punsubscribe(std::initializer_list<std::string_view> patterns) {
    punsubscribe(detail::as_span(patterns));
}
void subscriber::punsubscribe(std::span<const std::string_view> patterns) {
    session().unsubscribe(detail::subscription_kind::pattern, patterns);
}
void subscriber::sunsubscribe(std::initializer_list<std::string_view> channels) {
    sunsubscribe(detail::as_span(channels));
}
void subscriber::sunsubscribe(std::span<const std::string_view> channels) {
    session().unsubscribe(detail::subscription_kind::shard_channel, channels);
}

std::optional<message> subscriber::receive(std::chrono::milliseconds timeout) {
    const auto now = detail::subscriber_session::clock::now();
    const auto deadline = timeout.count() <= 0 ? now : detail::saturating_add(now, timeout);
    return session().receive(deadline);
}

void subscriber::run(const std::function<void(const message&)>& on_message, std::stop_token stop,
                     std::chrono::milliseconds poll) {
    auto& s = session();
    // A zero poll would spin; the stop request is seen within a millisecond anyway.
    poll = std::max(poll, std::chrono::milliseconds(1));
    while (!stop.stop_requested()) {
        const auto deadline = detail::saturating_add(detail::subscriber_session::clock::now(), poll);
        if (auto m = s.receive(deadline, stop)) on_message(*m);
    }
}

std::uint64_t subscriber::reconnects() const noexcept { return session_ ? session_->reconnects() : 0; }

void subscriber::close() noexcept {
    if (session_) session_->close();
}

redpool::subscriber client::subscriber(const char* file, int line) {
    auto session = std::make_unique<detail::subscriber_session>(core_->shared_settings(), core_->dialer());
    session->track_as(core_->track_lease("subscriber", file, line));
    return redpool::subscriber(std::move(session));
}

}  // namespace redpool
