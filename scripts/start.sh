#!/usr/bin/env bash
# Quick start: installs what is missing, then runs the bridge with the embedded demo numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
exec node --import tsx packages/cli/src/main.ts start "$@"
