/**
 * The sets of values the Service allocators hand out, as integer intervals: ClusterIPs of a
 * service CIDR (IPv4 addresses as unsigned 32-bit numbers) and NodePorts of a port range.
 * Pure values: parsing, formatting and membership, no I/O.
 */

/** Default service CIDR (k3s' default). */
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';
/** Default NodePort range, inclusive, as Kubernetes writes it. */
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';
/** Narrowest service CIDR accepted: /30 leaves two usable addresses (one reserved, one to hand out). */
export const MAX_SERVICE_CIDR_PREFIX = 30;
/** Widest service CIDR accepted (Kubernetes refuses wider ones too). */
export const MIN_SERVICE_CIDR_PREFIX = 12;

/** What an allocator hands out: the integers first..last, written and read as text. */
export interface ItemRange {
  /** 'IP' or 'port': the noun of Kubernetes' messages ("provided IP is already allocated"). */
  readonly noun: 'IP' | 'port';
  /** The range as the user configured it ("10.43.0.0/16", "30000-32767"). */
  readonly description: string;
  /** Smallest allocatable item. */
  readonly first: number;
  /** Largest allocatable item (inclusive). */
  readonly last: number;
  /** Items never handed out at random (a request naming one explicitly may take it). */
  readonly reserved: ReadonlySet<number>;
  /**
   * First item of the dynamic (upper) band: random allocation takes items from
   * [dynamicFirst, last] first and falls back to the static band [first, dynamicFirst) only
   * when the upper band is full (Kubernetes' KEP-3070), so addresses users pick by hand — the
   * cluster DNS IP 10.43.0.10 — stay free. Equal to `first` when there is no static band.
   */
  readonly dynamicFirst: number;
  /** The item as text (the store key suffix and the API value). */
  format(item: number): string;
  /** The item a text names, or undefined when it is not one of this kind (not an IP, not a port). */
  parse(text: string): number | undefined;
  /** Kubernetes' "not in the valid range" message for `text`. */
  notInRangeMessage(text: string): string;
}

/** True when `item` is an allocatable item of `range` (reserved ones included). */
export function inRange(range: ItemRange, item: number): boolean {
  return Number.isInteger(item) && item >= range.first && item <= range.last;
}

/** Number of items in the range (reserved ones included). */
export function rangeSize(range: ItemRange): number {
  return range.last - range.first + 1;
}

/** KEP-3070's static band of a service CIDR: size/16 addresses, at least 16 and at most 256. */
export const STATIC_BAND_MIN = 16;
export const STATIC_BAND_MAX = 256;
export const STATIC_BAND_STEP = 16;

/**
 * Number of items at the bottom of a range of `size` items kept for explicit requests
 * (KEP-3070: min(max(16, size/16), 256)); 0 when that would leave no dynamic band.
 */
export function staticBandSize(size: number): number {
  const band = Math.min(Math.max(STATIC_BAND_MIN, Math.floor(size / STATIC_BAND_STEP)), STATIC_BAND_MAX);
  return band < size ? band : 0;
}

/** An IPv4 address as an unsigned 32-bit number, or undefined when `text` is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** The dotted-quad text of an unsigned 32-bit number. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The ClusterIPs of an IPv4 service CIDR: every address but the network address and the
 * broadcast address; the first usable one (10.43.0.1 in the default range) is reserved for the
 * `kubernetes` Service. Throws on a malformed CIDR, a prefix outside
 * [MIN_SERVICE_CIDR_PREFIX, MAX_SERVICE_CIDR_PREFIX] or host bits set (a configuration error).
 */
export function serviceIpRange(cidr: string = DEFAULT_SERVICE_CIDR): ItemRange {
  const slash = cidr.indexOf('/');
  const base = slash < 0 ? undefined : parseIpv4(cidr.slice(0, slash));
  const bits = slash < 0 ? NaN : Number(cidr.slice(slash + 1));
  if (base === undefined || !/^\d{1,2}$/.test(cidr.slice(slash + 1))) throw new Error(`service CIDR ${JSON.stringify(cidr)}: not an IPv4 CIDR like 10.43.0.0/16`);
  if (bits < MIN_SERVICE_CIDR_PREFIX || bits > MAX_SERVICE_CIDR_PREFIX) {
    throw new Error(`service CIDR ${cidr}: the prefix length must be between /${MIN_SERVICE_CIDR_PREFIX} and /${MAX_SERVICE_CIDR_PREFIX}`);
  }
  const size = 2 ** (32 - bits);
  if (base % size !== 0) throw new Error(`service CIDR ${cidr}: host bits are set (did you mean ${formatIpv4(base - (base % size))}/${bits}?)`);
  const first = base + 1;
  return {
    noun: 'IP',
    description: cidr,
    first,
    last: base + size - 2,
    reserved: new Set([first]),
    dynamicFirst: Math.max(first, base + staticBandSize(size)),
    format: formatIpv4,
    parse: parseIpv4,
    notInRangeMessage: (text) => `the provided IP (${text}) is not in the valid range. The range of valid IPs is ${cidr}`,
  };
}

/** The NodePorts of a "min-max" range (inclusive; both within 1-65535). Throws on a malformed range. */
export function nodePortRange(spec: string = DEFAULT_NODE_PORT_RANGE): ItemRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(spec.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`NodePort range ${JSON.stringify(spec)}: expected "min-max" within 1-65535, like ${DEFAULT_NODE_PORT_RANGE}`);
  const description = `${min}-${max}`;
  return {
    noun: 'port',
    description,
    first: min,
    last: max,
    reserved: new Set(),
    dynamicFirst: min,
    format: (n) => String(n),
    parse: (text) => (/^\d{1,5}$/.test(text) ? Number(text) : undefined),
    notInRangeMessage: () => `provided port is not in the valid range. The range of valid ports is ${description}`,
  };
}
