#!/usr/bin/env bash
# Installs what is missing, builds, and starts Palaver with its demo page:
# 127.0.0.1:8080, data in ./palaver.db, the built-in echo agent.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake --preset run >/dev/null
cmake --build --preset run

server=build-run/server/palaver
if [[ ! -x "$server" ]]; then
  echo "run: built the protocol library (native and Wasm) and the widget's libraries;" \
       "the palaver server does not exist yet, so there is nothing to start." >&2
  exit 0
fi
exec "$server" serve "$@"
