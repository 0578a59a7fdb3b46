#!/usr/bin/env bash
# Builds and runs the whole test suite with Bazel: plainly, then under AddressSanitizer +
# UBSan, then the concurrent tests (tagged "tsan") under ThreadSanitizer; then the installed
# package built outside Bazel (tests/install/check.sh) and the fuzzers for a bounded time
# (tests/fuzz/run_fuzzers.sh), each of which counts its checks as test cases. Ends with one line, "N passed, N failed", counting Catch2 test cases over every test
# binary and configuration (a binary that died without reporting counts as one failure).
# Exits non-zero if any test failed.
#   tests/run_all.sh            all configurations
#   tests/run_all.sh plain      only the plain build (fastest)
#   tests/run_all.sh install fuzz   only the package check and the fuzzers
set -uo pipefail
cd "$(dirname "$0")/.."

# .bazelrc's disk cache has no size limit in Bazel 4.2, and every build of every config adds
# to it (it reached 65 GB on a development machine and filled the disk): entries not written
# for two days go. A removed entry is only a cache miss.
disk_cache="$HOME/.cache/redpool-bazel-disk"
[ -d "$disk_cache" ] && find "$disk_cache" -type f -mtime +2 -delete 2>/dev/null

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(plain asan tsan install fuzz)

common=(--curses=no --color=no --nocache_test_results --test_output=errors)
passed=0
failed=0
status=0

count_cases() {  # $1: testlogs directory
    local log line p f
    while IFS= read -r log; do
        line=$(grep -a '^redpool-test-cases:' "$log" | tail -n 1)
        if [ -z "$line" ]; then
            echo "no test summary in $log: counted as one failed test case" >&2
            failed=$((failed + 1))
            continue
        fi
        p=$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")
        f=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")
        passed=$((passed + p))
        failed=$((failed + f))
    done < <(find -L "$1" -name test.log -newer "$stamp" 2>/dev/null)
}

# A suite outside Bazel: a script whose last line is "N passed, N failed" (or "name: N passed, ...").
run_script_suite() {  # $1: name, then the command
    local name=$1 out line
    shift
    echo "=== $name: $*"
    out=$(mktemp)
    "$@" 2>&1 | tee "$out"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    line=$(tail -n 1 "$out")
    rm -f "$out"
    if [[ "$line" =~ ^([a-z]+:\ )?([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[2]))
        failed=$((failed + BASH_REMATCH[3]))
    else
        echo "$name ended without a summary: counted as one failed test case" >&2
        failed=$((failed + 1))
    fi
}

for config in "${configs[@]}"; do
    case "$config" in
        install) run_script_suite install bash tests/install/check.sh; continue ;;
        fuzz) run_script_suite fuzz bash tests/fuzz/run_fuzzers.sh; continue ;;
    esac
    flags=()
    [ "$config" = plain ] || flags=(--config="$config")
    # ThreadSanitizer is slow; it runs the tests that exercise threads.
    [ "$config" = tsan ] && flags+=(--test_tag_filters=tsan --build_tests_only)
    echo "=== bazel test //... ${flags[*]:-}"
    stamp=$(mktemp)
    bazel test "${common[@]}" "${flags[@]}" //... || status=1
    count_cases "$(bazel info "${flags[@]}" bazel-testlogs 2>/dev/null)"
    rm -f "$stamp"
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1  # the build itself failed, or a binary failed without a summary
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
