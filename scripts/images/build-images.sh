#!/usr/bin/env bash
# Build the offline images Bosun's tests and README use, as rootfs tarballs, with no registry:
#   .data/images/busybox.tar  busybox from Debian's busybox-static (apt-get download + dpkg -x),
#                             with applet symlinks (sh, httpd, nc, sleep, ls, cat, echo, wget, …)
#   .data/images/node.tar     the host's Node.js binary plus the shared libraries ldd lists for it
#                             and /bin/sh (the method of scripts/docker/make-base-image.sh)
# The process runtime imports them (`bosun image import busybox:latest .data/images/busybox.tar`);
# for Docker, `docker import` them. The tags the project uses: busybox:latest, busybox:1.36,
# bosun-node:local.
#
# Usage: scripts/images/build-images.sh [--force] [--import] [busybox|node ...]   (default: both)
#   --import  also import them into the process runtime's node image store (`bosun image import`;
#             the store is $BOSUN_IMAGE_STORE or bosun's default; needs a built tree: npm run build)
# Idempotent: an image whose tarball exists (and, for node, was made from the same node version)
# is skipped unless --force. Prints each tarball's path on stdout.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="${BOSUN_IMAGES_DIR:-$REPO/.data/images}"
FORCE=0
IMPORT=0
WANT=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --import) IMPORT=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    busybox|node) WANT+=("$a") ;;
    *) echo "build-images: unknown argument $a (expected --force, busybox, node)" >&2; exit 2 ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=(busybox node)
say() { echo "build-images: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
mkdir -p "$OUT"
# One build at a time (parallel test workers and a starting cluster may all ask for the image
# on a fresh clone): the others wait here, then find the tarball made and skip it.
exec 9>"$OUT/.build.lock"
flock 9

# The applets linked into the busybox image's /bin (the rest stay reachable as `busybox APPLET`).
APPLETS="sh ash cat cp date dd df echo env false grep head hostname httpd id ip kill ln ls mkdir
mktemp mv nc nslookup ping ps pwd rm rmdir sed seq sleep sort stat tail tee test top touch tr true
uname uptime vi wc wget which whoami yes printf expr find xargs awk mount umount"

# Tars ROOT as a rootfs tarball with numeric root ownership; written beside OUT then renamed, so a
# cut-off run never leaves a half-written tarball that later runs would take as done.
pack() {
  local root="$1" tarball="$2"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$tarball.tmp" .
  mv -f "$tarball.tmp" "$tarball"
  echo "$tarball"
}

base_etc() {
  local root="$1"
  mkdir -p "$root/etc" "$root/tmp" "$root/root" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  : >"$root/etc/hosts"
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
}

build_busybox() {
  local tarball="$OUT/busybox.tar"
  if [ "$FORCE" = 0 ] && [ -s "$tarball" ]; then say "busybox: $tarball exists; skipping"; echo "$tarball"; return; fi
  local work; work="$(mktemp -d "${TMPDIR:-/tmp}/bosun-busybox.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  local deb
  deb="$(ls "$OUT"/busybox-static_*.deb 2>/dev/null | head -1 || true)"
  if [ -z "$deb" ]; then
    command -v apt-get >/dev/null || die "busybox: apt-get not found (a Debian-family host is needed to download busybox-static)"
    (cd "$OUT" && apt-get download busybox-static >&2) || die "busybox: apt-get download busybox-static failed (run apt-get update first?)"
    deb="$(ls "$OUT"/busybox-static_*.deb | head -1)"
  fi
  dpkg -x "$deb" "$work/pkg"
  local root="$work/root"
  mkdir -p "$root/bin"
  cp "$work/pkg/bin/busybox" "$root/bin/busybox"
  for applet in $APPLETS; do ln -sf busybox "$root/bin/$applet"; done
  mkdir -p "$root/usr/bin" "$root/var/www"
  ln -sf ../../bin/env "$root/usr/bin/env"
  base_etc "$root"
  "$root/bin/busybox" true || die "busybox: the extracted binary does not run"
  say "busybox: $(basename "$deb") → $tarball"
  pack "$root" "$tarball"
}

build_node() {
  local tarball="$OUT/node.tar" stamp="$OUT/node.version"
  local node; node="$(readlink -f "$(command -v node)")" || die "node: no node on PATH"
  local version; version="$("$node" --version)"
  if [ "$FORCE" = 0 ] && [ -s "$tarball" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    say "node: $tarball exists (node $version); skipping"; echo "$tarball"; return
  fi
  local work; work="$(mktemp -d "${TMPDIR:-/tmp}/bosun-node-image.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  local root="$work/root"
  put() { mkdir -p "$root$(dirname "$2")"; cp -L "$1" "$root$2"; }
  libs_of() { ldd "$1" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'; }
  put "$node" /usr/local/bin/node
  local sh; sh="$(readlink -f /bin/sh)"
  put "$sh" /bin/sh
  for lib in $( { libs_of "$node"; libs_of "$sh"; } | sort -u); do
    [ -e "$lib" ] || die "node: ldd listed $lib but it does not exist"
    put "$lib" "$lib"
  done
  base_etc "$root"
  mkdir -p "$root/app"
  say "node: $version from $node → $tarball"
  pack "$root" "$tarball"
  echo "$version" >"$stamp"
}

import_image() {
  local tarball="$1"; shift
  [ "$IMPORT" = 1 ] || return 0
  for ref in "$@"; do
    node "$REPO/bin/bosun.js" image import "$ref" "$tarball" ${IMPORT_FLAGS:-} >&2 || die "importing $ref failed"
  done
}

for w in "${WANT[@]}"; do
  tarball="$("build_$w")"
  echo "$tarball"
  case "$w" in
    busybox) IMPORT_FLAGS='--cmd ["sh"]' import_image "$tarball" busybox:latest busybox:1.36 ;;
    node) IMPORT_FLAGS='--entrypoint ["/usr/local/bin/node"] --cmd []' import_image "$tarball" bosun-node:local ;;
  esac
done
