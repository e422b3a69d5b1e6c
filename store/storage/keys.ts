/**
 * LevelDB key layout of the durable raft log. Every key starts with one ASCII prefix byte:
 *
 *   'v'                          format version record
 *   'h'                          hard state {term, vote, commit}
 *   's'                          snapshot metadata {index, term, confState, data length, chunks}
 *   'd' + index:u64be + chunk:u32be  data chunk number `chunk` (0-based) of the snapshot at `index`
 *   'c' + chunk:u32be            data chunk `chunk` of the snapshot, as written before chunk keys
 *                                carried the snapshot index (read, never written; see durable-log)
 *   'm' + utf8(name)             member metadata (cluster id, member id, membership, …)
 *   'e' + index:u64be            the log entry at `index`
 *
 * Entry keys sort by index, so truncating a suffix or compacting a prefix is a key range, and
 * the last index is one reverse seek away. Chunk keys carry their snapshot's index, so a
 * snapshot's chunks can be written before the metadata record switches to it.
 */

const PREFIX_VERSION = 0x76; // 'v'
const PREFIX_HARD_STATE = 0x68; // 'h'
const PREFIX_SNAPSHOT_META = 0x73; // 's'
const PREFIX_LEGACY_CHUNK = 0x63; // 'c'
const PREFIX_SNAPSHOT_CHUNK = 0x64; // 'd'
const PREFIX_META = 0x6d; // 'm'
const PREFIX_ENTRY = 0x65; // 'e'

/** Bytes of an entry key: prefix + 8-byte big-endian index. */
const ENTRY_KEY_BYTES = 9;
/** Bytes of a legacy snapshot chunk key: prefix + 4-byte big-endian chunk number. */
const LEGACY_CHUNK_KEY_BYTES = 5;
/** Bytes of a snapshot chunk key: prefix + 8-byte big-endian index + 4-byte big-endian chunk. */
const CHUNK_KEY_BYTES = 13;
const TWO_POW_32 = 0x1_0000_0000;

/** Key of the format version record. */
export const VERSION_KEY = Buffer.from([PREFIX_VERSION]);
/** Key of the hard state record. */
export const HARD_STATE_KEY = Buffer.from([PREFIX_HARD_STATE]);
/** Key of the snapshot metadata record. */
export const SNAPSHOT_META_KEY = Buffer.from([PREFIX_SNAPSHOT_META]);

/** Iterator bounds covering every entry key. */
export const ENTRY_RANGE = { gte: Buffer.from([PREFIX_ENTRY]), lt: Buffer.from([PREFIX_ENTRY + 1]) };
/** Iterator bounds covering every legacy snapshot chunk key. */
export const LEGACY_CHUNK_RANGE = {
  gte: Buffer.from([PREFIX_LEGACY_CHUNK]),
  lt: Buffer.from([PREFIX_LEGACY_CHUNK + 1]),
};
/** Iterator bounds covering every snapshot chunk key, of every snapshot index. */
export const CHUNK_RANGE = {
  gte: Buffer.from([PREFIX_SNAPSHOT_CHUNK]),
  lt: Buffer.from([PREFIX_SNAPSHOT_CHUNK + 1]),
};
/** Iterator bounds covering every meta key. */
export const META_RANGE = { gte: Buffer.from([PREFIX_META]), lt: Buffer.from([PREFIX_META + 1]) };

/** The 8-byte big-endian encoding of a non-negative safe integer. */
export function u64be(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(n / TWO_POW_32), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

/** Key of the entry at `index` (index ≥ 0, a safe integer). */
export function entryKey(index: number): Buffer {
  const k = Buffer.allocUnsafe(ENTRY_KEY_BYTES);
  k[0] = PREFIX_ENTRY;
  k.writeUInt32BE(Math.floor(index / TWO_POW_32), 1);
  k.writeUInt32BE(index >>> 0, 5);
  return k;
}

/** The index an entry key names, or undefined if `key` is not a well-formed entry key. */
export function entryIndexOfKey(key: Buffer): number | undefined {
  if (key.length !== ENTRY_KEY_BYTES || key[0] !== PREFIX_ENTRY) return undefined;
  return key.readUInt32BE(1) * TWO_POW_32 + key.readUInt32BE(5);
}

/** Key of legacy snapshot data chunk `chunk` (tests write old data directories with it). */
export function legacyChunkKey(chunk: number): Buffer {
  const k = Buffer.allocUnsafe(LEGACY_CHUNK_KEY_BYTES);
  k[0] = PREFIX_LEGACY_CHUNK;
  k.writeUInt32BE(chunk, 1);
  return k;
}

/** The chunk number a legacy chunk key names, or undefined if it is not one. */
export function legacyChunkOfKey(key: Buffer): number | undefined {
  if (key.length !== LEGACY_CHUNK_KEY_BYTES || key[0] !== PREFIX_LEGACY_CHUNK) return undefined;
  return key.readUInt32BE(1);
}

/** Key of data chunk `chunk` of the snapshot at `index`. */
export function chunkKey(index: number, chunk: number): Buffer {
  const k = Buffer.allocUnsafe(CHUNK_KEY_BYTES);
  k[0] = PREFIX_SNAPSHOT_CHUNK;
  k.writeUInt32BE(Math.floor(index / TWO_POW_32), 1);
  k.writeUInt32BE(index >>> 0, 5);
  k.writeUInt32BE(chunk, 9);
  return k;
}

/** Iterator bounds covering the chunk keys of the snapshot at `index`, chunks [0, chunks). */
export function chunkRange(index: number, chunks: number): { gte: Buffer; lt: Buffer } {
  return { gte: chunkKey(index, 0), lt: chunkKey(index, chunks) };
}

/** The snapshot index and chunk number a chunk key names, or undefined if it is not one. */
export function chunkOfKey(key: Buffer): { index: number; chunk: number } | undefined {
  if (key.length !== CHUNK_KEY_BYTES || key[0] !== PREFIX_SNAPSHOT_CHUNK) return undefined;
  return { index: key.readUInt32BE(1) * TWO_POW_32 + key.readUInt32BE(5), chunk: key.readUInt32BE(9) };
}

/** Key of the meta record `name`. */
export function metaKey(name: string): Buffer {
  return Buffer.concat([Buffer.from([PREFIX_META]), Buffer.from(name, 'utf8')]);
}

/** The meta record name of a meta key. */
export function metaNameOfKey(key: Buffer): string {
  return key.subarray(1).toString('utf8');
}
