#!/usr/bin/env bash
# The README's test command: every test of the workspace, then the browser e2e suite
# (e2e/run.mjs: builds the site, serves it on 127.0.0.1, drives Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked

# Browser prerequisites, installed only when missing. Chromium comes from the distribution;
# playwright-core never downloads a browser.
if ! command -v chromium >/dev/null 2>&1; then
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$as_root" ] || sudo -n true 2>/dev/null; }; then
    echo "test.sh: chromium is missing; installing it with apt-get" >&2
    $as_root apt-get update
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  else
    echo "test.sh: chromium is missing; install it (as root: apt-get install -y chromium)" >&2
    exit 1
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "test.sh: node and npm are missing; install Node.js 20 or newer" >&2
  exit 1
fi

# `npm ci` when e2e/node_modules is missing or was installed from another package-lock.json.
lock_hash="$(sha256sum e2e/package-lock.json | cut -d' ' -f1)"
stamp=e2e/node_modules/.package-lock.sha256
if [ ! -d e2e/node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix e2e --no-audit --no-fund
  echo "$lock_hash" >"$stamp"
fi

E2E_CHROMIUM="${E2E_CHROMIUM:-$(command -v chromium)}" node e2e/run.mjs
