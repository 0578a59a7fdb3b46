// redpool/cmd/geo.hpp — Redis's geospatial commands: GEOADD, GEOPOS, GEODIST, GEOHASH,
// GEOSEARCH and GEOSEARCHSTORE. (GEORADIUS and GEORADIUSBYMEMBER are deprecated; GEOSEARCH
// does all they did.)
//
// A geo set is a sorted set whose scores encode each member's position, so the sorted set
// commands (ZREM, ZRANGE, ...) work on it too. Positions are stored as 52-bit geohashes:
// what comes back is within about 0.6 m of what went in, not the same doubles.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `geo_commands<Executor>` gives every executor the method of the same name: `client` returns
// the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// A point on Earth, in degrees: longitude -180..180, latitude about -85.05..85.05 (Redis
/// refuses points outside these).
struct geo_position {
    /// Degrees east of Greenwich (negative: west), -180 to 180.
    double longitude = 0;
    /// Degrees north of the equator (negative: south), about -85.05 to 85.05.
    double latitude = 0;
};

/// A member to add with `geoadd`: `{13.361389, 38.115556, "Palermo"}`. It views the member's
/// name without owning it: use it in the call that builds the command.
struct geo_member {
    /// Degrees east (negative: west), -180 to 180; Redis refuses others.
    double longitude = 0;
    /// Degrees north (negative: south), about -85.05 to 85.05; Redis refuses others.
    double latitude = 0;
    /// The member's name (binary-safe); a view, not a copy.
    std::string_view member;
};

/// The unit of a distance.
enum class geo_unit {
    m,   ///< metres
    km,  ///< kilometres
    ft,  ///< feet
    mi,  ///< miles
};

/// Conditions for `geoadd`.
struct geoadd_options {
    /// Which members GEOADD may touch.
    enum class condition {
        always,         ///< add new members and move existing ones
        if_not_exists,  ///< NX: only add new members, never move existing ones
        if_exists,      ///< XX: only move existing members, never add new ones
    };

    /// NX, XX or neither (`always`, the default).
    condition when = condition::always;
    /// CH: count the members whose position changed as well as the ones added.
    bool changed = false;
};

/// Where a search is centred: a member of the set (FROMMEMBER), e.g. `"Palermo"`, or a point
/// (FROMLONLAT), e.g. `redpool::geo_position{15, 37}`. A member name is a view, not a copy:
/// use the centre in the call that builds the command.
using geo_center = std::variant<std::string_view, geo_position>;

/// A circle around the centre (BYRADIUS).
struct geo_radius {
    /// The circle's radius in `unit`; zero matches only points at the centre, negative throws
    /// `errc::invalid_argument`.
    double radius = 0;
    /// The unit of `radius`, and of the distances a search returns.
    geo_unit unit = geo_unit::m;
};

/// A rectangle centred on the centre, aligned with the meridians (BYBOX).
struct geo_box {
    /// East-west extent in `unit`; negative throws `errc::invalid_argument`.
    double width = 0;
    /// North-south extent in `unit`; negative throws `errc::invalid_argument`.
    double height = 0;
    /// The unit of `width` and `height`, and of the distances a search returns.
    geo_unit unit = geo_unit::m;
};

/// The area a search covers: `geo_radius{200, geo_unit::km}` or `geo_box{400, 300, geo_unit::km}`.
using geo_shape = std::variant<geo_radius, geo_box>;

/// The order of search results by distance from the centre; `unsorted` is the server's order.
enum class geo_order {
    unsorted,    ///< no ASC or DESC: the server's order
    ascending,   ///< ASC: nearest first
    descending,  ///< DESC: farthest first
};

/// Order, limit and extra fields for `geosearch`.
struct geosearch_options {
    /// ASC, DESC, or the server's order (the default).
    geo_order order = geo_order::unsorted;
    /// COUNT: at most this many results (the nearest ones, unless `any`); zero means no limit
    /// (no COUNT sent), negative throws `errc::invalid_argument`.
    long long count = 0;
    /// ANY: return as soon as `count` matches are found, not the `count` nearest; without a
    /// count it throws `errc::invalid_argument`.
    bool any = false;
    /// WITHCOORD: fill each result's `position`.
    bool with_coord = false;
    /// WITHDIST: fill each result's `distance`, in the shape's unit.
    bool with_dist = false;
    /// WITHHASH: fill each result's `hash`.
    bool with_hash = false;
};

/// Order, limit and what to store for `geosearchstore`.
struct geosearchstore_options {
    /// ASC, DESC, or the server's order (the default); with `count`, which matches are kept.
    geo_order order = geo_order::unsorted;
    /// COUNT: store at most this many matches (the nearest ones, unless `any`); zero means no
    /// limit (no COUNT sent), negative throws `errc::invalid_argument`.
    long long count = 0;
    /// ANY: stop at the first `count` matches found; without a count it throws
    /// `errc::invalid_argument`.
    bool any = false;
    /// STOREDIST: store each match with its distance from the centre as its score (a plain
    /// sorted set, in the shape's unit) instead of its position (a geo set).
    bool store_dist = false;
};

/// One match of `geosearch`: the member, and the fields its options asked for.
struct geo_search_result {
    /// The member's name.
    std::string member;
    /// WITHDIST: the distance from the centre, in the shape's unit.
    std::optional<double> distance;
    /// WITHHASH: the member's 52-bit geohash, the score it has in the sorted set.
    std::optional<long long> hash;
    /// WITHCOORD: the member's position.
    std::optional<geo_position> position;
};

namespace cmd {

/// GEOADD: how many members were added (with `changed`, added or moved). No members
/// throws `errc::invalid_argument`; a point out of range throws `reply_error`.
command<long long> geoadd(std::string_view key, std::span<const geo_member> members,
                          const geoadd_options& opts = {});
command<long long> geoadd(std::string_view key, std::initializer_list<geo_member> members,
                          const geoadd_options& opts = {});
/// GEOPOS: each member's position, nullopt for a member not in the set (every one for a
/// missing key), in order. No members is Redis's to accept: an empty result.
command<std::vector<std::optional<geo_position>>> geopos(std::string_view key,
                                                         std::span<const std::string_view> members);
command<std::vector<std::optional<geo_position>>> geopos(std::string_view key,
                                                         std::initializer_list<std::string_view> members);
/// GEOPOS of one member: its position, or nullopt if it is not in the set (or the key is
/// missing).
command<std::optional<geo_position>> geopos(std::string_view key, std::string_view member);
/// GEODIST: the distance between two members in `unit`, or nullopt if either is missing.
command<std::optional<double>> geodist(std::string_view key, std::string_view member1, std::string_view member2,
                                       geo_unit unit = geo_unit::m);
/// GEOHASH: each member's 11-character geohash string, nullopt for a member not in the set
/// (every one for a missing key), in order. No members is Redis's to accept: an empty result.
command<std::vector<std::optional<std::string>>> geohash(std::string_view key,
                                                         std::span<const std::string_view> members);
command<std::vector<std::optional<std::string>>> geohash(std::string_view key,
                                                         std::initializer_list<std::string_view> members);
/// GEOHASH of one member: its geohash string, or nullopt if it is not in the set (or the key
/// is missing).
command<std::optional<std::string>> geohash(std::string_view key, std::string_view member);
/// GEOSEARCH: the members within `shape` around `center` (empty for a missing key). A
/// negative radius, width, height or count, or `any` without a count, throws
/// `errc::invalid_argument`; a centre member not in the set throws `reply_error`.
command<std::vector<geo_search_result>> geosearch(std::string_view key, const geo_center& center,
                                                  const geo_shape& shape, const geosearch_options& opts = {});
/// GEOSEARCHSTORE: stores the matches of the same search of `source` at `destination`
/// (replacing it; deleting it when nothing matches) and returns how many there were. Local
/// refusals and errors are those of `geosearch`.
command<long long> geosearchstore(std::string_view destination, std::string_view source, const geo_center& center,
                                  const geo_shape& shape, const geosearchstore_options& opts = {});

}  // namespace cmd

/// The geospatial commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class geo_commands {
public:
    auto geoadd(std::string_view key, std::span<const geo_member> members, const geoadd_options& opts = {}) {
        return run(cmd::geoadd(key, members, opts));
    }
    auto geoadd(std::string_view key, std::initializer_list<geo_member> members, const geoadd_options& opts = {}) {
        return run(cmd::geoadd(key, members, opts));
    }
    auto geopos(std::string_view key, std::span<const std::string_view> members) {
        return run(cmd::geopos(key, members));
    }
    auto geopos(std::string_view key, std::initializer_list<std::string_view> members) {
        return run(cmd::geopos(key, members));
    }
    auto geopos(std::string_view key, std::string_view member) { return run(cmd::geopos(key, member)); }
    auto geodist(std::string_view key, std::string_view member1, std::string_view member2,
                 geo_unit unit = geo_unit::m) {
        return run(cmd::geodist(key, member1, member2, unit));
    }
    auto geohash(std::string_view key, std::span<const std::string_view> members) {
        return run(cmd::geohash(key, members));
    }
    auto geohash(std::string_view key, std::initializer_list<std::string_view> members) {
        return run(cmd::geohash(key, members));
    }
    auto geohash(std::string_view key, std::string_view member) { return run(cmd::geohash(key, member)); }
    auto geosearch(std::string_view key, const geo_center& center, const geo_shape& shape,
                   const geosearch_options& opts = {}) {
        return run(cmd::geosearch(key, center, shape, opts));
    }
    auto geosearchstore(std::string_view destination, std::string_view source, const geo_center& center,
                        const geo_shape& shape, const geosearchstore_options& opts = {}) {
        return run(cmd::geosearchstore(destination, source, center, shape, opts));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
