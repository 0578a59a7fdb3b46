// The commands behind each test name, as redis-benchmark 7 defines them.
#include "workload.hpp"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace redis_bench {
namespace {

const std::string key = "key:" + std::string(rand_placeholder);
const std::string counter = "counter:" + std::string(rand_placeholder);
const std::string element = "element:" + std::string(rand_placeholder);

test_spec make(std::string title, std::vector<std::string> args) {
    return test_spec{std::move(title), std::move(args), false};
}

// In a cluster, MSET's keys share a hash tag (one slot), or the server refuses them (CROSSSLOT).
const std::string tagged_key = "{key}:" + std::string(rand_placeholder);

std::vector<test_spec> specs_for(const std::string& id, const std::string& data, bool cluster) {
    if (id == "ping_inline") return {test_spec{"PING_INLINE", {"PING"}, true}};
    if (id == "ping_mbulk") return {make("PING_MBULK", {"PING"})};
    if (id == "set") return {make("SET", {"SET", key, data})};
    if (id == "get") return {make("GET", {"GET", key})};
    if (id == "incr") return {make("INCR", {"INCR", counter})};
    if (id == "lpush") return {make("LPUSH", {"LPUSH", "mylist", data})};
    if (id == "rpush") return {make("RPUSH", {"RPUSH", "mylist", data})};
    if (id == "lpop") return {make("LPOP", {"LPOP", "mylist"})};
    if (id == "rpop") return {make("RPOP", {"RPOP", "mylist"})};
    if (id == "sadd") return {make("SADD", {"SADD", "myset", element})};
    if (id == "hset") return {make("HSET", {"HSET", "myhash", element, data})};
    if (id == "spop") return {make("SPOP", {"SPOP", "myset"})};
    if (id == "zadd") return {make("ZADD", {"ZADD", "myzset", "0", element})};
    if (id == "zpopmin") return {make("ZPOPMIN", {"ZPOPMIN", "myzset"})};
    if (id.starts_with("lrange_")) {
        const std::string n = id.substr(7);
        const std::string last = std::to_string(std::stoi(n) - 1);
        return {make(fmt::format("LRANGE_{} (first {} elements)", n, n), {"LRANGE", "mylist", "0", last})};
    }
    if (id == "mset") {
        std::vector<std::string> args{"MSET"};
        for (int i = 0; i < 10; ++i) {
            args.push_back(cluster ? tagged_key : key);
            args.push_back(data);
        }
        return {make("MSET (10 keys)", std::move(args))};
    }
    return {};
}

void append_bulk(std::string& out, std::string_view arg) {
    fmt::format_to(std::back_inserter(out), "${}\r\n", arg.size());
    out.append(arg);
    out.append("\r\n");
}

}  // namespace

std::vector<test_spec> plan_tests(const config& cfg) {
    const std::string data(static_cast<std::size_t>(cfg.data_size), 'x');
    const auto& ids = cfg.tests.empty() ? default_tests() : cfg.tests;
    std::vector<test_spec> plan;
    bool list_filled = false;
    for (const auto& id : ids) {
        if (id.starts_with("lrange_") && !list_filled) {
            plan.push_back(make("LPUSH (needed to benchmark LRANGE)", {"LPUSH", "mylist", data}));
            list_filled = true;
        }
        for (auto& spec : specs_for(id, data, cfg.cluster)) plan.push_back(std::move(spec));
    }
    return plan;
}

encoded_batch encode_batch(const test_spec& spec, int count) {
    encoded_batch batch;
    for (int i = 0; i < count; ++i) {
        if (spec.inline_command) {
            batch.bytes += spec.args[0] + "\r\n";
        } else {
            fmt::format_to(std::back_inserter(batch.bytes), "*{}\r\n", spec.args.size());
            for (const auto& arg : spec.args) {
                const std::size_t start = batch.bytes.size() + fmt::formatted_size("${}\r\n", arg.size());
                append_bulk(batch.bytes, arg);
                for (auto at = arg.find(rand_placeholder); at != std::string::npos;
                     at = arg.find(rand_placeholder, at + 1)) {
                    batch.placeholders.push_back(start + at);
                }
            }
        }
        batch.request_ends.push_back(batch.bytes.size());
    }
    return batch;
}

key_randomizer::key_randomizer(long keyspace, unsigned seed) : keyspace_(keyspace), engine_(seed) {}

void key_randomizer::fill(char* at) {
    std::uniform_int_distribution<long> pick(0, keyspace_ - 1);
    long value = pick(engine_);
    for (int i = 11; i >= 0; --i) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

std::string key_randomizer::fill_copy(const std::string& arg) {
    std::string out = arg;
    if (!enabled()) return out;
    for (auto at = out.find(rand_placeholder); at != std::string::npos;
         at = out.find(rand_placeholder, at + rand_placeholder.size())) {
        fill(out.data() + at);
    }
    return out;
}

}  // namespace redis_bench
