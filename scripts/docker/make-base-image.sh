#!/usr/bin/env bash
# Build the local base image bosun-node-base:local from this machine's own Node.js, with no
# image registry: the `node` binary, every shared library `ldd` lists for it (with the
# dynamic loader), /bin/sh (dash, so `docker exec … sh` works as on node:20-bookworm-slim),
# a few /etc files, an empty /tmp, all tarred and `docker import`ed.
#
# Usage: scripts/docker/make-base-image.sh [--force] [IMAGE]     (IMAGE: bosun-node-base:local)
# Idempotent: skips when IMAGE exists and was made from the same node version, unless --force.
# Needs a running engine (scripts/docker/ensure-docker.sh).
set -euo pipefail

FORCE=0
IMAGE=bosun-node-base:local
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "make-base-image: unknown flag $a" >&2; exit 2 ;;
    *) IMAGE="$a" ;;
  esac
done
say() { echo "make-base-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

NODE="$(command -v node)" || die "no node on PATH"
NODE="$(readlink -f "$NODE")"
NODE_VERSION="$("$NODE" --version)"

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  have="$(docker image inspect -f '{{index .Config.Labels "bosun.node.version"}}' "$IMAGE" 2>/dev/null || true)"
  if [ "$have" = "$NODE_VERSION" ]; then
    say "$IMAGE exists (node $have); skipping (use --force to rebuild)"
    exit 0
  fi
  say "$IMAGE exists with node '${have:-?}', host has $NODE_VERSION; rebuilding"
fi

ROOT="$(mktemp -d "${TMPDIR:-/tmp}/bosun-base.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT

# Copy FILE (following symlinks) to the same absolute path under $ROOT.
put() { mkdir -p "$ROOT$(dirname "$2")"; cp -L "$1" "$ROOT$2"; }

# Every library ldd resolves ("name => /path (addr)") plus the loader ("/lib64/ld-… (addr)").
# Copied under the path ldd printed: the loader path is baked into the binary, and the loader
# searches its built-in multiarch dirs (/lib/x86_64-linux-gnu, …) without an ld.so.cache.
libs_of() {
  ldd "$1" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'
}

put "$NODE" /usr/local/bin/node
SH="$(readlink -f /bin/sh)"
put "$SH" /bin/sh
for lib in $( { libs_of "$NODE"; libs_of "$SH"; } | sort -u); do
  [ -e "$lib" ] || die "ldd listed $lib but it does not exist"
  put "$lib" "$lib"
done

mkdir -p "$ROOT/tmp" "$ROOT/etc" "$ROOT/var/lib/bosun" "$ROOT/app"
chmod 1777 "$ROOT/tmp"
# Users for os.userInfo() and friends; hosts lookups through files then DNS (glibc ≥ 2.34 has
# the files and dns NSS modules inside libc, so nothing else is needed for getaddrinfo).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
mkdir -p "$ROOT/root"

say "importing $IMAGE (node $NODE_VERSION from $NODE, $(du -sh "$ROOT" | cut -f1))"
tar --numeric-owner --owner=0 --group=0 -C "$ROOT" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
  --change "LABEL bosun.node.version=$NODE_VERSION" \
  --change 'WORKDIR /' \
  --change 'ENTRYPOINT ["/usr/local/bin/node"]' \
  -m "bosun local base: host node $NODE_VERSION + its shared libraries" \
  - "$IMAGE" >/dev/null
docker run --rm "$IMAGE" -e 'process.exit(require("os").platform() === "linux" ? 0 : 1)' \
  || die "$IMAGE does not run node"
say "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1/1e6 }'))"
