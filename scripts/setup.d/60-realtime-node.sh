#!/usr/bin/env bash
# socket.io-client from npm for the Node end-to-end test (tests/realtime/test_node_client.py).
# `npm ci` installs exactly the committed lock file; skipped when already installed.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../.." && pwd)/tests/realtime/node"
if [ -f "$dir/node_modules/socket.io-client/package.json" ] \
   && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "npm is required for the realtime Node e2e test" >&2; exit 1; }
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
