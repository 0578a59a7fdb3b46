#include "redpool/cluster_client.hpp"

#include <vector>

#include "lib/cluster/cluster_core.hpp"

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

void cluster_client::refresh() { core_->refresh(); }
void cluster_client::close() { core_->close(); }

}  // namespace redpool
