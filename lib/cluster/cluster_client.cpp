#include "redpool/cluster_client.hpp"

#include <random>
#include <vector>

#include <fmt/format.h>

#include "lib/client/batch_queue.hpp"
#include "lib/client/batch_target.hpp"
#include "lib/client/client_core.hpp"
#include "lib/client/subscriber_session.hpp"
#include "lib/cluster/cluster_core.hpp"
#include "lib/cluster/redirect.hpp"
#include "redpool/cmd/keys.hpp"
#include "redpool/error.hpp"

namespace redpool {
namespace {

cluster_options validated(cluster_options opts) {
    opts.validate();
    return opts;
}

}  // namespace

cluster_client::cluster_client(cluster_options opts)
    : core_(std::make_shared<detail::cluster_core>(validated(std::move(opts)))) {}

cluster_client::cluster_client(std::string_view url) : cluster_client(cluster_options::from_url(url)) {}

cluster_client::~cluster_client() {
    if (core_) core_->close();  // pipelines that outlive the client then fail with pool_closed
}

reply cluster_client::exec(std::initializer_list<std::string_view> args) {
    return core_->run(std::span<const std::string_view>(args.begin(), args.size()), {});
}
reply cluster_client::exec(std::span<const std::string_view> args) { return core_->run(args, {}); }
reply cluster_client::exec(const std::vector<std::string>& args) {
    const std::vector<std::string_view> views(args.begin(), args.end());
    return core_->run(views, {});
}

reply cluster_client::route(std::span<const std::string_view> args, std::span<const char> wire_bytes) {
    return core_->run(args, wire_bytes);
}

std::map<std::string, reply> cluster_client::for_each_master(std::span<const std::string_view> args) {
    return core_->for_each_master(args);
}
std::map<std::string, reply> cluster_client::for_each_master(std::initializer_list<std::string_view> args) {
    return core_->for_each_master(std::span<const std::string_view>(args.begin(), args.size()));
}

cluster_pipeline cluster_client::pipeline() { return cluster_pipeline(core_); }

redpool::pool_stats cluster_client::pool_stats() const { return core_->stats(); }
std::map<std::string, redpool::pool_stats> cluster_client::node_stats() const { return core_->node_stats(); }

// --- scanning every master -------------------------------------------------------------------

// The masters in turn, each from cursor 0 to its own 0. basic_scan_range ends at a page whose
// cursor is "0", so moving on to the next master is a page with the empty cursor (no node's).
scan_range cluster_client::scan(scan_options opts) {
    struct progress {
        std::vector<std::shared_ptr<detail::client_core>> masters;
        std::size_t current = 0;
    };
    auto state = std::make_shared<progress>(progress{core_->master_cores(), 0});
    return scan_range([state, opts = std::move(opts)](std::string_view cursor) -> scan_page<std::string> {
        if (state->masters.empty()) return {};
        const auto page_command = cmd::scan(cursor.empty() ? std::string_view("0") : cursor, opts);
        reply r = state->masters[state->current]->run(page_command.args(), page_command.wire_bytes());
        detail::throw_if_error(r);
        scan_page<std::string> page = page_command.read(std::move(r));
        if (page.cursor == "0" && ++state->current < state->masters.size()) page.cursor.clear();
        return page;
    });
}

// --- one slot, one connection ----------------------------------------------------------------

redpool::transaction cluster_client::transaction(std::string_view key) {
    auto node = core_->master_core_of(key);
    return redpool::transaction(std::make_unique<detail::batch_queue>(detail::make_pool_target(*node),
                                                                      detail::batch_kind::transaction));
}

redpool::pinned cluster_client::pin(std::string_view key, const char* file, int line) {
    return pinned::pin_on(*core_->master_core_of(key), file, line);
}

void cluster_client::watch(std::initializer_list<std::string_view> keys, std::function<void(redpool::pinned&)> fn) {
    watch(std::span<const std::string_view>(keys.begin(), keys.size()), std::move(fn));
}

void cluster_client::watch(std::span<const std::string_view> keys, std::function<void(redpool::pinned&)> fn) {
    if (keys.empty()) throw error(errc::invalid_argument, "watch: WATCH needs at least one key");
    if (!fn) throw error(errc::invalid_argument, "watch: no function to call");
    for (int redirects = 0;; ++redirects) {
        redpool::pinned c = pin(keys.front());
        try {
            c.watch_keys(keys);
        } catch (const reply_error& e) {
            // The slot moved since the map was read: read it again and go where it is now.
            const auto moved = detail::parse_redirect(e.what(), "");
            if (!moved || moved->what != detail::redirect::kind::moved ||
                redirects >= core_->settings().max_redirects) {
                throw;
            }
            core_->refresh();
            continue;
        }
        fn(c);
        return;  // c's destructor undoes whatever fn left, also when fn threw
    }
}

// --- pub/sub -----------------------------------------------------------------------------------

redpool::subscriber cluster_client::subscriber() {
    const auto masters = core_->master_cores();
    if (masters.empty()) throw error(errc::io_error, "subscriber: the cluster has no master");
    thread_local std::minstd_rand random{std::random_device{}()};
    const auto& node = masters[std::uniform_int_distribution<std::size_t>(0, masters.size() - 1)(random)];
    return redpool::subscriber(std::make_unique<detail::subscriber_session>(node->shared_settings(), node->dialer()));
}

redpool::subscriber cluster_client::shard_subscriber(std::string_view channel) {
    const auto node = core_->master_core_of(channel);
    return redpool::subscriber(std::make_unique<detail::subscriber_session>(node->shared_settings(), node->dialer()));
}

void cluster_client::refresh() { core_->refresh(); }
void cluster_client::close() { core_->close(); }

}  // namespace redpool
