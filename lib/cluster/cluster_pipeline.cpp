#include "redpool/cluster_pipeline.hpp"

#include <optional>

#include <fmt/format.h>

#include "lib/cluster/cluster_core.hpp"
#include "lib/commands/command_table.hpp"
#include "redpool/error.hpp"

namespace redpool {

// A queued command: its arguments and encoding (owned), and where its outcome goes.
struct cluster_pipeline::queued {
    std::optional<redpool::command<reply>> request;  // none when answered
    detail::slot_ref<detail::deferred_slot> slot;
    bool answered = false;  // settled already, without the server (its place holds a nil reply)
};

cluster_pipeline::cluster_pipeline(std::shared_ptr<detail::cluster_core> core) : core_(std::move(core)) {}
cluster_pipeline::cluster_pipeline(cluster_pipeline&&) noexcept = default;
cluster_pipeline& cluster_pipeline::operator=(cluster_pipeline&&) noexcept = default;
cluster_pipeline::~cluster_pipeline() = default;

std::size_t cluster_pipeline::size() const noexcept { return queue_.size(); }
void cluster_pipeline::clear() noexcept { queue_.clear(); }

deferred<reply> cluster_pipeline::command(std::span<const std::string_view> args) {
    auto state = detail::deferred_state<reply>::make(
        static_cast<redpool::command<reply>::converter>(&from_reply<reply>));
    enqueue(args, {}, state.template share_unpublished<detail::deferred_slot>(), false);
    return deferred<reply>(std::move(state));
}

void cluster_pipeline::enqueue(std::span<const std::string_view> args, std::span<const char>,
                               detail::slot_ref<detail::deferred_slot>&& slot, bool answered) {
    if (!core_) throw error(errc::invalid_argument, "this cluster_pipeline was moved from");
    if (answered) {
        queue_.push_back({std::nullopt, std::move(slot), true});
        return;
    }
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    const detail::command_info& info = detail::command_info_of(args);
    if (detail::needs_own_connection(info) || info.effect != detail::session_effect::none) {
        throw error(errc::invalid_argument,
                    fmt::format("{} cannot be queued in a cluster pipeline: it needs a connection of its own", args[0]));
    }
    queue_.push_back({redpool::command<reply>(args), std::move(slot), false});
}

std::vector<reply> cluster_pipeline::exec() {
    if (!core_) throw error(errc::invalid_argument, "this cluster_pipeline was moved from");
    std::vector<queued> batch;
    batch.swap(queue_);  // empty afterwards, also when this throws
    std::vector<detail::cluster_core::batch_item> items;
    std::vector<std::size_t> positions;  // of the items in `batch`
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].answered) continue;
        items.push_back({batch[i].request->args(), batch[i].request->wire_bytes()});
        positions.push_back(i);
    }
    std::vector<reply> replies;
    std::vector<std::exception_ptr> failures;
    core_->run_batch(items, replies, failures);

    std::vector<reply> out(batch.size());
    std::exception_ptr first_failure;
    for (std::size_t k = 0; k < items.size(); ++k) {
        queued& q = batch[positions[k]];
        if (failures[k]) {
            q.slot->fail(failures[k]);
            if (!first_failure) first_failure = failures[k];
            continue;
        }
        if (q.slot->wanted()) q.slot->settle(replies[k], q.request->wire_bytes().data());
        out[positions[k]] = std::move(replies[k]);
    }
    if (first_failure) std::rethrow_exception(first_failure);
    return out;
}

}  // namespace redpool
