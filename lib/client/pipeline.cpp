// redpool::pipeline and redpool::transaction: the typed queue they share (basic_batch) and
// their exec(), over detail::batch_queue; client::pipeline() and client::transaction().
#include "redpool/pipeline.hpp"

#include "lib/client/batch_queue.hpp"
#include "lib/client/client_core.hpp"
#include "redpool/client.hpp"
#include "redpool/cmd/scripting.hpp"

namespace redpool {

template <class Self>
basic_batch<Self>::basic_batch(std::unique_ptr<detail::batch_queue> queue) noexcept : queue_(std::move(queue)) {}

template <class Self>
basic_batch<Self>::basic_batch(basic_batch&&) noexcept = default;

template <class Self>
basic_batch<Self>& basic_batch<Self>::operator=(basic_batch&&) noexcept = default;

template <class Self>
basic_batch<Self>::~basic_batch() = default;

template <class Self>
detail::batch_queue& basic_batch<Self>::live_queue() const {
    if (!queue_) throw error(errc::invalid_argument, "this pipeline or transaction was moved from");
    return *queue_;
}

template <class Self>
void basic_batch<Self>::enqueue(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                                detail::slot_ref<detail::deferred_slot>&& slot) {
    if (!queue_) live_queue();  // throws
    queue_->add(args, wire_bytes, std::move(slot));
}

template <class Self>
void basic_batch<Self>::enqueue_answered(detail::slot_ref<detail::deferred_slot> slot) {
    live_queue().add_answered(std::move(slot));
}

template <class Self>
deferred<reply> basic_batch<Self>::run_script(const script& s, std::span<const std::string_view> keys,
                                              std::span<const std::string_view> args) {
    // The load first: if anything fails, the EVALSHA is not queued (see load_first).
    const std::size_t loaded = live_queue().load_first(s);
    auto result = run(cmd::evalsha(s.sha1(), keys, args));
    queue_->use_loaded(loaded);
    return result;
}

template <class Self>
detail::batch_queue* basic_batch<Self>::take_queue() {
    auto fresh = live_queue().make_empty_like();
    return std::exchange(queue_, std::move(fresh)).release();
}

template <class Self>
std::size_t basic_batch<Self>::size() const noexcept {
    return queue_ ? queue_->size() : 0;
}

template <class Self>
void basic_batch<Self>::clear() noexcept {
    if (queue_) queue_->clear();
}

template class basic_batch<pipeline>;
template class basic_batch<transaction>;

pipeline::pipeline(std::unique_ptr<detail::batch_queue> queue) noexcept : basic_batch(std::move(queue)) {}

transaction::transaction(std::unique_ptr<detail::batch_queue> queue) noexcept : basic_batch(std::move(queue)) {}

std::vector<reply> pipeline::exec() { return live_queue().exec(); }

std::vector<reply> transaction::exec() { return live_queue().exec(); }

redpool::pipeline client::pipeline() {
    return redpool::pipeline(
        std::make_unique<detail::batch_queue>(detail::make_pool_target(*core_), detail::batch_kind::pipeline));
}

redpool::transaction client::transaction() {
    return redpool::transaction(
        std::make_unique<detail::batch_queue>(detail::make_pool_target(*core_), detail::batch_kind::transaction));
}

}  // namespace redpool
