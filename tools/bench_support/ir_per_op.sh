#!/usr/bin/env bash
# Instructions per operation of a benchmark binary, user space only (callgrind), with start-up
# and set-up subtracted: the binary runs twice, with N and with 2N operations, and the difference
# is divided by N. The binary takes its operation count as `--ops N`; other arguments are passed
# through. Prints `ir_per_op=X`.
#   tools/bench_support/ir_per_op.sh [-n N] BINARY ARGS...
set -euo pipefail
ops=20000
if [ "${1:-}" = "-n" ]; then ops=$2; shift 2; fi
[ $# -ge 1 ] || { echo "usage: $0 [-n N] BINARY ARGS..." >&2; exit 2; }
binary=$1; shift
args=("$@")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

total_ir() {  # $1: ops
    valgrind --tool=callgrind --callgrind-out-file="$dir/out.$1" "$binary" "${args[@]}" --ops "$1" \
        >/dev/null 2>"$dir/log.$1" || { cat "$dir/log.$1" >&2; exit 1; }
    sed -n 's/^summary: //p' "$dir/out.$1"
}
one=$(total_ir "$ops")
two=$(total_ir $((ops * 2)))
echo "ir_per_op=$(( (two - one) / ops ))"
