#!/usr/bin/env bash
# Installs everything redpool needs on Debian 12, from Debian's own packages: the compiler,
# Bazel, the libraries it builds against, and redis-server for tests and benchmarks.
set -euo pipefail

packages=(
    g++ bazel-bootstrap bazel-platforms
    libhiredis-dev libasio-dev libfmt-dev catch2 libssl-dev openssl
    redis-server redis-tools
    valgrind
    cmake pkg-config clang libfuzzer-14-dev
)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian package starts a system redis-server on port 6379; tests and redis-bench start
# their own, so it is not needed (and stays as the administrator left it).
