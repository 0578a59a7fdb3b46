#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ and runs each for a while on a copy of its seed
# corpus.
#
#   tests/fuzz/run_fuzzers.sh [SECONDS_EACH]   # default 30, or $REDPOOL_FUZZ_SECONDS
#   tests/fuzz/run_fuzzers.sh 3600             # an hour each, for a longer hunt
#   tests/fuzz/run_fuzzers.sh --build-only     # compile, run nothing
#
# Why clang outside Bazel: libFuzzer (-fsanitize=fuzzer) is part of clang, and the toolchain
# Bazel auto-configures here is g++, which has no libFuzzer. The targets need only a handful
# of library sources (no Asio, no sockets), so they are compiled directly with clang++ (14 on
# Debian 12; apt-get install clang) into ${TMPDIR:-/tmp}/redpool-fuzz, never into the
# repository. The library's objects are built once with -fsanitize=fuzzer-no-link and shared.
#
# Each run works on a copy of tests/fuzz/corpus/<target>/ in the build directory, so the seeds
# checked in stay as they are; copy interesting new inputs back by hand. A crash, leak or
# failed oracle leaves its input in <build dir>/artifacts/<target>/ (kept across runs), and its
# path is printed; reproduce with `<build dir>/bin/<target> <input>`. Prints one line per
# target, then `fuzz: P passed, F failed`, and exits non-zero if any failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

build_only=false
seconds=${REDPOOL_FUZZ_SECONDS:-30}
case "${1:-}" in
    --build-only) build_only=true ;;
    '') ;;
    *[!0-9]* | 0) echo "usage: $0 [SECONDS_EACH | --build-only]" >&2; exit 2 ;;
    *) seconds=$1 ;;
esac

cxx=${CXX:-clang++}
if ! "$cxx" --version 2>/dev/null | grep -q clang; then
    echo "fuzz: $cxx is not clang; install clang (apt-get install clang) or set CXX=clang++-14" >&2
    exit 2
fi

build=${TMPDIR:-/tmp}/redpool-fuzz
mkdir -p "$build/obj" "$build/bin" "$build/run"

common=(-std=c++20 -O1 -g -Wall -Wextra -Wno-missing-field-initializers
        -DASIO_STANDALONE -DASIO_NO_DEPRECATED -DASIO_DISABLE_STD_ALIGNED_ALLOC
        -Iinclude -I. -fno-sanitize-recover=undefined)
lib_flags=(-fsanitize=fuzzer-no-link,address,undefined)
target_flags=(-fsanitize=fuzzer,address,undefined)
libs=(-lhiredis -lfmt)

# The library sources each target needs, and no more.
protocol_srcs=(lib/protocol/protocol.cpp lib/protocol/reply.cpp lib/base/error.cpp)
options_srcs=(lib/net/options.cpp lib/net/node_address.cpp lib/base/error.cpp)
targets=(reply_reader_fuzz url_parser_fuzz encoder_roundtrip_fuzz)
declare -A target_srcs=(
    [reply_reader_fuzz]="${protocol_srcs[*]}"
    [url_parser_fuzz]="${options_srcs[*]}"
    [encoder_roundtrip_fuzz]="${protocol_srcs[*]}"
)

object_of() { local src=$1; echo "$build/obj/${src//\//_}.o"; }

# --- build --------------------------------------------------------------------------------------

build_library() {
    local -A seen=()
    local pids=() src
    for src in "${protocol_srcs[@]}" "${options_srcs[@]}"; do
        [[ -n "${seen[$src]:-}" ]] && continue
        seen[$src]=1
        "$cxx" "${common[@]}" "${lib_flags[@]}" -c "$src" -o "$(object_of "$src")" &
        pids+=($!)
    done
    local pid failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    if ((failed)); then
        echo "fuzz: the library sources did not compile" >&2
        exit 1
    fi
}

build_target() {
    local name=$1 src objects=()
    for src in ${target_srcs[$name]}; do objects+=("$(object_of "$src")"); done
    "$cxx" "${common[@]}" "${target_flags[@]}" "tests/fuzz/$name.cpp" "${objects[@]}" "${libs[@]}" \
        -o "$build/bin/$name"
}

echo "fuzz: building into $build with $("$cxx" --version | head -n 1)"
build_library
declare -A built=()
build_pids=()
for name in "${targets[@]}"; do
    build_target "$name" &
    build_pids+=($!)
done
for i in "${!targets[@]}"; do
    if wait "${build_pids[$i]}"; then built[${targets[$i]}]=1; fi
done

if $build_only; then
    status=0
    for name in "${targets[@]}"; do
        if [[ -n "${built[$name]:-}" ]]; then
            echo "fuzz $name: built $build/bin/$name"
        else
            echo "fuzz $name: FAILED to build"
            status=1
        fi
    done
    exit $status
fi

# --- run ----------------------------------------------------------------------------------------

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

count_files() { find "$1" -type f | wc -l | tr -d ' '; }

# Runs one target; prints its summary line and returns non-zero if it failed.
run_target() {
    local name=$1 work="$build/run/$1" artifacts_dir="$build/artifacts/$1"
    if [[ -z "${built[$name]:-}" ]]; then
        echo "fuzz $name: FAILED to build"
        return 1
    fi
    rm -rf "$work"
    mkdir -p "$work/corpus" "$artifacts_dir"
    # Inputs kept by earlier runs stay; only new ones are this run's.
    local before
    before=$(find "$artifacts_dir" -type f | sort)
    cp -R "tests/fuzz/corpus/$name/." "$work/corpus/"
    local seeds dict=()
    seeds=$(count_files "$work/corpus")
    [[ -f "tests/fuzz/$name.dict" ]] && dict=(-dict="tests/fuzz/$name.dict")

    local rc=0 start end
    start=$(date +%s%N)
    "$build/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts_dir/" "${dict[@]}" "$work/corpus" >"$work/log" 2>&1 || rc=$?
    end=$(date +%s%N)

    local execs elapsed_ms per_sec corpus verdict=ok
    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$work/log" | tail -n 1)
    execs=${execs:-0}
    elapsed_ms=$(((end - start) / 1000000))
    ((elapsed_ms > 0)) || elapsed_ms=1
    per_sec=$((execs * 1000 / elapsed_ms))
    corpus=$(count_files "$work/corpus")
    local artifacts
    artifacts=$(comm -13 <(echo "$before") <(find "$artifacts_dir" -type f | sort) | sed '/^$/d')
    if ((rc != 0)) || [[ -n "$artifacts" ]]; then verdict=FAILED; fi

    echo "fuzz $name: $verdict execs=$execs exec_per_sec=$per_sec corpus=$corpus (seed $seeds)"
    if [[ $verdict == FAILED ]]; then
        echo "  exit status $rc; log: $work/log"
        grep -E 'ERROR|FUZZ ORACLE FAILED|SUMMARY|runtime error' "$work/log" | head -n 5 | sed 's/^/  /' || true
        local artifact
        for artifact in $artifacts; do echo "  input kept: $artifact"; done
        return 1
    fi
}

passed=0
failed=0
for name in "${targets[@]}"; do
    if run_target "$name"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
