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

# The modules the targets import (@testable, to reach the internal readers), built instrumented.
# ConvEngine is only its safetensors reader and network file parser: the kernels are slow to build
# and read no files.
declare -A module_sources module_flags
network_parser="Sources/ConvEngine/Network/NetworkError.swift Sources/ConvEngine/Network/NetworkFile.swift
    Sources/ConvEngine/Network/NetworkParser.swift Sources/ConvEngine/Network/ResolvedNetwork.swift"
module_sources[ConvEngine]="Sources/ConvEngine/Checkpoint/CheckpointError.swift Sources/ConvEngine/Checkpoint/AtomicFile.swift $(echo Sources/ConvEngine/Checkpoint/SafeTensors*.swift) $network_parser"
module_sources[ConvData]="$(echo Sources/ConvData/*.swift Sources/ConvData/Images/*.swift)"
module_flags[ConvData]="-I Sources/CZlib -I Sources/CPNG -I Sources/CJPEG"
module_sources[ConvProtocol]="$(echo Sources/ConvProtocol/*.swift)"
# ConvTraining is only the socket's line framer: the rest needs the engine.
module_sources[ConvTraining]="Sources/ConvTraining/LineFramer.swift"

# Each target Fuzz/<target>.swift (built with Fuzz/ScratchFile.swift) and the module it imports.
declare -A module_of=([safetensors]=ConvEngine [network]=ConvEngine [idx]=ConvData [cifar]=ConvData [gzip]=ConvData
                      [tar]=ConvData [images]=ConvData [protocol]=ConvProtocol [framer]=ConvTraining)

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors network idx cifar gzip tar images protocol framer)

instrumented=(-sanitize=fuzzer,address -O -parse-as-library)
quiet() { grep -v "Cannot export local symbol" >&2 || true; }
stale() { [ ! -e "$1" ] || [ -n "$(find "${@:2}" -newer "$1")" ]; }

# The Swift runtime's backtracer hangs when libFuzzer catches a crash; libFuzzer reports it anyway.
export SWIFT_BACKTRACE=enable=no
mkdir -p .build-fuzz/modules .build-fuzz/crashes
status=0
for target in "${targets[@]}"; do
    module=${module_of[$target]:?unknown fuzz target $target}
    library=.build-fuzz/modules/lib$module.a
    if stale "$library" ${module_sources[$module]}; then
        swiftc "${instrumented[@]}" -enable-testing -module-name "$module" ${module_flags[$module]:-} \
            -emit-library -static -emit-module -emit-module-path ".build-fuzz/modules/$module.swiftmodule" \
            -o "$library" ${module_sources[$module]} 2> >(quiet)
    fi
    binary=.build-fuzz/$target
    if stale "$binary" "Fuzz/$target.swift" Fuzz/ScratchFile.swift "$library"; then
        swiftc "${instrumented[@]}" -I .build-fuzz/modules -L .build-fuzz/modules -l"$module" \
            -I Sources/CZlib -I Sources/CPNG -I Sources/CJPEG -lz -lspng -lturbojpeg "Fuzz/$target.swift" Fuzz/ScratchFile.swift -o "$binary" 2> >(quiet)
    fi
    mkdir -p ".build-fuzz/corpus/$target"
    log=.build-fuzz/$target.log
    if "$binary" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=16384 -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/crashes/$target-" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $target: $runs executions in ${seconds}s, no crash"
    else
        echo "fuzz $target: CRASH, see $log and .build-fuzz/crashes/"
        grep -A3 "ERROR:\|Fatal error\|SUMMARY" "$log" | head -20
        status=1
    fi
done
exit $status
