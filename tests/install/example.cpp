// A program outside the Bazel tree, built against an installed redpool (pkg-config or CMake):
// proves that the installed headers compile with the flags the package hands out, that
// libredpool.a links with its Libs line alone, and that the result talks to a real server.
//   example redis://127.0.0.1:6379    or    example unix:///path/to/redis.sock
#include <cstdio>
#include <string>

#include <asio/io_context.hpp>
#include <redpool/async_client.hpp>
#include <redpool/redpool.hpp>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s REDIS_URL\n", argv[0]);
        return 2;
    }
    try {
        const redpool::options opts = redpool::options::from_url(argv[1]);
        redpool::client redis(opts);
        redis.set("install:check", "linked");
        const auto value = redis.get("install:check");

        // The async API too: Asio's definitions travel with the package.
        asio::io_context io;
        redpool::async_client async(io.get_executor(), opts);
        std::string async_value;
        async.async_exec({"GET", "install:check"},
                         [&](std::error_code ec, redpool::reply r) { async_value = ec ? ec.message() : std::string(r.as_string()); });
        io.run_for(std::chrono::seconds(10));

        std::printf("sync=%s async=%s pool=%s\n", value.value_or("(nil)").c_str(), async_value.c_str(),
                    redis.pool_stats().to_json().c_str());
        return value == "linked" && async_value == "linked" ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "example: %s\n", e.what());
        return 1;
    }
}
