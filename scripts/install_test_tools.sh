#!/usr/bin/env bash
# Tools the test suite needs beyond Python packages; installed with apt when missing.
set -euo pipefail
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null && [[ "$(id -u)" == "0" ]]; then
    echo "[test-tools] installing ${missing[*]} with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "[test-tools] missing ${missing[*]}: install them (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
