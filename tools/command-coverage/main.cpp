// command-coverage: per command group, how many of the server's commands redpool types.
//   command-coverage [--url redis://HOST:PORT] [--path /unix.sock] [--min-percent N]
// Prints a Markdown table (group | typed | total | coverage % | missing commands). Exit status:
// 0, or 1 when a group is below --min-percent N, or 2 for bad flags or a failure to ask the
// server.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <redpool/redpool.hpp>

#include "lib/commands/registry.hpp"
#include "tools/command-coverage/coverage.hpp"

namespace {

struct flags {
    std::string url = "redis://127.0.0.1:6379";
    std::string path;
    double min_percent = 0;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: command-coverage [--url redis://HOST:PORT] [--path /unix.sock] "
                 "[--min-percent N]\n");
    std::exit(2);
}

flags parse(int argc, char** argv) {
    flags f;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) usage();
        const std::string value = argv[++i];
        if (flag == "--url") f.url = value;
        else if (flag == "--path") f.path = value;
        else if (flag == "--min-percent") {
            char* end = nullptr;
            f.min_percent = std::strtod(value.c_str(), &end);
            if (end == value.c_str() || *end != '\0') usage();
        } else usage();
    }
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const auto f = parse(argc, argv);
    try {
        auto opts = redpool::options::from_url(f.url);
        if (!f.path.empty()) opts.path = f.path;
        redpool::client redis(opts);
        const auto server = redpool::tools::fetch_server_commands(redis);
        const auto registry = redpool::detail::typed_commands();
        const auto report = redpool::tools::compute_coverage(server, registry.entries());
        std::fputs(redpool::tools::to_markdown(report).c_str(), stdout);

        const auto below = report.groups_below(f.min_percent);
        for (const auto& g : below) {
            std::fprintf(stderr, "command-coverage: %s is below %g %%\n", g.c_str(), f.min_percent);
        }
        return below.empty() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "command-coverage: %s\n", e.what());
        return 2;
    }
}
