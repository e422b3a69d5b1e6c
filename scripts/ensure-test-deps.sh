#!/usr/bin/env bash
# Installs the real programs the tests drive, from Debian's packages, when they are missing:
# etcdctl (etcd-client), etcd itself (etcd-server, the reference cluster for the client
# tests and the benchmark), openssl (one test compares with it), and nft, conntrack and dig. Docker is handled by scripts/docker/ensure-docker.sh.
set -euo pipefail
missing=()
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
# openssl: one test checks a key against it (the cluster CA is made in process).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# Service networking: nft (the proxy's kernel data path), conntrack (flushing removed
# endpoints' flows) and dig (the DNS tests query the cluster DNS with the real client).
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v conntrack >/dev/null 2>&1 || missing+=(conntrack)
command -v dig >/dev/null 2>&1 || missing+=(dnsutils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bosun: installing ${missing[*]} from Debian's packages…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's etcd-server package starts a system etcd on 2379/2380; the tests and `npm start`
# use those ports, so make sure that service is not running.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
# kubectl 1.32 comes with the machine (it is not a Debian package); the kubectl suites need it.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "bosun: kubectl (1.32) must be on the PATH for the tests that drive it" >&2
  exit 1
fi
