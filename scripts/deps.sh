#!/usr/bin/env bash
# Installs what Palaver needs on Debian 12, and nothing twice: missing Debian packages, then
# the Dear ImGui, md4c and FriBidi sources (Debian source packages) into
# ~/.cache/palaver/sources.
#   scripts/deps.sh          what building and running the server needs
#   scripts/deps.sh --test   also what the tests need (fuzzing toolchain, formatter, Chromium,
#                            and tests/browser/node_modules from its package-lock.json)
# Fast when everything is there: one dpkg query, two file checks, one file comparison.
set -euo pipefail

want_test=false
[[ "${1:-}" == "--test" ]] && want_test=true

packages=(
  git g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libsqlitecpp-dev libssl-dev libjwt-dev libtomlplusplus-dev libcli11-dev
  emscripten nodejs
  unicode-data  # the widget's Unicode tables are generated from it (web/tools/unicode_tables.py)
  dpkg-dev xz-utils bzip2  # unpacking source packages (FriBidi's is a .tar.bz2)
)
test_packages=(
  googletest libgtest-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  clang-format
  python3-websockets
  chromium  # tests/browser runs it headless
  # The fonts a visitor's machine has for every script the browser tests draw.
  fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
)
$want_test && packages+=("${test_packages[@]}")

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

say() { printf 'deps: %s\n' "$*" >&2; }

# ---- Debian packages ----------------------------------------------------------------------
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for package in "${packages[@]}"; do
  grep -qx "$package install ok installed" <<<"$installed" || missing+=("$package")
done
apt_updated=false
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  apt_updated=true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# ---- Dear ImGui, md4c and FriBidi sources (for the widget) --------------------------------
cache="${PALAVER_SOURCE_CACHE:-$HOME/.cache/palaver/sources}"
mkdir -p "$cache"

ensure_deb_src() {
  if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "enabling Debian source packages (deb-src)"
    as_root tee /etc/apt/sources.list.d/palaver-debian-src.sources >/dev/null <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    apt_updated=false
  fi
  if ! $apt_updated; then
    as_root apt-get update -qq
    apt_updated=true
  fi
}

# fetch_source <source package> <dir name> <a file that proves the tree is there>
fetch_source() {
  local package=$1 name=$2 marker=$3
  [[ -f "$cache/$name/$marker" ]] && return 0
  ensure_deb_src
  say "fetching the $package sources into $cache/$name"
  local work tarball
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  # apt-get may fail on a missing Debian diff after fetching the upstream tarball (md4c):
  # what counts is the tarball.
  (cd "$work" && apt-get source --download-only -qq "$package" >/dev/null 2>&1) || true
  tarball=$(compgen -G "$work/${package}_*.orig.tar.*" | head -n 1 || true)
  [[ -n "$tarball" ]] || { say "could not fetch the $package source package"; exit 1; }
  rm -rf "${cache:?}/$name"
  mkdir -p "$cache/$name"
  tar -xf "$tarball" -C "$cache/$name" --strip-components=1
  [[ -f "$cache/$name/$marker" ]] || { say "$package sources lack $marker"; exit 1; }
}

fetch_source imgui imgui imgui.cpp
fetch_source md4c md4c src/md4c.c
fetch_source fribidi fribidi lib/fribidi-bidi.c

# ---- npm packages of the browser tests (playwright-core; the browser is Debian's chromium) --
# `npm ci` only when the lock file differs from the one last installed (kept in node_modules).
if $want_test; then
  browser_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  stamp="$browser_tests/node_modules/.palaver-installed-lock.json"
  if ! cmp -s "$browser_tests/package-lock.json" "$stamp"; then
    if ! command -v npm >/dev/null; then
      say "installing npm"
      $apt_updated || as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        npm >/dev/null
    fi
    say "installing the browser tests' npm packages into $browser_tests/node_modules"
    (cd "$browser_tests" &&
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$browser_tests/package-lock.json" "$stamp"
  fi
fi
