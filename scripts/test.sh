#!/usr/bin/env bash
# Installs what is missing, builds the native, Wasm and fuzz builds, and runs every test:
# the shared suite natively, as Wasm under node and in headless Chromium, the vector comparisons
# of those builds with the native one, the fuzzers (PALAVER_FUZZ_SECONDS each, default 60),
# the server's tests and the format check.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh --test
cmake --preset default -DPALAVER_FUZZ_SECONDS="${PALAVER_FUZZ_SECONDS:-60}" >/dev/null
cmake --build --preset default
ctest --preset default "$@"
