// How a pipeline or transaction runs: the queued requests stream out on one connection while
// their replies stream back, each reply handed to its command's deferred as it arrives. A
// failure part way leaves the replies already read where they are and fails every later
// command with the same error, so no result is ever shifted onto the wrong command.
#include "lib/client/batch_queue.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "lib/commands/command_table.hpp"
#include "lib/protocol/protocol.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

constexpr std::string_view encoded_multi = "*1\r\n$5\r\nMULTI\r\n";
constexpr std::string_view encoded_exec = "*1\r\n$4\r\nEXEC\r\n";
// A request buffer that grew past this (a huge batch) is released after exec().
constexpr std::size_t requests_keep = 1 << 20;

std::span<const char> bytes_of(std::string_view s) noexcept { return {s.data(), s.size()}; }
std::span<const char> bytes_of(const write_buffer& b) noexcept { return {b.data(), b.size()}; }

// Only a slot someone still holds a deferred for needs its reply converted.
void settle(const batch_queue::queued& q, const write_buffer& requests, const reply& r) noexcept {
    if (q.slot.use_count() > 1) q.slot->settle(r, requests.data() + q.at);
}

}  // namespace

// Replies of a pipeline: those of the SCRIPT LOADs first (dropped), then one per command.
class batch_queue::pipeline_sink final : public connection::reply_sink {
public:
    pipeline_sink(std::span<const queued> slots, const write_buffer& requests, std::size_t preamble)
        : slots_(slots), requests_(requests), preamble_(preamble) {
        replies_.reserve(slots.size());
    }

    reply& next_slot() override {
        if (preamble_ > 0) return scratch_;
        if (replies_.size() == settled_) replies_.emplace_back();
        return replies_.back();
    }

    void on_reply() override {
        if (preamble_ > 0) {
            --preamble_;
            scratch_ = reply();
            return;
        }
        ++settled_;
        settle(slots_[settled_ - 1], requests_, replies_.back());
    }

    std::size_t settled() const noexcept { return settled_; }
    std::vector<reply> take() noexcept {
        if (replies_.size() > settled_) replies_.pop_back();  // a slot no reply was read into
        return std::move(replies_);
    }

private:
    std::span<const queued> slots_;
    const write_buffer& requests_;
    std::size_t preamble_;
    std::vector<reply> replies_;  // built in place, one per command read so far
    std::size_t settled_ = 0;
    reply scratch_;               // for the SCRIPT LOADs' replies
};

// Replies of a transaction: SCRIPT LOADs, MULTI's +OK, one +QUEUED (or a refusal) per
// command, then EXEC's array (or nil, or EXECABORT).
class batch_queue::transaction_sink final : public connection::reply_sink {
public:
    transaction_sink(std::size_t commands, std::size_t preamble) : commands_(commands), preamble_(preamble) {}

    reply& next_slot() override { return scratch_; }

    void on_reply() override {
        reply r = std::move(scratch_);
        scratch_ = reply();
        if (preamble_ > 0) {
            --preamble_;
        } else if (!multi_seen_) {
            multi_seen_ = true;
            if (r.is_error()) multi_error_ = std::move(r);
        } else if (queued_ < commands_) {
            if (r.is_error()) refusals_.emplace_back(queued_, std::move(r));
            ++queued_;
        } else {
            exec_ = std::move(r);
            exec_seen_ = true;
        }
    }

    bool exec_seen() const noexcept { return exec_seen_; }
    const reply& multi_error() const noexcept { return multi_error_; }
    reply& exec_reply() noexcept { return exec_; }
    std::vector<std::pair<std::size_t, reply>>& refusals() noexcept { return refusals_; }

private:
    std::size_t commands_;
    std::size_t preamble_;
    bool multi_seen_ = false;
    reply multi_error_;
    std::size_t queued_ = 0;
    std::vector<std::pair<std::size_t, reply>> refusals_;  // command index, its error
    reply exec_;
    bool exec_seen_ = false;
    reply scratch_;
};

batch_queue::batch_queue(std::shared_ptr<batch_target> target)
    : target_(std::move(target)), timeout_(target_->settings().read_timeout) {
    timeout_unbounded_ = timeout_.count() == 0;
}

void batch_queue::add(std::span<const std::string_view> args, std::shared_ptr<deferred_slot> slot) {
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    const command_info& command = command_info_of(args);
    if (needs_own_connection(command)) {
        throw error(errc::invalid_argument,
                    fmt::format("{} cannot be queued in a pipeline or transaction: it needs a connection of "
                                "its own",
                                args[0]));
    }
    if (command.timeout != block_timeout::not_blocking) {
        const auto t = read_timeout_for(command, args, target_->settings().read_timeout);
        if (t.count() == 0) timeout_unbounded_ = true;
        timeout_ = std::max(timeout_, t);
    }
    if (command.effect == session_effect::changed) {
        session_commands_.emplace_back(args.begin(), args.end());
    }
    // Room first, so that a failed push_back cannot leave the request's bytes behind.
    if (slots_.size() == slots_.capacity()) slots_.reserve(std::max<std::size_t>(16, 2 * slots_.size()));
    const std::size_t at = requests_.size();
    encode_command(requests_, args);
    slots_.push_back({std::move(slot), at});
}

void batch_queue::load_first(const script& s) {
    if (std::find(loaded_.begin(), loaded_.end(), s.sha1()) != loaded_.end()) return;
    loaded_.push_back(s.sha1());
    const std::string_view load[] = {"SCRIPT", "LOAD", s.source()};
    encode_command(preamble_, load);
}

void batch_queue::clear() noexcept {
    requests_.clear(requests_keep);
    preamble_.clear(requests_keep);
    slots_.clear();
    loaded_.clear();
    session_commands_.clear();
    timeout_ = target_->settings().read_timeout;
    timeout_unbounded_ = timeout_.count() == 0;
}

void batch_queue::run(std::string_view before, std::string_view after, std::size_t extra_replies,
                      connection::reply_sink& sink, bool transaction) {
    const std::span<const char> segments[] = {bytes_of(preamble_), bytes_of(before), bytes_of(requests_),
                                              bytes_of(after)};
    const std::size_t replies = loaded_.size() + extra_replies + slots_.size();
    const auto timeout = timeout_unbounded_ ? options::duration::zero() : timeout_;
    batch_effects effects{session_commands_, transaction};
    target_->lend(effects, [&](connection& conn) { conn.exchange(segments, replies, sink, timeout); });
}

std::vector<reply> batch_queue::exec_pipeline() {
    if (slots_.empty() && loaded_.empty()) return {};
    struct clear_after {
        batch_queue& q;
        ~clear_after() { q.clear(); }
    } cleanup{*this};
    pipeline_sink sink(slots_, requests_, loaded_.size());
    try {
        run({}, {}, 0, sink, false);
    } catch (...) {
        // The first settled() commands have their replies; none of the others has one.
        const auto failure = std::current_exception();
        for (std::size_t i = sink.settled(); i < slots_.size(); ++i) slots_[i].slot->fail(failure);
        throw;
    }
    return sink.take();
}

std::vector<reply> batch_queue::exec_transaction() {
    if (slots_.empty()) return {};
    struct clear_after {
        batch_queue& q;
        ~clear_after() { q.clear(); }
    } cleanup{*this};
    const auto fail_all = [this](std::exception_ptr failure) {
        for (auto& q : slots_) q.slot->fail(failure);
    };
    transaction_sink sink(slots_.size(), loaded_.size());
    try {
        run(encoded_multi, encoded_exec, 2, sink, true);
        if (!sink.multi_error().is_nil()) throw reply_error(std::string(sink.multi_error().as_string()));
        reply& result = sink.exec_reply();
        if (result.is_error()) {
            // EXECABORT: a command was refused while queuing; it keeps its own error.
            for (auto& [index, refusal] : sink.refusals()) {
                slots_[index].slot->settle(refusal, requests_.data() + slots_[index].at);
            }
            const auto abort = std::make_exception_ptr(reply_error(result.take_string()));
            for (std::size_t i = 0, r = 0; i < slots_.size(); ++i) {
                if (r < sink.refusals().size() && sink.refusals()[r].first == i) {
                    ++r;
                    continue;
                }
                slots_[i].slot->fail(abort);
            }
            std::rethrow_exception(abort);
        }
        if (result.is_nil()) {
            throw error(errc::tx_failed, "transaction failed: a WATCHed key changed, so EXEC ran nothing");
        }
        if (!result.is_array() || result.size() != slots_.size()) {
            throw error(errc::protocol_error,
                        fmt::format("EXEC answered {} replies for {} commands",
                                    result.is_array() ? result.size() : 0, slots_.size()));
        }
        std::vector<reply> replies = std::move(result.elements());
        for (std::size_t i = 0; i < slots_.size(); ++i) settle(slots_[i], requests_, replies[i]);
        return replies;
    } catch (const reply_error&) {
        // The EXECABORT path failed its slots already; a refused MULTI fails them all.
        if (!sink.exec_seen() || !sink.multi_error().is_nil()) fail_all(std::current_exception());
        throw;
    } catch (...) {
        fail_all(std::current_exception());
        throw;
    }
}

}  // namespace redpool::detail
