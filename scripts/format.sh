#!/usr/bin/env bash
# Formats the project's C++ with clang-format (.clang-format); --check only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[[ "${1:-}" == "--check" ]] && mode=(--dry-run -Werror)
git ls-files -z --cached --others --exclude-standard -- '*.cpp' '*.hpp' | xargs -0 --no-run-if-empty clang-format "${mode[@]}"
