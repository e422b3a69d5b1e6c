#!/usr/bin/env bash
# Runs the kubectl proof suite against a private build in .out-kubectl/ so that the shared dist/
# (which other work may be rebuilding) is not touched. `npm test` runs the same files from dist/.
#   bash e2e/kubectl/run-isolated.sh [mocha args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.out-kubectl
mkdir -p "$out/bin"
npx tsc -p tsconfig.json --outDir "$out/dist" --tsBuildInfoFile "$out/dist/.tsbuildinfo"
# BOSUN_BIN and PROTO_DIR are resolved three folders above dist/lib/*: give the build its own.
cp bin/bosun.js "$out/bin/bosun.js"
ln -sfn ../proto "$out/proto"
exec npx mocha --no-config --enable-source-maps --exit --timeout 120000 "${@:-$out/dist/e2e/kubectl/**/*.test.js}"
