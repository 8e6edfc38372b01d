#!/usr/bin/env bash
# Vendor files for /console and /map: `npm ci` in web/ and copy them into
# app/web/static/vendor (generated, gitignored). Quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/apt.sh
command -v npm >/dev/null || apt_install nodejs npm
cd web
stamp=node_modules/.cyberspace-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
manifest=../app/web/static/vendor/manifest.json
if [[ ! -f $manifest || $stamp -nt $manifest || build.mjs -nt $manifest ]]; then
  node build.mjs
fi
