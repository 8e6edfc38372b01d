#!/usr/bin/env bash
# The web pages' vendor files (npm ci in web/, copied to app/web/static/vendor) and the
# headless Chromium the browser tests in tests/web drive (Debian's package; never a download).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/apt.sh
bash scripts/run.d/40-web.sh
command -v chromium >/dev/null || apt_install chromium
