// The geospatial commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE.
#include "redpool/cmd/geo.hpp"

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/each_from.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;

std::string_view unit_name(geo_unit unit) {
    switch (unit) {
        case geo_unit::km: return "km";
        case geo_unit::ft: return "ft";
        case geo_unit::mi: return "mi";
        case geo_unit::m: break;
    }
    return "m";
}

// FROMMEMBER member | FROMLONLAT longitude latitude
void add_center(args_builder& args, const geo_center& center) {
    if (const auto* member = std::get_if<std::string_view>(&center)) {
        args.add("FROMMEMBER").add(*member);
    } else {
        const auto& point = std::get<geo_position>(center);
        args.add("FROMLONLAT").add_double(point.longitude).add_double(point.latitude);
    }
}

// BYRADIUS radius unit | BYBOX width height unit. Redis refuses negative sizes; say so here.
void add_shape(args_builder& args, std::string_view name, const geo_shape& shape) {
    if (const auto* circle = std::get_if<geo_radius>(&shape)) {
        if (circle->radius < 0) throw error(errc::invalid_argument, fmt::format("{}: negative radius", name));
        args.add("BYRADIUS").add_double(circle->radius).add(unit_name(circle->unit));
    } else {
        const auto& box = std::get<geo_box>(shape);
        if (box.width < 0 || box.height < 0)
            throw error(errc::invalid_argument, fmt::format("{}: negative box width or height", name));
        args.add("BYBOX").add_double(box.width).add_double(box.height).add(unit_name(box.unit));
    }
}

// [ASC|DESC] [COUNT n [ANY]]. Zero means no COUNT; Redis refuses a negative one, so say so here.
void add_order_and_count(args_builder& args, std::string_view name, geo_order order, long long count, bool any) {
    if (count < 0) throw error(errc::invalid_argument, fmt::format("{}: negative count", name));
    if (any && count == 0) throw error(errc::invalid_argument, fmt::format("{}: any requires a count", name));
    if (order == geo_order::ascending) args.add("ASC");
    if (order == geo_order::descending) args.add("DESC");
    if (count > 0) args.add("COUNT").add_integer(count);
    if (any) args.add("ANY");
}

// [longitude, latitude], both bulk strings.
geo_position position_from(reply&& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 2) throw_unexpected_reply(r, "[longitude, latitude]");
    return {from_reply<double>(std::move(e[0])), from_reply<double>(std::move(e[1]))};
}

// The one element of a reply to a one-member lookup.
reply& only_element(reply& r) {
    std::vector<reply>& e = detail::array_from_reply(r);
    if (e.size() != 1) throw_unexpected_reply(r, "an array of one element");
    return e[0];
}

std::optional<geo_position> single_position_from(reply&& r) {
    reply& e = only_element(r);
    if (e.is_nil()) return std::nullopt;
    return position_from(std::move(e));
}

std::optional<std::string> single_hash_from(reply&& r) {
    return from_reply<std::optional<std::string>>(std::move(only_element(r)));
}

std::vector<std::optional<geo_position>> positions_from(reply&& r) {
    std::vector<reply>& elements = detail::array_from_reply(r);
    std::vector<std::optional<geo_position>> out;
    out.reserve(elements.size());
    for (reply& e : elements) {
        if (e.is_nil()) {
            out.emplace_back();
        } else {
            out.emplace_back(position_from(std::move(e)));
        }
    }
    return out;
}

// Without WITH* options a match is the member's name alone; with them it is
// [member, distance?, hash?, [longitude, latitude]?], in that order. The converter cannot see
// the options, but the types tell the fields apart: the distance is a bulk string, the hash an
// integer, the position an array.
geo_search_result search_result_from(reply&& r) {
    geo_search_result out;
    if (!r.is_array()) {
        out.member = from_reply<std::string>(std::move(r));
        return out;
    }
    std::vector<reply>& e = r.elements();
    if (e.empty() || e.size() > 4) throw_unexpected_reply(r, "[member, distance?, hash?, position?]");
    out.member = from_reply<std::string>(std::move(e[0]));
    for (std::size_t i = 1; i < e.size(); ++i) {
        if (e[i].is_string() && !out.distance) {
            out.distance = from_reply<double>(std::move(e[i]));
        } else if (e[i].is_integer() && !out.hash) {
            out.hash = e[i].as_integer();
        } else if (e[i].is_array() && !out.position) {
            out.position = position_from(std::move(e[i]));
        } else {
            throw_unexpected_reply(r, "[member, distance?, hash?, position?]");
        }
    }
    return out;
}

}  // namespace

command<long long> geoadd(std::string_view key, std::span<const geo_member> members, const geoadd_options& opts) {
    if (members.empty()) throw error(errc::invalid_argument, "GEOADD: no members");
    args_builder args("GEOADD");
    args.add(key);
    if (opts.when == geoadd_options::condition::if_not_exists) args.add("NX");
    if (opts.when == geoadd_options::condition::if_exists) args.add("XX");
    if (opts.changed) args.add("CH");
    for (const geo_member& m : members) args.add_double(m.longitude).add_double(m.latitude).add(m.member);
    return args.build<long long>();
}

command<long long> geoadd(std::string_view key, std::initializer_list<geo_member> members,
                          const geoadd_options& opts) {
    return geoadd(key, as_span(members), opts);
}

command<std::vector<std::optional<geo_position>>> geopos(std::string_view key,
                                                         std::span<const std::string_view> members) {
    return args_builder("GEOPOS").add(key).add_all(members).build<std::vector<std::optional<geo_position>>>(
        &positions_from);
}

command<std::vector<std::optional<geo_position>>> geopos(std::string_view key,
                                                         std::initializer_list<std::string_view> members) {
    return geopos(key, as_span(members));
}

command<std::optional<geo_position>> geopos(std::string_view key, std::string_view member) {
    return command<std::optional<geo_position>>({"GEOPOS", key, member}, &single_position_from);
}

command<std::optional<double>> geodist(std::string_view key, std::string_view member1, std::string_view member2,
                                       geo_unit unit) {
    return {"GEODIST", key, member1, member2, unit_name(unit)};
}

command<std::vector<std::optional<std::string>>> geohash(std::string_view key,
                                                         std::span<const std::string_view> members) {
    return args_builder("GEOHASH").add(key).add_all(members).build<std::vector<std::optional<std::string>>>();
}

command<std::vector<std::optional<std::string>>> geohash(std::string_view key,
                                                         std::initializer_list<std::string_view> members) {
    return geohash(key, as_span(members));
}

command<std::optional<std::string>> geohash(std::string_view key, std::string_view member) {
    return command<std::optional<std::string>>({"GEOHASH", key, member}, &single_hash_from);
}

command<std::vector<geo_search_result>> geosearch(std::string_view key, const geo_center& center,
                                                  const geo_shape& shape, const geosearch_options& opts) {
    args_builder args("GEOSEARCH");
    args.add(key);
    add_center(args, center);
    add_shape(args, "GEOSEARCH", shape);
    add_order_and_count(args, "GEOSEARCH", opts.order, opts.count, opts.any);
    if (opts.with_coord) args.add("WITHCOORD");
    if (opts.with_dist) args.add("WITHDIST");
    if (opts.with_hash) args.add("WITHHASH");
    return args.build<std::vector<geo_search_result>>(&detail::each_from<geo_search_result, &search_result_from>);
}

command<long long> geosearchstore(std::string_view destination, std::string_view source, const geo_center& center,
                                  const geo_shape& shape, const geosearchstore_options& opts) {
    args_builder args("GEOSEARCHSTORE");
    args.add(destination).add(source);
    add_center(args, center);
    add_shape(args, "GEOSEARCHSTORE", shape);
    add_order_and_count(args, "GEOSEARCHSTORE", opts.order, opts.count, opts.any);
    if (opts.store_dist) args.add("STOREDIST");
    return args.build<long long>();
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_geo_commands(command_registry& r) {
    r.add(cmd::geoadd("k", {{13.361389, 38.115556, "m"}}));
    r.add(cmd::geopos("k", {"m"}));
    r.add(cmd::geodist("k", "m1", "m2"));
    r.add(cmd::geohash("k", {"m"}));
    r.add(cmd::geosearch("k", "m", geo_radius{1, geo_unit::km}));
    r.add(cmd::geosearchstore("d", "k", "m", geo_radius{1, geo_unit::km}));
}

}  // namespace redpool::detail
