import * as os from 'node:os';

/**
 * The host's first non-internal IPv4 address, else 127.0.0.1: a node's default InternalIP, and
 * where a local cluster's host-network add-ons (the DNS) listen so pods can reach them — a pod
 * reaches the host's own address through its bridge, but never the host's loopback.
 */
export function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}
