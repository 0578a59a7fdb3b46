#include "lib/client/observe.hpp"

#include <new>
#include <string>
#include <utility>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

close_cause cause_of(close_reason why) noexcept {
    switch (why) {
        case close_reason::idle_too_long: return close_cause::idle_time;
        case close_reason::too_old: return close_cause::lifetime;
        case close_reason::dead: return close_cause::server_gone;
        case close_reason::unusable: return close_cause::unusable;
        case close_reason::idle_list_full: return close_cause::max_idle;
        case close_reason::surplus: return close_cause::pool_shrank;
        case close_reason::superseded: return close_cause::failover;
        case close_reason::pool_closed: return close_cause::client_closed;
    }
    return close_cause::unusable;
}

pool_wait_outcome outcome_of(wait_outcome outcome) noexcept {
    switch (outcome) {
        case wait_outcome::granted: return pool_wait_outcome::got_connection;
        case wait_outcome::timed_out: return pool_wait_outcome::timed_out;
        case wait_outcome::closed: return pool_wait_outcome::pool_closed;
    }
    return pool_wait_outcome::timed_out;
}

template <typename Hook, typename Event>
void call_hook(const Hook& hook, const Event& event) noexcept {
    try {
        hook(event);
    } catch (...) {
        // The hook's failure is the hook's: the call it observed goes on as if unobserved.
    }
}

}  // namespace

std::shared_ptr<const pool_observer> pool_observer_for(const options& opts) {
    const hooks& h = opts.hooks;
    if (!h.on_conn_closed && !h.on_pool_wait) return nullptr;
    auto observer = std::make_shared<pool_observer>();
    if (h.on_conn_closed) {
        observer->on_closed = [hook = h.on_conn_closed, address = opts.address()](close_reason why) {
            call_hook(hook, conn_closed_event{address, cause_of(why)});
        };
    }
    if (h.on_pool_wait) {
        observer->on_waited = [hook = h.on_pool_wait](std::chrono::nanoseconds waited, wait_outcome outcome) {
            call_hook(hook, pool_wait_event{waited, outcome_of(outcome)});
        };
    }
    return observer;
}

connection_dialer observed_dialer(const options& opts, connection_dialer dial) {
    if (!opts.hooks.on_dial) return dial;
    return [dial = std::move(dial), hook = opts.hooks.on_dial, address = opts.address()](std::stop_token stop) {
        const auto t0 = std::chrono::steady_clock::now();
        try {
            auto conn = dial(stop);
            call_hook(hook, dial_event{address, std::chrono::steady_clock::now() - t0, {}});
            return conn;
        } catch (...) {
            call_hook(hook, dial_event{address, std::chrono::steady_clock::now() - t0,
                                       error_code_of(std::current_exception())});
            throw;
        }
    };
}

void report_command(const hooks& hooks, std::string_view name, std::size_t commands,
                    std::chrono::steady_clock::time_point since, std::error_code error) noexcept {
    call_hook(hooks.on_command, command_event{name, commands, std::chrono::steady_clock::now() - since, error});
}

std::error_code error_code_of(std::exception_ptr failure) noexcept {
    try {
        std::rethrow_exception(std::move(failure));
    } catch (const std::system_error& e) {
        return e.code();
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        return make_error_code(errc::io_error);
    }
}

}  // namespace redpool::detail
