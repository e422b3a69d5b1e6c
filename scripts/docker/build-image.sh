#!/usr/bin/env bash
# Build the Bosun image (default tag bosun:local) from a host-built app.
#
#   1. builds the project (`npm run build`: proto generation + incremental tsc) unless --no-build;
#   2. picks the base image: $BOSUN_BASE_IMAGE if set; else node:20-bookworm-slim if it is
#      present or can be pulled within $BOSUN_PULL_TIMEOUT_S seconds; else the registry-free
#      bosun-node-base:local (made by make-base-image.sh from the host's node);
#   3. stages a build context with package.json, bin/, dist/, proto/ and exactly the
#      production node_modules (`npm ls --omit=dev`), and runs
#      `docker build --build-arg BASE_IMAGE=… -t $BOSUN_IMAGE`.
# Prints the chosen base and the image size. Needs a running engine (ensure-docker.sh).
#
# Usage: scripts/docker/build-image.sh [--no-build]
# Environment: BOSUN_IMAGE (bosun:local), BOSUN_BASE_IMAGE (auto), BOSUN_PULL_TIMEOUT_S (20),
#   BOSUN_BUILD_VERBOSE=1 to print docker build's output.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IMAGE="${BOSUN_IMAGE:-bosun:local}"
NODE_IMAGE=node:20-bookworm-slim
LOCAL_BASE=bosun-node-base:local
PULL_TIMEOUT_S="${BOSUN_PULL_TIMEOUT_S:-20}"
BUILD=1
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $a" >&2; exit 2 ;;
  esac
done
say() { echo "build-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

cd "$ROOT"
docker info >/dev/null 2>&1 || die "no docker engine answers (run scripts/docker/ensure-docker.sh)"

# --- 1. the app ---------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  [ -d node_modules ] || die "node_modules/ missing: run npm ci first"
  say "npm run build"
  npm run --silent build >&2 || die "npm run build failed"
fi
for p in package.json bin/bosun.js dist proto node_modules; do
  [ -e "$p" ] || die "$p missing: the image needs a built project (npm ci && npm run build)"
done

# --- 2. the base --------------------------------------------------------------------------
if [ -n "${BOSUN_BASE_IMAGE:-}" ]; then
  BASE="$BOSUN_BASE_IMAGE"
  if [ "$BASE" = "$LOCAL_BASE" ]; then
    "$ROOT/scripts/docker/make-base-image.sh" "$LOCAL_BASE"
  fi
elif docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
  BASE="$NODE_IMAGE"
elif timeout "$PULL_TIMEOUT_S" docker pull -q "$NODE_IMAGE" >/dev/null 2>&1; then
  BASE="$NODE_IMAGE"
else
  say "$NODE_IMAGE is not present and cannot be pulled; using $LOCAL_BASE"
  "$ROOT/scripts/docker/make-base-image.sh" "$LOCAL_BASE"
  BASE="$LOCAL_BASE"
fi
say "base image: $BASE"

# --- 3. the context -----------------------------------------------------------------------
CTX="$(mktemp -d "${TMPDIR:-/tmp}/bosun-image-ctx.XXXXXX")"
trap 'rm -rf "$CTX"' EXIT
# Hard links where the temp dir shares the file system (docker build only reads the context),
# copies elsewhere.
link() { cp -al "$@" 2>/dev/null || cp -a "$@"; }
cp Dockerfile .dockerignore package.json "$CTX/"
link bin dist proto "$CTX/"
mkdir -p "$CTX/node_modules"
# Every production package, as a path under node_modules; a package nested inside one already
# copied comes along with it. `npm ls` exits non-zero on any tree problem (extraneous, peer
# warnings): its list is still right, so only an empty list is an error.
prod="$(npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s|^$ROOT/node_modules/|node_modules/|p" | sort -u || true)"
[ -n "$prod" ] || die "npm ls --omit=dev listed no production package"
last=""
while IFS= read -r pkg; do
  if [ -n "$last" ] && [ "${pkg#"$last"/}" != "$pkg" ]; then continue; fi
  mkdir -p "$CTX/$(dirname "$pkg")"
  link "$pkg" "$CTX/$pkg"
  last="$pkg"
done <<<"$prod"
say "context: $(du -sh "$CTX" | cut -f1) ($(echo "$prod" | wc -l) production packages)"

# --- 4. the image -------------------------------------------------------------------------
# A Docker 23+ client without the buildx plugin (like the 28.x client in /usr/local/bin here)
# refuses DOCKER_BUILDKIT=1; the legacy builder needs nothing and no RUN step needs BuildKit.
if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi
start=$SECONDS
LOG="$CTX.log"
trap 'rm -rf "$CTX" "$LOG"' EXIT
if ! docker build --build-arg "BASE_IMAGE=$BASE" -t "$IMAGE" "$CTX" >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  die "docker build failed"
fi
[ -z "${BOSUN_BUILD_VERBOSE:-}" ] || cat "$LOG" >&2
size="$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1/1e6 }')"
say "built $IMAGE from $BASE in $((SECONDS - start))s ($size)"
