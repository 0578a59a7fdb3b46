// The flags decode-bench and decode-anchor share, so the two always measure the same work:
//   --path SOCKET --cmd hgetall|zrange --ops N [--fields F]
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace redpool::bench {

struct decode_args {
    std::string path;
    bool hgetall = true;  // false: ZRANGE ... WITHSCORES
    long ops = -1;
    int fields = 100;     // fields of the hash, members of the sorted set
};

/// Parses the flags; prints the usage line naming `program` and exits 2 on a bad one.
inline decode_args parse_decode_args(const char* program, int argc, char** argv) {
    auto usage = [program] {
        std::fprintf(stderr, "usage: %s --path SOCKET --cmd hgetall|zrange --ops N [--fields F]\n", program);
        std::exit(2);
    };
    decode_args a;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) usage();
        const std::string value = argv[++i];
        if (flag == "--path") a.path = value;
        else if (flag == "--ops") a.ops = std::atol(value.c_str());
        else if (flag == "--fields") a.fields = std::atoi(value.c_str());
        else if (flag == "--cmd" && (value == "hgetall" || value == "zrange")) a.hgetall = value == "hgetall";
        else usage();
    }
    if (a.path.empty() || a.ops < 0 || a.fields < 1) usage();
    return a;
}

}  // namespace redpool::bench
