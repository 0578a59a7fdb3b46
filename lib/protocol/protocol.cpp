// RESP encoding, and hiredis's reader with callbacks that build redpool::reply in place.
// This is the only file that includes hiredis.
#include "lib/protocol/protocol.hpp"

#include <hiredis/read.h>

#include <cstdint>
#include <limits>
#include <new>

#include <fmt/format.h>

#include "lib/protocol/simple_reply.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

// pending_ keeps no more memory than this once it is empty, after a large reply passed through.
constexpr std::size_t pending_keep = 64 * 1024;

}  // namespace

void encode_command(write_buffer& out, std::span<const std::string_view> args) {
    if (const std::size_t bound = short_command_bound(args); bound != 0) {
        char* const request = out.reserve_tail(bound);
        out.commit(static_cast<std::size_t>(encode_short_command_at(request, args, nullptr) - request));
        return;
    }
    const std::size_t size = encoded_size(args);
    encode_command_at(out.reserve_tail(size), args, nullptr);
    out.commit(size);
}

// --- the reply builder ----------------------------------------------------------------------
//
// hiredis calls these as it parses. Each returns the reply it filled; hiredis hands that back as
// the parent of the next elements (task->parent->obj). Children are appended to their parent's
// vector. Appending may move earlier siblings, but hiredis only keeps pointers to the path from
// the root to the element being parsed, and every reply on that path is the last element of its
// parent, which no later append at a deeper level can move. Returning nullptr makes hiredis fail
// with "Out of memory"; `failure_` records the real reason.
//
// Trap: these run inside hiredis's C frames, which a C++ exception must never cross. Building a
// reply allocates, so each callback catches everything, keeps the exception, and fails the
// parse; next() rethrows it once hiredis has returned.

struct reply_builder {
    static reply_reader& owner(const redisReadTask* task) {
        return *static_cast<reply_reader*>(task->privdata);
    }

    // Where this element goes, emptied of whatever next()'s `out` held before.
    static reply* slot(reply_reader& self, const redisReadTask* task) {
        reply* r = self.slot_for(task);
        if (r == self.target_) r->clear();
        return r;
    }

    template <typename Build>
    static void* guarded(const redisReadTask* task, Build build) noexcept {
        try {
            return build(owner(task));
        } catch (...) {
            owner(task).fail_with_current_exception("building the reply failed");
            return nullptr;
        }
    }

    static void* create_string(const redisReadTask* task, char* data, std::size_t size) {
        return guarded(task, [&](reply_reader& self) -> void* {
            reply_type type = task->type == REDIS_REPLY_ERROR    ? reply_type::error
                              : task->type == REDIS_REPLY_STATUS ? reply_type::status
                                                                 : reply_type::string;
            if (type == reply_type::string && size > self.limits_.max_bulk_length) {
                self.failure_ = "bulk string longer than max_bulk_length";
                self.failure_too_large_ = true;
                return nullptr;
            }
            reply* slot = reply_builder::slot(self, task);
            slot->set_text(type, data, size);
            return slot;
        });
    }

    static void* create_array(const redisReadTask* task, int elements) {
        return guarded(task, [&](reply_reader& self) { return build_array(self, task, elements); });
    }

    static void* build_array(reply_reader& self, const redisReadTask* task, int elements) {
        if (static_cast<std::size_t>(elements) > self.limits_.max_array_elements) {
            self.failure_ = "array with more elements than max_array_elements";
            self.failure_too_large_ = true;
            return nullptr;
        }
        int depth = 1;
        for (const redisReadTask* t = task->parent; t != nullptr; t = t->parent) ++depth;
        if (depth > self.limits_.max_depth) {
            self.failure_ = "arrays nested deeper than max_reply_depth";
            return nullptr;
        }
        // Reserve only what the bytes already received can fill (each element takes at least
        // 3 bytes), so a header claiming 2^31 elements allocates nothing ahead of the data.
        const redisReader* r = self.reader_;
        std::size_t received = (r->len - r->pos) / 3;
        reply* slot = reply_builder::slot(self, task);
        slot->set_array(std::min<std::size_t>(static_cast<std::size_t>(elements), received));
        return slot;
    }

    static void* create_integer(const redisReadTask* task, long long value) {
        return guarded(task, [&](reply_reader& self) {
            reply* slot = reply_builder::slot(self, task);
            slot->set_integer(value);
            return slot;
        });
    }

    static void* create_nil(const redisReadTask* task) {
        return guarded(task, [&](reply_reader& self) {
            reply* slot = reply_builder::slot(self, task);
            *slot = reply();
            return slot;
        });
    }

    // A reply scan_simple_reply recognised, built into `slot` (whatever it held before).
    static void build_simple(reply& slot, const simple_reply& s) {
        slot.clear();
        switch (s.kind) {
            case '+': slot.set_text(reply_type::status, s.text, s.text_size); break;
            case '-': slot.set_text(reply_type::error, s.text, s.text_size); break;
            case ':': slot.set_integer(s.integer); break;
            default:
                if (!s.nil) slot.set_text(reply_type::string, s.text, s.text_size);
                break;
        }
    }

    // Replies live in the reader's root or inside their parents, so nothing is freed here;
    // hiredis calls this for the root after an error, and the root is reset before reuse.
    static void free_object(void*) {}
};

namespace {

redisReplyObjectFunctions builder_functions = {
    reply_builder::create_string, reply_builder::create_array, reply_builder::create_integer,
    reply_builder::create_nil, reply_builder::free_object,
};

}  // namespace

reply_reader::reply_reader(reply_limits limits, reply_parsing parsing)
    : reader_(redisReaderCreateWithFunctions(&builder_functions)), limits_(limits), parsing_(parsing) {
    if (reader_ == nullptr) throw std::bad_alloc();
    reader_->privdata = this;
}

reply_reader::~reply_reader() { redisReaderFree(reader_); }

// A top-level array is built in root_, since it may take several next() calls to complete; any
// other reply arrives whole, in one callback, so it is built straight into next()'s `out`.
reply* reply_reader::slot_for(const void* task_ptr) {
    auto* task = static_cast<const redisReadTask*>(task_ptr);
    if (task->parent == nullptr) {
        return task->type == REDIS_REPLY_ARRAY || target_ == nullptr ? &root_ : target_;
    }
    auto* parent = static_cast<reply*>(task->parent->obj);
    return &parent->elements().emplace_back();
}

void reply_reader::feed(const char* data, std::size_t size) {
    if (failed()) throw_failure();
    if (size == 0) return;
    if (parsing_ == reply_parsing::hiredis_only || !hiredis_idle()) {
        if (redisReaderFeed(reader_, data, size) != REDIS_OK) throw_failure();
        return;
    }
    // What was read goes; a partial reply moves to the front (it is short, or alone).
    if (pending_at_ == pending_.size()) {
        pending_.clear(pending_keep);
    } else if (pending_at_ > 0) {
        pending_.discard_front(pending_at_);
    }
    pending_at_ = 0;
    try {
        pending_.append(data, size);
    } catch (...) {
        fail_with_current_exception("buffering the reply failed");  // the bytes, so the stream, are lost
        throw;
    }
}

void reply_reader::fail_with_current_exception(const char* what) noexcept {
    exception_ = std::current_exception();
    failure_ = what;
}

bool reply_reader::hiredis_idle() const noexcept {
    return reader_->len == reader_->pos && (reader_->ridx < 0 || reader_->rstack[0].type < 0);
}

bool reply_reader::hand_pending_to_hiredis() {
    const int status = redisReaderFeed(reader_, pending_.data() + pending_at_, pending_.size() - pending_at_);
    pending_.clear(pending_keep);
    pending_at_ = 0;
    return status == REDIS_OK;  // else hiredis is failed (out of memory), and says so
}

std::size_t reply_reader::next_into(std::span<reply> out) {
    if (failed()) throw_failure();
    std::size_t n = 0;
    while (n < out.size()) {
        if (pending_at_ < pending_.size()) {
            simple_reply simple;
            const simple_scan scan = scan_simple_reply(pending_.data() + pending_at_, pending_.data() + pending_.size(),
                                                       limits_.max_bulk_length, simple);
            if (scan == simple_scan::complete) {
                try {
                    reply_builder::build_simple(out[n], simple);
                } catch (...) {
                    // As when a hiredis callback fails: the replies before this one first.
                    fail_with_current_exception("building the reply failed");
                    if (n == 0) throw_failure();
                    break;
                }
                pending_at_ += simple.size;
                ++n;
                continue;
            }
            if (scan == simple_scan::incomplete) break;
            if (!hand_pending_to_hiredis()) {
                if (n == 0) throw_failure();
                break;
            }
        } else if (hiredis_idle()) {
            break;  // nothing has arrived that is not read
        }
        void* done = nullptr;
        target_ = &out[n];
        const int status = redisReaderGetReply(reader_, &done);
        target_ = nullptr;
        // After n complete replies, a failure waits for the next call: the reader stays failed
        // (failure_, or hiredis's own error state), so that call throws it.
        if (status != REDIS_OK) {
            if (n == 0) throw_failure();
            break;
        }
        if (done == nullptr) {
            if (n == 0) check_pending_bulk_header();
            break;
        }
        if (done == &root_) {
            out[n] = std::move(root_);
            root_ = reply();
        }
        ++n;
    }
    return n;
}

bool reply_reader::next(reply& out) { return next_into(std::span<reply>(&out, 1)) == 1; }

// hiredis only looks at a bulk string once all of it has arrived, so a header such as
// `$2147483647` would make it buffer up to 2 GiB before any callback could refuse it. When a
// bulk string is pending, hiredis has consumed its `$` and `pos` is at the length's digits:
// check them now, before the body arrives. The verdict must not depend on how the bytes were
// split (the fuzzer's oracle): a length hiredis would refuse as malformed once its line ends
// (a stray byte, a leading zero, more than fits a long long) is a protocol error here too, and
// only a well-formed length is judged against max_bulk_length, once its line has ended. At
// most 19 digits are buffered waiting for that.
void reply_reader::check_pending_bulk_header() {
    if (reader_->ridx < 0 || reader_->rstack[reader_->ridx].type != REDIS_REPLY_STRING) return;
    const char* const first = reader_->buf + reader_->pos;
    const char* const end = reader_->buf + reader_->len;
    if (first < end && *first == '-') return;  // nil, or an error hiredis reports itself
    constexpr std::size_t max_digits = 19;     // LLONG_MAX has 19
    std::uint64_t length = 0;
    const char* at = first;
    for (; at < end && *at >= '0' && *at <= '9'; ++at) {
        if (static_cast<std::size_t>(at - first) == max_digits) break;
        length = length * 10 + static_cast<std::uint64_t>(*at - '0');
    }
    const std::size_t digits = static_cast<std::size_t>(at - first);
    // hiredis ends a line only at CR LF: a CR followed by anything else is part of the length.
    const bool malformed = (digits > 1 && *first == '0') || (at < end && *at != '\r') ||
                           (at + 1 < end && at[1] != '\n') || (at < end && digits == 0) ||
                           length > static_cast<std::uint64_t>(std::numeric_limits<long long>::max());
    if (malformed) {
        failure_ = "bad bulk string length";
        failure_too_large_ = false;
        throw_failure();
    }
    if (at == end || at + 1 == end) return;  // the line goes on: wait for its CR LF
    if (length > limits_.max_bulk_length) {
        failure_ = "bulk string longer than max_bulk_length";
        failure_too_large_ = true;
        throw_failure();
    }
}

// hiredis leaves ridx at 0 with an untyped task when it merely looked for a next reply, so a
// reply is only under way once the root task has a type.
bool reply_reader::has_buffered_bytes() const noexcept {
    return pending_at_ < pending_.size() || reader_->len > reader_->pos ||
           (reader_->ridx >= 0 && reader_->rstack[0].type >= 0);
}

bool reply_reader::failed() const noexcept { return reader_->err != 0 || failure_ != nullptr; }

void reply_reader::throw_failure() {
    root_ = reply();
    if (exception_) std::rethrow_exception(exception_);  // the reader stays failed
    if (failure_ != nullptr) {
        throw error(failure_too_large_ ? errc::reply_too_large : errc::protocol_error, failure_);
    }
    throw error(errc::protocol_error, fmt::format("invalid reply: {}", reader_->errstr));
}

}  // namespace redpool::detail
