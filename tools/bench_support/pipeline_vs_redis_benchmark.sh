#!/usr/bin/env bash
# B7 side by side: a 1,000-command pipeline of GETs through redpool::pipeline (client-bench
# --pipeline 1000) against `redis-benchmark -c 1 -P 1000 -t get`, on the same server, in N
# interleaved pairs (these 2-core machines are noisy: one pair proves nothing). Pairs alternate
# which client runs first, so a machine slowing down or speeding up within a pair favours
# neither. Both clients run on CPU 1; pin the server to CPU 0 first (`taskset -pc 0
# <redis-server pid>`). Prints the medians, the ratio of the medians, the median of the per-pair
# ratios, each client's quartiles (the spread says how far to trust the rest), and the client
# CPU per command (user + sys) of each.
#   tools/bench_support/pipeline_vs_redis_benchmark.sh [-n PAIRS] [-o OPS] PORT
set -euo pipefail
pairs=11
ops=2000000
while getopts "n:o:" flag; do
    case $flag in
        n) pairs=$OPTARG ;;
        o) ops=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-n PAIRS] [-o OPS] PORT" >&2; exit 2; }
port=$1
cd "$(dirname "$0")/../.."
bazel build -c opt //tools/client-bench >/dev/null 2>&1
bench=bazel-out/k8-opt/bin/tools/client-bench/client-bench
redis-cli -p "$port" set key:__rand_int__ xxx >/dev/null
results=$(mktemp)
trap 'rm -f "$results"' EXIT
run_ours() {
    taskset -c 1 "$bench" --port "$port" --threads 1 --pool 1 --ops "$ops" --cmd get \
        --pipeline 1000 --keys 1 --value-size 3 --no-lat | tail -n 1
}
run_theirs() {
    { /usr/bin/time -f "cpu %U %S" taskset -c 1 redis-benchmark -p "$port" -c 1 -P 1000 -t get \
        -n "$ops" --csv | tail -n 1; } 2>&1
}
for pair in $(seq "$pairs"); do
    if [ $((pair % 2)) -eq 1 ]; then
        ours=$(run_ours)
        theirs=$(run_theirs)
    else
        theirs=$(run_theirs)
        ours=$(run_ours)
    fi
    echo "$ours" | sed -E 's/.*ops_per_sec=([0-9]+).*user_s=([0-9.]+) sys_s=([0-9.]+).*/\1 \2 \3/' | tr '\n' ' ' >>"$results"
    rate=$(echo "$theirs" | grep '"GET"' | cut -d'"' -f4)
    cpu=$(echo "$theirs" | grep '^cpu' | cut -d' ' -f2-)
    echo "$rate $cpu" >>"$results"
done
python3 - "$results" "$ops" <<'PY'
import statistics as st, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if len(line.split()) == 6]
ops = int(sys.argv[2])
ours = [r[0] for r in rows]; theirs = [r[3] for r in rows]
print(f"pairs={len(rows)} redpool_ops_per_sec={st.median(ours):.0f} redis_benchmark_ops_per_sec={st.median(theirs):.0f}"
      f" ratio_of_medians={st.median(ours) / st.median(theirs):.3f}"
      f" median_pair_ratio={st.median(a / b for a, b in zip(ours, theirs)):.3f}")
def quartiles(v):
    q = st.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return "/".join(f"{x:.0f}" for x in q)
print(f"quartiles redpool={quartiles(ours)} redis_benchmark={quartiles(theirs)}")
print(f"client_cpu_ns_per_command redpool={st.median((r[1] + r[2]) * 1e9 / ops for r in rows):.0f}"
      f" redis_benchmark={st.median((r[4] + r[5]) * 1e9 / ops for r in rows):.0f}")
PY
