import { status as GrpcStatus } from '@grpc/grpc-js';
import { KeyValue } from '../../gen/etcd/kv';
import { StoreError } from '../errors';
import { crc32 } from './crc32';
import { KeyRecord, toKey } from './key-index';
import { Lessor } from './lessor';
import { KeyHistoryState, MvccState, MvccStore } from './mvcc-store';

/**
 * Snapshot of the replicated state machine: MVCC store + leases + applied index.
 *
 * Layout (little-endian): "BMVC", format version (u8), then appliedIndex, currentRevision,
 * compactRevision (f64 each — exact for every integer below 2^53), the leases (u32 count, then
 * id f64, ttl f64 each), the keys in byte order (u32 count, then per key: u32 length + bytes,
 * u32 record count, then per record: main f64, sub u32, flags u8 (1 = tombstone) and, for a
 * put, createRevision f64, version f64, lease f64, u32 length + value bytes), and last a CRC-32
 * of everything before it. Records are those retained by the last compaction, so a restored store
 * answers every read, watch and compaction exactly like the original.
 */

/** Current snapshot format version. */
export const SNAPSHOT_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('BMVC', 'latin1');
const FLAG_TOMBSTONE = 1;
const EMPTY = Buffer.alloc(0);

/** A snapshot failed its checksum or structure checks; nothing was restored. */
export class ErrSnapshotCorrupt extends StoreError {
  override readonly name = 'ErrSnapshotCorrupt';
  constructor(detail: string) {
    super(GrpcStatus.DATA_LOSS, `mvcc: snapshot is corrupt: ${detail}`);
  }
}

/** What a snapshot holds once decoded. */
export interface DecodedSnapshot {
  appliedIndex: number;
  mvcc: MvccState;
  leases: { id: number; ttl: number }[];
}

/** Serializes the state of `store` and `lessor` as of raft index `appliedIndex`. */
export function serializeSnapshot(parts: { store: MvccStore; lessor: Lessor; appliedIndex: number }): Buffer {
  const { store, lessor, appliedIndex } = parts;
  const leases = lessor.exportLeases();
  const histories: KeyHistoryState[] = [...store.exportHistories()];

  let size = MAGIC.length + 1 + 3 * 8 + 4 + leases.length * 16 + 4;
  for (const h of histories) {
    size += 4 + h.keyBytes.length + 4;
    for (const r of h.records) size += 8 + 4 + 1 + (r.tombstone ? 0 : 8 * 3 + 4 + r.kv.value.length);
  }
  size += 4;

  const buf = Buffer.allocUnsafe(size);
  let o = MAGIC.copy(buf, 0);
  o = buf.writeUInt8(SNAPSHOT_FORMAT_VERSION, o);
  o = buf.writeDoubleLE(appliedIndex, o);
  o = buf.writeDoubleLE(store.currentRevision, o);
  o = buf.writeDoubleLE(store.compactRevision, o);
  o = buf.writeUInt32LE(leases.length, o);
  for (const l of leases) {
    o = buf.writeDoubleLE(l.id, o);
    o = buf.writeDoubleLE(l.ttl, o);
  }
  o = buf.writeUInt32LE(histories.length, o);
  for (const h of histories) {
    o = buf.writeUInt32LE(h.keyBytes.length, o);
    o += h.keyBytes.copy(buf, o);
    o = buf.writeUInt32LE(h.records.length, o);
    for (const r of h.records) {
      o = buf.writeDoubleLE(r.main, o);
      o = buf.writeUInt32LE(r.sub, o);
      o = buf.writeUInt8(r.tombstone ? FLAG_TOMBSTONE : 0, o);
      if (r.tombstone) continue;
      o = buf.writeDoubleLE(r.kv.createRevision, o);
      o = buf.writeDoubleLE(r.kv.version, o);
      o = buf.writeDoubleLE(r.kv.lease, o);
      o = buf.writeUInt32LE(r.kv.value.length, o);
      o += r.kv.value.copy(buf, o);
    }
  }
  o = buf.writeUInt32LE(crc32(buf.subarray(0, o)), o);
  if (o !== size) throw new Error(`snapshot: wrote ${o} bytes, expected ${size}`);
  return buf;
}

/** Bounds-checked little-endian reader; any overrun means corruption. */
class Reader {
  private o = 0;
  constructor(private readonly b: Buffer, private readonly end: number) {}
  private need(n: number): number {
    const at = this.o;
    if (at + n > this.end) throw new ErrSnapshotCorrupt(`truncated at byte ${at}`);
    this.o += n;
    return at;
  }
  u8(): number {
    return this.b.readUInt8(this.need(1));
  }
  u32(): number {
    return this.b.readUInt32LE(this.need(4));
  }
  int(what: string): number {
    const v = this.b.readDoubleLE(this.need(8));
    if (!Number.isSafeInteger(v)) throw new ErrSnapshotCorrupt(`${what} is not an integer`);
    return v;
  }
  bytes(n: number): Buffer {
    const at = this.need(n);
    return Buffer.from(this.b.subarray(at, at + n));
  }
  get done(): boolean {
    return this.o === this.end;
  }
}

/** Decodes and validates a snapshot without touching any live state. Throws ErrSnapshotCorrupt. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < MAGIC.length + 1 + 4 || !b.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ErrSnapshotCorrupt('bad magic');
  }
  const end = b.length - 4;
  if (crc32(b.subarray(0, end)) !== b.readUInt32LE(end)) throw new ErrSnapshotCorrupt('checksum mismatch');
  const r = new Reader(b, end);
  r.bytes(MAGIC.length);
  const version = r.u8();
  if (version !== SNAPSHOT_FORMAT_VERSION) throw new ErrSnapshotCorrupt(`unsupported format version ${version}`);
  const appliedIndex = r.int('applied index');
  const currentRevision = r.int('current revision');
  const compactRevision = r.int('compact revision');
  if (compactRevision > currentRevision) throw new ErrSnapshotCorrupt('compact revision above current');

  const leases: { id: number; ttl: number }[] = [];
  for (let n = r.u32(); n > 0; n--) leases.push({ id: r.int('lease id'), ttl: r.int('lease ttl') });
  const leaseIds = new Set(leases.map((l) => l.id));

  const histories: KeyHistoryState[] = [];
  let prevKey: string | undefined;
  for (let n = r.u32(); n > 0; n--) {
    const keyBytes = r.bytes(r.u32());
    const key = toKey(keyBytes);
    if (keyBytes.length === 0 || (prevKey !== undefined && key <= prevKey)) throw new ErrSnapshotCorrupt('keys out of order');
    prevKey = key;
    const records: KeyRecord[] = [];
    for (let m = r.u32(); m > 0; m--) {
      const main = r.int('revision');
      const sub = r.u32();
      const tombstone = (r.u8() & FLAG_TOMBSTONE) !== 0;
      const last = records[records.length - 1];
      if (main > currentRevision || (last !== undefined && (last.main > main || (last.main === main && last.sub >= sub)))) {
        throw new ErrSnapshotCorrupt(`bad revision ${main}.${sub}`);
      }
      let kv: KeyValue;
      if (tombstone) {
        kv = { key: keyBytes, createRevision: 0, modRevision: main, version: 0, value: EMPTY, lease: 0 };
      } else {
        const createRevision = r.int('create revision');
        const version = r.int('version');
        const lease = r.int('lease');
        const value = r.bytes(r.u32());
        kv = { key: keyBytes, createRevision, modRevision: main, version, value, lease };
      }
      records.push({ key, main, sub, tombstone, kv });
    }
    const live = records[records.length - 1];
    if (live === undefined) throw new ErrSnapshotCorrupt('key without records');
    if (!live.tombstone && live.kv.lease !== 0 && !leaseIds.has(live.kv.lease)) {
      throw new ErrSnapshotCorrupt(`key attached to unknown lease ${live.kv.lease}`);
    }
    histories.push({ keyBytes, records });
  }
  if (!r.done) throw new ErrSnapshotCorrupt('trailing bytes');
  return { appliedIndex, mvcc: { currentRevision, compactRevision, histories }, leases };
}

/**
 * Replaces the state of `store` and `lessor` with a snapshot's (watchers on the store catch up
 * from the restored revision log). Returns the snapshot's applied index. A corrupt snapshot
 * throws ErrSnapshotCorrupt and leaves the live state untouched.
 */
export function restoreSnapshot(bytes: Uint8Array, parts: { store: MvccStore; lessor: Lessor }): number {
  const snap = decodeSnapshot(bytes);
  parts.store.loadState(snap.mvcc);
  parts.lessor.loadLeases(snap.leases);
  return snap.appliedIndex;
}

/** Byte offset of the applied index in the layout above (after the magic and the version). */
const APPLIED_INDEX_OFFSET = MAGIC.length + 1;

/**
 * The same snapshot recorded as applied at raft index `appliedIndex`: a restored backup
 * starts a new raft log, whose entries the state machine must not mistake for ones it already
 * applied. Validates `bytes` first (throws ErrSnapshotCorrupt) and never modifies them.
 */
export function withAppliedIndex(bytes: Uint8Array, appliedIndex: number): Buffer {
  decodeSnapshot(bytes);
  if (!Number.isSafeInteger(appliedIndex) || appliedIndex < 0) throw new RangeError(`applied index ${appliedIndex} is not a non-negative integer`);
  const out = Buffer.from(bytes);
  out.writeDoubleLE(appliedIndex, APPLIED_INDEX_OFFSET);
  const end = out.length - 4;
  out.writeUInt32LE(crc32(out.subarray(0, end)), end);
  return out;
}
