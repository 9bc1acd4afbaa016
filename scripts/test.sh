#!/usr/bin/env bash
# Installs what is missing, builds the native, Wasm and fuzz builds, and runs every test:
# the shared suite natively and as Wasm under node, the native-vs-Wasm vector comparison,
# the fuzzers (PALAVER_FUZZ_SECONDS each, default 60) and the format check.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh --test
cmake --preset default -DPALAVER_FUZZ_SECONDS="${PALAVER_FUZZ_SECONDS:-60}" >/dev/null
cmake --build --preset default
ctest --preset default "$@"
