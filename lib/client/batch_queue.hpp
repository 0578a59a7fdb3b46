// detail::batch_queue — the commands of a pipeline or transaction, encoded as they are queued
// (the request bytes are held once, never copied again), and how the batch runs: one stream of
// requests and replies on the connection its target lends.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/pod_list.hpp"
#include "lib/client/batch_target.hpp"
#include "lib/commands/command_table.hpp"
#include "lib/protocol/write_buffer.hpp"
#include "redpool/deferred.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"
#include "redpool/script.hpp"

namespace redpool::detail {

/// Which queued command (its slot) runs which loaded script (its index), in slot order.
using script_uses = std::vector<std::pair<std::size_t, std::size_t>>;

/// Whether a batch runs as a pipeline or as MULTI ... EXEC.
enum class batch_kind { pipeline, transaction };

class batch_queue {
public:
    batch_queue(std::shared_ptr<batch_target> target, batch_kind kind);
    ~batch_queue();
    batch_queue(const batch_queue&) = delete;
    batch_queue& operator=(const batch_queue&) = delete;

    /// Queues one command: `wire_bytes` is its request already encoded, or empty to encode
    /// `args` here. Throws `errc::invalid_argument` (queuing nothing) for an empty
    /// command, one that needs a connection of its own, MULTI, EXEC or DISCARD (a transaction
    /// sends its own), and in a transaction WATCH and UNWATCH (which must come before MULTI).
    void add(std::span<const std::string_view> args, std::span<const char> wire_bytes,
             slot_ref<deferred_slot>&& slot) {
        // Nearly every command: encoded already (so `args` is not empty, which
        // command_info_of would take as ordinary), ordinary (one reply, no session effect, no
        // block: the batch's deadline stands), and with room for it.
        if (!wire_bytes.empty() && !slots_.full() && &command_info_of(args) == &command_table::ordinary &&
            requests_.append_in_place(wire_bytes.data(), wire_bytes.size())) {
            slots_.push_unchecked(std::move(slot), requests_.size() - wire_bytes.size(), false);
            ++sent_;
            return;
        }
        add_any(args, wire_bytes, std::move(slot));
    }
    /// Keeps the place of a command answered without the server (its slot is settled already),
    /// so that exec()'s replies stay one per queued command, in order: a nil reply there.
    void add_answered(slot_ref<deferred_slot> slot);
    /// Makes sure `s` is loaded before the batch's commands run: one SCRIPT LOAD per distinct
    /// script, sent ahead of them, and returns its index for `use_loaded`. Call it before
    /// queuing the script's EVALSHA: all that may throw is here, so a failure leaves the batch
    /// as it was, or with a SCRIPT LOAD nothing uses (harmless: its reply is dropped).
    std::size_t load_first(const script& s);
    /// The command just queued (the script's EVALSHA) runs loaded script `index`. Its SCRIPT
    /// LOAD's reply is not one of the batch's, but if the server refuses to load the script (a
    /// syntax error), the EVALSHA gets that error instead of its NOSCRIPT. Cannot fail.
    void use_loaded(std::size_t index) noexcept;

    std::size_t size() const noexcept { return slots_.size(); }
    /// An empty queue on the same target, of the same kind (what a batch keeps when an async
    /// exec takes its queue away).
    std::unique_ptr<batch_queue> make_empty_like() const { return std::make_unique<batch_queue>(target_, kind_); }
    /// Forgets the queued commands. Their slots (the queue's references to their deferreds)
    /// are only released during the next exec()'s wait for the server, or with the queue: an
    /// idle client has nothing better to do then, while exec()'s caller is waiting now.
    void clear() noexcept;

    /// Runs the queue as its kind says, then empties it (also when it throws).
    std::vector<reply> exec();

    /// A queued command: where its outcome goes, and where its request starts in `requests_`
    /// (`answered`: none, it was answered without the server). `slot` is the queue's counted
    /// reference, owned by the `slot_list` holding the entry: a plain pointer, so that an entry
    /// is trivially copied and queuing one is a few stores.
    struct queued {
        deferred_slot* slot;
        std::size_t at;
        bool answered;
    };

    /// Queued commands in order, owning their slots' references: every way of emptying the
    /// list (release_all, the destructor) releases them.
    class slot_list {
    public:
        slot_list() = default;
        slot_list(const slot_list&) = delete;
        slot_list& operator=(const slot_list&) = delete;
        ~slot_list() { release_all(); }

        std::size_t size() const noexcept { return entries_.size(); }
        bool full() const noexcept { return entries_.full(); }
        /// Room for one more; may throw std::bad_alloc, changing nothing.
        void make_room() { entries_.make_room(); }
        /// Takes over `slot`'s reference, into room made already (`!full()`).
        void push_unchecked(slot_ref<deferred_slot>&& slot, std::size_t at, bool answered) noexcept {
            entries_.push_unchecked({slot.detach(), at, answered});
        }
        const queued& operator[](std::size_t i) const noexcept { return entries_[i]; }
        const queued* begin() const noexcept { return entries_.begin(); }
        const queued* end() const noexcept { return entries_.end(); }
        operator std::span<const queued>() const noexcept { return entries_; }
        void swap(slot_list& other) noexcept { entries_.swap(other.entries_); }
        /// Releases every reference and empties the list, keeping its memory unless it grew
        /// past `keep` entries.
        void release_all(std::size_t keep = std::size_t(-1)) noexcept {
            for (const queued& q : entries_) q.slot->release();
            entries_.clear(keep);
        }

    private:
        pod_list<queued> entries_;
    };

private:
    class pipeline_sink;
    class transaction_sink;

    void add_any(std::span<const std::string_view> args, std::span<const char> wire_bytes,
                 slot_ref<deferred_slot>&& slot);
    options::duration timeout_with(const command_info& command, std::span<const std::string_view> args) const;
    void refuse_transaction_control(const command_info& command, std::string_view name) const;
    std::vector<reply> exec_pipeline();
    std::vector<reply> exec_transaction();
    // Lends a connection and streams the preamble, `before`, the requests and `after` on it;
    // `check` runs on the connection's turn after the exchange.
    void run(std::string_view before, std::string_view after, std::size_t extra_replies,
             connection::reply_sink& sink, const std::function<void(connection&)>& check = {});

    std::shared_ptr<batch_target> target_;
    batch_kind kind_;
    write_buffer requests_;                            // every queued command, encoded
    slot_list slots_;                                  // one per queued command, in order
    // The slots of the last batch, released while the next one waits for the server rather
    // than on the way out of exec() (see clear()).
    slot_list retired_;
    std::size_t sent_ = 0;                             // slots that go to the server
    write_buffer preamble_;                            // SCRIPT LOADs
    std::vector<std::string> loaded_;                  // the SHA-1s in the preamble
    script_uses script_uses_;                          // EVALSHAs: slot, index in loaded_
    std::vector<std::vector<std::string>> session_commands_;
    options::duration timeout_;                        // the longest read deadline queued; 0: none
};

}  // namespace redpool::detail
