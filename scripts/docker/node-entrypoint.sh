#!/bin/sh
# Entry point of the node image (make-node-image.sh): `bosun-node-entrypoint <bosun command> …`.
# - node-agent: imports the busybox sample image shipped in the image into this container's
#   image store (a fresh store in every new container), so pods run it offline; masquerades
#   pods' traffic to anything outside the pod range (the compose network has no route back to
#   pod ranges: only node containers know them); the node's IP defaults to eth0's address (not
#   the pod bridge's, which exists after a restart).
# - dns: advertises eth0's address in the kube-dns Endpoints (the container's own IP).
set -e
BOSUN="node /app/bin/bosun.js"
eth0_ipv4() {
  node -e 'const a = (require("os").networkInterfaces().eth0 || []).find((x) => x.family === "IPv4"); if (!a) process.exit(1); console.log(a.address)'
}
case "$1" in
  node-agent)
    for tag in busybox:latest busybox:1.36; do
      $BOSUN image import "$tag" /usr/local/share/bosun/images/busybox.tar >/dev/null
    done
    cidr="${BOSUN_NODE_AGENT_CLUSTER_CIDR:-10.42.0.0/16}"
    iptables -w -t nat -C POSTROUTING -s "$cidr" ! -d "$cidr" -j MASQUERADE 2>/dev/null \
      || iptables -w -t nat -A POSTROUTING -s "$cidr" ! -d "$cidr" -j MASQUERADE
    if [ -z "${BOSUN_NODE_AGENT_NODE_IP:-}" ]; then BOSUN_NODE_AGENT_NODE_IP="$(eth0_ipv4)"; export BOSUN_NODE_AGENT_NODE_IP; fi
    ;;
  dns)
    if [ -z "${BOSUN_DNS_ADVERTISE_ADDRESS+set}" ]; then BOSUN_DNS_ADVERTISE_ADDRESS="$(eth0_ipv4)"; export BOSUN_DNS_ADVERTISE_ADDRESS; fi
    ;;
esac
exec $BOSUN "$@"
