/**
 * Pod address management for one node: addresses of the node's podCIDR (an IPv4 range) handed
 * to sandboxes, the first usable one kept for the bridge's gateway. The allocation table is a
 * plain value (`IpamState`), so the rules are pure and tested alone; ipam-file.ts persists it.
 */

export interface IpamState {
  /** The range, e.g. `10.42.3.0/24`. */
  cidr: string;
  /** Address → sandbox id. */
  allocated: Record<string, string>;
}

export class IpamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpamError';
  }
}

export interface ParsedCidr {
  /** The network address as a 32-bit number. */
  network: number;
  prefix: number;
}

/** The smallest range that leaves a network, gateway, one pod and broadcast address. */
const MAX_PREFIX = 30;

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new IpamError(`"${text}" is not an IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/len` (IPv4, len ≤ 30); throws IpamError naming the value. */
export function parseCidr(cidr: string): ParsedCidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new IpamError(`podCIDR "${cidr}" is not an IPv4 CIDR (a.b.c.d/len)`);
  const prefix = Number(m[2]);
  if (prefix > MAX_PREFIX) throw new IpamError(`podCIDR "${cidr}": prefix /${prefix} leaves no pod addresses (at most /${MAX_PREFIX})`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (parseIpv4(m[1]) & mask) >>> 0, prefix };
}

/** The gateway (bridge) address of a range: the first host address. */
export function gatewayOf(cidr: string): string {
  return formatIpv4(parseCidr(cidr).network + 1);
}

/** A fresh table for a range (validated). */
export function emptyIpam(cidr: string): IpamState {
  parseCidr(cidr);
  return { cidr, allocated: {} };
}

/**
 * Allocates the lowest free address for `sandboxId` (the same one again when it already holds
 * one, so a retried sandbox creation does not leak). Returns the new state and the address;
 * throws IpamError when the range is full.
 */
export function allocate(state: IpamState, sandboxId: string): { state: IpamState; ip: string } {
  const held = Object.entries(state.allocated).find(([, owner]) => owner === sandboxId);
  if (held) return { state, ip: held[0] };
  const { network, prefix } = parseCidr(state.cidr);
  const size = 2 ** (32 - prefix);
  // Skip the network address, the gateway (network+1) and the broadcast address.
  for (let offset = 2; offset < size - 1; offset++) {
    const ip = formatIpv4(network + offset);
    if (!(ip in state.allocated)) {
      return { state: { ...state, allocated: { ...state.allocated, [ip]: sandboxId } }, ip };
    }
  }
  throw new IpamError(`podCIDR ${state.cidr} has no free address (${size - 3} pods hold them all)`);
}

/** Releases every address `sandboxId` holds (none: unchanged). */
export function release(state: IpamState, sandboxId: string): IpamState {
  const allocated = Object.fromEntries(Object.entries(state.allocated).filter(([, owner]) => owner !== sandboxId));
  return { ...state, allocated };
}
