#!/usr/bin/env bash
# What `make run` needs beyond Python packages (built assets, artifacts): scripts/run.d/*.sh
# in name order.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for step in scripts/run.d/*.sh; do
  bash "$step"
done
