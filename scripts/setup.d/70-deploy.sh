#!/usr/bin/env bash
# tests/reliability starts its own redis-server (on a free port) to stop and restart it:
# the binary must exist even when REDIS_URL points at a Redis running elsewhere.
set -euo pipefail
source "$(dirname "$0")/../lib/apt.sh"
command -v redis-server >/dev/null || apt_install redis-server
