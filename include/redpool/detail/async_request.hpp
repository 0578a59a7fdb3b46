// detail::async_request — one operation of an `async_client` while the library owns it: the
// request's bytes, where its reply goes, and how to complete the caller's handler. Not part of
// the API: `async_client.hpp` derives one class per handler type from it, and the multiplexer
// (lib/mux) moves it through its queues without knowing the handler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "redpool/reply.hpp"

namespace redpool::detail {

/// The request as it goes on the wire, owned: an operation copies it when it is made, so that
/// lazy completion tokens (use_awaitable, deferred) may start it after the caller's arguments
/// are gone. Short requests (nearly all) live inline.
class request_bytes {
public:
    request_bytes() noexcept = default;
    request_bytes(request_bytes&& other) noexcept : heap_(std::move(other.heap_)), size_(other.size_) {
        if (!heap_ && size_ != 0) std::memcpy(inline_, other.inline_, size_);
        other.size_ = 0;
    }
    /// A deferred operation (asio::experimental::deferred) may be launched more than once, each
    /// launch with a copy of its arguments.
    request_bytes(const request_bytes& other) : request_bytes(other.bytes()) {}
    request_bytes& operator=(const request_bytes&) = delete;
    explicit request_bytes(std::span<const char> bytes) : size_(bytes.size()) {
        char* to = inline_;
        if (size_ > sizeof(inline_)) {
            heap_.reset(new char[size_]);
            to = heap_.get();
        }
        if (size_ != 0) std::memcpy(to, bytes.data(), size_);
    }
    std::span<const char> bytes() const noexcept { return {heap_ ? heap_.get() : inline_, size_}; }
    /// The command's name (its first argument), for messages; empty if there is none.
    std::string_view command_name() const noexcept {
        const std::string_view all(bytes().data(), size_);  // *N\r\n$len\r\nNAME\r\n...
        const std::size_t length_at = all.find("\r\n$");
        const std::size_t name_at = length_at == std::string_view::npos ? length_at : all.find("\r\n", length_at + 2);
        if (name_at == std::string_view::npos) return {};
        const std::size_t name_end = all.find("\r\n", name_at + 2);
        return name_end == std::string_view::npos ? std::string_view() : all.substr(name_at + 2, name_end - name_at - 2);
    }

private:
    std::unique_ptr<char[]> heap_;
    std::size_t size_ = 0;
    char inline_[96];
};

/// How a request travels.
enum class request_route : unsigned char {
    shared,     ///< on a multiplexed connection, pipelined with other callers' requests
    dedicated,  ///< on a pooled connection of its own (blocking and session commands)
    batch,      ///< a pipeline or transaction, on a pooled connection of its own (`run_batch`)
    local,      ///< nowhere: answered without the server (a command answered locally)
    refused,    ///< nowhere: completes with `errc::invalid_argument` (empty, or not for a shared client)
};

class wake_tree;  // lib/mux/sync_request.hpp

/// An operation handed to the library. The library calls `deliver` exactly once, and `dispose`
/// when it is done with the request: at once, or, for a request cancelled after it was sent,
/// once its reply has been read and dropped. A request dropped without `deliver` (its executor
/// is gone) destroys the caller's handler with it.
class async_request {
public:
    async_request(request_bytes wire, request_route route) noexcept : bytes(std::move(wire)), route(route) {}
    async_request(const async_request&) = delete;
    async_request& operator=(const async_request&) = delete;
    virtual ~async_request() = default;

    /// Hands `result` (moved out), or the failure `ec`, to the caller's handler, through the
    /// handler's executor: never inline.
    virtual void deliver(std::error_code ec) noexcept = 0;
    /// `deliver({})` for one of the replies read in one go. A caller sleeping on a futex
    /// (`client` with `multiplex`) joins `tree` instead, to be woken with the others once they
    /// are all parsed; every other kind delivers at once.
    virtual void deliver_among(wake_tree&) noexcept { deliver({}); }
    /// What the library calls instead of `delete` when it is done with the request (a caller
    /// that waits on it may still be reading it).
    virtual void dispose() noexcept { delete this; }
    /// For route `batch`: runs the batch, blocking (on a thread of the library's); its failure.
    virtual std::error_code run_batch() noexcept { return {}; }

    const request_bytes bytes;
    const request_route route;
    /// Where the reply is read into.
    reply result;

    // --- owned by the library while the request is in its hands -------------------------------
    async_request* next_submitted = nullptr;  // the submit queue's link
    async_request* next = nullptr;            // the link of the loop's lists (waiting, in flight)
    std::uint64_t id = 0;                     // for cancellation: unique per client
    std::uint64_t wire_end = 0;               // the connection's byte count once it is all sent
    std::chrono::steady_clock::time_point queued_at{};  // when it began to wait for room
    int retries = 0;                          // resent after a connection failed before sending it
    bool abandoned = false;                   // cancelled after it was sent: drop its reply
    bool in_doubt = false;                    // failed after it was sent: it may have run
    std::atomic<bool> claimed{false};         // dedicated route: completed by the run or by shutdown
};

}  // namespace redpool::detail
