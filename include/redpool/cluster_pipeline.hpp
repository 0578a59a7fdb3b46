// redpool/cluster_pipeline.hpp — a pipeline across a cluster's slots, made by
// `cluster_client::pipeline()`:
//
//     redpool::cluster_pipeline p = redis.pipeline();
//     for (const auto& user : users) p.get("user:" + user);   // keys in any slots
//     std::vector<redpool::reply> replies = p.exec();          // in the order queued
//
// Each command goes to its slot's node; every node's part is written before any reply is read,
// so the nodes work at once. MOVED and ASK are followed per command. Unlike
// redis-plus-plus, the keys need not share a slot.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/commands.hpp"
#include "redpool/deferred.hpp"
#include "redpool/reply.hpp"

namespace redpool {

class cluster_client;

namespace detail {
class cluster_core;
}

/// Commands queued for one `exec()` over a cluster, with the typed methods of the command
/// layer (each returns a `deferred<T>`). Belongs to one thread at a time; reusable after
/// `exec()`. Commands that need a connection of their own (SUBSCRIBE, MULTI, WATCH, ...) throw
/// `errc::invalid_argument` when queued.
class cluster_pipeline : public commands<cluster_pipeline> {
public:
    cluster_pipeline(cluster_pipeline&&) noexcept;
    cluster_pipeline& operator=(cluster_pipeline&&) noexcept;
    ~cluster_pipeline();

    /// Queues a command value; every typed method is `run` of its command.
    template <class T>
    deferred<T> run(const redpool::command<T>& c) {
        auto state = detail::deferred_state<T>::make(c.reader());
        if (c.answered_locally()) {
            state->settle(reply(), nullptr);
            enqueue({}, {}, state.template share_unpublished<detail::deferred_slot>(), true);
        } else {
            enqueue(c.args(), c.wire_bytes(), state.template share_unpublished<detail::deferred_slot>(), false);
        }
        return deferred<T>(std::move(state));
    }

    /// Queues any command; its reply comes back as it is, a server error as data.
    deferred<reply> command(std::initializer_list<std::string_view> args) {
        return command(std::span<const std::string_view>(args.begin(), args.size()));
    }
    deferred<reply> command(std::span<const std::string_view> args);

    /// Sends everything queued and returns the replies in the order queued (a server error,
    /// CROSSSLOT included, is data there), filling each `deferred`. Keyless commands with a
    /// fan-out tip (DBSIZE, KEYS, ...) run as `cluster_client::exec` runs them. If a node's
    /// connection fails, its commands not answered yet throw that error from their deferreds
    /// (they may have run), the other nodes' results stand, and `exec()` throws it once every
    /// node is done. The queue is empty afterwards.
    std::vector<reply> exec();

    /// How many commands are queued.
    std::size_t size() const noexcept;
    /// Forgets the queued commands without sending them.
    void clear() noexcept;

private:
    friend class cluster_client;
    explicit cluster_pipeline(std::shared_ptr<detail::cluster_core> core);

    void enqueue(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                 detail::slot_ref<detail::deferred_slot>&& slot, bool answered);

    struct queued;
    std::shared_ptr<detail::cluster_core> core_;
    std::vector<queued> queue_;
};

}  // namespace redpool
