#!/usr/bin/env bash
# Stop the dockerd that scripts/docker/ensure-docker.sh started, and only that one (by the pid
# it recorded). A daemon this project did not start is left alone. Waits up to
# $BOSUN_DOCKER_STOP_WAIT_S seconds (default 30) for a clean exit, then kills it.
set -euo pipefail

PIDFILE="${BOSUN_DOCKERD_PIDFILE:-/tmp/bosun-dockerd.pid}"
WAIT_S="${BOSUN_DOCKER_STOP_WAIT_S:-30}"
say() { echo "stop-docker: $*" >&2; }

if [ ! -s "$PIDFILE" ]; then
  say "no $PIDFILE: no dockerd started by ensure-docker.sh; nothing to stop"
  exit 0
fi
pid="$(cat "$PIDFILE")"
# Only signal the pid if it still is a dockerd (pids get reused).
if ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
  say "pid $pid is not a running dockerd; removing stale $PIDFILE"
  rm -f "$PIDFILE"
  exit 0
fi
say "stopping dockerd pid $pid"
kill -TERM "$pid"
deadline=$((SECONDS + WAIT_S))
while kill -0 "$pid" 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "dockerd pid $pid still running after ${WAIT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
rm -f "$PIDFILE"
say "dockerd stopped"
