#!/usr/bin/env bash
# Builds tokenledgerd and runs the whole test suite; end-to-end tests drive the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
