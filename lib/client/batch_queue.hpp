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

#include "lib/client/batch_target.hpp"
#include "lib/protocol/write_buffer.hpp"
#include "redpool/deferred.hpp"
#include "redpool/options.hpp"
#include "redpool/reply.hpp"
#include "redpool/script.hpp"

namespace redpool::detail {

class batch_queue {
public:
    explicit batch_queue(std::shared_ptr<batch_target> target);

    /// Encodes one command. Throws `errc::invalid_argument` (queuing nothing) for an empty
    /// command or one that needs a connection of its own.
    void add(std::span<const std::string_view> args, std::shared_ptr<deferred_slot> slot);
    /// Makes sure `s` is loaded before the batch's commands run: one SCRIPT LOAD per distinct
    /// script, sent ahead of them. Its reply is not one of the batch's.
    void load_first(const script& s);

    std::size_t size() const noexcept { return slots_.size(); }

    /// A queued command: where its outcome goes, and where its request starts in `requests_`.
    struct queued {
        std::shared_ptr<deferred_slot> slot;
        std::size_t at;
    };
    void clear() noexcept;

    /// Runs the queue as a pipeline / as MULTI ... EXEC, then empties it (also when it throws).
    std::vector<reply> exec_pipeline();
    std::vector<reply> exec_transaction();

private:
    class pipeline_sink;
    class transaction_sink;

    // Lends a connection and streams the preamble, `before`, the requests and `after` on it.
    void run(std::string_view before, std::string_view after, std::size_t extra_replies,
             connection::reply_sink& sink, bool transaction);

    std::shared_ptr<batch_target> target_;
    write_buffer requests_;                            // every queued command, encoded
    std::vector<queued> slots_;                        // one per queued command, in order
    write_buffer preamble_;                            // SCRIPT LOADs
    std::vector<std::string> loaded_;                  // the SHA-1s in the preamble
    std::vector<std::vector<std::string>> session_commands_;
    options::duration timeout_;                        // the longest read deadline queued
    bool timeout_unbounded_ = false;                   // a command that may block forever
};

}  // namespace redpool::detail
