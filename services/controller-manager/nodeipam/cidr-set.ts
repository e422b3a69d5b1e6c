/**
 * A set of equal-sized IPv4 subnets cut from one cluster range (Kubernetes' cidrset): the node
 * IPAM controller hands one subnet to each Node. Allocation is round-robin from the subnet after
 * the last one handed out, so a subnet just released is not reused at once (a pod network still
 * tearing down on a deleted node does not collide with a new one). Pure: no I/O, no clock.
 */
import { ConfigError } from '../../../lib/config-error';

/** At most 2^16 subnets per range (Kubernetes' limit), so the bitmap stays small. */
export const MAX_SUBNET_BITS = 16;
const IPV4_BITS = 32;
const OCTET_MAX = 255;

/** An IPv4 CIDR as numbers: `base` is the network address (host bits zero). */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

/**
 * Parses `a.b.c.d/n`; throws an Error naming the value when it is not an IPv4 CIDR or has host
 * bits set (`10.42.1.0/16`), as Kubernetes refuses such a --cluster-cidr.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR (e.g. 10.42.0.0/16)`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > OCTET_MAX) || prefix > IPV4_BITS) throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR (e.g. 10.42.0.0/16)`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % 2 ** (IPV4_BITS - prefix) !== 0) throw new Error(`${JSON.stringify(text)} has host bits set (the network is ${formatIpv4Cidr({ base: base - (base % 2 ** (IPV4_BITS - prefix)), prefix })})`);
  return { base, prefix };
}

/** `a.b.c.d/n`. */
export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  const b = cidr.base;
  return `${Math.floor(b / 2 ** 24) % 256}.${Math.floor(b / 2 ** 16) % 256}.${Math.floor(b / 2 ** 8) % 256}.${b % 256}/${cidr.prefix}`;
}

/** The subnets of one size inside a cluster range, with which are taken. */
export class CidrSet {
  private readonly cluster: Ipv4Cidr;
  private readonly subnetSize: number;
  private readonly used: Uint8Array;
  private usedCount = 0;
  /** Where the next round-robin search starts. */
  private next = 0;

  /**
   * `clusterCidr` (e.g. 10.42.0.0/16) cut into /`maskSize` subnets. Throws ConfigError naming the
   * flags when the mask is shorter than the range's prefix, longer than 32, or cuts more than
   * 2^{@link MAX_SUBNET_BITS} subnets.
   */
  constructor(clusterCidr: string, readonly maskSize: number) {
    try {
      this.cluster = parseIpv4Cidr(clusterCidr);
    } catch (err) {
      throw new ConfigError(`--cluster-cidr: ${(err as Error).message}`);
    }
    if (!Number.isInteger(maskSize) || maskSize < this.cluster.prefix || maskSize > IPV4_BITS) {
      throw new ConfigError(`--node-cidr-mask-size: ${maskSize} must be an integer between the cluster CIDR's prefix length (${this.cluster.prefix}) and ${IPV4_BITS}`);
    }
    if (maskSize - this.cluster.prefix > MAX_SUBNET_BITS) {
      throw new ConfigError(`--node-cidr-mask-size: ${maskSize} cuts --cluster-cidr ${clusterCidr} into more than 2^${MAX_SUBNET_BITS} subnets`);
    }
    this.subnetSize = 2 ** (IPV4_BITS - maskSize);
    this.used = new Uint8Array(2 ** (maskSize - this.cluster.prefix));
  }

  /** The cluster range as given to the constructor, normalized. */
  get clusterCidr(): string {
    return formatIpv4Cidr(this.cluster);
  }

  /** How many subnets the range holds, and how many are taken. */
  get capacity(): number {
    return this.used.length;
  }
  get allocated(): number {
    return this.usedCount;
  }

  /** Takes the next free subnet (round-robin); null when every subnet is taken. */
  allocateNext(): string | null {
    for (let i = 0; i < this.used.length; i++) {
      const index = (this.next + i) % this.used.length;
      if (this.used[index] === 0) {
        this.mark(index, 1);
        this.next = (index + 1) % this.used.length;
        return formatIpv4Cidr({ base: this.cluster.base + index * this.subnetSize, prefix: this.maskSize });
      }
    }
    return null;
  }

  /**
   * Marks every subnet `cidr` overlaps as taken (a Node's existing podCIDR, restored at start).
   * Returns false, changing nothing, when `cidr` is malformed or outside the range.
   */
  occupy(cidr: string): boolean {
    const range = this.indexRange(cidr);
    if (!range) return false;
    for (let i = range.first; i <= range.last; i++) this.mark(i, 1);
    return true;
  }

  /** Frees every subnet `cidr` overlaps (its Node was deleted); false when outside the range. */
  release(cidr: string): boolean {
    const range = this.indexRange(cidr);
    if (!range) return false;
    for (let i = range.first; i <= range.last; i++) this.mark(i, 0);
    return true;
  }

  /** Whether the subnet holding `cidr` is taken. */
  isAllocated(cidr: string): boolean {
    const range = this.indexRange(cidr);
    return !!range && this.used[range.first] === 1;
  }

  private mark(index: number, value: 0 | 1): void {
    if (this.used[index] === value) return;
    this.used[index] = value;
    this.usedCount += value === 1 ? 1 : -1;
  }

  /** The subnet indexes `cidr` covers, or undefined when it is not (wholly) inside the range. */
  private indexRange(cidr: string): { first: number; last: number } | undefined {
    let c: Ipv4Cidr;
    try {
      c = parseIpv4Cidr(cidr);
    } catch {
      return undefined;
    }
    if (c.prefix < this.cluster.prefix) return undefined;
    const offset = c.base - this.cluster.base;
    const clusterSize = 2 ** (IPV4_BITS - this.cluster.prefix);
    if (offset < 0 || offset >= clusterSize) return undefined;
    const size = 2 ** (IPV4_BITS - c.prefix);
    const first = Math.floor(offset / this.subnetSize);
    const last = Math.floor((offset + size - 1) / this.subnetSize);
    return { first, last };
  }
}
