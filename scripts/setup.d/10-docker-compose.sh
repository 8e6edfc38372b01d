#!/usr/bin/env bash
# docker-compose (Debian's 1.29) checks docker-compose.yml offline in tests/test_deployment.py.
set -euo pipefail
source "$(dirname "$0")/../lib/apt.sh"
command -v docker-compose >/dev/null || apt_install docker-compose
