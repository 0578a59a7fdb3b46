// redpool::client: construction, the generic exec, typed commands' round trip, and the pool's
// controls. The typed commands themselves are written once, in lib/commands/.
#include "redpool/client.hpp"

#include "lib/client/client_core.hpp"
#include "redpool/error.hpp"

namespace redpool {

client::client(options opts) : core_(std::make_unique<detail::client_core>(std::move(opts))) {}

client::client(std::string_view url) : client(options::from_url(url)) {}

client::~client() = default;

reply client::exec(std::initializer_list<std::string_view> args) {
    return core_->run(std::span<const std::string_view>(args.begin(), args.size()));
}

reply client::exec(std::span<const std::string_view> args) { return core_->run(args); }

reply client::exec(const std::vector<std::string>& args) { return core_->run(views(args)); }

reply client::exec(std::initializer_list<std::string_view> args, std::error_code& ec) noexcept {
    return exec(std::span<const std::string_view>(args.begin(), args.size()), ec);
}

reply client::exec(std::span<const std::string_view> args, std::error_code& ec) noexcept {
    return detail::exec_noexcept([&] { return core_->run(args); }, ec);
}

reply client::run_checked(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    reply r = core_->run(args, wire_bytes);
    detail::throw_if_error(r);
    return r;
}

redpool::pool_stats client::pool_stats() const { return core_->stats(); }

void client::set_pool_size(int size) { core_->pool().set_pool_size(size); }

void client::set_min_idle_conns(int n) { core_->pool().set_min_idle_conns(n); }

void client::set_max_idle_conns(int n) { core_->pool().set_max_idle_conns(n); }

void client::set_pool_timeout(options::duration timeout) { core_->pool().set_pool_timeout(timeout); }

void client::set_conn_max_idle_time(options::duration d) { core_->pool().set_conn_max_idle_time(d); }

void client::set_conn_max_lifetime(options::duration d) { core_->pool().set_conn_max_lifetime(d); }

void client::set_conn_max_lifetime_jitter(options::duration d) {
    core_->pool().set_conn_max_lifetime_jitter(d);
}

void client::set_pool_fifo(bool fifo) { core_->pool().set_pool_fifo(fifo); }

void client::close() { core_->close(); }

}  // namespace redpool
