// decode-anchor: decode-bench's work done with hiredis directly, the budget's yardstick: one
// blocking redisContext on a unix socket, redisCommandArgv + freeReplyObject per op.
//   decode-anchor --path SOCKET --cmd hgetall|zrange --ops N [--fields F]
// Fills the key once (the same data as decode-bench), then runs the command N times; prints
// `ops=N checksum=X`.
#include <hiredis/hiredis.h>

#include "tools/bench_support/decode_args.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Runs one command; nullptr (after a message) for a transport failure or an error reply.
redisReply* command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& s : args) {
        argv.push_back(s.data());
        lens.push_back(s.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
    if (r == nullptr) std::fprintf(stderr, "decode-anchor: %s\n", c->errstr);
    else if (r->type == REDIS_REPLY_ERROR) {
        std::fprintf(stderr, "decode-anchor: %s\n", r->str);
        freeReplyObject(r);
        return nullptr;
    }
    return r;
}

bool fill(redisContext* c, const std::string& key, const redpool::bench::decode_args& a) {
    std::vector<std::vector<std::string>> commands = {{"DEL", key}};
    for (int i = 0; i < a.fields; ++i) {
        char name[32], value[32];
        std::snprintf(name, sizeof name, a.hgetall ? "field:%03d" : "member:%03d", i);
        if (a.hgetall) {
            std::snprintf(value, sizeof value, "value:%010d", i);
            commands.push_back({"HSET", key, name, value});
        } else {
            std::snprintf(value, sizeof value, "%g", i + 0.5);
            commands.push_back({"ZADD", key, value, name});
        }
    }
    for (const auto& args : commands) {
        auto* r = command(c, args);
        if (r == nullptr) return false;
        freeReplyObject(r);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const auto a = redpool::bench::parse_decode_args("decode-anchor", argc, argv);
    redisContext* c = redisConnectUnix(a.path.c_str());
    if (c == nullptr || c->err) {
        std::fprintf(stderr, "decode-anchor: connect: %s\n", c ? c->errstr : "out of memory");
        return 1;
    }
    const std::string key = "decode:bench";
    if (!fill(c, key, a)) return 1;

    // The measured loop: the argument vectors are built once, as redpool's are per command.
    const char* argv_hgetall[] = {"HGETALL", key.c_str()};
    const size_t len_hgetall[] = {7, key.size()};
    const char* argv_zrange[] = {"ZRANGE", key.c_str(), "0", "-1", "WITHSCORES"};
    const size_t len_zrange[] = {6, key.size(), 1, 2, 10};
    const auto expected = static_cast<size_t>(2 * a.fields);
    // A checksum of every reply element's length, so no work is optimised away.
    long long checksum = 0;
    for (long i = 0; i < a.ops; ++i) {
        auto* r = static_cast<redisReply*>(
            a.hgetall ? redisCommandArgv(c, 2, argv_hgetall, len_hgetall)
                      : redisCommandArgv(c, 5, argv_zrange, len_zrange));
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != expected) {
            std::fprintf(stderr, "decode-anchor: unexpected reply\n");
            return 1;
        }
        for (size_t e = 0; e < r->elements; ++e) checksum += r->element[e]->len;
        freeReplyObject(r);
    }
    std::printf("ops=%ld checksum=%lld\n", a.ops, checksum);
    redisFree(c);
    return 0;
}
