#!/usr/bin/env bash
# The installable package, end to end: `bazel run //:install -- --prefix DIR` into a fresh
# directory, then tests/install/example.cpp built outside Bazel twice, with
# `g++ $(pkg-config --cflags --libs redpool)` and with CMake's find_package(redpool), and each
# run against a real redis-server on a private unix socket. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

work="$(mktemp -d "${TMPDIR:-/tmp}/redpool-install.XXXXXX")"
prefix="$work/prefix"
passed=0
failed=0
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

verdict() {  # $1: name, $2: exit status
    if [ "$2" -eq 0 ]; then
        echo "install: $1 ok"
        passed=$((passed + 1))
    else
        echo "install: $1 FAILED"
        failed=$((failed + 1))
    fi
}

bazel run --curses=no --color=no //:install -- --prefix "$prefix"
verdict "bazel run //:install" $?
for f in include/redpool/redpool.hpp lib/libredpool.a lib/pkgconfig/redpool.pc lib/cmake/redpool/redpoolConfig.cmake; do
    [ -f "$prefix/$f" ] || { echo "install: $prefix/$f missing"; failed=$((failed + 1)); }
done

redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no --dir "$work" \
    --logfile "$work/redis.log" &
server_pid=$!
for _ in $(seq 100); do
    redis-cli -s "$work/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
done
url="unix://$work/redis.sock"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
echo "pkg-config --cflags --libs redpool: $(pkg-config --cflags --libs redpool)"
# shellcheck disable=SC2046  # the flags are meant to split into words
g++ tests/install/example.cpp $(pkg-config --cflags --libs redpool) -o "$work/example-pkg-config" &&
    "$work/example-pkg-config" "$url"
verdict "g++ \$(pkg-config --cflags --libs redpool), run against redis-server" $?

cmake -S tests/install -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$work/cmake-build" >/dev/null &&
    "$work/cmake-build/example" "$url"
verdict "cmake find_package(redpool) + redpool::redpool, run against redis-server" $?

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
