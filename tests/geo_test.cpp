// redpool::client's geospatial commands (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
// GEOSEARCHSTORE) against a real redis-server, checked through the fixture's admin connection
// where it matters. Positions come back within ~0.6 m of what went in, so coordinates and
// distances are compared with a tolerance.
#include <catch2/catch.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redpool/redpool.hpp>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_helpers.hpp"

using redpool::errc;
using redpool::geo_box;
using redpool::geo_order;
using redpool::geo_position;
using redpool::geo_radius;
using redpool::geo_unit;
using redpool::test::bad_utf8;
using redpool::test::check_pool_invariants;
using redpool::test::command_calls;
using redpool::test::expect_error;
using redpool::test::expect_wrongtype;
using redpool::test::options_for;
using redpool::test::redis_server;
using redpool::test::shared_server;
using redpool::test::with_nul;

namespace {

// Redis's own example set: two cities of Sicily, and two points about 280 km from (15, 37).
constexpr double palermo_lon = 13.361389, palermo_lat = 38.115556;
constexpr double catania_lon = 15.087269, catania_lat = 37.502669;
// Palermo to Catania, as Redis computes it (haversine on its Earth radius), in metres.
constexpr double palermo_catania_m = 166274.1516;

// 0.6 m is about 5.4e-6 degrees of latitude; 1e-5 leaves room and still catches a swap.
constexpr double degrees_margin = 1e-5;

void add_sicily(const redis_server& server) {
    server.command({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
                    "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"});
}

std::vector<std::string> members_of(const std::vector<redpool::geo_search_result>& results) {
    std::vector<std::string> out;
    for (const auto& r : results) out.push_back(r.member);
    return out;
}

void check_position(const std::optional<geo_position>& p, double lon, double lat) {
    REQUIRE(p.has_value());
    CHECK(p->longitude == Approx(lon).margin(degrees_margin));
    CHECK(p->latitude == Approx(lat).margin(degrees_margin));
}

}  // namespace

// --- GEOADD --------------------------------------------------------------------------------------

TEST_CASE("geo: geoadd adds members and counts the new ones", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.geoadd("Sicily", {{palermo_lon, palermo_lat, "Palermo"}, {catania_lon, catania_lat, "Catania"}}) == 2);
    CHECK(server.command({"ZCARD", "Sicily"}) == "2");
    // Moving a member adds nothing.
    CHECK(redis.geoadd("Sicily", {{palermo_lon + 1, palermo_lat, "Palermo"}}) == 0);
    check_position(redis.geopos("Sicily", {"Palermo"}).at(0), palermo_lon + 1, palermo_lat);

    // The span overload.
    const std::vector<redpool::geo_member> more{{10, 10, "a"}, {11, 11, "b"}, {12, 12, "a"}};
    CHECK(redis.geoadd("Sicily", more) == 2);
    check_position(redis.geopos("Sicily", {"a"}).at(0), 12, 12);
    check_pool_invariants(redis);
}

TEST_CASE("geo: geoadd with NX only adds, with XX only moves, with CH counts moves", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    REQUIRE(redis.geoadd("g", {{1, 1, "old"}}) == 1);

    redpool::geoadd_options nx;
    nx.when = redpool::geoadd_options::condition::if_not_exists;
    CHECK(redis.geoadd("g", {{2, 2, "old"}, {3, 3, "new"}}, nx) == 1);
    check_position(redis.geopos("g", {"old"}).at(0), 1, 1);
    check_position(redis.geopos("g", {"new"}).at(0), 3, 3);

    redpool::geoadd_options xx;
    xx.when = redpool::geoadd_options::condition::if_exists;
    CHECK(redis.geoadd("g", {{4, 4, "old"}, {5, 5, "absent"}}, xx) == 0);
    check_position(redis.geopos("g", {"old"}).at(0), 4, 4);
    CHECK(server.command({"ZSCORE", "g", "absent"}) == "(nil)");

    redpool::geoadd_options ch;
    ch.changed = true;
    // One moved, one unchanged, one added: CH counts two.
    CHECK(redis.geoadd("g", {{6, 6, "old"}, {3, 3, "new"}, {7, 7, "third"}}, ch) == 2);
    redpool::geoadd_options xx_ch = xx;
    xx_ch.changed = true;
    CHECK(redis.geoadd("g", {{8, 8, "old"}, {9, 9, "absent"}}, xx_ch) == 1);
    CHECK(server.command({"ZCARD", "g"}) == "3");
    check_pool_invariants(redis);
}

TEST_CASE("geo: geoadd of no members throws locally; a point out of range is the server's error", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto local = expect_error<redpool::error>([&] { redis.geoadd("g", std::span<const redpool::geo_member>{}); });
    CHECK(local.code() == errc::invalid_argument);
    auto range = expect_error<redpool::reply_error>([&] { redis.geoadd("g", {{200, 100, "x"}}); });
    CHECK(range.prefix() == "ERR");
    CHECK(server.command({"EXISTS", "g"}) == "0");
    check_pool_invariants(redis);
}

// --- GEOPOS, GEODIST, GEOHASH ------------------------------------------------------------------

TEST_CASE("geo: geopos returns positions within 0.6 m, nullopt for missing members", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    auto positions = redis.geopos("Sicily", {"Palermo", "nowhere", "Catania"});
    REQUIRE(positions.size() == 3);
    check_position(positions[0], palermo_lon, palermo_lat);
    CHECK_FALSE(positions[1].has_value());
    check_position(positions[2], catania_lon, catania_lat);

    const std::vector<std::string_view> names{"Catania"};
    auto by_span = redis.geopos("Sicily", names);
    REQUIRE(by_span.size() == 1);
    check_position(by_span[0], catania_lon, catania_lat);

    auto missing_key = redis.geopos("nokey", {"a", "b"});
    REQUIRE(missing_key.size() == 2);
    CHECK_FALSE(missing_key[0].has_value());
    CHECK_FALSE(missing_key[1].has_value());
    CHECK(redis.geopos("Sicily", std::span<const std::string_view>{}).empty());
    check_pool_invariants(redis);
}

TEST_CASE("geo: geopos of one member returns its position, nullopt when it is missing", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    std::optional<geo_position> palermo = redis.geopos("Sicily", "Palermo");
    check_position(palermo, palermo_lon, palermo_lat);
    check_position(redis.geopos("Sicily", std::string("Catania")), catania_lon, catania_lat);
    CHECK_FALSE(redis.geopos("Sicily", "nowhere").has_value());
    CHECK_FALSE(redis.geopos("nokey", "Palermo").has_value());
    // A braced list of one still means the list overload.
    std::vector<std::optional<geo_position>> listed = redis.geopos("Sicily", {"Palermo"});
    REQUIRE(listed.size() == 1);
    check_position(listed[0], palermo_lon, palermo_lat);
    // Binary members.
    server.command({"GEOADD", "Sicily", "1", "2", with_nul});
    check_position(redis.geopos("Sicily", with_nul), 1, 2);
    CHECK_FALSE(redis.geopos("Sicily", "\xff\xfe").has_value());
    check_pool_invariants(redis);
}

TEST_CASE("geo: geopos and geohash of no members are sent and answer empty", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    CHECK(redis.geopos("Sicily", std::span<const std::string_view>{}).empty());
    CHECK(redis.geohash("Sicily", std::span<const std::string_view>{}).empty());
    CHECK(command_calls(server, "geopos") == 1);
    CHECK(command_calls(server, "geohash") == 1);
    check_pool_invariants(redis);
}

TEST_CASE("geo: geodist measures in each unit, nullopt for a missing member", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    auto m = redis.geodist("Sicily", "Palermo", "Catania");
    REQUIRE(m.has_value());
    CHECK(*m == Approx(palermo_catania_m).margin(1.0));
    auto explicit_m = redis.geodist("Sicily", "Palermo", "Catania", geo_unit::m);
    REQUIRE(explicit_m.has_value());
    CHECK(*explicit_m == Approx(*m).margin(1e-3));
    auto km = redis.geodist("Sicily", "Palermo", "Catania", geo_unit::km);
    REQUIRE(km.has_value());
    CHECK(*km == Approx(palermo_catania_m / 1000).margin(1e-3));
    auto mi = redis.geodist("Sicily", "Palermo", "Catania", geo_unit::mi);
    REQUIRE(mi.has_value());
    CHECK(*mi == Approx(palermo_catania_m / 1609.34).margin(1e-2));
    auto ft = redis.geodist("Sicily", "Palermo", "Catania", geo_unit::ft);
    REQUIRE(ft.has_value());
    CHECK(*ft == Approx(palermo_catania_m / 0.3048).margin(5.0));

    CHECK(redis.geodist("Sicily", "Palermo", "nowhere") == std::nullopt);
    CHECK(redis.geodist("nokey", "a", "b") == std::nullopt);
    auto same = redis.geodist("Sicily", "Palermo", "Palermo");
    REQUIRE(same.has_value());
    CHECK(*same == 0.0);
    check_pool_invariants(redis);
}

TEST_CASE("geo: geohash returns 11-character geohashes, nullopt for missing members", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    auto hashes = redis.geohash("Sicily", {"Palermo", "nowhere", "Catania"});
    REQUIRE(hashes.size() == 3);
    CHECK(hashes[0] == "sqc8b49rny0");
    CHECK(hashes[1] == std::nullopt);
    CHECK(hashes[2] == "sqdtr74hyu0");
    const std::vector<std::string_view> names{"Catania", "Palermo"};
    CHECK(redis.geohash("Sicily", names) ==
          std::vector<std::optional<std::string>>{"sqdtr74hyu0", "sqc8b49rny0"});
    CHECK(redis.geohash("nokey", {"a"}) == std::vector<std::optional<std::string>>{std::nullopt});
    check_pool_invariants(redis);
}

TEST_CASE("geo: geohash of one member returns its geohash, nullopt when it is missing", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    std::optional<std::string> palermo = redis.geohash("Sicily", "Palermo");
    CHECK(palermo == "sqc8b49rny0");
    CHECK(redis.geohash("Sicily", std::string("Catania")) == "sqdtr74hyu0");
    CHECK(redis.geohash("Sicily", "nowhere") == std::nullopt);
    CHECK(redis.geohash("nokey", "Palermo") == std::nullopt);
    // A braced list of one still means the list overload.
    std::vector<std::optional<std::string>> listed = redis.geohash("Sicily", {"Catania"});
    CHECK(listed == std::vector<std::optional<std::string>>{"sqdtr74hyu0"});
    server.command({"GEOADD", "Sicily", "13.361389", "38.115556", bad_utf8});
    CHECK(redis.geohash("Sicily", bad_utf8) == "sqc8b49rny0");
    check_pool_invariants(redis);
}

// --- GEOSEARCH -----------------------------------------------------------------------------------

TEST_CASE("geo: geosearch by radius and by box, from a point and from a member", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    redpool::geosearch_options asc;
    asc.order = geo_order::ascending;

    auto circle = redis.geosearch("Sicily", geo_position{15, 37}, geo_radius{200, geo_unit::km}, asc);
    CHECK(members_of(circle) == std::vector<std::string>{"Catania", "Palermo"});
    for (const auto& r : circle) {
        CHECK_FALSE(r.distance.has_value());
        CHECK_FALSE(r.hash.has_value());
        CHECK_FALSE(r.position.has_value());
    }
    // The same circle in metres, and a smaller one.
    CHECK(members_of(redis.geosearch("Sicily", geo_position{15, 37}, geo_radius{200000}, asc)) ==
          std::vector<std::string>{"Catania", "Palermo"});
    CHECK(members_of(redis.geosearch("Sicily", geo_position{15, 37}, geo_radius{100, geo_unit::km}, asc)) ==
          std::vector<std::string>{"Catania"});
    CHECK(members_of(redis.geosearch("Sicily", geo_position{15, 37}, geo_radius{100, geo_unit::mi}, asc)) ==
          std::vector<std::string>{"Catania"});

    // The box reaches the corners the circle misses.
    auto box = redis.geosearch("Sicily", geo_position{15, 37}, geo_box{400, 400, geo_unit::km}, asc);
    CHECK(members_of(box) == std::vector<std::string>{"Catania", "Palermo", "edge2", "edge1"});
    auto narrow = redis.geosearch("Sicily", geo_position{15, 37}, geo_box{100, 400, geo_unit::km}, asc);
    CHECK(members_of(narrow) == std::vector<std::string>{"Catania"});
    auto in_feet = redis.geosearch("Sicily", geo_position{15, 37}, geo_box{400 / 0.0003048, 400 / 0.0003048, geo_unit::ft}, asc);
    CHECK(members_of(in_feet) == members_of(box));

    // From a member: the centre is in the results, at distance zero.
    auto from_member = redis.geosearch("Sicily", "Catania", geo_radius{200, geo_unit::km}, asc);
    CHECK(members_of(from_member) == std::vector<std::string>{"Catania", "Palermo"});
    auto from_member_box = redis.geosearch("Sicily", std::string("Catania"), geo_box{10, 10, geo_unit::km});
    CHECK(members_of(from_member_box) == std::vector<std::string>{"Catania"});
    check_pool_invariants(redis);
}

TEST_CASE("geo: geosearch sorts, limits and adds distance, hash and position as asked", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    const redpool::geo_center center = geo_position{15, 37};
    const redpool::geo_shape shape = geo_radius{300, geo_unit::km};

    redpool::geosearch_options desc;
    desc.order = geo_order::descending;
    CHECK(members_of(redis.geosearch("Sicily", center, shape, desc)) ==
          std::vector<std::string>{"edge1", "edge2", "Palermo", "Catania"});
    CHECK(redis.geosearch("Sicily", center, shape).size() == 4);

    redpool::geosearch_options count;
    count.order = geo_order::ascending;
    count.count = 2;
    CHECK(members_of(redis.geosearch("Sicily", center, shape, count)) ==
          std::vector<std::string>{"Catania", "Palermo"});
    redpool::geosearch_options any = count;
    any.any = true;
    CHECK(redis.geosearch("Sicily", center, shape, any).size() == 2);

    redpool::geosearch_options dist;
    dist.order = geo_order::ascending;
    dist.with_dist = true;
    auto with_dist = redis.geosearch("Sicily", center, shape, dist);
    REQUIRE(with_dist.size() == 4);
    REQUIRE(with_dist[0].distance.has_value());
    CHECK(with_dist[0].member == "Catania");
    CHECK(*with_dist[0].distance == Approx(56.4413).margin(1e-3));
    CHECK(*with_dist[1].distance == Approx(190.4424).margin(1e-3));
    CHECK_FALSE(with_dist[0].hash.has_value());
    CHECK_FALSE(with_dist[0].position.has_value());

    redpool::geosearch_options hash;
    hash.order = geo_order::ascending;
    hash.with_hash = true;
    auto with_hash = redis.geosearch("Sicily", center, shape, hash);
    REQUIRE(with_hash.size() == 4);
    REQUIRE(with_hash[0].hash.has_value());
    // The hash is the member's score in the sorted set.
    CHECK(std::to_string(*with_hash[0].hash) == server.command({"ZSCORE", "Sicily", "Catania"}));
    CHECK_FALSE(with_hash[0].distance.has_value());
    CHECK_FALSE(with_hash[0].position.has_value());

    redpool::geosearch_options coord;
    coord.order = geo_order::ascending;
    coord.with_coord = true;
    auto with_coord = redis.geosearch("Sicily", center, shape, coord);
    REQUIRE(with_coord.size() == 4);
    check_position(with_coord[0].position, catania_lon, catania_lat);
    check_position(with_coord[1].position, palermo_lon, palermo_lat);
    CHECK_FALSE(with_coord[0].distance.has_value());
    CHECK_FALSE(with_coord[0].hash.has_value());

    redpool::geosearch_options all = count;
    all.with_coord = all.with_dist = all.with_hash = true;
    auto with_all = redis.geosearch("Sicily", "Catania", geo_radius{200, geo_unit::km}, all);
    REQUIRE(with_all.size() == 2);
    CHECK(with_all[0].member == "Catania");
    CHECK(with_all[1].member == "Palermo");
    REQUIRE(with_all[0].distance.has_value());
    CHECK(*with_all[0].distance == 0.0);
    REQUIRE(with_all[1].distance.has_value());
    CHECK(*with_all[1].distance == Approx(palermo_catania_m / 1000).margin(1e-3));
    REQUIRE(with_all[1].hash.has_value());
    CHECK(std::to_string(*with_all[1].hash) == server.command({"ZSCORE", "Sicily", "Palermo"}));
    check_position(with_all[1].position, palermo_lon, palermo_lat);
    check_pool_invariants(redis);
}

TEST_CASE("geo: geosearch of a missing key is empty; a missing centre member is the server's error", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    CHECK(redis.geosearch("nokey", geo_position{0, 0}, geo_radius{1000, geo_unit::km}).empty());
    add_sicily(server);
    CHECK(redis.geosearch("Sicily", geo_position{0, 0}, geo_radius{10, geo_unit::km}).empty());
    auto e = expect_error<redpool::reply_error>(
        [&] { redis.geosearch("Sicily", "nowhere", geo_radius{10, geo_unit::km}); });
    CHECK(e.prefix() == "ERR");
    check_pool_invariants(redis);
}

TEST_CASE("geo: geosearch and geosearchstore refuse negative sizes and ANY without COUNT locally", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    auto check_invalid = [](auto body) {
        auto e = expect_error<redpool::error>(body);
        CHECK(e.code() == errc::invalid_argument);
    };
    check_invalid([&] { redis.geosearch("g", geo_position{0, 0}, geo_radius{-1}); });
    check_invalid([&] { redis.geosearch("g", geo_position{0, 0}, geo_box{-1, 1}); });
    check_invalid([&] { redis.geosearch("g", geo_position{0, 0}, geo_box{1, -1}); });
    redpool::geosearch_options any;
    any.any = true;
    check_invalid([&] { redis.geosearch("g", geo_position{0, 0}, geo_radius{1}, any); });
    redpool::geosearchstore_options store_any;
    store_any.any = true;
    check_invalid([&] { redis.geosearchstore("d", "g", geo_position{0, 0}, geo_radius{1}, store_any); });
    check_invalid([&] { redis.geosearchstore("d", "g", geo_position{0, 0}, geo_radius{-1}); });
    // A negative count must not wrap into a huge COUNT.
    redpool::geosearch_options negative;
    negative.count = -1;
    check_invalid([&] { redis.geosearch("g", geo_position{0, 0}, geo_radius{1}, negative); });
    negative.any = true;
    check_invalid([&] { redis.geosearch("g", geo_position{0, 0}, geo_radius{1}, negative); });
    redpool::geosearchstore_options store_negative;
    store_negative.count = -5;
    check_invalid([&] { redis.geosearchstore("d", "g", geo_position{0, 0}, geo_radius{1}, store_negative); });
    CHECK(command_calls(server, "geosearch") == 0);
    CHECK(command_calls(server, "geosearchstore") == 0);
    // Zero sizes are Redis's to accept.
    CHECK(redis.geosearch("g", geo_position{0, 0}, geo_radius{0}).empty());
    check_pool_invariants(redis);
}

// --- GEOSEARCHSTORE ------------------------------------------------------------------------------

TEST_CASE("geo: geosearchstore stores the matches' positions, or their distances with STOREDIST", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    add_sicily(server);
    CHECK(redis.geosearchstore("near", "Sicily", geo_position{15, 37}, geo_radius{200, geo_unit::km}) == 2);
    CHECK(server.command({"ZCARD", "near"}) == "2");
    // Stored as positions: the same scores, so geo commands work on the destination.
    CHECK(server.command({"ZSCORE", "near", "Palermo"}) == server.command({"ZSCORE", "Sicily", "Palermo"}));
    check_position(redis.geopos("near", {"Catania"}).at(0), catania_lon, catania_lat);

    redpool::geosearchstore_options dist;
    dist.store_dist = true;
    CHECK(redis.geosearchstore("dists", "Sicily", "Catania", geo_radius{200, geo_unit::km}, dist) == 2);
    CHECK(std::stod(server.command({"ZSCORE", "dists", "Palermo"})) == Approx(palermo_catania_m / 1000).margin(1e-3));
    CHECK(std::stod(server.command({"ZSCORE", "dists", "Catania"})) == 0.0);

    redpool::geosearchstore_options nearest;
    nearest.order = geo_order::descending;
    nearest.count = 1;
    CHECK(redis.geosearchstore("far", "Sicily", geo_position{15, 37}, geo_box{400, 400, geo_unit::km}, nearest) == 1);
    CHECK(server.command({"ZRANGE", "far", "0", "-1"}) == "edge1");
    nearest.any = true;
    CHECK(redis.geosearchstore("far", "Sicily", geo_position{15, 37}, geo_box{400, 400, geo_unit::km}, nearest) == 1);
    CHECK(server.command({"ZCARD", "far"}) == "1");

    // No match replaces the destination with nothing: it is deleted.
    CHECK(redis.geosearchstore("near", "Sicily", geo_position{0, 0}, geo_radius{1, geo_unit::km}) == 0);
    CHECK(server.command({"EXISTS", "near"}) == "0");
    check_pool_invariants(redis);
}

// --- errors and binary data ----------------------------------------------------------------------

TEST_CASE("geo: every geo command on a key of another type throws WRONGTYPE", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    server.command({"SET", "s", "v"});
    expect_wrongtype([&] { redis.geoadd("s", {{1, 1, "m"}}); });
    expect_wrongtype([&] { redis.geopos("s", {"m"}); });
    expect_wrongtype([&] { redis.geodist("s", "a", "b"); });
    expect_wrongtype([&] { redis.geohash("s", {"m"}); });
    expect_wrongtype([&] { redis.geohash("s", "m"); });
    expect_wrongtype([&] { redis.geopos("s", "m"); });
    expect_wrongtype([&] { redis.geosearch("s", geo_position{0, 0}, geo_radius{1}); });
    expect_wrongtype([&] { redis.geosearchstore("d", "s", geo_position{0, 0}, geo_radius{1}); });
    CHECK(server.command({"GET", "s"}) == "v");
    check_pool_invariants(redis);
}

TEST_CASE("geo: binary keys and members round-trip", "[geo]") {
    auto& server = shared_server();
    redpool::client redis(options_for(server));
    const std::string key("geo\0key", 7);
    CHECK(redis.geoadd(key, {{palermo_lon, palermo_lat, with_nul}, {catania_lon, catania_lat, bad_utf8}}) == 2);
    auto positions = redis.geopos(key, {with_nul, bad_utf8, "a"});
    REQUIRE(positions.size() == 3);
    check_position(positions[0], palermo_lon, palermo_lat);
    check_position(positions[1], catania_lon, catania_lat);
    CHECK_FALSE(positions[2].has_value());
    auto d = redis.geodist(key, with_nul, bad_utf8, geo_unit::km);
    REQUIRE(d.has_value());
    CHECK(*d == Approx(palermo_catania_m / 1000).margin(1e-3));
    CHECK(redis.geohash(key, {with_nul})[0] == "sqc8b49rny0");

    redpool::geosearch_options opts;
    opts.order = geo_order::ascending;
    opts.with_dist = true;
    auto found = redis.geosearch(key, with_nul, geo_radius{200, geo_unit::km}, opts);
    REQUIRE(found.size() == 2);
    CHECK(found[0].member == with_nul);
    CHECK(found[1].member == bad_utf8);
    const std::string dest("dst\xff\0", 5);
    CHECK(redis.geosearchstore(dest, key, bad_utf8, geo_radius{1, geo_unit::km}) == 1);
    CHECK(server.command({"ZCARD", dest}) == "1");
    check_pool_invariants(redis);
}
