/**
 * Names of the nftables objects the proxy writes, in kube-proxy's nftables-mode shape: one table
 * of our own, fixed chains and maps, and per Service port `service-<HASH>-ns/name/proto/port`,
 * `external-<HASH>-…`, `endpoint-<HASH>-…__ip/port` chains plus `affinity-<HASH>-…` sets.
 *
 * Contract: a name is a pure function of what it stands for (the Service port key, the endpoint,
 * the affinity timeout), so two syncs — in one process or across restarts — name the same thing
 * the same way, and a changed affinity timeout gets a new set (nft cannot change a set's timeout
 * in place). The hash keeps names unique whatever the readable suffix says; every name stays far
 * below nft's 256-character limit (namespace and name ≤ 63 each, port name ≤ 15).
 */
import { createHash } from 'node:crypto';
import type { ServiceEndpoint, ServicePortEntry } from '../../../lib/network/service-table';

/** The proxy's own table; nothing outside it is ever touched. */
export const TABLE_FAMILY = 'ip';
export const TABLE_NAME = 'bosun-proxy';
/** `ip bosun-proxy`, as nft commands name the table. */
export const TABLE = `${TABLE_FAMILY} ${TABLE_NAME}`;

/** Hex digits of the hash in per-service names (32 bits: collisions are not a practical concern at 10k names). */
const HASH_CHARS = 8;

function hashOf(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, HASH_CHARS).toUpperCase();
}

/** "ns/name/proto/port": the readable part of a per-service name (nft accepts '/' in names). */
function readable(entry: ServicePortEntry): string {
  return `${entry.namespace}/${entry.name}/${entry.protocol.toLowerCase()}/${entry.portName || '-'}`;
}

/** The chain that balances traffic from inside the cluster over the port's endpoints. */
export function serviceChainName(entry: ServicePortEntry): string {
  return `service-${hashOf(entry.key)}-${readable(entry)}`;
}

/** The chain for traffic to the port's NodePort, external and load-balancer addresses. */
export function externalChainName(entry: ServicePortEntry): string {
  return `external-${hashOf(entry.key)}-${readable(entry)}`;
}

/** The chain that DNATs to one endpoint of the port. */
export function endpointChainName(entry: ServicePortEntry, ep: ServiceEndpoint): string {
  return `endpoint-${hashOf(entry.key, ep.ip, String(ep.port))}-${readable(entry)}__${ep.ip}/${ep.port}`;
}

/** The set of client addresses stuck to one endpoint (ClientIP affinity) for `timeoutSeconds`. */
export function affinitySetName(entry: ServicePortEntry, ep: ServiceEndpoint, timeoutSeconds: number): string {
  return `affinity-${hashOf(entry.key, ep.ip, String(ep.port), String(timeoutSeconds))}-${readable(entry)}__${ep.ip}/${ep.port}`;
}
