#!/usr/bin/env bash
# End-to-end check of the Docker side of the store: engine, image, the three-member compose
# cluster, a write and a read through different members with etcdctl, one member killed and
# started again, then everything torn down.
#
# Usage: scripts/docker/compose-smoke.sh [--no-build] [--stand-in etcd]
#   --no-build       do not run `npm run build` before building the image
#   --stand-in etcd  run Debian's etcd (bind-mounted from the host, fed the same BOSUN_STORE_*
#                    settings mapped to ETCD_*) in place of `bosun store`: checks the compose
#                    wiring before the Bosun store works, or compares the two
# Environment: BOSUN_KEEP_DOCKER=1 leaves a dockerd this script started running.
# Uses its own compose project (bosun-smoke-<pid>) and free 127.0.0.1 ports, so it can run
# beside other suites. Exits non-zero on the first failure; cleans up in every case.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/docker"
BUILD_FLAG=""
STAND_IN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD_FLAG=--no-build ;;
    --stand-in) STAND_IN="${2:?--stand-in needs a value}"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "compose-smoke: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$STAND_IN" in ""|etcd) ;; *) echo "compose-smoke: unknown stand-in $STAND_IN" >&2; exit 2 ;; esac

say() { echo "compose-smoke: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }
t0=$SECONDS
lap() { echo "$((SECONDS - t0))s"; }

PIDFILE="${BOSUN_DOCKERD_PIDFILE:-/tmp/bosun-dockerd.pid}"
had_daemon_pidfile=0; [ -s "$PIDFILE" ] && had_daemon_pidfile=1
PROJECT="bosun-smoke-$$"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bosun-smoke.XXXXXX")"
FILES=(-f "$ROOT/compose.yaml")
compose() { docker-compose -p "$PROJECT" --project-directory "$ROOT" "${FILES[@]}" "$@"; }

cleanup() {
  rc=$?
  set +e
  if [ -n "${UP:-}" ]; then
    [ "$rc" != 0 ] && compose logs --no-color --tail 30 >&2
    compose down -v --timeout 10 >/dev/null 2>&1 && say "compose down -v done"
  fi
  rm -rf "$WORK"
  if [ "$had_daemon_pidfile" = 0 ] && [ -s "$PIDFILE" ] && [ "${BOSUN_KEEP_DOCKER:-0}" != 1 ]; then
    "$HERE/stop-docker.sh"
  fi
  exit "$rc"
}
trap cleanup EXIT

# --- engine, etcdctl, image ---------------------------------------------------------------
"$HERE/ensure-docker.sh"
if ! command -v etcdctl >/dev/null; then
  say "installing etcdctl (Debian's etcd-client)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-client >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-client >/dev/null; } \
    || die "cannot install etcd-client"
fi
s=$SECONDS
"$HERE/build-image.sh" $BUILD_FLAG
say "image ready in $((SECONDS - s))s"

if [ "$STAND_IN" = etcd ]; then
  ETCD="$(command -v etcd || true)"
  [ -n "$ETCD" ] || die "--stand-in etcd needs Debian's etcd-server on the host"
  # Same environment as `bosun store` gets; a node shim maps BOSUN_STORE_X to ETCD_X (etcd's
  # own environment flags; not --insecure, which etcd lacks: it serves http:// URLs as plain text),
  # runs etcd and passes SIGTERM on.
  cat >"$WORK/stand-in.yaml" <<YAML
x-etcd: &etcd
  volumes: ["$ETCD:/usr/local/bin/etcd:ro"]
  entrypoint:
    - node
    - -e
    - |
      const env = { PATH: process.env.PATH };
      for (const [k, v] of Object.entries(process.env))
        if (k.startsWith("BOSUN_STORE_") && k !== "BOSUN_STORE_INSECURE") env["ETCD_" + k.slice(12)] = v;
      const c = require("child_process").spawn("/usr/local/bin/etcd", [], { env, stdio: "inherit" });
      for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => c.kill(s));
      c.on("exit", (code, sig) => process.exit(code === null ? 1 : code));
  command: []
services:
  store-1: *etcd
  store-2: *etcd
  store-3: *etcd
YAML
  FILES+=(-f "$WORK/stand-in.yaml")
fi

# --- free ports -----------------------------------------------------------------------------
read -r P1 P2 P3 < <(node -e '
  const net = require("net"); const ports = [];
  (function next() {
    if (ports.length === 3) { console.log(ports.join(" ")); return; }
    const s = net.createServer().listen(0, "127.0.0.1", () => { ports.push(s.address().port); s.close(next); });
  })();')
export BOSUN_STORE_PORT_1=$P1 BOSUN_STORE_PORT_2=$P2 BOSUN_STORE_PORT_3=$P3
EP1=127.0.0.1:$P1 EP2=127.0.0.1:$P2 EP3=127.0.0.1:$P3
# The store serves mutual TLS: `identities` copies its CA and the client certificate here.
export BOSUN_COMPOSE_DIR="$WORK/host"
mkdir -p "$BOSUN_COMPOSE_DIR"
STORE_TLS=(--cacert "$BOSUN_COMPOSE_DIR/store/ca.crt" --cert "$BOSUN_COMPOSE_DIR/store/apiserver-etcd-client.crt" --key "$BOSUN_COMPOSE_DIR/store/apiserver-etcd-client.key")
ctl() { local ep="$1"; shift; ETCDCTL_API=3 timeout 15 etcdctl --endpoints "$ep" --command-timeout=5s "${STORE_TLS[@]}" "$@"; }

# Run etcdctl until it succeeds, at most 30 s: a request in flight while a leader dies times
# out rather than fails over ("request timed out, possibly due to previous leader failure").
retry() {
  local deadline=$((SECONDS + 30))
  until ctl "$@" 2>"$WORK/ctl.err"; do
    [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/ctl.err" >&2; return 1; }
    sleep 0.5
  done
}

# Wait (bounded) until every given endpoint answers `endpoint health`.
wait_healthy() {
  local deadline=$((SECONDS + 60)) ep
  for ep in "$@"; do
    until ctl "$ep" endpoint health >/dev/null 2>&1; do
      [ "$SECONDS" -lt "$deadline" ] || die "$ep not healthy within 60s"
      sleep 0.5
    done
  done
}

# --- the cluster --------------------------------------------------------------------------
s=$SECONDS
UP=1
compose up -d --no-build >&2 || die "compose up failed"
say "containers up in $((SECONDS - s))s (project $PROJECT, client ports $P1 $P2 $P3)"
wait_healthy "$EP1" "$EP2" "$EP3"
say "all three members healthy $((SECONDS - s))s after up"
ctl "$EP1,$EP2,$EP3" endpoint status -w table >&2

ctl "$EP1" put a b >/dev/null || die "put a b through store-1"
got="$(ctl "$EP2" get a --print-value-only)" || die "get a through store-2"
[ "$got" = b ] || die "get a through store-2 gave '$got', want 'b'"
say "put through store-1, read through store-2: ok"

ip_before="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(compose ps -q store-1)")"
s=$SECONDS
compose kill store-1 >&2
retry "$EP2,$EP3" put c d >/dev/null || die "put c d with store-1 down"
say "first write after killing store-1 done in $((SECONDS - s))s"
got="$(retry "$EP3" get c --print-value-only)" || die "get c through store-3"
[ "$got" = d ] || die "get c through store-3 gave '$got', want 'd'"
say "store-1 killed: the other two still write and read"

s=$SECONDS
compose start store-1 >&2
ip_after="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(compose ps -q store-1)")"
say "store-1 address before the kill $ip_before, after the start $ip_after"
wait_healthy "$EP1"
got="$(retry "$EP1" get c --print-value-only)" || die "get c through restarted store-1"
[ "$got" = d ] || die "restarted store-1 reads c='$got', want 'd'"
got="$(ctl "$EP1" get a --print-value-only)" || die "get a through restarted store-1"
[ "$got" = b ] || die "restarted store-1 reads a='$got', want 'b'"
say "store-1 started again on its volume, healthy and caught up in $((SECONDS - s))s"

say "PASS in $(lap)"
