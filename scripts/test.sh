#!/usr/bin/env bash
# The whole test suite (`npm test`): unit and simulation tests, then the multi-process and
# real-client end-to-end tests, then the Docker Compose chaos test. Installs what it needs.
# Ends with one summary line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh || { echo "bosun: could not install etcd/etcdctl"; exit 1; }

passed=0
failed=0
status=0
out=$(mktemp -d)

# Runs one mocha phase, echoing its output and adding its counts to the totals.
phase() {
  local name=$1; shift
  echo
  echo "=== $name ==="
  npx mocha "$@" 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -Eo '^ *[0-9]+ passing' "$out/$name.log" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ *[0-9]+ failing' "$out/$name.log" | grep -Eo '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ]; then
    status=1
    [ -z "$f" ] && failed=$((failed + 1))
  fi
}

phase unit --config .mocharc.json
phase e2e --config e2e/.mocharc.json

if [ "${BOSUN_SKIP_DOCKER:-}" = "1" ]; then
  echo "bosun: BOSUN_SKIP_DOCKER=1, skipping the Docker Compose tests"
else
  pidfile=${BOSUN_DOCKERD_PIDFILE:-/tmp/bosun-dockerd.pid}
  before=$(cat "$pidfile" 2>/dev/null || true)
fi
if [ "${BOSUN_SKIP_DOCKER:-}" = "1" ]; then
  :
elif bash scripts/docker/ensure-docker.sh; then
  phase docker --config e2e/.mocharc.docker.json
  # Stop the Docker daemon if this run started it (stop-docker.sh stops it by its pid).
  after=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$after" ] && [ "$after" != "$before" ]; then bash scripts/docker/stop-docker.sh || true; fi
else
  echo "bosun: Docker could not be started; the Docker Compose tests FAIL"
  failed=$((failed + 1))
  status=1
fi

rm -rf "$out"
echo
echo "$passed passed, $failed failed"
exit $status
