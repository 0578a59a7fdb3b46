// How a pipeline or transaction runs: the queued requests stream out on one connection while
// their replies stream back, each reply handed to its command's deferred as it arrives. A
// failure part way leaves the replies already read where they are and fails every later
// command with the same error, so no result is ever shifted onto the wrong command.
#include "lib/client/batch_queue.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "lib/client/observe.hpp"
#include "lib/commands/command_table.hpp"
#include "lib/protocol/protocol.hpp"
#include "redpool/cmd/scripting.hpp"
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
    if (q.slot->wanted()) q.slot->settle(r, requests.data() + q.at);
}

}  // namespace

// Replies of a pipeline: those of the SCRIPT LOADs first (dropped), then one per command sent.
// A command answered without the server gets a nil reply in its place, so the result stays one
// reply per queued command.
class batch_queue::pipeline_sink final : public connection::reply_sink {
public:
    pipeline_sink(std::span<const queued> slots, const write_buffer& requests, std::size_t preamble,
                  const script_uses& uses, bool any_answered, slot_list& retired)
        : slots_(slots), requests_(requests), uses_(uses), any_answered_(any_answered), retired_(retired),
          loads_(preamble) {}

    // Before the first reply can arrive: the server is busy with the requests meanwhile.
    void while_waiting() override {
        // Dropped handles first (an atomic decrement each, while the server works): the
        // retired slots they leave are then the last references, released without one.
        release_dropped_handles();
        retired_.release_all();
        if (replies_.size() != slots_.size()) replies_.resize(slots_.size());
    }

    std::span<reply> next_slots() override {
        if (loads_read_ < loads_.size()) return {loads_.data() + loads_read_, loads_.size() - loads_read_};
        if (replies_.size() != slots_.size()) replies_.resize(slots_.size());  // done in while_waiting() normally
        skip_answered();
        // A run of replies with nothing to do in between, up to a command that needs a look of
        // its own: one answered already, or a script's EVALSHA.
        const bool one_at_a_time = any_answered_ || next_use_ < uses_.size();
        return {replies_.data() + next_, one_at_a_time ? 1 : replies_.size() - next_};
    }

    void on_replies(std::size_t n) override {
        if (loads_read_ < loads_.size()) {
            loads_read_ += n;
            return;
        }
        for (const std::size_t end = next_ + n; next_ < end; ++next_) {
            // A script the server would not load: its EVALSHA's NOSCRIPT says less than why.
            if (next_use_ < uses_.size() && uses_[next_use_].first == next_) {
                const reply& load = loads_[uses_[next_use_++].second];
                if (load.is_error()) replies_[next_] = load;
            }
            settle(slots_[next_], requests_, replies_[next_]);
        }
    }

    /// The first command without its outcome yet.
    std::size_t next() const noexcept { return next_; }
    /// Every reply, once all have been read (nil where a command was answered already).
    std::vector<reply> take() noexcept { return std::move(replies_); }

private:
    void skip_answered() noexcept {
        if (!any_answered_) return;
        while (next_ < slots_.size() && slots_[next_].answered) ++next_;
    }

    std::span<const queued> slots_;
    const write_buffer& requests_;
    const script_uses& uses_;
    bool any_answered_;
    slot_list& retired_;
    std::vector<reply> loads_;    // the SCRIPT LOADs' replies
    std::size_t loads_read_ = 0;
    std::size_t next_use_ = 0;    // in uses_
    std::vector<reply> replies_;  // one per queued command, each read into its place
    std::size_t next_ = 0;
};

// Replies of a transaction: SCRIPT LOADs, MULTI's +OK, one +QUEUED (or a refusal) per
// command sent, then EXEC's array (or nil, or EXECABORT).
class batch_queue::transaction_sink final : public connection::reply_sink {
public:
    transaction_sink(std::size_t commands, std::size_t preamble, slot_list& retired)
        : commands_(commands), preamble_(preamble), retired_(retired) {}

    void while_waiting() noexcept override {
        release_dropped_handles();
        retired_.release_all();
    }

    std::span<reply> next_slots() override { return {&scratch_, 1}; }

    void on_replies(std::size_t) override {  // always one: next_slots() offers one place
        reply r = std::move(scratch_);
        scratch_ = reply();
        if (loads_.size() < preamble_) {
            loads_.push_back(std::move(r));
        } else if (!multi_seen_) {
            multi_seen_ = true;
            if (r.is_error()) multi_error_ = std::move(r);
        } else if (queued_ < commands_) {
            if (r.is_error()) refusals_.emplace_back(queued_, std::move(r));
            ++queued_;
        } else {
            exec_ = std::move(r);
        }
    }

    const reply& multi_error() const noexcept { return multi_error_; }
    reply& exec_reply() noexcept { return exec_; }
    /// The SCRIPT LOADs' replies, in order.
    const std::vector<reply>& loads() const noexcept { return loads_; }
    /// Commands the server refused while queuing: their index among those sent, and the error.
    std::vector<std::pair<std::size_t, reply>>& refusals() noexcept { return refusals_; }

private:
    std::size_t commands_;
    std::size_t preamble_;
    slot_list& retired_;
    std::vector<reply> loads_;
    bool multi_seen_ = false;
    reply multi_error_;
    std::size_t queued_ = 0;
    std::vector<std::pair<std::size_t, reply>> refusals_;
    reply exec_;
    reply scratch_;
};

batch_queue::batch_queue(std::shared_ptr<batch_target> target, batch_kind kind)
    : target_(std::move(target)), kind_(kind), timeout_(target_->settings().read_timeout) {
    keep_deferred_releases();  // the handles of its commands are mostly dropped on this thread
}

void batch_queue::add_any(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                          slot_ref<deferred_slot>&& slot) {
    const command_info& command = command_info_of(args);
    // An ordinary command (nearly every one) has one reply, no session effect and no block.
    const bool unusual = args.empty() || &command != &command_table::ordinary;
    const options::duration timeout = unusual ? timeout_with(command, args) : timeout_;
    // Room first, so that running out of memory for the entry cannot leave the request's bytes
    // behind.
    slots_.make_room();
    const bool changes_session = unusual && command.effect == session_effect::changed;
    if (changes_session) session_commands_.emplace_back(args.begin(), args.end());
    const std::size_t at = requests_.size();
    try {
        if (wire_bytes.empty()) encode_command(requests_, args);
        else requests_.append(wire_bytes.data(), wire_bytes.size());
    } catch (...) {
        if (changes_session) session_commands_.pop_back();  // nothing of the command stays queued
        throw;
    }
    slots_.push_unchecked(std::move(slot), at, false);
    ++sent_;
    timeout_ = timeout;
}

// A command in the table is refused here, or may need a longer deadline: the batch's deadline
// with it queued. Changes nothing, so a refusal (or a later failure to queue) leaves the batch as
// it was.
options::duration batch_queue::timeout_with(const command_info& command, std::span<const std::string_view> args) const {
    if (args.empty()) throw error(errc::invalid_argument, "empty command");
    if (needs_own_connection(command)) {
        throw error(errc::invalid_argument,
                    fmt::format("{} cannot be queued in a pipeline or transaction: it needs a connection of "
                                "its own",
                                args[0]));
    }
    refuse_transaction_control(command, args[0]);
    // Inside MULTI a blocking command does not block, so only a pipeline waits longer for one.
    if (kind_ != batch_kind::pipeline || command.timeout == block_timeout::not_blocking || timeout_.count() == 0) {
        return timeout_;
    }
    // Zero is "no limit" on both sides, so it wins.
    const auto t = read_timeout_for(command, args, target_->settings().read_timeout);
    return t.count() == 0 ? t : std::max(timeout_, t);
}

// MULTI, EXEC and DISCARD would cut a batch's own MULTI ... EXEC apart (or, in a pipeline,
// leave its connection in a MULTI); WATCH and UNWATCH only mean something before MULTI.
void batch_queue::refuse_transaction_control(const command_info& command, std::string_view name) const {
    if (command.name == "MULTI" || command.name == "EXEC" || command.name == "DISCARD") {
        throw error(errc::invalid_argument,
                    fmt::format("{} cannot be queued: use redpool::transaction, which sends MULTI and EXEC "
                                "itself",
                                name));
    }
    if (kind_ == batch_kind::transaction && (command.name == "WATCH" || command.name == "UNWATCH")) {
        throw error(errc::invalid_argument,
                    fmt::format("{} cannot be queued in a transaction: it must come before MULTI (see "
                                "client::watch)",
                                name));
    }
}

void batch_queue::add_answered(slot_ref<deferred_slot> slot) {
    slots_.make_room();
    slots_.push_unchecked(std::move(slot), 0, true);
}

namespace {

// Room for one more, growing by doubling: a reserve of size() + 1 at every call would copy the
// whole vector each time.
template <class V>
void make_room_for_one(V& v) {
    if (v.size() == v.capacity()) v.reserve(std::max<std::size_t>(8, 2 * v.size()));
}

}  // namespace

std::size_t batch_queue::load_first(const script& s) {
    const auto index = static_cast<std::size_t>(std::find(loaded_.begin(), loaded_.end(), s.sha1()) - loaded_.begin());
    make_room_for_one(script_uses_);  // so that use_loaded() cannot fail
    if (index == loaded_.size()) {
        make_room_for_one(loaded_);
        std::string sha1 = s.sha1();
        const auto load = cmd::script_load(s.source());
        preamble_.append(load.wire_bytes().data(), load.wire_bytes().size());
        loaded_.push_back(std::move(sha1));  // cannot throw: there is room, and the string moves
    }
    return index;
}

void batch_queue::use_loaded(std::size_t index) noexcept { script_uses_.emplace_back(slots_.size() - 1, index); }

batch_queue::~batch_queue() {
    // So that the slot lists, released as members after this, hold the last references, as in
    // exec().
    release_dropped_handles();
}

void batch_queue::clear() noexcept {
    requests_.clear(requests_keep);
    preamble_.clear(requests_keep);
    // Batches beyond this release their slots at once, so that a huge one does not pin its
    // deferreds' memory until the next exec().
    constexpr std::size_t retire_at_most = 1 << 16;
    if (slots_.size() <= retire_at_most) {
        retired_.release_all();  // normally empty: released while the last exec() waited
        slots_.swap(retired_);
    }
    slots_.release_all(retire_at_most);  // a huge batch's list is given back, as its requests are
    sent_ = 0;
    loaded_.clear();
    script_uses_.clear();
    session_commands_.clear();
    timeout_ = target_->settings().read_timeout;
}

void batch_queue::run(std::string_view before, std::string_view after, std::size_t extra_replies,
                      connection::reply_sink& sink, const std::function<void(connection&)>& check) {
    const std::span<const char> segments[] = {bytes_of(preamble_), bytes_of(before), bytes_of(requests_),
                                              bytes_of(after)};
    // Everything the work needs, behind one reference: a lambda capturing it fits in
    // std::function's own storage, so lending allocates nothing.
    const struct {
        std::span<const std::span<const char>> segments;
        std::size_t replies;
        connection::reply_sink& sink;
        options::duration timeout;
        const std::function<void(connection&)>& check;
    } batch{segments, loaded_.size() + extra_replies + sent_, sink, timeout_, check};
    batch_effects effects{session_commands_, kind_ == batch_kind::transaction};
    target_->lend(effects, [&batch](connection& conn) {
        conn.exchange(batch.segments, batch.replies, batch.sink, batch.timeout);
        if (batch.check) batch.check(conn);
    });
}

std::vector<reply> batch_queue::exec() {
    struct clear_after {
        batch_queue& q;
        ~clear_after() { q.clear(); }
    } cleanup{*this};
    const hooks& observe = target_->settings().hooks;
    if (!observe.on_command) [[likely]] return kind_ == batch_kind::pipeline ? exec_pipeline() : exec_transaction();
    const auto t0 = std::chrono::steady_clock::now();
    const std::string_view name = kind_ == batch_kind::pipeline ? "pipeline" : "transaction";
    const std::size_t commands = slots_.size();
    try {
        auto replies = kind_ == batch_kind::pipeline ? exec_pipeline() : exec_transaction();
        report_command(observe, name, commands, t0, {});
        return replies;
    } catch (...) {
        report_command(observe, name, commands, t0, error_code_of(std::current_exception()));
        throw;
    }
}

std::vector<reply> batch_queue::exec_pipeline() {
    // Nothing for the server (nothing queued, or only commands answered already): no round trip.
    if (sent_ == 0) return std::vector<reply>(slots_.size());
    pipeline_sink sink(slots_, requests_, loaded_.size(), script_uses_, sent_ != slots_.size(), retired_);
    try {
        run({}, {}, 0, sink);
    } catch (...) {
        // The commands before next() have their outcomes; none of the others sent has one.
        const auto failure = std::current_exception();
        for (std::size_t i = sink.next(); i < slots_.size(); ++i) {
            if (!slots_[i].answered) slots_[i].slot->fail(failure);
        }
        throw;
    }
    return sink.take();
}

std::vector<reply> batch_queue::exec_transaction() {
    if (sent_ == 0) return std::vector<reply>(slots_.size());
    const auto fail_all = [this](std::exception_ptr failure) {
        for (auto& q : slots_) {
            if (!q.answered) q.slot->fail(failure);
        }
    };
    // Where the k-th command sent sits among those queued: k itself unless some were answered
    // without the server (then listed, once per exec()).
    std::vector<std::size_t> sent_index;
    if (sent_ != slots_.size()) {
        sent_index.reserve(sent_);
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            if (!slots_[i].answered) sent_index.push_back(i);
        }
    }
    const auto slot_of = [&](std::size_t k) { return sent_index.empty() ? k : sent_index[k]; };
    const auto sent_position = [&](std::size_t slot) {
        return sent_index.empty() ? slot
                                  : static_cast<std::size_t>(std::lower_bound(sent_index.begin(), sent_index.end(), slot) -
                                                             sent_index.begin());
    };
    transaction_sink sink(sent_, loaded_.size(), retired_);
    bool slots_failed = false;
    try {
        run(encoded_multi, encoded_exec, 2, sink, [&](connection& conn) {
            // Thrown on the connection's turn, so that a pinned connection does not take the
            // transaction as over. A refused MULTI: the commands ran one by one, and EXEC was
            // refused too.
            if (!sink.multi_error().is_nil()) throw reply_error(std::string(sink.multi_error().as_string()));
            // EXEC refused other than with EXECABORT leaves the MULTI open (7.0 turns even an
            // ACL denial of EXEC into EXECABORT, older servers may not): the connection must not
            // serve anyone again.
            const reply& result = sink.exec_reply();
            if (result.is_error() && !result.as_string().starts_with("EXECABORT")) {
                conn.close();
                throw reply_error(std::string(result.as_string()));
            }
        });
        reply& result = sink.exec_reply();
        if (result.is_error()) {
            // EXECABORT: a command was refused while queuing; it keeps its own error.
            std::vector<bool> refused(slots_.size(), false);
            for (auto& [index, refusal] : sink.refusals()) {
                const queued& q = slots_[slot_of(index)];
                q.slot->settle(refusal, requests_.data() + q.at);
                refused[slot_of(index)] = true;
            }
            const auto abort = std::make_exception_ptr(reply_error(result.take_string()));
            for (std::size_t i = 0; i < slots_.size(); ++i) {
                if (!refused[i] && !slots_[i].answered) slots_[i].slot->fail(abort);
            }
            slots_failed = true;
            std::rethrow_exception(abort);
        }
        if (result.is_nil()) {
            throw error(errc::tx_failed, "transaction failed: a WATCHed key changed, so EXEC ran nothing");
        }
        if (!result.is_array() || result.size() != sent_) {
            throw error(errc::protocol_error,
                        fmt::format("EXEC answered {} replies for {} commands",
                                    result.is_array() ? result.size() : 0, sent_));
        }
        std::vector<reply>& ran = result.elements();
        // A script the server would not load: its EVALSHA's NOSCRIPT says less than why.
        for (const auto& [slot, loaded] : script_uses_) {
            if (sink.loads()[loaded].is_error()) {
                ran[sent_position(slot)] = sink.loads()[loaded];
            }
        }
        if (sent_ == slots_.size()) {
            for (std::size_t i = 0; i < slots_.size(); ++i) settle(slots_[i], requests_, ran[i]);
            return std::move(ran);
        }
        std::vector<reply> replies(slots_.size());  // nil where a command was answered already
        for (std::size_t k = 0; k < sent_; ++k) {
            replies[slot_of(k)] = std::move(ran[k]);
            settle(slots_[slot_of(k)], requests_, replies[slot_of(k)]);
        }
        return replies;
    } catch (...) {
        if (!slots_failed) fail_all(std::current_exception());
        throw;
    }
}

}  // namespace redpool::detail
