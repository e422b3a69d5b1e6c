import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the polynomial zlib and gzip use) over a byte array.
 *
 * Uses `zlib.crc32` where the running Node provides it (Node >= 20.15) and a table-driven
 * fallback otherwise; both give identical results, so snapshots written by one can be read by
 * the other.
 */
export function crc32(data: Uint8Array, initial = 0): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(data, initial) >>> 0;
  return tableCrc32(data, initial);
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const nativeCrc32: NativeCrc32 | undefined = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

let table: Uint32Array | undefined;

/** The portable implementation; exported so tests can check it against the native one. */
export function tableCrc32(data: Uint8Array, initial = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
