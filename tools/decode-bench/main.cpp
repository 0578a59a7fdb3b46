// decode-bench: the client-side cost of one HGETALL of a 100-field hash, or one ZRANGE ...
// WITHSCORES of a 100-member sorted set, through redpool's typed methods (`hgetall`,
// `zrange_with_scores`): write, read, parse, convert. Run under tools/bench_support/ir_per_op.sh
// beside decode-anchor (the same with hiredis); the budget is 1.2x the anchor's
// instructions:
//   decode-bench --path SOCKET --cmd hgetall|zrange --ops N [--fields F]
// Fills the key once, then runs the command N times; prints `ops=N checksum=X`.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include <redpool/redpool.hpp>

#include "tools/bench_support/decode_args.hpp"

namespace {

// The same data as decode-anchor: fields "field:000" with 16-byte values, or members
// "member:000" with scores 0.5, 1.5, ...
void fill(redpool::client& redis, const std::string& key, const redpool::bench::decode_args& a) {
    redis.exec({"DEL", key});
    for (int i = 0; i < a.fields; ++i) {
        if (a.hgetall) {
            const auto field = fmt::format("field:{:03}", i);
            const auto value = fmt::format("value:{:010}", i);
            redis.exec({"HSET", key, field, value});
        } else {
            const auto member = fmt::format("member:{:03}", i);
            const auto score = fmt::format("{}", i + 0.5);
            redis.exec({"ZADD", key, score, member});
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    const auto a = redpool::bench::parse_decode_args("decode-bench", argc, argv);
    try {
        redpool::options opts;
        opts.path = a.path;
        opts.pool_size = 1;
        redpool::client redis(opts);
        const std::string key = "decode:bench";
        fill(redis, key, a);

        // A checksum of every decoded byte count and score, so no work is optimised away.
        double checksum = 0;
        for (long i = 0; i < a.ops; ++i) {
            if (a.hgetall) {
                const auto fields = redis.hgetall(key);
                for (const auto& [f, v] : fields) {
                    checksum += static_cast<double>(f.size() + v.size());
                }
            } else {
                const auto members = redis.zrange_with_scores(key, 0, -1);
                for (const auto& [m, score] : members) {
                    checksum += static_cast<double>(m.size()) + score;
                }
            }
        }
        std::printf("ops=%ld checksum=%.1f\n", a.ops, checksum);
        return 0;
    } catch (const redpool::error& e) {
        std::fprintf(stderr, "decode-bench: %s\n", e.what());
        return 1;
    }
}
