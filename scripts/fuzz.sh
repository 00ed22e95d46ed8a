#!/usr/bin/env bash
# Builds the libFuzzer target in Fuzz/ against the LedgerCore sources and runs it for SECONDS
# (default 600), seeded with every line of the JSON-lines fixtures. Crashing inputs are written to
# .build/fuzz/artifacts/. Usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags…]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift || true
work=".build/fuzz"
corpus="$work/corpus"
artifacts="$work/artifacts"
mkdir -p "$corpus" "$artifacts"

# swiftc needs libclang_rt.fuzzer from the toolchain, or from the distribution's compiler-rt
# package when the toolchain lacks it.
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '@_cdecl("LLVMFuzzerTestOneInput") public func f(_ d: UnsafePointer<UInt8>?, _ n: Int) -> CInt { 0 }\n' \
    >"$probe/probe.swift"
if ! swiftc -sanitize=fuzzer -parse-as-library "$probe/probe.swift" -o "$probe/probe" >/dev/null 2>&1; then
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo_cmd=(sudo)
    fi
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends libclang-rt-dev
fi

# LedgerCore hashes through libcrypto, whose module map is in Sources/CCrypto.
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name FuzzDecoders -I Sources/CCrypto -lcrypto \
    Fuzz/FuzzDecoders.swift $(find Sources/LedgerCore -name '*.swift' | sort) \
    -o "$work/fuzz-decoders" 2> >(grep -v 'Cannot export local symbol' >&2)

# Seeds: each fixture line as its own input, plus the whole-document fixtures.
index=0
for fixture in Tests/Fixtures/cliproxyapi/*.jsonl Tests/Fixtures/otlp/*.jsonl Tests/Fixtures/tokenledger/events.jsonl; do
    while IFS= read -r line; do
        printf '%s' "$line" >"$corpus/seed-$index"
        index=$((index + 1))
    done <"$fixture"
done
for document in Tests/Fixtures/cliproxyapi/*.json; do
    [ -f "$document" ] && cp "$document" "$corpus/seed-$index" && index=$((index + 1))
done

"$work/fuzz-decoders" "$corpus" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
