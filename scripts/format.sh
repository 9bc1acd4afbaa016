#!/usr/bin/env bash
# Formats the project's C++ with clang-format (.clang-format); --check only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[[ "${1:-}" == "--check" ]] && mode=(--dry-run -Werror)
# Tracked and new files of the project's own trees (never a build directory).
git ls-files -z --cached --others --exclude-standard -- \
  'shared/*.[ch]pp' 'server/*.[ch]pp' 'web/*.[ch]pp' 'tests/*.[ch]pp' 'bench/*.[ch]pp' |
  xargs -0 --no-run-if-empty clang-format "${mode[@]}"
