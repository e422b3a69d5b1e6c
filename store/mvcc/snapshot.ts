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

/**
 * A consistent view of the state machine taken in one synchronous step: the scalars and leases
 * by value, the key histories' retained records by reference, in flat arrays (one allocation
 * per array, not per key, so capturing 100k keys stays a few ms of work and little garbage).
 * KeyRecord objects are immutable, and the record references are copied out of the live
 * arrays (which compaction splices), so later writes, compactions or a restore do not change
 * what is captured.
 */
export interface SnapshotCapture {
  readonly appliedIndex: number;
  readonly currentRevision: number;
  readonly compactRevision: number;
  readonly leases: readonly { id: number; ttl: number }[];
  /** Every key with retained records, in key order. */
  readonly keys: readonly Buffer[];
  /** recordCounts[i] records of records[] belong to keys[i]. */
  readonly recordCounts: readonly number[];
  /** The retained records, key after key, each key's ascending (pruned at compactRevision). */
  readonly records: readonly KeyRecord[];
}

/** Captures the state of `store` and `lessor` as of raft index `appliedIndex` (O(records) references, no values copied). */
export function captureSnapshot(parts: { store: MvccStore; lessor: Lessor; appliedIndex: number }): SnapshotCapture {
  const { store, lessor, appliedIndex } = parts;
  const keys: Buffer[] = [];
  const recordCounts: number[] = [];
  const records: KeyRecord[] = [];
  for (const h of store.exportHistories()) {
    keys.push(h.keyBytes);
    recordCounts.push(h.records.length);
    for (const r of h.records) records.push(r);
  }
  return {
    appliedIndex,
    currentRevision: store.currentRevision,
    compactRevision: store.compactRevision,
    leases: lessor.exportLeases(),
    keys,
    recordCounts,
    records,
  };
}

/** Bytes of the layout above before the keys. */
function headerSize(snap: SnapshotCapture): number {
  return MAGIC.length + 1 + 3 * 8 + 4 + snap.leases.length * 16 + 4;
}

/** Bytes records[from, to) take (without their keys' headers). */
function recordsSize(records: readonly KeyRecord[], from: number, to: number): number {
  let size = 0;
  for (let i = from; i < to; i++) {
    const r = records[i];
    size += 8 + 4 + 1 + (r.tombstone ? 0 : 8 * 3 + 4 + r.kv.value.length);
  }
  return size;
}

/**
 * Walks a capture a slice of keys at a time: first to size it (sizeKeys), then to write it
 * into `buf` from byte `start` (writeKeys), keeping a running CRC, so a caller can run either
 * pass in one go or in slices that yield to the event loop.
 */
class SnapshotWriter {
  private o = 0;
  private nextKey = 0;
  private nextRecord = 0;
  private crc = 0;
  private crcFrom = 0;
  private buf: Buffer = EMPTY;
  /** Bytes of the snapshot, once sizeKeys has seen every key. */
  size: number;

  constructor(private readonly snap: SnapshotCapture) {
    this.size = headerSize(snap) + 4;
  }

  /** Whether the current pass has seen every key. */
  get done(): boolean {
    return this.nextKey >= this.snap.keys.length;
  }

  /** Adds up to `maxKeys` more keys to `size`. */
  sizeKeys(maxKeys: number): void {
    const { keys, recordCounts, records } = this.snap;
    const end = Math.min(keys.length, this.nextKey + maxKeys);
    let r = this.nextRecord;
    for (let i = this.nextKey; i < end; i++) {
      this.size += 4 + keys[i].length + 4 + recordsSize(records, r, r + recordCounts[i]);
      r += recordCounts[i];
    }
    this.nextKey = end;
    this.nextRecord = r;
  }

  /** Starts the write pass into `buf` (size bytes from `start` on) with the header. */
  begin(buf: Buffer, start: number): void {
    const { snap } = this;
    this.buf = buf;
    let o = start + MAGIC.copy(buf, start);
    o = buf.writeUInt8(SNAPSHOT_FORMAT_VERSION, o);
    o = buf.writeDoubleLE(snap.appliedIndex, o);
    o = buf.writeDoubleLE(snap.currentRevision, o);
    o = buf.writeDoubleLE(snap.compactRevision, o);
    o = buf.writeUInt32LE(snap.leases.length, o);
    for (const l of snap.leases) {
      o = buf.writeDoubleLE(l.id, o);
      o = buf.writeDoubleLE(l.ttl, o);
    }
    this.o = buf.writeUInt32LE(snap.keys.length, o);
    this.crcFrom = start;
    this.nextKey = 0;
    this.nextRecord = 0;
  }

  /** Writes up to `maxKeys` more keys with their records. */
  writeKeys(maxKeys: number): void {
    const { buf } = this;
    const { keys, recordCounts, records } = this.snap;
    let o = this.o;
    let ri = this.nextRecord;
    const end = Math.min(keys.length, this.nextKey + maxKeys);
    for (let i = this.nextKey; i < end; i++) {
      o = buf.writeUInt32LE(keys[i].length, o);
      o += keys[i].copy(buf, o);
      o = buf.writeUInt32LE(recordCounts[i], o);
      for (const last = ri + recordCounts[i]; ri < last; ri++) {
        const r = records[ri];
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
    this.nextKey = end;
    this.nextRecord = ri;
    this.o = o;
    // The CRC runs along, so no step checksums the whole buffer at once.
    this.crc = crc32(buf.subarray(this.crcFrom, o), this.crc);
    this.crcFrom = o;
  }

  /** Writes the CRC; throws if the layout's size was miscounted. */
  finish(): void {
    const o = this.buf.writeUInt32LE(this.crc, this.o);
    if (o !== this.buf.length) throw new Error(`snapshot: wrote up to byte ${o}, expected ${this.buf.length}`);
  }
}

/** Serializes the state of `store` and `lessor` as of raft index `appliedIndex`. */
export function serializeSnapshot(parts: { store: MvccStore; lessor: Lessor; appliedIndex: number }): Buffer {
  const snap = captureSnapshot(parts);
  const w = new SnapshotWriter(snap);
  w.sizeKeys(snap.keys.length);
  const buf = Buffer.allocUnsafe(w.size);
  w.begin(buf, 0);
  w.writeKeys(snap.keys.length);
  w.finish();
  return buf;
}

/** Keys sized or serialized per slice by serializeCaptured (about 0.6 MB of 256-byte values, a few ms). */
export const SERIALIZE_SLICE_KEYS = 2000;

/**
 * Serializes a capture in slices of `sliceKeys` keys, yielding to the event loop (setImmediate)
 * between them, so writes and reads keep being served. The result holds `prefix(size)` followed
 * by the snapshot of `size` bytes (the caller's envelope header goes in front without another
 * copy of the data). Throws `signal.reason` if the signal is aborted between slices.
 */
export async function serializeCaptured(
  snap: SnapshotCapture,
  opts: { prefix?: (snapshotBytes: number) => Uint8Array; sliceKeys?: number; signal?: AbortSignal } = {},
): Promise<Buffer> {
  const sliceKeys = opts.sliceKeys ?? SERIALIZE_SLICE_KEYS;
  const pause = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    opts.signal?.throwIfAborted();
  };
  const w = new SnapshotWriter(snap);
  // Sizing is cheap per key but not for 100k keys at once: sliced too.
  for (w.sizeKeys(sliceKeys); !w.done; w.sizeKeys(sliceKeys)) await pause();
  const prefix = opts.prefix?.(w.size) ?? EMPTY;
  const buf = Buffer.allocUnsafe(prefix.length + w.size);
  buf.set(prefix, 0);
  w.begin(buf, prefix.length);
  for (w.writeKeys(sliceKeys); !w.done; w.writeKeys(sliceKeys)) await pause();
  w.finish();
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
