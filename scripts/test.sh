#!/usr/bin/env bash
# The whole test suite: type check, format check, unit, CLI end-to-end, namespace tests
# on this machine's kernel (root), and the real-kernel lab. Ends with "N passed, N failed"
# and a non-zero exit when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
status=0
log=$(mktemp)

step() { # name, command...
  local name=$1; shift
  echo "== $name"
  local rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  [ "$rc" = 0 ] || status=1
  # uvu prints "Passed: N" and "Total: N"; count them, and count a crashed suite as failed.
  local p t
  p=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^ *Passed:/ {s+=$2} END {print s+0}')
  t=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^ *Total:/ {s+=$2} END {print s+0}')
  passed=$((passed + p))
  failed=$((failed + t - p))
  if [ "$rc" != 0 ] && [ "$t" = "$p" ]; then failed=$((failed + 1)); fi
}

step build npm run build --silent
step typecheck npm run typecheck --silent
step format npm run format:check --silent
step unit npm run test:unit --silent
step link npm run test:link --silent
step cli npm run test:cli --silent
if [ "$(id -u)" = 0 ]; then
  step install npm run test:install --silent
  step edit npm run test:edit --silent
  step server npm run test:server --silent
  step status npm run test:status --silent
  step namespaces npm run test:ns --silent
  step safety npm run test:safety --silent
  step cni npm run test:cni --silent
  step pacemaker npm run test:pacemaker --silent
  if [ -d test/lab ]; then step lab npm run test:lab --silent; fi
else
  echo "== namespaces and lab: skipped, they need root"
  failed=$((failed + 1))
fi
rm -f "$log"

[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed"
exit $status
