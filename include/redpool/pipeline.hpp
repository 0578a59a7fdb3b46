// redpool/pipeline.hpp — many commands in one round trip: pipelines and MULTI/EXEC
// transactions.
//
//     redpool::pipeline p = redis.pipeline();
//     p.set("a", "1");
//     redpool::deferred<long long> n = p.incr("counter");
//     std::vector<redpool::reply> replies = p.exec();   // one connection, one round trip
//     long long v = n.get();
//
// Both have every typed method of the command layer (`get`, `hset`, `zadd`, ...), each
// returning a `deferred<T>` instead of a `T`. A pipeline or transaction belongs to one thread
// at a time; it is reusable after `exec()`.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/commands.hpp"
#include "redpool/deferred.hpp"
#include "redpool/reply.hpp"
#include "redpool/script.hpp"

namespace redpool {

class async_client;

namespace detail {
class batch_queue;
}

/// What pipelines and transactions share: the queue and its typed methods. Queuing sends
/// nothing; `exec()` of the derived class does.
template <class Self>
class basic_batch : public commands<Self> {
public:
    basic_batch(basic_batch&&) noexcept;
    basic_batch& operator=(basic_batch&&) noexcept;
    ~basic_batch();

    /// Queues a command value (see `redpool::command`); every typed method is `run` of its
    /// command. A command that needs a connection of its own (SUBSCRIBE, MONITOR, CLIENT REPLY,
    /// RESET, ...) throws `errc::invalid_argument` here and is not queued, as do MULTI, EXEC
    /// and DISCARD (use a `transaction`) and, in a transaction, WATCH and UNWATCH (they must
    /// come before MULTI: see `client::watch`). Forced inline into each typed method: a call
    /// more per queued command is a measurable share of building a pipeline.
    template <class T>
    [[gnu::always_inline]] deferred<T> run(const redpool::command<T>& c) {
        auto state = detail::deferred_state<T>::make(c.reader());
        if (c.answered_locally()) {
            state->settle(reply(), nullptr);
            enqueue_answered(state.template share_unpublished<detail::deferred_slot>());
        } else {
            enqueue(c.args(), c.wire_bytes(), state.template share_unpublished<detail::deferred_slot>());
        }
        return deferred<T>(std::move(state));
    }
    /// Same as `run`.
    template <class T>
    deferred<T> add(const redpool::command<T>& c) {
        return run(c);
    }

    /// Queues any command (binary-safe arguments); its reply comes back as it is, a server
    /// error as data (`reply::is_error()`).
    deferred<reply> command(std::initializer_list<std::string_view> args) {
        return command(std::span<const std::string_view>(args.begin(), args.size()));
    }
    deferred<reply> command(std::span<const std::string_view> args) {
        auto state = detail::deferred_state<reply>::make(
            static_cast<redpool::command<reply>::converter>(&from_reply<reply>));
        enqueue(args, {}, state.template share_unpublished<detail::deferred_slot>());
        return deferred<reply>(std::move(state));
    }

    /// Queues a script: EVALSHA with its SHA-1. So that EVALSHA cannot meet NOSCRIPT (after
    /// SCRIPT FLUSH or a restart), `exec()` first sends one SCRIPT LOAD per distinct script in
    /// the batch, in the same round trip; those replies are not part of `exec()`'s result.
    deferred<reply> run_script(const script& s, std::initializer_list<std::string_view> keys = {},
                               std::initializer_list<std::string_view> args = {}) {
        return run_script(s, std::span<const std::string_view>(keys.begin(), keys.size()),
                          std::span<const std::string_view>(args.begin(), args.size()));
    }
    deferred<reply> run_script(const script& s, std::span<const std::string_view> keys,
                               std::span<const std::string_view> args);

    /// How many commands are queued (scripts' SCRIPT LOADs not counted); `exec()` returns one
    /// reply for each, in order (nil for a command answered without the server, such as DEL of
    /// no keys).
    std::size_t size() const noexcept;
    /// Forgets the queued commands without sending them; their deferreds stay not ready.
    void clear() noexcept;

protected:
    friend class async_client;
    explicit basic_batch(std::unique_ptr<detail::batch_queue> queue) noexcept;
    /// Takes the queued commands away (for an async exec), leaving the batch empty and ready
    /// for reuse; throws `errc::invalid_argument` for a moved-from batch. The caller owns the
    /// result (a plain pointer: the type is incomplete here), and ends it with
    /// `detail::destroy_batch_queue`.
    detail::batch_queue* take_queue();
    /// The queue; throws `errc::invalid_argument` for a moved-from batch.
    detail::batch_queue& live_queue() const;

private:
    // `wire_bytes`: the request already encoded, or empty to encode `args`.
    void enqueue(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                 detail::slot_ref<detail::deferred_slot>&& slot);
    void enqueue_answered(detail::slot_ref<detail::deferred_slot> slot);

    std::unique_ptr<detail::batch_queue> queue_;
};

/// Commands sent together on one connection, their replies read back in order. Made by
/// `client::pipeline()` (a pooled connection is borrowed for each `exec()`) or
/// `pinned::pipeline()` (the pinned connection is used; the pipeline keeps it pinned while it
/// lives).
class pipeline : public basic_batch<pipeline> {
public:
    /// Sends every queued command and reads every reply, writing while it reads, so a batch of
    /// any size streams through without both socket buffers filling up. Returns the replies in
    /// order (a server error is data there) and fills each command's `deferred`; one command's
    /// `-ERR` never fails the others (a typed `deferred` throws it as `reply_error`; the
    /// `deferred<reply>` of `command()` holds it as data). The queue is empty afterwards, ready for reuse.
    ///
    /// The deadline is `read_timeout` without progress (no byte written or read), not per
    /// command; it grows for blocking commands. If the connection fails after k replies, the
    /// first k deferreds hold their results, every later one throws the same error, and
    /// `exec()` throws it (`outcome_unknown()`: the later commands may have run). A pipeline is
    /// never retried once a byte of it may have reached the server. With nothing queued it
    /// returns an empty vector without borrowing a connection.
    std::vector<reply> exec();

private:
    friend class client;
    friend class pinned;
    friend class async_client;
    explicit pipeline(std::unique_ptr<detail::batch_queue> queue) noexcept;
};

/// Commands sent as MULTI, the commands, EXEC, in one round trip: the server runs them all,
/// with nothing in between, or none. Made by `client::transaction()` or
/// `pinned::transaction()` (after WATCH on the pinned connection, for optimistic locking; see
/// `client::watch`).
class transaction : public basic_batch<transaction> {
public:
    /// Sends MULTI, the queued commands and EXEC, and returns EXEC's replies in order (a
    /// command that failed while running is an error reply there, which its typed `deferred`
    /// throws as `reply_error`; a `deferred<reply>` from `command()` holds it as data). Blocking
    /// commands do not block inside MULTI, so the deadline is `read_timeout`. Throws:
    /// - `reply_error` with prefix `EXECABORT` when the server refused a command while
    ///   queuing it (unknown command, wrong number of arguments): nothing ran;
    /// - `redpool::error` with `errc::tx_failed` when EXEC answered nil because a WATCHed key
    ///   changed: nothing ran; read again and retry;
    /// - transport errors as `pipeline::exec` does.
    /// Every deferred of a transaction that did not run throws the same error. EXEC is never
    /// retried. The queue is empty afterwards, ready for reuse; with nothing queued it sends
    /// nothing and returns an empty vector.
    std::vector<reply> exec();

private:
    friend class client;
    friend class cluster_client;
    friend class pinned;
    friend class async_client;
    explicit transaction(std::unique_ptr<detail::batch_queue> queue) noexcept;
};

extern template class basic_batch<pipeline>;
extern template class basic_batch<transaction>;

}  // namespace redpool
