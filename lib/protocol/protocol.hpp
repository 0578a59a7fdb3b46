// detail::protocol — RESP on the wire: commands encoded as arrays of bulk strings, and replies
// parsed by hiredis's reader straight into redpool::reply. Sans-I/O: bytes in, values out, so
// it is tested by feeding bytes, with no socket.
#pragma once

#include <cstddef>
#include <exception>
#include <span>
#include <string_view>

#include "redpool/detail/encode.hpp"
#include "lib/protocol/write_buffer.hpp"
#include "redpool/reply.hpp"

struct redisReader;

namespace redpool::detail {

/// Appends `args` as one RESP command (`*N\r\n$len\r\narg\r\n...`). Binary-safe.
void encode_command(write_buffer& out, std::span<const std::string_view> args);

/// Bounds on what one reply may claim, against a broken or hostile server.
struct reply_limits {
    std::size_t max_bulk_length;
    std::size_t max_array_elements;
    int max_depth;
};

/// Who parses what. `simple_replies_here` (the default): status, error, integer and bulk
/// replies are read by `scan_simple_reply`, arrays and anything unusual by hiredis.
/// `hiredis_only`: everything by hiredis, for tests that compare the two.
enum class reply_parsing { simple_replies_here, hiredis_only };

/// Parses a byte stream into replies. After an error the stream is lost for good: the reader
/// keeps failing, and the connection it belongs to must be closed.
class reply_reader {
public:
    explicit reply_reader(reply_limits limits, reply_parsing parsing = reply_parsing::simple_replies_here);
    ~reply_reader();
    reply_reader(const reply_reader&) = delete;
    reply_reader& operator=(const reply_reader&) = delete;

    /// Adds received bytes.
    void feed(const char* data, std::size_t size);

    /// Puts the next complete reply into `out` (replacing what it held) and returns true, or
    /// returns false if more bytes are needed, leaving `out` as it was. Throws `redpool::error` with `errc::protocol_error` (malformed or too
    /// deeply nested) or `errc::reply_too_large` (over a limit), or `std::bad_alloc` when
    /// building the reply runs out of memory; after any of them the reader stays failed.
    bool next(reply& out);
    /// Puts as many complete replies as have arrived, up to `out.size()`, into `out` in order,
    /// and returns how many. Replies completed before a failure are returned first; the
    /// failure is thrown by the next call.
    std::size_t next_into(std::span<reply> out);

    /// Whether bytes were fed that no returned reply has consumed yet.
    bool has_buffered_bytes() const noexcept;

    /// Whether an error has ended the stream.
    bool failed() const noexcept;

private:
    // hiredis's callbacks; they build the reply in place (see protocol.cpp).
    friend struct reply_builder;

    reply* slot_for(const void* task);
    // Whether hiredis holds no bytes and no reply under way: then fed bytes go to pending_.
    bool hiredis_idle() const noexcept;
    // Gives pending_'s bytes to hiredis, for a reply only it reads; false if it failed.
    bool hand_pending_to_hiredis();
    [[noreturn]] void throw_failure();
    // Keeps the exception being handled, for every later call to rethrow: the reader is failed.
    void fail_with_current_exception(const char* what) noexcept;
    void check_pending_bulk_header();

    redisReader* reader_;
    reply_limits limits_;
    reply_parsing parsing_;
    // Bytes fed while hiredis was idle, read from pending_at_ on. Invariant: while these are
    // not all read, hiredis holds nothing, so every byte is in exactly one place, in order.
    write_buffer pending_;
    std::size_t pending_at_ = 0;
    reply root_;                   // an array being built; moved out when complete
    reply* target_ = nullptr;      // next()'s `out`, where any other reply is built directly
    const char* failure_ = nullptr;  // why a callback refused, when it did
    bool failure_too_large_ = false;
    std::exception_ptr exception_;   // what a callback caught (it must not cross hiredis)
};

}  // namespace redpool::detail
