#!/usr/bin/env bash
# Build the node image (default bosun-node:local) for compose's node containers, OFFLINE: the
# Bosun image plus what the process runtime and the proxy shell out to, taken from this host
# (as make-base-image.sh takes node): ip, iptables (nft backend) with its extensions, nft,
# conntrack, tar, mkfifo, du, cat, sh, nsenter, mount, umount, sysctl and the shared libraries
# `ldd` lists for them; the process runtime's native monitor (built here with the host's C
# compiler, scripts/build-native.js); and the busybox sample image (scripts/images/
# build-images.sh), which each node container imports into its image store at start.
# No RUN step, no package manager, no registry.
#
# Usage: scripts/docker/make-node-image.sh
# Environment: BOSUN_IMAGE (bosun:local, must exist: build-image.sh), BOSUN_NODE_IMAGE
#   (bosun-node:local), BOSUN_IMAGES_DIR (where build-images.sh keeps busybox.tar).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BASE="${BOSUN_IMAGE:-bosun:local}"
IMAGE="${BOSUN_NODE_IMAGE:-bosun-node:local}"
say() { echo "make-node-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

docker image inspect "$BASE" >/dev/null 2>&1 || die "$BASE is missing: run scripts/docker/build-image.sh first"
CTX="$(mktemp -d "${TMPDIR:-/tmp}/bosun-node-image.XXXXXX")"
trap 'rm -rf "$CTX"' EXIT
FS="$CTX/rootfs"

# A file copied (symlinks followed) to the same path under the staged root.
put() { mkdir -p "$FS$(dirname "$2")"; cp -L "$1" "$FS$2"; }
libs_of() { ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'; }

BINARIES=""
for tool in ip nft conntrack tar mkfifo du cat nsenter mount umount sysctl; do
  path="$(command -v "$tool")" || die "$tool is not on this host's PATH (the node image copies it from here)"
  put "$path" "$path"
  BINARIES="$BINARIES $path"
done
put "$(readlink -f /bin/sh)" /bin/sh
BINARIES="$BINARIES /bin/sh"
# iptables: the nft-backed multi-call binary under its names, and its dlopen'ed extensions.
XT="$(readlink -f "$(command -v iptables)")"
case "$XT" in *xtables-nft-multi) ;; *) die "iptables is $XT, not the nft backend (xtables-nft-multi)";; esac
put "$XT" /usr/sbin/xtables-nft-multi
for name in iptables iptables-save iptables-restore; do ln -sf xtables-nft-multi "$FS/usr/sbin/$name"; done
BINARIES="$BINARIES $XT"
XT_EXT="$(readlink -f "$(dirname "$(libs_of "$XT" | grep libxtables | head -1)")/xtables")"
[ -d "$XT_EXT" ] || die "iptables' extensions ($XT_EXT) are missing"
mkdir -p "$FS$XT_EXT" && cp -L "$XT_EXT"/*.so "$FS$XT_EXT/"
for lib in $( { for b in $BINARIES "$XT_EXT"/*.so; do libs_of "$b"; done; } | sort -u); do
  [ -e "$lib" ] || die "ldd listed $lib but it does not exist"
  put "$lib" "$lib"
done

MONITOR="$(node "$ROOT/scripts/build-native.js")" || die "the process runtime's monitor did not build"
put "$MONITOR" /usr/local/lib/bosun/bosun-monitor
BUSYBOX="$(bash "$ROOT/scripts/images/build-images.sh" busybox)" || die "the busybox sample image did not build"
put "$BUSYBOX" /usr/local/share/bosun/images/busybox.tar
put "$ROOT/scripts/docker/node-entrypoint.sh" /usr/local/bin/bosun-node-entrypoint
chmod 755 "$FS/usr/local/bin/bosun-node-entrypoint"
# `ip netns` keeps namespaces under /run/netns; the runtime names them as /var/run/netns.
mkdir -p "$FS/run/netns" "$FS/var" "$FS/etc" && ln -s ../run "$FS/var/run"
printf 'hosts: files dns\n' >"$FS/etc/nsswitch.conf"

cat >"$CTX/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY rootfs/ /
ENV BOSUN_MONITOR_PATH=/usr/local/lib/bosun/bosun-monitor PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/usr/local/bin/bosun-node-entrypoint"]
DOCKERFILE
say "building $IMAGE from $BASE (+$(du -sh "$FS" | cut -f1) of host tools, monitor and busybox)"
docker build -q -t "$IMAGE" "$CTX" >/dev/null
docker run --rm --entrypoint /bin/sh "$IMAGE" -c 'ip -V && nft --version && iptables --version && conntrack --version && tar --version' >/dev/null \
  || die "$IMAGE does not run its tools"
say "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1/1e6 }'))"
