#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs everything it needs (npm packages and the Debian
# packages of the real peers the tests drive), type-checks, lints, runs every mocha test, and ends
# with one line "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

failed_checks=0
passed_checks=0
echo "== typecheck"
if pnpm -s typecheck; then passed_checks=$((passed_checks + 1)); else failed_checks=$((failed_checks + 1)); fi
echo "== lint"
if pnpm -s lint; then passed_checks=$((passed_checks + 1)); else failed_checks=$((failed_checks + 1)); fi

echo "== tests"
stats=".tmp/mocha-stats.json"
rm -f "$stats"
VB_MOCHA_STATS="$stats" pnpm -s exec mocha --reporter ./scripts/mocha-summary-reporter.cjs "$@"
mocha_rc=$?
if [ -f "$stats" ]; then
  passes=$(node -p "require('./$stats').passes")
  failures=$(node -p "require('./$stats').failures")
  skipped=$(node -p "require('./$stats').pending")
else
  passes=0
  failures=1
  skipped=0
fi
if [ "$mocha_rc" -ne 0 ] && [ "$failures" -eq 0 ]; then failures=1; fi
passes=$((passes + passed_checks))
failures=$((failures + failed_checks))
if [ "$skipped" -gt 0 ]; then echo "$passes passed, $failures failed, $skipped skipped"; else echo "$passes passed, $failures failed"; fi
[ "$failures" -eq 0 ]
