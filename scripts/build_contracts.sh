#!/usr/bin/env bash
# Installs the pinned contract toolchain (npm ci from contracts/package-lock.json) and rebuilds
# contracts/artifacts/ from contracts/src/. The compiler is the solc-js build inside the npm
# `solc` package, so nothing else is downloaded. `--check` only verifies the committed artifacts.
# Usage: scripts/build_contracts.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/../contracts"

command -v node >/dev/null || { echo "[contracts] node is required (apt-get install nodejs)" >&2; exit 1; }
command -v npm >/dev/null || { echo "[contracts] npm is required (apt-get install npm)" >&2; exit 1; }

# --ignore-scripts: no install hook runs, so no package can fetch anything at install time.
if [[ ! -d node_modules ]] || ! npm ls --silent >/dev/null 2>&1; then
  echo "[contracts] npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
node build.mjs "$@"
