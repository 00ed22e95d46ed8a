#!/usr/bin/env bash
# Builds tokenledgerd in release mode, ingests the sample spool once, folds, and exports a
# snapshot to ./out. State goes to ./.tokenledgerd; run it again and it adds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --product tokenledgerd
binary="$(swift build -c release --show-bin-path)/tokenledgerd"

"$binary" run --once --spool spool --state-dir .tokenledgerd
"$binary" export --state-dir .tokenledgerd --out out
"$binary" status --state-dir .tokenledgerd
echo
echo "snapshot written to $(pwd)/out:"
ls -1 out
