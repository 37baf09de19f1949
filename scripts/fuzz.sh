#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer harness (Fuzz/Harness.swift + the engine's sources + FuzzTargets,
# compiled by swiftc with -sanitize=fuzzer,address into .build-fuzz) and runs every target for
# FUZZ_SECONDS seconds, starting from its committed corpus Tests/Fuzz/<target> (new inputs go to
# .build-fuzz/corpus/<target>; crashes to .build-fuzz/findings/<target>). SwiftPM cannot give one
# target -sanitize=fuzzer, hence the direct build.
#   scripts/fuzz.sh [TARGET...]        FUZZ_SECONDS=60 by default; FUZZ_JOBS parallel jobs per target
#   scripts/fuzz.sh --build-only
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFTC=${SWIFTC:-swiftc}
CLANG=${CLANG:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD=.build-fuzz
TARGETS=(safetensors config torch sentencepiece events)
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
if [ $# -gt 0 ]; then TARGETS=("$@"); fi

mkdir -p "$BUILD/include/CFileSystem"
binary="$BUILD/reformer-fuzz"
stale() {
    [ ! -x "$binary" ] || [ -n "$(find Sources/ReformerEngine Sources/ReformerTelemetry Sources/CFileSystem Fuzz \
        Sources/ReformerTestSupport/FuzzTargets.swift scripts/fuzz.sh -newer "$binary" -print -quit)" ]
}
if stale; then
    echo "fuzz: building $binary"
    start=$(date +%s)
    cp Sources/CFileSystem/include/CFileSystem.h "$BUILD/include/CFileSystem/"
    printf 'module CFileSystem {\n  header "CFileSystem.h"\n  export *\n}\n' > "$BUILD/include/CFileSystem/module.modulemap"
    "$CLANG" -c -O1 -g -fsanitize=address,fuzzer-no-link -I Sources/CFileSystem/include Sources/CFileSystem/CFileSystem.c -o "$BUILD/CFileSystem.o"
    # ReformerTelemetry as its own module (the engine imports it); address-checked, not a parser.
    "$SWIFTC" -parse-as-library -O -g -sanitize=address \
        -module-name ReformerTelemetry -emit-module -emit-module-path "$BUILD/ReformerTelemetry.swiftmodule" \
        -emit-library -static -o "$BUILD/libReformerTelemetry.a" Sources/ReformerTelemetry/*.swift
    # The engine, the entry points and the harness as one module: entry points see internal API.
    # -O with overflow and bounds checks kept (release builds use -Ounchecked: a trap here is a
    # silent wrong value there).
    engine=$(find Sources/ReformerEngine -name '*.swift' | sort)
    "$SWIFTC" -parse-as-library -O -g -suppress-warnings -sanitize=fuzzer,address -module-name ReformerEngine \
        -I "$BUILD" -I Sources/CBLAS -I "$BUILD/include/CFileSystem" \
        $engine Sources/ReformerTestSupport/FuzzTargets.swift Fuzz/Harness.swift \
        "$BUILD/CFileSystem.o" "$BUILD/libReformerTelemetry.a" -lopenblas -o "$binary" 2>&1 \
        | grep -v -e "is part of module .ReformerEngine.; ignoring import" -e "Cannot export local symbol" || true
    [ -x "$binary" ] || { echo "fuzz: build failed"; exit 1; }
    echo "fuzz: built in $(( $(date +%s) - start )) s"
fi
[ "$build_only" = 1 ] && exit 0

for target in "${TARGETS[@]}"; do
    corpus="$BUILD/corpus/$target" findings="$BUILD/findings/$target"
    mkdir -p "$corpus" "$findings"
    echo "== fuzz $target for ${FUZZ_SECONDS} s"
    REFORMER_FUZZ_TARGET="$target" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}" \
        "$binary" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=2048 \
        -max_len="${FUZZ_MAX_LEN:-65536}" -print_final_stats=1 -artifact_prefix="$findings/" \
        "$corpus" "Tests/Fuzz/$target" 2>&1 | tee "$BUILD/$target.log" | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE|pulse)|stat::|ERROR|SUMMARY|Test unit written|artifact" || true
    found=$(ls "$findings" | wc -l)
    echo "fuzz $target: $(grep -E '^stat::number_of_executed_units' "$BUILD/$target.log" | awk '{print $2}') executions, $(grep -E '^#[0-9]+[[:space:]]+DONE' "$BUILD/$target.log" | grep -oE 'cov: [0-9]+ ft: [0-9]+' | tail -1), $found finding(s) in $findings"
done
