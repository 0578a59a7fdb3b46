#!/usr/bin/env bash
# Starts (or stops) a local Redis Cluster of N masters for benchmarks: ports BASE..BASE+N-1 on
# 127.0.0.1, cluster bus ports +10000, data in DIR, no persistence.
#   tools/bench_support/local_cluster.sh start [BASE=7101] [N=3] [DIR=/tmp/redpool-cluster]
#   tools/bench_support/local_cluster.sh stop  [BASE=7101] [N=3]
# Then, e.g.: client-bench --cluster --port 7101 ...; redis-benchmark --cluster -p 7101 ...
set -euo pipefail
action=${1:?start or stop}
base=${2:-7101}
n=${3:-3}
dir=${4:-/tmp/redpool-cluster}

case "$action" in
start)
    nodes=()
    for ((i = 0; i < n; i++)); do
        port=$((base + i))
        mkdir -p "$dir/$port"
        rm -f "$dir/$port/nodes.conf"
        redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
            --cluster-node-timeout 1000 --dir "$dir/$port" --save '' --appendonly no \
            --daemonize yes --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
        nodes+=("127.0.0.1:$port")
    done
    for node in "${nodes[@]}"; do
        until redis-cli -p "${node#*:}" ping >/dev/null 2>&1; do sleep 0.05; done
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
    until redis-cli -p "$base" cluster info | grep -q cluster_state:ok; do sleep 0.1; done
    echo "cluster of $n masters on 127.0.0.1:$base-$((base + n - 1))"
    ;;
stop)
    for ((i = 0; i < n; i++)); do redis-cli -p $((base + i)) shutdown nosave >/dev/null 2>&1 || true; done
    ;;
*)
    echo "usage: $0 start|stop [BASE] [N] [DIR]" >&2
    exit 2
    ;;
esac
