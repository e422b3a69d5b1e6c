import { crc32 } from 'zlib';
import { ConfState, Entry, EntryType, HardState, SnapshotMetadata } from '../raft/types';
import { u64be } from './keys';

/**
 * Binary record layouts of the durable raft log. All integers are big-endian; "u64" fields
 * hold non-negative safe integers (< 2^53) as two u32 halves, so no bigint is involved.
 * Every record starts with a CRC-32 (zlib polynomial) of everything after it; where the key
 * carries information (entry index, meta name) the CRC is seeded with the key bytes too, so a
 * record copied under the wrong key fails verification.
 *
 *   version        [crc:4][version:u32]
 *   hard state     [crc:4][term:u64][vote:u64][commit:u64]
 *   entry          [crc:4][term:u64][type:u8][data…]                 crc seeded with u64be(index)
 *   snapshot meta  [crc:4][index:u64][term:u64][dataBytes:u64][chunks:u32]
 *                  [voters:u32][voter:u64 × voters][learners:u32][learner:u64 × learners]
 *   snapshot chunk [crc:4][snapshotIndex:u64][chunk:u32][data…]
 *   meta           [crc:4][value…]                                   crc seeded with utf8(name)
 */

/** Version of the layout above; bump on any incompatible change. */
export const FORMAT_VERSION = 1;

const CRC_BYTES = 4;
const U64_BYTES = 8;
const U32_BYTES = 4;
const TWO_POW_32 = 0x1_0000_0000;
/** Largest high half of a u64 that keeps the value a safe integer (2^53 - 1). */
const MAX_SAFE_HIGH_HALF = 0x1f_ffff;

const VERSION_BYTES = CRC_BYTES + U32_BYTES;
const HARD_STATE_BYTES = CRC_BYTES + 3 * U64_BYTES;
const ENTRY_HEADER_BYTES = CRC_BYTES + U64_BYTES + 1;
const SNAPSHOT_META_FIXED_BYTES = CRC_BYTES + 3 * U64_BYTES + 3 * U32_BYTES;
const CHUNK_HEADER_BYTES = CRC_BYTES + U64_BYTES + U32_BYTES;

/** A record failed to decode; `problem` says why. The caller names the record and directory. */
export class RecordDecodeError extends Error {
  override readonly name = 'RecordDecodeError';
  constructor(readonly problem: string) {
    super(problem);
  }
}

/** Decoded snapshot metadata record: raft's metadata plus how the data is chunked. */
export interface SnapshotMetaRecord {
  metadata: SnapshotMetadata;
  dataBytes: number;
  chunks: number;
}

/** Decoded snapshot chunk record. `data` is a view into the record. */
export interface ChunkRecord {
  snapshotIndex: number;
  chunk: number;
  data: Uint8Array;
}

function writeU64(buf: Buffer, off: number, n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`raft storage: ${field} must be a non-negative safe integer, got ${n}`);
  }
  buf.writeUInt32BE(Math.floor(n / TWO_POW_32), off);
  buf.writeUInt32BE(n >>> 0, off + U32_BYTES);
  return off + U64_BYTES;
}

function readU64(buf: Buffer, off: number, field: string): number {
  const high = buf.readUInt32BE(off);
  if (high > MAX_SAFE_HIGH_HALF) throw new RecordDecodeError(`${field} is not a safe integer`);
  return high * TWO_POW_32 + buf.readUInt32BE(off + U32_BYTES);
}

/** Writes the CRC of buf[4..] (seeded with `seed`) into buf[0..4) and returns buf. */
function seal(buf: Buffer, seed?: Uint8Array): Buffer {
  const init = seed === undefined ? 0 : crc32(seed);
  buf.writeUInt32BE(crc32(buf.subarray(CRC_BYTES), init), 0);
  return buf;
}

/** Throws a RecordDecodeError unless buf is at least minBytes long and its CRC matches. */
function verify(buf: Buffer, minBytes: number, seed?: Uint8Array): void {
  if (buf.length < minBytes) {
    throw new RecordDecodeError(`truncated record: ${buf.length} bytes, need at least ${minBytes}`);
  }
  const init = seed === undefined ? 0 : crc32(seed);
  if (crc32(buf.subarray(CRC_BYTES), init) !== buf.readUInt32BE(0)) {
    throw new RecordDecodeError('checksum mismatch');
  }
}

/** A plain Uint8Array view (not a Buffer) of buf[from..], so callers compare it structurally. */
function view(buf: Buffer, from: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + from, buf.length - from);
}

/** Encodes the format version record. */
export function encodeVersion(version: number): Buffer {
  const b = Buffer.allocUnsafe(VERSION_BYTES);
  b.writeUInt32BE(version, CRC_BYTES);
  return seal(b);
}

/** Decodes the format version record. */
export function decodeVersion(buf: Buffer): number {
  verify(buf, VERSION_BYTES);
  return buf.readUInt32BE(CRC_BYTES);
}

/** Encodes a hard state record. */
export function encodeHardState(hs: HardState): Buffer {
  const b = Buffer.allocUnsafe(HARD_STATE_BYTES);
  let off = writeU64(b, CRC_BYTES, hs.term, 'hard state term');
  off = writeU64(b, off, hs.vote, 'hard state vote');
  writeU64(b, off, hs.commit, 'hard state commit');
  return seal(b);
}

/** Decodes a hard state record. */
export function decodeHardState(buf: Buffer): HardState {
  verify(buf, HARD_STATE_BYTES);
  return {
    term: readU64(buf, CRC_BYTES, 'term'),
    vote: readU64(buf, CRC_BYTES + U64_BYTES, 'vote'),
    commit: readU64(buf, CRC_BYTES + 2 * U64_BYTES, 'commit'),
  };
}

/** Encodes the entry record stored under entryKey(e.index). */
export function encodeEntry(e: Entry): Buffer {
  const b = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + e.data.length);
  const off = writeU64(b, CRC_BYTES, e.term, `term of entry ${e.index}`);
  b[off] = e.type;
  b.set(e.data, ENTRY_HEADER_BYTES);
  return seal(b, u64be(e.index));
}

/** Decodes the entry record found under entryKey(index). `data` is a view into buf. */
export function decodeEntry(index: number, buf: Buffer): Entry {
  verify(buf, ENTRY_HEADER_BYTES, u64be(index));
  const term = readU64(buf, CRC_BYTES, 'term');
  const type = buf[CRC_BYTES + U64_BYTES];
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
    throw new RecordDecodeError(`unknown entry type ${type}`);
  }
  return { index, term, type, data: view(buf, ENTRY_HEADER_BYTES) };
}

/** Encodes the snapshot metadata record. */
export function encodeSnapshotMeta(rec: SnapshotMetaRecord): Buffer {
  const { voters, learners } = rec.metadata.confState;
  const b = Buffer.allocUnsafe(SNAPSHOT_META_FIXED_BYTES + (voters.length + learners.length) * U64_BYTES);
  let off = writeU64(b, CRC_BYTES, rec.metadata.index, 'snapshot index');
  off = writeU64(b, off, rec.metadata.term, 'snapshot term');
  off = writeU64(b, off, rec.dataBytes, 'snapshot data length');
  off = b.writeUInt32BE(rec.chunks, off);
  for (const ids of [voters, learners]) {
    off = b.writeUInt32BE(ids.length, off);
    for (const id of ids) off = writeU64(b, off, id, 'snapshot member id');
  }
  return seal(b);
}

/** Decodes the snapshot metadata record. */
export function decodeSnapshotMeta(buf: Buffer): SnapshotMetaRecord {
  verify(buf, SNAPSHOT_META_FIXED_BYTES);
  const index = readU64(buf, CRC_BYTES, 'index');
  const term = readU64(buf, CRC_BYTES + U64_BYTES, 'term');
  const dataBytes = readU64(buf, CRC_BYTES + 2 * U64_BYTES, 'data length');
  let off = CRC_BYTES + 3 * U64_BYTES;
  const chunks = buf.readUInt32BE(off);
  off += U32_BYTES;
  const readIds = (what: string): number[] => {
    if (off + U32_BYTES > buf.length) throw new RecordDecodeError(`truncated record: no ${what} count`);
    const n = buf.readUInt32BE(off);
    off += U32_BYTES;
    if (off + n * U64_BYTES > buf.length) throw new RecordDecodeError(`truncated record: ${n} ${what}`);
    const ids: number[] = [];
    for (let i = 0; i < n; i++, off += U64_BYTES) ids.push(readU64(buf, off, what));
    return ids;
  };
  const confState: ConfState = { voters: readIds('voters'), learners: readIds('learners') };
  if (off !== buf.length) throw new RecordDecodeError(`${buf.length - off} trailing bytes`);
  return { metadata: { index, term, confState }, dataBytes, chunks };
}

/** Encodes snapshot data chunk `chunk` of the snapshot at `snapshotIndex`. */
export function encodeChunk(snapshotIndex: number, chunk: number, data: Uint8Array): Buffer {
  return encodeChunkInto(Buffer.allocUnsafe(chunkRecordBytes(data.length)), snapshotIndex, chunk, data);
}

/** Bytes of the record of a chunk of `dataBytes` bytes. */
export function chunkRecordBytes(dataBytes: number): number {
  return CHUNK_HEADER_BYTES + dataBytes;
}

/**
 * encodeChunk into the start of `into` (at least chunkRecordBytes(data.length) long), so a
 * writer of many chunks can reuse one buffer; returns the record, a view of `into`.
 */
export function encodeChunkInto(into: Buffer, snapshotIndex: number, chunk: number, data: Uint8Array): Buffer {
  const b = into.subarray(0, chunkRecordBytes(data.length));
  const off = writeU64(b, CRC_BYTES, snapshotIndex, 'snapshot index');
  b.writeUInt32BE(chunk, off);
  b.set(data, CHUNK_HEADER_BYTES);
  return seal(b);
}

/** Decodes a snapshot data chunk record. `data` is a view into buf. */
export function decodeChunk(buf: Buffer): ChunkRecord {
  verify(buf, CHUNK_HEADER_BYTES);
  return {
    snapshotIndex: readU64(buf, CRC_BYTES, 'snapshot index'),
    chunk: buf.readUInt32BE(CRC_BYTES + U64_BYTES),
    data: view(buf, CHUNK_HEADER_BYTES),
  };
}

/** Encodes the meta record `name`. */
export function encodeMeta(name: string, value: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(CRC_BYTES + value.length);
  b.set(value, CRC_BYTES);
  return seal(b, Buffer.from(name, 'utf8'));
}

/** Decodes the meta record `name`. The value is a view into buf. */
export function decodeMeta(name: string, buf: Buffer): Uint8Array {
  verify(buf, CRC_BYTES, Buffer.from(name, 'utf8'));
  return view(buf, CRC_BYTES);
}
