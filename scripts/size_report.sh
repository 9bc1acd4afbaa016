#!/usr/bin/env bash
# What the widget costs to download: each file raw and gzip -9 (what the server sends), and
# the budgets: the loader (public/palaver.js) at most 5 KB gzipped; everything the widget
# loads on first open (widget.html, widget.css, widget.js, widget.wasm and its language's
# catalogue, counted as the largest of web/i18n) at most 230 KB gzipped. The text is the
# system's fonts: no font file is downloaded. 1 KB = 1000 bytes.
#   scripts/size_report.sh [<widget dir>]     default: build/wasm/widget
# Exits 1 when a budget is exceeded or a widget file is missing (a missing loader is only
# reported: it is not part of every branch).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
widget=${1:-$root/build/wasm/widget}
loader_budget=5000
first_open_budget=230000

status=0
row() { printf '%-26s %10s %10s  %s\n' "$@"; }
gz() { gzip -9 -n -c "$1" | wc -c; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }

row "file" "raw" "gzip" ""
loader=$root/public/palaver.js
if [[ -f $loader ]]; then
  loader_gz=$(gz "$loader")
  verdict="budget $(kb $loader_budget): ok"
  ((loader_gz <= loader_budget)) || { verdict="OVER the $(kb $loader_budget) budget"; status=1; }
  row "loader palaver.js" "$(stat -c %s "$loader")" "$loader_gz" "$verdict"
else
  row "loader palaver.js" "missing" "missing" "(not in this tree)"
fi

total_raw=0
total_gz=0
# The largest catalogue: what a visitor in the most verbose language downloads.
catalogue=$(for f in "$root"/web/i18n/*.json; do echo "$(gz "$f") $f"; done | sort -n | tail -n 1)
catalogue=${catalogue#* }
for file in "$root/public/widget.html" "$root/public/widget.css" "$widget/widget.js" \
  "$widget/widget.wasm" "$catalogue"; do
  if [[ ! -f $file ]]; then
    row "$(basename "$file")" "missing" "missing" ""
    status=1
    continue
  fi
  raw=$(stat -c %s "$file")
  packed=$(gz "$file")
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + packed))
  name=${file#"$widget"/}
  row "${name#"$root"/}" "$raw" "$packed" ""
done
verdict="budget $(kb $first_open_budget): ok, $(kb $((first_open_budget - total_gz))) to spare"
((total_gz <= first_open_budget)) || { verdict="OVER the $(kb $first_open_budget) budget"; status=1; }
row "first open (total)" "$total_raw" "$total_gz" "$verdict"
exit $status
