/**
 * The hash that names a controller's children (Kubernetes' controller.ComputeHash and
 * history.HashControllerRevision): FNV-1a (32 bit) over a value's canonical JSON, then over
 * `collisionCount` as 4 little-endian bytes when set, the decimal result spelled in a safe
 * alphabet. Stable across processes and restarts (object key order does not matter); a different
 * collisionCount gives a different hash, which is how a name collision is escaped.
 */

/** Alphabet of the encoded hash: no vowels (no words), no look-alikes (0/o, 1/l, 3/e). */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const FNV32_OFFSET_BASIS = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
/** Bytes of the collision count fed into the hash (a uint32). */
const COLLISION_COUNT_BYTES = 4;

/** JSON with object keys sorted at every level, so equal values print equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a over `bytes`, continuing from `hash`. */
function fnv32a(bytes: Uint8Array, hash = FNV32_OFFSET_BASIS): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h;
}

/** The safe hash of `value` (see the file comment); `collisionCount` unset and 0 differ. */
export function computeHash(value: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(value ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const buf = new Uint8Array(COLLISION_COUNT_BYTES);
    new DataView(buf.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(buf, h);
  }
  return [...String(h)].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
}
