// The HyperLogLog commands: PFADD, PFCOUNT, PFMERGE.
#include "redpool/cmd/hyperloglog.hpp"

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;

}  // namespace

command<bool> pfadd(std::string_view key, std::span<const std::string_view> elements) {
    return args_builder("PFADD").add(key).add_all(elements).build<bool>();
}

command<bool> pfadd(std::string_view key, std::initializer_list<std::string_view> elements) {
    return pfadd(key, as_span(elements));
}

command<bool> pfadd(std::string_view key, std::string_view element) { return {"PFADD", key, element}; }

command<long long> pfcount(std::span<const std::string_view> keys) {
    // PFCOUNT of no keys is a server error; the union of nothing has no elements.
    if (keys.empty()) return detail::answered_empty<long long>();
    return args_builder("PFCOUNT").add_all(keys).build<long long>();
}

command<long long> pfcount(std::initializer_list<std::string_view> keys) { return pfcount(as_span(keys)); }

command<void> pfmerge(std::string_view destination, std::span<const std::string_view> sources) {
    return args_builder("PFMERGE").add(destination).add_all(sources).build<void>(&detail::read_ok);
}

command<void> pfmerge(std::string_view destination, std::initializer_list<std::string_view> sources) {
    return pfmerge(destination, as_span(sources));
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_hyperloglog_commands(command_registry& r) {
    r.add(cmd::pfadd("k", {"e"}));
    r.add(cmd::pfcount({"k"}));
    r.add(cmd::pfmerge("k", {"k2"}));
}

}  // namespace redpool::detail
