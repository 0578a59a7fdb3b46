// redpool::pinned — a pooled connection of one's own — and the client methods that make one:
// pin(), and watch() for optimistic locking. The session bookkeeping and the reset on release
// are the pinned_session's; run_script is in script.cpp.
#include "redpool/pinned.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/client/batch_queue.hpp"
#include "lib/client/client_core.hpp"
#include "lib/client/pinned_session.hpp"
#include "lib/commands/command_args.hpp"
#include "redpool/client.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {


// Borrows as every client call does: pool_timeout for all attempts, a failed dial retried with
// backoff up to max_retries times (nothing was sent yet).
detail::connection_pool::lease borrow(detail::client_core& core) {
    detail::connection_pool::lease lease;
    detail::with_retries(core.settings(), [&](detail::connection_pool::wait_budget& waiting, bool last) {
        lease = detail::borrow_for_attempt(core.pool(), waiting, last);
        return static_cast<bool>(lease);
    });
    return lease;
}

// The session of a pinned object that was not released or moved from.
detail::pinned_session& live(const std::shared_ptr<detail::pinned_session>& session) {
    if (!session) throw error(errc::connection_broken, "the pinned connection was released");
    return *session;
}

}  // namespace

pinned::pinned(std::shared_ptr<detail::pinned_session> session) noexcept : session_(std::move(session)) {}

pinned::pinned(pinned&&) noexcept = default;

// The session this object held (if no pipeline shares it) is released here, reset first.
pinned& pinned::operator=(pinned&& other) noexcept {
    if (this != &other) session_ = std::move(other.session_);
    return *this;
}

pinned::~pinned() = default;

void pinned::release() noexcept { session_.reset(); }

reply pinned::exec(std::initializer_list<std::string_view> args) {
    return live(session_).exec(detail::as_span(args));
}

reply pinned::exec(std::span<const std::string_view> args) { return live(session_).exec(args); }

reply pinned::exec(const std::vector<std::string>& args) { return live(session_).exec(views(args)); }

reply pinned::exec(std::span<const std::string_view> args, std::error_code& ec) noexcept {
    return detail::exec_noexcept([&] { return live(session_).exec(args); }, ec);
}

reply pinned::run_checked(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    detail::pinned_session& session = live(session_);
    if (session.in_multi()) {
        throw error(errc::invalid_argument,
                    fmt::format("{} cannot run as a typed command inside the MULTI opened with exec(): its reply "
                                "would be +QUEUED (use exec(), or transaction())",
                                args.empty() ? std::string_view() : args[0]));
    }
    reply r = session.exec(args, wire_bytes);
    detail::throw_if_error(r);
    return r;
}

// Both share the session: the connection stays pinned while either lives.
redpool::pipeline pinned::pipeline() {
    live(session_);
    return redpool::pipeline(std::make_unique<detail::batch_queue>(session_, detail::batch_kind::pipeline));
}

redpool::transaction pinned::transaction() {
    live(session_);
    return redpool::transaction(std::make_unique<detail::batch_queue>(session_, detail::batch_kind::transaction));
}

// --- on the client ---------------------------------------------------------------------------

redpool::pinned pinned::pin_on(detail::client_core& core, const char* file, int line) {
    detail::connection_pool::lease lease = borrow(core);
    auto session = std::make_shared<detail::pinned_session>(core.shared_pool(), std::move(lease), core.shared_settings());
    session->track_as(core.track_lease("pinned connection", file, line));
    return pinned(std::move(session));
}

void pinned::watch_keys(std::span<const std::string_view> keys) {
    std::vector<std::string_view> args;
    args.reserve(keys.size() + 1);
    args.push_back("WATCH");
    args.insert(args.end(), keys.begin(), keys.end());
    run_checked(args, {});
}

redpool::pinned client::pin(const char* file, int line) { return pinned::pin_on(*core_, file, line); }

void client::watch(std::initializer_list<std::string_view> keys, std::function<void(redpool::pinned&)> fn) {
    watch(detail::as_span(keys), std::move(fn));
}

void client::watch(std::span<const std::string_view> keys, std::function<void(redpool::pinned&)> fn) {
    if (keys.empty()) throw error(errc::invalid_argument, "watch: WATCH needs at least one key");
    if (!fn) throw error(errc::invalid_argument, "watch: no function to call");
    redpool::pinned c = pin();
    c.watch_keys(keys);
    fn(c);
    // c's destructor unwatches, discards or resets whatever fn left, also when fn threw.
}

}  // namespace redpool
