#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, installing and starting one if needed.
#
# Idempotent:
#   - installs Debian's docker.io + docker-compose (Engine 20.10, Compose 1.29) when the
#     `docker` client, `dockerd` or `docker-compose` is missing (apt-get update runs once);
#   - starts `dockerd` in the background when no daemon answers, recording its pid in
#     $BOSUN_DOCKERD_PIDFILE and its log in $BOSUN_DOCKERD_LOG, so that
#     scripts/docker/stop-docker.sh can stop exactly that daemon later;
#   - waits (at most $BOSUN_DOCKER_WAIT_S seconds) for `docker info` to answer.
# Exits non-zero with a clear message when no engine can be had.
#
# Environment:
#   BOSUN_DOCKERD_PIDFILE  pid of a dockerd this script started   (/tmp/bosun-dockerd.pid)
#   BOSUN_DOCKERD_LOG      that dockerd's stdout+stderr            (/tmp/bosun-dockerd.log)
#   BOSUN_DOCKER_WAIT_S    how long to wait for the daemon, s      (60)
#   BOSUN_DOCKERD_ARGS     extra dockerd flags, e.g. "--iptables=false"  (none)
set -euo pipefail

PIDFILE="${BOSUN_DOCKERD_PIDFILE:-/tmp/bosun-dockerd.pid}"
LOG="${BOSUN_DOCKERD_LOG:-/tmp/bosun-dockerd.log}"
WAIT_S="${BOSUN_DOCKER_WAIT_S:-60}"

say() { echo "ensure-docker: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (no sudo)"; fi
}

# --- 1. tools -------------------------------------------------------------------------
missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "docker tools missing and no apt-get to install them"
  say "installing docker.io docker-compose (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq || die "apt-get update failed"
  # policy-rc.d-less containers may try to start the service: that is harmless, we start it.
  as_root apt-get install -y -qq docker.io docker-compose >/dev/null \
    || die "apt-get install docker.io docker-compose failed"
fi

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# --- 2. daemon ------------------------------------------------------------------------
if docker_answers; then
  say "docker engine already answering ($(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

# A dockerd we started earlier that is still coming up: wait for it rather than start another.
started_pid=""
if [ -s "$PIDFILE" ] && [ "$(cat "/proc/$(cat "$PIDFILE")/comm" 2>/dev/null)" = dockerd ]; then
  started_pid="$(cat "$PIDFILE")"
  say "dockerd (pid $started_pid, started earlier) not answering yet; waiting"
elif pgrep -x dockerd >/dev/null 2>&1; then
  # Someone else's daemon is running but not answering (yet): don't start a second one.
  say "a dockerd not started by this script is running (pid $(pgrep -x dockerd | tr '\n' ' ')); waiting for it"
else
  # A stale pid file from a crashed/killed dockerd: /var/run/docker.pid blocks a new start.
  if [ -s /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    as_root rm -f /var/run/docker.pid
  fi
  say "starting dockerd (log: $LOG, pid file: $PIDFILE)"
  [ "$(id -u)" = 0 ] || die "dockerd must be started as root (run this script as root)"
  # setsid: the daemon outlives this shell and is not in its process group; stop it by pid.
  # Started directly (no shell function) so that $! is the daemon itself.
  # shellcheck disable=SC2086
  setsid dockerd ${BOSUN_DOCKERD_ARGS:-} >"$LOG" 2>&1 </dev/null &
  started_pid=$!
  echo "$started_pid" >"$PIDFILE"
fi

deadline=$((SECONDS + WAIT_S))
until docker_answers; do
  if [ -n "$started_pid" ] && ! kill -0 "$started_pid" 2>/dev/null; then
    rm -f "$PIDFILE"
    say "dockerd exited during start-up; last lines of $LOG:"
    tail -n 20 "$LOG" >&2 || true
    die "could not start dockerd"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    [ -f "$LOG" ] && { say "last lines of $LOG:"; tail -n 20 "$LOG" >&2; }
    die "docker engine did not answer within ${WAIT_S}s"
  fi
  sleep 0.5
done
if [ -n "$started_pid" ] && [ "$(cat "/proc/$started_pid/comm" 2>/dev/null)" != dockerd ]; then
  # setsid had to fork: record the daemon's own pid (from its --pidfile) instead.
  own="$(cat /var/run/docker.pid 2>/dev/null || true)"
  [ -n "$own" ] && echo "$own" >"$PIDFILE"
fi
say "docker engine answering ($(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')) after ${SECONDS}s; started by this script: $( [ -n "$started_pid" ] && echo "yes, pid $(cat "$PIDFILE")" || echo no)"
