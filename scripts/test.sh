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

passes=$passed_checks
failures=$failed_checks
skipped=0
# One mocha run ($1 names it) whose counts are added to the totals; a run that exits non-zero without counting a
# failure (a crash, a bad option) still counts as one.
run_mocha() {
  local name="$1"
  shift
  local stats=".tmp/mocha-$name-stats.json"
  rm -f "$stats"
  VB_MOCHA_STATS="$stats" pnpm -s exec mocha --reporter ./scripts/mocha-summary-reporter.cjs "$@"
  local rc=$?
  local p=0 f=1 s=0
  if [ -f "$stats" ]; then
    p=$(node -p "require('./$stats').passes")
    f=$(node -p "require('./$stats').failures")
    s=$(node -p "require('./$stats').pending")
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passes=$((passes + p))
  failures=$((failures + f))
  skipped=$((skipped + s))
}

echo "== tests"
run_mocha main "$@"
# The slow suite (a real browser against a real call) runs only with the whole suite, not with a file list.
if [ "$#" -eq 0 ]; then
  echo "== slow tests"
  run_mocha slow --no-config --node-option import=tsx --extension ts --timeout 240000 --exit 'test-calls/slow/**/*.test.ts'
fi
if [ "$skipped" -gt 0 ]; then echo "$passes passed, $failures failed, $skipped skipped"; else echo "$passes passed, $failures failed"; fi
[ "$failures" -eq 0 ]
