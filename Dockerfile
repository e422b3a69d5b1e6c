# One image for every Bosun component: `docker run bosun:local <component> [flags]`.
#
# The app is built on the host (`npm run build`) and only copied in: there is no RUN step, so
# the base needs nothing but `node` (no shell, no package manager, no network). Build it with
# scripts/docker/build-image.sh, which stages production-only node_modules and picks the base:
#   - node:20-bookworm-slim where a registry is reachable (the default below);
#   - bosun-node-base:local otherwise (scripts/docker/make-base-image.sh: the host's node
#     binary and its shared libraries, `docker import`ed).
# A plain `docker build .` from the repository root also works (.dockerignore keeps the
# context to what is copied here, minus the large dev-only packages).
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}

ENV NODE_ENV=production
# glibc malloc tunables that keep freed buffers returnable (lib/lean-memory.ts, LEAN_MALLOC_ENV).
ENV MALLOC_MMAP_THRESHOLD_=65536 MALLOC_TRIM_THRESHOLD_=1048576 MALLOC_ARENA_MAX=2
WORKDIR /app

# Least often changed first, for the layer cache.
COPY node_modules/ /app/node_modules/
COPY proto/ /app/proto/
COPY package.json /app/package.json
COPY bin/ /app/bin/
COPY dist/ /app/dist/

# Store data (--data-dir) and any other component state live here.
VOLUME ["/var/lib/bosun"]

# The etcd client and raft peer ports of a store member (documentation only).
EXPOSE 2379 2380

ENTRYPOINT ["node", "/app/bin/bosun.js"]
CMD ["--help"]
