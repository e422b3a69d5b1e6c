/**
 * Pod address management for one node: addresses of the node's podCIDR (an IPv4 range) handed
 * to sandboxes, the first usable one kept for the bridge's gateway. The allocation table is a
 * plain value (`IpamState`), so the rules are pure and tested alone; node-network.ts persists it.
 *
 * Addresses are handed out round-robin (the next free one after the last given, as CNI's
 * host-local IPAM does), not lowest-first: an address given again at once to a new pod would
 * still be bound to the old pod's MAC in the neighbour caches of the host and of the other pods,
 * and connections to the new pod (its first readiness probes, Service traffic) would vanish until
 * those entries expire, tens of seconds later.
 */

export interface IpamState {
  /** The range, e.g. `10.42.3.0/24`. */
  cidr: string;
  /** Address → sandbox id. */
  allocated: Record<string, string>;
  /** The address handed out last; the next allocation starts after it (absent: from the start). */
  last?: string;
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

/** Offset of the first pod address in a range: after the network address and the gateway. */
const FIRST_POD_OFFSET = 2;

/**
 * Allocates the next free address after the last one handed out, wrapping around the range, for
 * `sandboxId` (the same one again when it already holds one, so a retried sandbox creation does
 * not leak). Returns the new state and the address; throws IpamError when the range is full.
 */
export function allocate(state: IpamState, sandboxId: string): { state: IpamState; ip: string } {
  const held = Object.entries(state.allocated).find(([, owner]) => owner === sandboxId);
  if (held) return { state, ip: held[0] };
  const { network, prefix } = parseCidr(state.cidr);
  // Pod addresses: every one but the network address, the gateway and the broadcast address.
  const count = 2 ** (32 - prefix) - FIRST_POD_OFFSET - 1;
  const start = nextOffsetAfter(state.last, network, count);
  for (let i = 0; i < count; i++) {
    const ip = formatIpv4(network + FIRST_POD_OFFSET + ((start + i) % count));
    if (!(ip in state.allocated)) {
      return { state: { ...state, allocated: { ...state.allocated, [ip]: sandboxId }, last: ip }, ip };
    }
  }
  throw new IpamError(`podCIDR ${state.cidr} has no free address (${count} pods hold them all)`);
}

/** Index (0-based among the pod addresses) to try first: the one after `last`, or 0. */
function nextOffsetAfter(last: string | undefined, network: number, count: number): number {
  if (last === undefined) return 0;
  let index: number;
  try {
    index = parseIpv4(last) - network - FIRST_POD_OFFSET;
  } catch {
    return 0; // a hand-edited state file: start from the beginning
  }
  return index >= 0 && index < count ? (index + 1) % count : 0;
}

/** Releases every address `sandboxId` holds (none: unchanged). */
export function release(state: IpamState, sandboxId: string): IpamState {
  const allocated = Object.fromEntries(Object.entries(state.allocated).filter(([, owner]) => owner !== sandboxId));
  return { ...state, allocated };
}
