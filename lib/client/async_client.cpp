// redpool::async_client: routes each operation (multiplexed, a connection of its own, answered
// locally, refused) and owns what its operations go through: the pool (client_core) and the
// multiplexer over it.
#include "redpool/async_client.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <asio/error.hpp>

#include "lib/client/batch_queue.hpp"
#include "lib/client/client_core.hpp"
#include "lib/client/request_views.hpp"
#include "lib/client/subscriber_session.hpp"
#include "lib/mux/multiplexer.hpp"
#include "lib/mux/sync_multiplexer.hpp"

namespace redpool {
namespace detail {

// Commands running on connections of their own, each on a thread of its own (they may block
// for as long as the command says: rare and long, so a thread each is affordable). Shared with
// those threads, which may outlive the client: a BLPOP 0 ends only when the server answers.
// So they hold only this and the client_core (the pool), nothing tied to the event loop, and
// whoever completes a request first (its thread, a cancellation, the client's end) wins.
class dedicated_runs : public std::enable_shared_from_this<dedicated_runs> {
public:
    explicit dedicated_runs(std::shared_ptr<client_core> core) : core_(std::move(core)) {}

    void start(async_request* r) noexcept {
        {
            std::lock_guard lock(mutex_);
            if (closed_) return finish(r, asio::error::operation_aborted);
            running_.push_back(r);
        }
        try {
            std::thread([self = shared_from_this(), r] { self->run(r); }).detach();
        } catch (const std::system_error& e) {
            forget(r);
            finish(r, e.code());
        }
    }

    /// Completes request `id`, if it is here, with operation_aborted; it runs on.
    void cancel(std::uint64_t id) noexcept {
        std::lock_guard lock(mutex_);
        for (async_request* r : running_) {
            if (r->id == id) abort_running(r);
        }
    }

    /// Completes every request here with operation_aborted, and refuses later ones.
    void close() noexcept {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (async_request* r : running_) abort_running(r);
    }

    static void finish(async_request* r, std::error_code ec) noexcept {
        if (!r->claimed.exchange(true)) r->deliver(ec);
        r->dispose();
    }

private:
    void run(async_request* r) noexcept {
        std::error_code ec;
        reply out;
        bool may_have_run = false;
        if (r->route == request_route::batch) {
            ec = r->run_batch();
        } else {
            out = exec_noexcept(
                [&] {
                    try {
                        const std::vector<std::string_view> args = request_views(r->bytes.bytes());
                        return core_->run(args, r->bytes.bytes());
                    } catch (const error& e) {
                        may_have_run = e.outcome_unknown();
                        throw;
                    }
                },
                ec);
        }
        forget(r);
        if (!r->claimed.exchange(true)) {  // only the one completing it writes it
            r->result = std::move(out);
            r->in_doubt = may_have_run;
            r->deliver(ec);
        }
        r->dispose();
    }

    // A request completed while its run goes on: it may reach the server yet.
    static void abort_running(async_request* r) noexcept {
        if (r->claimed.exchange(true)) return;
        r->in_doubt = true;
        r->deliver(asio::error::operation_aborted);
    }

    void forget(async_request* r) noexcept {
        std::lock_guard lock(mutex_);
        std::erase(running_, r);
    }

    const std::shared_ptr<client_core> core_;
    std::mutex mutex_;
    std::vector<async_request*> running_;  // guarded by mutex_
    bool closed_ = false;                  // guarded by mutex_
};

class async_core {
public:
    async_core(asio::any_io_executor executor, options opts)
        : core_(std::make_shared<client_core>(std::move(opts))),
          mux_(multiplexer::create(std::move(executor), core_->shared_pool(), core_->shared_settings())),
          dedicated_(std::make_shared<dedicated_runs>(core_)) {}

    ~async_core() { shut_down(); }

    std::uint64_t new_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }

    void start(async_request* r) noexcept {
        switch (r->route) {
        case request_route::shared:
            return mux_->submit(r);
        case request_route::dedicated:
        case request_route::batch:
            return dedicated_->start(r);
        case request_route::local:
            return dedicated_runs::finish(r, {});
        case request_route::refused:
            return dedicated_runs::finish(r, make_error_code(errc::invalid_argument));
        }
    }

    void cancel(std::uint64_t id, asio::cancellation_type type) {
        mux_->cancel(id, type);
        // A command on a connection of its own cannot be taken back, but its caller need not
        // wait for it.
        if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) !=
            asio::cancellation_type::none) {
            dedicated_->cancel(id);
        }
    }

    /// Completes everything outstanding with operation_aborted. The pool closes first, so a
    /// connection being fetched for the multiplexer comes back at once; commands on
    /// connections of their own end as the server answers them, their callers already told.
    void shut_down() noexcept {
        core_->pool().close();
        dedicated_->close();
        mux_->shut_down();
    }

    redpool::pool_stats stats() const {
        redpool::pool_stats s = core_->pool().stats();
        add_mux_stats(s, mux_->stats());
        return s;
    }

    client_core& core() noexcept { return *core_; }

private:
    const std::shared_ptr<client_core> core_;
    const std::shared_ptr<multiplexer> mux_;
    const std::shared_ptr<dedicated_runs> dedicated_;
    std::atomic<std::uint64_t> next_id_{0};
};

request_route route_for(std::span<const std::string_view> args) noexcept {
    if (args.empty()) return request_route::refused;
    const command_info& command = command_info_of(args);
    if (needs_own_connection(command)) return request_route::refused;
    if (command.effect == session_effect::changed || command.timeout != block_timeout::not_blocking) {
        return request_route::dedicated;
    }
    return request_route::shared;
}

std::vector<reply> exec_batch_queue(batch_queue& queue, std::error_code& ec) noexcept {
    std::vector<reply> replies;
    exec_noexcept(
        [&] {
            replies = queue.exec();
            return reply();
        },
        ec);
    return replies;
}

void destroy_batch_queue(batch_queue* queue) noexcept { delete queue; }

std::uint64_t new_request_id(async_core& core) noexcept { return core.new_id(); }

void start_request(async_core& core, async_request* r) noexcept { core.start(r); }

void cancel_request(const std::weak_ptr<async_core>& core, std::uint64_t id, asio::cancellation_type type) noexcept {
    if (auto c = core.lock()) {
        try {
            c->cancel(id, type);
        } catch (...) {
            // Out of memory for the post: the operation completes as if not cancelled.
        }
    }
}

}  // namespace detail

async_client::async_client(asio::any_io_executor executor, options opts)
    : executor_(executor), core_(std::make_shared<detail::async_core>(std::move(executor), std::move(opts))) {}

// Not left to async_core's end: a pending operation (its initiation, in a coroutine's frame)
// keeps async_core alive, and the client's end must complete it.
async_client::~async_client() { core_->shut_down(); }

redpool::pool_stats async_client::pool_stats() const { return core_->stats(); }

redpool::async_subscriber async_client::subscriber() {
    return redpool::async_subscriber(
        executor_, redpool::subscriber(std::make_unique<detail::subscriber_session>(core_->core().shared_settings(), core_->core().dialer())));
}

redpool::pipeline async_client::pipeline() {
    return redpool::pipeline(std::make_unique<detail::batch_queue>(detail::make_pool_target(core_->core()),
                                                                   detail::batch_kind::pipeline));
}

redpool::transaction async_client::transaction() {
    return redpool::transaction(std::make_unique<detail::batch_queue>(detail::make_pool_target(core_->core()),
                                                                      detail::batch_kind::transaction));
}

}  // namespace redpool
