#!/usr/bin/env bash
# Builds each libFuzzer target with AddressSanitizer into .build-fuzz and runs it for the given
# number of seconds, starting from the seed corpus in Fuzz/corpus/<target>. Inputs the fuzzer
# finds go to .build-fuzz/corpus/<target>, never into the repository; a crash stops with the
# input saved under .build-fuzz/crashes/ and a non-zero exit.
#
#     Fuzz/run.sh SECONDS [TARGET...]      (default: every target below)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: Fuzz/run.sh SECONDS [TARGET...]}
shift

# Each target: the Swift sources compiled with Fuzz/<target>.swift into one module, and extra flags.
declare -A sources flags
sources[safetensors]="Sources/ConvEngine/CheckpointError.swift Sources/ConvEngine/AtomicFile.swift $(echo Sources/ConvEngine/SafeTensors*.swift)"
flags[safetensors]=""

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${!sources[@]}")

# The Swift runtime's backtracer hangs when libFuzzer catches a crash; libFuzzer reports it anyway.
export SWIFT_BACKTRACE=enable=no
mkdir -p .build-fuzz/crashes
status=0
for target in "${targets[@]}"; do
    binary=.build-fuzz/$target
    inputs=(Fuzz/$target.swift ${sources[$target]})
    if [ ! -x "$binary" ] || [ -n "$(find "${inputs[@]}" -newer "$binary" 2>/dev/null)" ]; then
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "fuzz_$target" \
            ${flags[$target]} "${inputs[@]}" -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)
    fi
    mkdir -p ".build-fuzz/corpus/$target"
    log=.build-fuzz/$target.log
    if "$binary" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=16384 -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/crashes/$target-" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $target: $runs executions in ${seconds}s, no crash"
    else
        echo "fuzz $target: CRASH, see $log and .build-fuzz/crashes/"
        tail -20 "$log"
        status=1
    fi
done
exit $status
