// redpool/async_client.hpp — the Redis client for Asio programs: every command is an Asio
// asynchronous operation, and concurrent requests are pipelined automatically.
//
//     asio::io_context io;
//     redpool::async_client redis(io.get_executor(), redpool::options{});
//     asio::co_spawn(io, [&]() -> asio::awaitable<void> {
//         co_await redis.async_run(redpool::cmd::set("k", "v"), asio::use_awaitable);
//         std::optional<std::string> v = co_await redis.async_run(redpool::cmd::get("k"), asio::use_awaitable);
//     }, asio::detached);
//     io.run();
//
// Any completion token works: a callback, `asio::use_future`, `asio::use_awaitable`,
// `asio::experimental::deferred`, `asio::experimental::as_tuple(...)`. With `use_awaitable`
// a failure is thrown as `std::system_error`; with `as_tuple` it comes back as the error code.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/recycling_allocator.hpp>

#include "redpool/async_subscriber.hpp"
#include "redpool/command.hpp"
#include "redpool/detail/async_request.hpp"
#include "redpool/error.hpp"
#include "redpool/options.hpp"
#include "redpool/pipeline.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"

namespace redpool {

/// What an asynchronous operation's error code cannot say, for `async_run` and `async_exec`
/// overloads that take one: filled in before a failed operation completes (so it must live
/// until then, like a buffer passed to an Asio read), and left unchanged by a success.
struct failure_details {
    /// The server's message (`WRONGTYPE Operation against a key ...`), what was wrong with the
    /// reply, or the command's name with the failure (never an argument or a password).
    std::string message;
    /// True when the request may have reached the server before the failure (the connection
    /// failed or fell silent after the write, or the operation was cancelled after it): it may
    /// or may not have run, as `redpool::error::outcome_unknown()` says for `client`. False when
    /// it cannot have run (it was never sent), or when the server answered.
    bool outcome_unknown = false;
};

namespace detail {

class async_core;

/// Where an operation reports what its error code cannot carry (either may be null).
struct failure_out {
    std::string* message = nullptr;
    bool* outcome_unknown = nullptr;
};

// The non-template half, in lib/client/async_client.cpp.
/// How `args` travels (see request_route).
request_route route_for(std::span<const std::string_view> args) noexcept;
/// A new operation's id, for cancellation.
std::uint64_t new_request_id(async_core& core) noexcept;
/// Takes `r` and sees that it completes exactly once.
void start_request(async_core& core, async_request* r) noexcept;
/// A cancellation slot's signal for operation `id`, from whatever thread emits it.
void cancel_request(const std::weak_ptr<async_core>& core, std::uint64_t id, asio::cancellation_type type) noexcept;

/// The signature an operation completes with: `(std::error_code, T)`, or `(std::error_code)`
/// for `T = void`.
template <class T>
struct async_signature {
    using type = void(std::error_code, T);
};
template <>
struct async_signature<void> {
    using type = void(std::error_code);
};

/// One operation with its caller's handler. The handler's executor (the client's when it has
/// none) is kept busy until the handler has run, and the handler always runs there, posted.
template <class T, class Handler>
class async_operation final : public async_request {
public:
    using converter = T (*)(reply&&);

    /// Made and ended through Asio's recycling allocator: a thread running an io_context keeps
    /// a few such blocks, so an operation of the event loop's own costs no malloc and free.
    template <class... Args>
    static async_operation* make(Args&&... args) {
        allocator memory;
        async_operation* p = memory.allocate(1);
        try {
            return ::new (static_cast<void*>(p)) async_operation(std::forward<Args>(args)...);
        } catch (...) {
            memory.deallocate(p, 1);
            throw;
        }
    }
    void dispose() noexcept override {
        this->~async_operation();
        allocator().deallocate(this, 1);
    }

    async_operation(request_bytes wire, request_route route, converter convert, failure_out out,
                    Handler&& handler, const asio::any_io_executor& fallback)
        : async_request(std::move(wire), route),
          convert_(convert),
          out_(out),
          handler_(std::move(handler)),
          work_(asio::prefer(asio::get_associated_executor(handler_, fallback),
                             asio::execution::outstanding_work.tracked)) {}

    void deliver(std::error_code ec) noexcept override {
        if (ec) report_failure(ec);
        // The handler and the work both leave with the post: what stays behind (the library
        // may keep this request a while, to drop a late reply) refers to no executor.
        work_executor work(std::move(work_));
        if constexpr (std::is_same_v<T, reply>) {
            asio::post(work, [h = std::move(handler_), ec, r = std::move(result)]() mutable {
                std::move(h)(ec, std::move(r));
            });
        } else if constexpr (std::is_void_v<T>) {
            if (!ec) ec = convert_result();
            asio::post(work, [h = std::move(handler_), ec]() mutable { std::move(h)(ec); });
        } else {
            T value{};
            if (!ec) ec = convert_result(value);
            asio::post(work, [h = std::move(handler_), ec, v = std::move(value)]() mutable {
                std::move(h)(ec, std::move(v));
            });
        }
    }

private:
    using allocator = asio::recycling_allocator<async_operation>;

    // A failure before any reply: the connection, a timeout, cancellation, the client's end.
    void report_failure(std::error_code ec) noexcept {
        if (out_.outcome_unknown != nullptr) *out_.outcome_unknown = in_doubt;
        if (out_.message == nullptr) return;
        try {
            *out_.message = std::string(bytes.command_name()) + ": " + ec.message() +
                            (in_doubt ? " (it was sent, so it may have run)" : "");
        } catch (...) {  // no memory for the message: the code alone says what happened
        }
    }

    // The server answered, so a failure from here on is no doubt about whether it ran.
    template <class... Out>
    std::error_code convert_result(Out&... out) noexcept {
        if (result.is_error()) {
            answered_with_failure(result.as_string());
            return make_error_code(errc::server_error);
        }
        try {
            try {
                if constexpr (sizeof...(Out) == 0) convert_(std::move(result));
                else ((out = convert_(std::move(result))), ...);
                return {};
            } catch (...) {
                rethrow_naming(bytes.command_name());
            }
        } catch (const redpool::error& e) {
            answered_with_failure(e.what());
            return e.code();
        } catch (const std::system_error& e) {
            answered_with_failure(e.what());
            return e.code();
        } catch (...) {
            return std::make_error_code(std::errc::not_enough_memory);
        }
    }

    void answered_with_failure(std::string_view message) noexcept {
        if (out_.outcome_unknown != nullptr) *out_.outcome_unknown = false;
        if (out_.message == nullptr) return;
        try {
            *out_.message = message;
        } catch (...) {  // no memory for the message: the code alone says what happened
        }
    }

    using work_executor = std::decay_t<decltype(asio::prefer(
        std::declval<asio::associated_executor_t<Handler, asio::any_io_executor>>(),
        asio::execution::outstanding_work.tracked))>;

    converter convert_;
    failure_out out_;
    Handler handler_;
    work_executor work_;
};

class batch_queue;
/// Runs a pipeline's or transaction's queue as its exec() would; a failure in `ec` (the
/// deferreds hold the outcome of each command). Blocks: called on a thread of the library's.
std::vector<reply> exec_batch_queue(batch_queue& queue, std::error_code& ec) noexcept;
/// Destroys a queue taken from a pipeline or transaction.
void destroy_batch_queue(batch_queue* queue) noexcept;

/// An async exec of a pipeline or transaction: the queue it took, run on a connection of its
/// own; completes with `(std::error_code, std::vector<reply>)`.
template <class Handler>
class async_batch_operation final : public async_request {
public:
    async_batch_operation(std::shared_ptr<batch_queue> queue, Handler&& handler, const asio::any_io_executor& fallback)
        : async_request(request_bytes(), request_route::batch),
          queue_(std::move(queue)),
          handler_(std::move(handler)),
          work_(asio::prefer(asio::get_associated_executor(handler_, fallback),
                             asio::execution::outstanding_work.tracked)) {}

    std::error_code run_batch() noexcept override {
        std::error_code ec;
        replies_ = exec_batch_queue(*queue_, ec);
        return ec;
    }

    void deliver(std::error_code ec) noexcept override {
        work_executor work(std::move(work_));
        asio::post(work, [h = std::move(handler_), ec, r = std::move(replies_)]() mutable { std::move(h)(ec, std::move(r)); });
    }

private:
    using work_executor = std::decay_t<decltype(asio::prefer(
        std::declval<asio::associated_executor_t<Handler, asio::any_io_executor>>(),
        asio::execution::outstanding_work.tracked))>;

    std::shared_ptr<batch_queue> queue_;
    std::vector<reply> replies_;
    Handler handler_;
    work_executor work_;
};

/// Passes a cancellation slot's signal on to the client, which acts on it on its own strand.
struct request_canceller {
    std::weak_ptr<async_core> core;
    std::uint64_t id;
    void operator()(asio::cancellation_type type) const noexcept { cancel_request(core, id, type); }
};

/// What async_initiate runs, now or (lazy tokens) later: everything it needs is its own.
template <class T>
struct initiate_request {
    std::shared_ptr<async_core> core;
    asio::any_io_executor fallback;

    template <class Handler>
    void operator()(Handler&& handler, request_bytes wire, request_route route, T (*convert)(reply&&),
                    failure_out out) const {
        using handler_type = std::decay_t<Handler>;
        auto slot = asio::get_associated_cancellation_slot(handler);
        handler_type h(std::forward<Handler>(handler));
        auto* op = async_operation<T, handler_type>::make(std::move(wire), route, convert, out, std::move(h), fallback);
        op->id = new_request_id(*core);
        if (slot.is_connected()) slot.template emplace<request_canceller>(request_canceller{core, op->id});
        start_request(*core, op);
    }
};

/// async_initiate's initiation for a batch.
struct initiate_batch {
    std::shared_ptr<async_core> core;
    asio::any_io_executor fallback;

    template <class Handler>
    void operator()(Handler&& handler, std::shared_ptr<batch_queue> queue) const {
        using handler_type = std::decay_t<Handler>;
        auto slot = asio::get_associated_cancellation_slot(handler);
        handler_type h(std::forward<Handler>(handler));
        auto* op = new async_batch_operation<handler_type>(std::move(queue), std::move(h), fallback);
        op->id = new_request_id(*core);
        if (slot.is_connected()) slot.template emplace<request_canceller>(request_canceller{core, op->id});
        start_request(*core, op);
    }
};

}  // namespace detail

/// A Redis client whose commands are Asio asynchronous operations. Thread-safe: operations may
/// be started from any thread; each completes through its handler's associated executor (the
/// client's executor when the handler has none), never inside the call that started it.
///
/// **Automatic pipelining.** Requests started concurrently (by many coroutines, or callbacks,
/// or threads) share a few pooled connections: those of one turn of the event loop go out in
/// one write, and replies are matched to requests in order. A connection carries at most
/// `options::max_in_flight` requests; when every one is full, new requests wait for room at
/// most `pool_timeout` (then `errc::pool_timeout`). Blocking commands (BLPOP, XREAD BLOCK,
/// WAIT, ...) and commands that change their connection's session (SELECT, MULTI, WATCH, ...)
/// run on a pooled connection of their own instead, as `client::exec` runs them. The
/// multiplexed connections come from the same pool as those (`pool_size` turns, min idle,
/// reaper, dial breaker, stats): at most half the pool and at most four are multiplexed, the
/// second only when the first is full. A multiplexed connection holds its turn while it lives,
/// so with `pool_size` 1 it holds the only one, and blocking or session commands and batches
/// then wait for it (`pool_timeout`): give them a pool of at least 2.
///
/// **Failures** complete the operation with an error code (a `redpool::errc`, or
/// `asio::error::operation_aborted`). A request is resent (up to `max_retries` times) only when
/// it cannot have reached the server. Whether a failed one may have run (the same `io_error`
/// comes from a refused dial and from a connection reset after the write) is told by the
/// overloads taking a `redpool::failure_details`. A connection on which nothing arrives for `read_timeout` while replies are
/// due fails, and its requests with it; one slow request alone does not fail while the replies
/// of others keep arriving.
///
/// **Cancellation** through the handler's cancellation slot (`asio::bind_cancellation_slot`,
/// `asio::experimental::awaitable_operators`' `||` with a timer, `parallel_group`): a request
/// not yet sent is removed, and completes with `operation_aborted`. One already sent completes
/// with `operation_aborted` on a terminal or partial cancellation, and its reply, when it
/// comes, is read and dropped: it can never reach another caller, and the connection goes on
/// serving the others. (The server may still run it: cancellation cannot take back a request.)
///
/// **Destruction** completes every operation still outstanding with `operation_aborted`, through
/// their executors, and closes the connections. The executor's context must outlive the
/// operations, as for any Asio I/O object.
class async_client {
public:
    using executor_type = asio::any_io_executor;

    /// Validates the options (throws `redpool::error`, `errc::invalid_argument`) and starts the
    /// pool, which dials `min_idle_conns` connections in the background. Nothing is dialed up
    /// front; the first request brings a connection.
    async_client(asio::any_io_executor executor, options opts);
    /// Completes what is outstanding with `asio::error::operation_aborted` (see the class).
    ~async_client();
    async_client(const async_client&) = delete;
    async_client& operator=(const async_client&) = delete;

    /// The executor handlers without one of their own complete on.
    executor_type get_executor() const noexcept { return executor_; }

    /// Runs any command (binary-safe arguments); completes with `void(std::error_code,
    /// redpool::reply)`. A server error is returned as data (`reply::is_error()`), as
    /// `client::exec` returns it. Commands that need a connection of their own for several
    /// replies (SUBSCRIBE, MONITOR, ...) or take it over (QUIT, RESET, HELLO) complete with
    /// `errc::invalid_argument`, as does an empty command.
    ///
    /// The arguments are copied before this returns, so a lazy token may start the operation
    /// later. g++ 12 rejects a braced list written inside a `co_await` expression
    /// (`co_await redis.async_exec({"GET", "k"}, asio::use_awaitable)` fails with "array used
    /// as initializer"; so does `co_await redis.async_run(redpool::cmd::del({"a", "b"}), ...)`):
    /// name the list first, and pass it as a span,
    ///
    ///     const std::string_view get_k[] = {"GET", "k"};
    ///     redpool::reply r = co_await redis.async_exec(get_k, asio::use_awaitable);
    ///
    /// or start the operation outside the `co_await` with a lazy token.
    template <class CompletionToken>
    auto async_exec(std::initializer_list<std::string_view> args, CompletionToken&& token) {
        return async_exec(std::span<const std::string_view>(args.begin(), args.size()),
                          std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_exec(std::span<const std::string_view> args, CompletionToken&& token) {
        return exec_reporting(args, {}, std::forward<CompletionToken>(token));
    }
    /// Same, and a failure (there is none for a server error, which is data here) says in
    /// `details` whether the request may have run, with a message (see `failure_details`).
    template <class CompletionToken>
    auto async_exec(std::initializer_list<std::string_view> args, failure_details& details, CompletionToken&& token) {
        return async_exec(std::span<const std::string_view>(args.begin(), args.size()), details,
                          std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_exec(std::span<const std::string_view> args, failure_details& details, CompletionToken&& token) {
        return exec_reporting(args, {&details.message, &details.outcome_unknown},
                              std::forward<CompletionToken>(token));
    }

    /// Runs a typed command (any factory of `redpool::cmd`, or a `command<T>` of your own);
    /// completes with `void(std::error_code, T)` (`void(std::error_code)` for `T = void`). A
    /// server error completes with `errc::server_error` and a default `T`; a reply of the wrong
    /// shape with `errc::protocol_error`. The command is copied before this returns.
    template <class T, class CompletionToken>
    auto async_run(const command<T>& c, CompletionToken&& token) {
        return run_reporting(c, {}, std::forward<CompletionToken>(token));
    }
    /// Same, and the server's message (`WRONGTYPE Operation against a key ...`), what was wrong
    /// with the reply, or (no reply) the command's name and the failure, is written to
    /// `error_message` before a failed operation completes: it must live until then, like a
    /// buffer passed to an Asio read. Unchanged on success.
    template <class T, class CompletionToken>
    auto async_run(const command<T>& c, std::string& error_message, CompletionToken&& token) {
        return run_reporting(c, {&error_message, nullptr}, std::forward<CompletionToken>(token));
    }
    /// Same, with the message and whether a failed request may have run in `details` (see
    /// `failure_details`): what decides whether retrying a write is safe.
    template <class T, class CompletionToken>
    auto async_run(const command<T>& c, failure_details& details, CompletionToken&& token) {
        return run_reporting(c, {&details.message, &details.outcome_unknown}, std::forward<CompletionToken>(token));
    }

    // --- many commands, one connection ----------------------------------------------------------

    /// An empty pipeline or MULTI/EXEC transaction on this client's pool: queue commands with
    /// its typed methods (each returns a `deferred<T>`), then `async_exec` it. Its `exec()`
    /// works too, blocking the calling thread.
    redpool::pipeline pipeline();
    redpool::transaction transaction();

    /// Sends every command queued in `batch` on a pooled connection of its own (a big batch
    /// streams, as `pipeline::exec` does) and completes with `void(std::error_code,
    /// std::vector<redpool::reply>)`: the replies in order, and each command's `deferred` filled
    /// before the handler runs. The failures `exec()` would throw complete it with their code
    /// (`errc::tx_failed` when a WATCHed key changed, `errc::server_error` for EXECABORT, ...);
    /// the deferreds then hold the details. The queued commands are taken when this is called:
    /// `batch` is empty at once, and may be reused or destroyed before the operation ends.
    /// Cancellation completes the operation with `operation_aborted`, but the batch, once
    /// started, runs to its end.
    template <class CompletionToken>
    auto async_exec(redpool::pipeline& batch, CompletionToken&& token) {
        return initiate_batch(batch.take_queue(), std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_exec(redpool::transaction& batch, CompletionToken&& token) {
        return initiate_batch(batch.take_queue(), std::forward<CompletionToken>(token));
    }

    /// A pub/sub connection of its own, outside the pool, whose messages come through
    /// `async_receive` (see `redpool::async_subscriber`). Dials lazily: the first subscribe
    /// connects.
    redpool::async_subscriber subscriber();

    /// A snapshot of the pool's counters, the multiplexed connections' included.
    redpool::pool_stats pool_stats() const;

private:
    template <class CompletionToken>
    auto exec_reporting(std::span<const std::string_view> args, detail::failure_out out, CompletionToken&& token) {
        const detail::argument_block encoded(args);
        return initiate<reply>(detail::request_bytes(encoded.encoded()), detail::route_for(args),
                               &reply_converter<reply>::convert, out, std::forward<CompletionToken>(token));
    }

    template <class T, class CompletionToken>
    auto run_reporting(const command<T>& c, detail::failure_out out, CompletionToken&& token) {
        const detail::request_route route =
            c.answered_locally() ? detail::request_route::local : detail::route_for(c.args());
        return initiate<T>(detail::request_bytes(c.wire_bytes()), route, c.reader(), out,
                           std::forward<CompletionToken>(token));
    }

    template <class T, class CompletionToken>
    auto initiate(detail::request_bytes wire, detail::request_route route, T (*convert)(reply&&),
                  detail::failure_out out, CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, typename detail::async_signature<T>::type>(
            detail::initiate_request<T>{core_, executor_}, token, std::move(wire), route, convert, out);
    }

    template <class CompletionToken>
    auto initiate_batch(detail::batch_queue* queue, CompletionToken&& token) {
        std::shared_ptr<detail::batch_queue> shared(queue, &detail::destroy_batch_queue);
        return asio::async_initiate<CompletionToken, void(std::error_code, std::vector<reply>)>(
            detail::initiate_batch{core_, executor_}, token, std::move(shared));
    }

    asio::any_io_executor executor_;
    std::shared_ptr<detail::async_core> core_;
};

}  // namespace redpool
