#!/usr/bin/env bash
# Tools the test suite needs beyond Python packages. Each feature drops a script into
# scripts/setup.d/ (run in name order); each installs what is missing and is quick otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
for step in scripts/setup.d/*.sh; do
  bash "$step"
done
