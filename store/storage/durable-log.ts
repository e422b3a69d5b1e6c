import { mkdir } from 'fs/promises';
import { Level } from 'level';
import type { Logger } from 'pino';
import { Entry, HardState, Snapshot } from '../raft/types';
import { CorruptStorageError } from './corrupt-storage-error';
import {
  CHUNK_RANGE,
  ENTRY_RANGE,
  LEGACY_CHUNK_RANGE,
  HARD_STATE_KEY,
  META_RANGE,
  SNAPSHOT_META_KEY,
  VERSION_KEY,
  chunkKey,
  chunkOfKey,
  chunkRange,
  legacyChunkKey,
  legacyChunkOfKey,
  entryIndexOfKey,
  entryKey,
  metaKey,
  metaNameOfKey,
} from './keys';
import {
  FORMAT_VERSION,
  RecordDecodeError,
  decodeChunk,
  decodeEntry,
  decodeHardState,
  decodeMeta,
  decodeSnapshotMeta,
  decodeVersion,
  chunkRecordBytes,
  encodeChunk,
  encodeChunkInto,
  encodeEntry,
  encodeHardState,
  encodeMeta,
  encodeSnapshotMeta,
  encodeVersion,
} from './records';

/** Snapshot data is split into records of at most this many bytes (1 MiB). */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/**
 * compact() clears at most this many entry indexes per step, yielding in between: about a
 * millisecond of LevelDB work, so a log append never waits long behind a step.
 */
export const COMPACT_BATCH_KEYS = 1000;

/** Everything the member needs at restart, as last durably saved. */
export interface PersistedState {
  /** {0, NONE, 0} if never saved. */
  hardState: HardState;
  /** The newest saved snapshot, with its data reassembled. */
  snapshot?: Snapshot;
  /** The log after the snapshot index (or from index 1): contiguous, checksummed, verified. */
  entries: Entry[];
  /** Every record stored with setMeta(). */
  meta: Record<string, Uint8Array>;
}

/** One Ready's worth of durable state; see DurableLog.save(). */
export interface SaveBatch {
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
}

/** Options of DurableLog.open(). */
export interface DurableLogOptions {
  /** Parent logger; the log binds {component: 'durable-log', dir}. Silent if absent. */
  logger?: Logger;
}

type Db = Level<Buffer, Buffer>;
type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

/**
 * The raft member's durable state in one LevelDB directory: hard state, log entries (one key
 * per entry, see keys.ts), the latest snapshot and small member metadata. Every record is
 * checksummed (see records.ts); load() verifies all of it.
 *
 * The member loop writes each Ready with save() — one atomic batch, fsynced when raft says
 * mustSync — before it updates the in-memory raft storage or sends messages, and calls load()
 * once at restart. Its own snapshots go through saveSnapshotInSteps(), which writes the data
 * a chunk at a time so log appends are not stuck behind it. Writes (save, setMeta, snapshot
 * and compact steps) are serialized internally in call order, so the caller may fire them
 * without awaiting the previous one.
 *
 * The visible log is always [snapshotIndex + 1, lastIndex], contiguous. Entry keys at or below
 * the snapshot index are dead (load() never reads them) until compact() removes them.
 */
export class DurableLog {
  /** Serializes writes: each one starts after the previous settles. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly db: Db,
    private readonly logger: Logger | undefined,
    /** Index of the latest saved snapshot (0 if none). */
    private snapIndex: number,
    /** Term of the latest saved snapshot (0 if none). */
    private snapTerm: number,
    /** Number of data chunk records of the latest snapshot. */
    private snapChunks: number,
    /** The latest snapshot's chunks are under legacy keys (a data directory of older code). */
    private snapLegacy: boolean,
    /** No entry key (visible or dead) is below this index; undefined if there are none. */
    private storedFirst: number | undefined,
    /** Index of the last visible entry, or snapIndex if the visible log is empty. */
    private last: number,
  ) {}

  /**
   * Opens (creating if needed) the log in `dir` and reads just enough to accept writes: the
   * snapshot metadata and the first and last entry keys. Call load() before the first save().
   */
  static async open(dir: string, opts: DurableLogOptions = {}): Promise<DurableLog> {
    await mkdir(dir, { recursive: true });
    const db: Db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      const versionRec = await db.get(VERSION_KEY);
      if (versionRec === undefined) {
        await db.put(VERSION_KEY, encodeVersion(FORMAT_VERSION), { sync: true });
      } else {
        const version = decodeRecord(dir, 'format version', () => decodeVersion(versionRec));
        if (version !== FORMAT_VERSION) {
          throw new CorruptStorageError(dir, 'format version', `unsupported format version ${version}`);
        }
      }
      const snapRec = await db.get(SNAPSHOT_META_KEY);
      const snap = snapRec && decodeRecord(dir, 'snapshot metadata', () => decodeSnapshotMeta(snapRec));
      const snapIndex = snap?.metadata.index ?? 0;
      const snapChunks = snap?.chunks ?? 0;
      const snapLegacy = snapChunks > 0 && (await db.keys({ ...chunkRange(snapIndex, snapChunks), limit: 1 }).all()).length === 0;
      await deleteUnusedChunks(db, snap === undefined ? undefined : { index: snapIndex, chunks: snapLegacy ? 0 : snapChunks });
      const [firstKey] = await db.keys({ ...ENTRY_RANGE, limit: 1 }).all();
      const [lastKey] = await db.keys({ ...ENTRY_RANGE, limit: 1, reverse: true }).all();
      const storedFirst = firstKey && entryIndexOfKey(firstKey);
      const storedLast = lastKey && entryIndexOfKey(lastKey);
      const log = new DurableLog(
        dir,
        db,
        opts.logger?.child({ component: 'durable-log', dir }),
        snapIndex,
        snap?.metadata.term ?? 0,
        snapChunks,
        snapLegacy,
        storedFirst,
        Math.max(snapIndex, storedLast ?? 0),
      );
      log.logger?.info({ snapshotIndex: snapIndex, lastIndex: log.last }, 'opened raft storage');
      return log;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Index of the latest saved snapshot (0 if none); the visible log starts after it. */
  get snapshotIndex(): number {
    return this.snapIndex;
  }

  /** Index of the last saved entry, or snapshotIndex if the log after it is empty. */
  get lastIndex(): number {
    return this.last;
  }

  /**
   * Reads and verifies everything: every record's checksum, the log's contiguity from
   * snapshotIndex + 1, non-decreasing terms, the snapshot's chunks, and hardState.commit ≤ the
   * last index. Throws CorruptStorageError naming the directory, record and problem.
   */
  async load(): Promise<PersistedState> {
    return this.exclusive(async () => {
      const hsRec = await this.db.get(HARD_STATE_KEY);
      const hardState = hsRec ? this.decode('hard state', () => decodeHardState(hsRec)) : { ...EMPTY_HARD_STATE };
      const snapshot = await this.loadSnapshot();
      const snapIndex = snapshot?.metadata.index ?? 0;
      const snapTerm = snapshot?.metadata.term ?? 0;

      const entries: Entry[] = [];
      let prevIndex = snapIndex;
      let prevTerm = snapTerm;
      for await (const [key, value] of this.db.iterator({ gt: entryKey(snapIndex), lt: ENTRY_RANGE.lt })) {
        const index = entryIndexOfKey(key);
        if (index === undefined) throw this.corrupt(`entry key ${key.toString('hex')}`, 'malformed key');
        const record = `entry ${index}`;
        if (index !== prevIndex + 1) throw this.corrupt(record, `gap after ${prevIndex}: next is ${index}`);
        const entry = this.decode(record, () => decodeEntry(index, value));
        if (entry.term < prevTerm) {
          throw this.corrupt(record, `term ${entry.term} is below term ${prevTerm} of the entry before it`);
        }
        entries.push(entry);
        prevIndex = index;
        prevTerm = entry.term;
      }
      if (hardState.commit > prevIndex) {
        throw this.corrupt('hard state', `commit ${hardState.commit} is beyond the last index ${prevIndex}`);
      }

      const meta: Record<string, Uint8Array> = {};
      for await (const [key, value] of this.db.iterator(META_RANGE)) {
        const name = metaNameOfKey(key);
        meta[name] = this.decode(`meta ${name}`, () => decodeMeta(name, value));
      }

      this.snapIndex = snapIndex;
      this.snapTerm = snapTerm;
      this.last = prevIndex;
      return { hardState, snapshot, entries, meta };
    });
  }

  /**
   * Durably writes one Ready in ONE LevelDB batch, fsynced iff `sync`:
   *  - `snapshot`: replaces the stored snapshot (metadata + 1 MiB data chunks). The log then
   *    starts at snapshot.index + 1. Entries after it are kept only if the stored entry at the
   *    snapshot index has the snapshot's term; otherwise they are deleted. Entries at or
   *    below the snapshot index become dead and are reclaimed by compact().
   *  - `entries` (contiguous): entries at or below the snapshot index are ignored; the rest
   *    must start at most at lastIndex + 1 and replace any stored entries from their first
   *    index on (a new leader overwrote this member's uncommitted suffix).
   *  - `hardState`: replaces the stored one.
   * Resolves once LevelDB acknowledged the batch (on disk, if `sync`). Throws a RangeError
   * for batches that would break the log's invariants (gap, stale snapshot).
   */
  async save(batch: SaveBatch, sync: boolean): Promise<void> {
    return this.exclusive(async () => {
      const ops: BatchOp[] = [];
      let { snapIndex, snapTerm, snapChunks, snapLegacy, storedFirst, last } = this;
      if (batch.snapshot) {
        const { metadata, data } = batch.snapshot;
        if (metadata.index < snapIndex) {
          throw new RangeError(`raft storage: snapshot ${metadata.index} is older than the stored snapshot ${snapIndex}`);
        }
        last = await this.pushSnapshotSwitch(ops, batch.snapshot, last);
        const chunks = chunkCount(data);
        for (let c = 0; c < chunks; c++) ops.push(this.chunkPut(batch.snapshot, c));
        ({ index: snapIndex, term: snapTerm } = metadata);
        snapChunks = chunks;
        snapLegacy = false;
      }

      const entries = batch.entries.filter((e) => e.index > snapIndex);
      if (entries.length > 0) {
        const first = entries[0].index;
        entries.forEach((e, i) => {
          if (e.index !== first + i) {
            throw new RangeError(`raft storage: entries to save are not contiguous at index ${e.index}`);
          }
        });
        if (first > last + 1) {
          throw new RangeError(`raft storage: appending at ${first} would leave a gap after the last index ${last}`);
        }
        this.pushDeletes(ops, entries[entries.length - 1].index + 1, last);
        for (const e of entries) ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
        storedFirst = Math.min(storedFirst ?? first, first);
        last = entries[entries.length - 1].index;
      }

      if (batch.hardState) ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(batch.hardState) });
      if (ops.length === 0) return;
      await this.db.batch(ops, { sync });
      Object.assign(this, { snapIndex, snapTerm, snapChunks, snapLegacy, storedFirst, last });
    });
  }

  /**
   * Durably replaces the stored snapshot with `snapshot`, one of the member's own (its index is
   * committed and applied here), without holding up other writes: each data chunk goes in its
   * own unsynced batch, with whatever save() calls came meanwhile in between, then one small
   * synced batch switches the metadata record to the new snapshot and deletes the previous
   * one's chunks (a synced LevelDB write makes every earlier write durable too). Until that
   * batch, load() finds the previous snapshot, complete: a crash in between leaves unused
   * chunks, which open() deletes.
   *
   * Resolves true once the snapshot is the stored one; false, having written nothing that
   * matters, if a snapshot at or past its index was saved meanwhile (one from the leader) or
   * `signal` was aborted (the member stops).
   */
  async saveSnapshotInSteps(snapshot: Snapshot, signal?: AbortSignal): Promise<boolean> {
    const { index } = snapshot.metadata;
    const chunks = chunkCount(snapshot.data);
    // One record buffer for every chunk: LevelDB has copied a batch once its write resolved,
    // and 1 MiB Buffers per chunk are garbage that pushes V8 into full collections.
    const record = Buffer.allocUnsafe(chunkRecordBytes(Math.min(SNAPSHOT_CHUNK_BYTES, snapshot.data.length)));
    let written = 0;
    const superseded = (): boolean => signal?.aborted === true || index <= this.snapIndex;
    /** Deletes the chunks written so far, unless a snapshot at the same index owns those keys now. */
    const abandon = async (): Promise<boolean> => {
      if (index !== this.snapIndex && written > 0) {
        const ops: BatchOp[] = [];
        for (let c = 0; c < written; c++) ops.push({ type: 'del', key: chunkKey(index, c) });
        await this.db.batch(ops, { sync: false });
      }
      return false;
    };
    while (written < chunks) {
      const ok = await this.exclusive(async () => {
        if (superseded()) return abandon();
        await this.db.batch([this.chunkPut(snapshot, written, record)], { sync: false });
        written++;
        return true;
      });
      if (!ok) return false;
    }
    return this.exclusive(async () => {
      if (superseded()) return abandon();
      const ops: BatchOp[] = [];
      const last = await this.pushSnapshotSwitch(ops, snapshot, this.last);
      await this.db.batch(ops, { sync: true });
      Object.assign(this, { snapIndex: index, snapTerm: snapshot.metadata.term, snapChunks: chunks, snapLegacy: false, last });
      return true;
    });
  }

  /**
   * Stores a small member record (cluster id, member id, membership, …) under `name`,
   * returned by load() in `meta`. Fsynced unless `sync` is false.
   */
  async setMeta(name: string, value: Uint8Array, sync = true): Promise<void> {
    return this.exclusive(() => this.db.put(metaKey(name), encodeMeta(name, value), { sync }));
  }

  /**
   * Deletes the stored entries ≤ min(index, snapshotIndex) — never an entry the visible log
   * still needs — a range of at most COMPACT_BATCH_KEYS indexes per step, yielding to the event
   * loop between steps so saves interleave. Each step is a LevelDB range clear starting at the
   * first stored key (no keys pass through JS: listing and deleting 95k keys one by one cost a
   * second of CPU right after every snapshot). Not fsynced: a crash only leaves dead keys.
   */
  async compact(index: number, signal?: AbortSignal): Promise<void> {
    let cleared: { from: number; to: number } | undefined;
    for (;;) {
      const done = await this.exclusive(async () => {
        if (signal?.aborted) return true;
        const target = Math.min(index, this.snapIndex);
        if (this.storedFirst === undefined || this.storedFirst > target) return true;
        const [firstKey] = await this.db.keys({ gte: entryKey(this.storedFirst), lte: entryKey(target), limit: 1 }).all();
        const from = firstKey && entryIndexOfKey(firstKey);
        const to = from === undefined ? target : Math.min(target, from + COMPACT_BATCH_KEYS - 1);
        if (from !== undefined) {
          await this.db.clear({ gte: entryKey(from), lte: entryKey(to) });
          cleared = { from: cleared?.from ?? from, to };
        }
        this.storedFirst = to + 1 <= this.last ? to + 1 : undefined;
        return to === target;
      });
      if (done) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (cleared) this.logger?.info({ compactIndex: index, ...cleared }, 'compacted raft log');
  }

  /** Waits for pending writes and closes the database. */
  async close(): Promise<void> {
    await this.tail;
    await this.db.close();
  }

  /** Runs fn after every earlier write settled; a failure does not stop later ones. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Appends what makes `snapshot` the stored one, except its data chunks: deletes of the current
   * snapshot's chunks (first, so chunks of a snapshot at the same index put after them stay),
   * of the entries after it unless the stored entry at its index has its term, and its metadata
   * record. Returns the last index after the batch.
   */
  private async pushSnapshotSwitch(ops: BatchOp[], snapshot: Snapshot, last: number): Promise<number> {
    const { metadata, data } = snapshot;
    for (let c = 0; c < this.snapChunks; c++) {
      ops.push({ type: 'del', key: this.snapLegacy ? legacyChunkKey(c) : chunkKey(this.snapIndex, c) });
    }
    const consistent =
      metadata.index <= last && (await this.termAt(metadata.index, this.snapIndex, this.snapTerm)) === metadata.term;
    if (!consistent) {
      this.pushDeletes(ops, metadata.index + 1, last);
      last = metadata.index;
    }
    ops.push({
      type: 'put',
      key: SNAPSHOT_META_KEY,
      value: encodeSnapshotMeta({ metadata, dataBytes: data.length, chunks: chunkCount(data) }),
    });
    return last;
  }

  /** The put of data chunk `c` of `snapshot`, encoded into `into` if given (see encodeChunkInto). */
  private chunkPut(snapshot: Snapshot, c: number, into?: Buffer): BatchOp {
    const { metadata, data } = snapshot;
    const part = data.subarray(c * SNAPSHOT_CHUNK_BYTES, (c + 1) * SNAPSHOT_CHUNK_BYTES);
    const value = into ? encodeChunkInto(into, metadata.index, c, part) : encodeChunk(metadata.index, c, part);
    return { type: 'put', key: chunkKey(metadata.index, c), value };
  }

  /** Appends deletes for entry keys [from, to] (nothing if from > to). */
  private pushDeletes(ops: BatchOp[], from: number, to: number): void {
    for (let i = from; i <= to; i++) ops.push({ type: 'del', key: entryKey(i) });
  }

  /** Term of the stored entry at `index` (the snapshot's term at the snapshot index). */
  private async termAt(index: number, snapIndex: number, snapTerm: number): Promise<number | undefined> {
    if (index === snapIndex) return snapTerm;
    if (index < snapIndex) return undefined;
    const value = await this.db.get(entryKey(index));
    if (value === undefined) throw this.corrupt(`entry ${index}`, 'missing below the last index');
    return this.decode(`entry ${index}`, () => decodeEntry(index, value)).term;
  }

  /**
   * The stored snapshot's data, read back and verified (for a follower that needs the snapshot
   * after the member let go of its copy in memory). Rejects if the stored snapshot is no longer
   * the one at `index`.
   */
  async readSnapshotData(index: number): Promise<Uint8Array> {
    const snapshot = await this.exclusive(() => this.loadSnapshot());
    if (snapshot?.metadata.index !== index) {
      throw new Error(`raft storage: snapshot ${index} is no longer stored (now ${snapshot?.metadata.index ?? 'none'})`);
    }
    return snapshot.data;
  }

  /** Reads the snapshot metadata and reassembles its data chunks, verifying each. */
  private async loadSnapshot(): Promise<Snapshot | undefined> {
    const metaRec = await this.db.get(SNAPSHOT_META_KEY);
    if (metaRec === undefined) {
      const [stray] = await this.db.keys({ ...LEGACY_CHUNK_RANGE, limit: 1 }).all();
      if (stray) throw this.corrupt(`snapshot chunk ${legacyChunkOfKey(stray)}`, 'chunk without snapshot metadata');
      return undefined;
    }
    const { metadata, dataBytes, chunks } = this.decode('snapshot metadata', () => decodeSnapshotMeta(metaRec));
    const data = new Uint8Array(dataBytes);
    let offset = 0;
    let expected = 0;
    // Only this snapshot's chunks: those of an unfinished newer one are not part of it.
    const range = this.snapLegacy ? LEGACY_CHUNK_RANGE : chunkRange(metadata.index, chunks);
    for await (const [key, value] of this.db.iterator(range)) {
      const chunk = this.snapLegacy ? legacyChunkOfKey(key) : chunkOfKey(key)?.chunk;
      const record = `snapshot chunk ${chunk ?? key.toString('hex')}`;
      if (chunk !== expected) throw this.corrupt(record, `expected chunk ${expected} of ${chunks}`);
      const rec = this.decode(record, () => decodeChunk(value));
      if (rec.snapshotIndex !== metadata.index || rec.chunk !== chunk) {
        throw this.corrupt(record, `belongs to snapshot ${rec.snapshotIndex} chunk ${rec.chunk}, not ${metadata.index}`);
      }
      if (offset + rec.data.length > dataBytes) throw this.corrupt(record, `data exceeds ${dataBytes} bytes`);
      data.set(rec.data, offset);
      offset += rec.data.length;
      expected++;
    }
    if (expected !== chunks || offset !== dataBytes) {
      throw this.corrupt('snapshot data', `truncated: ${expected} of ${chunks} chunks, ${offset} of ${dataBytes} bytes`);
    }
    return { metadata, data };
  }

  private decode<T>(record: string, fn: () => T): T {
    return decodeRecord(this.dir, record, fn);
  }

  private corrupt(record: string, problem: string): CorruptStorageError {
    return new CorruptStorageError(this.dir, record, problem);
  }
}

/** Number of SNAPSHOT_CHUNK_BYTES records `data` takes. */
function chunkCount(data: Uint8Array): number {
  return Math.ceil(data.length / SNAPSHOT_CHUNK_BYTES);
}

/**
 * Deletes every chunk key except chunks [0, keep.chunks) of the snapshot at keep.index: those
 * of snapshots whose writing a crash interrupted (never switched to). Not fsynced: they are
 * never read, so a crash only leaves them for the next open.
 */
async function deleteUnusedChunks(db: Db, keep: { index: number; chunks: number } | undefined): Promise<void> {
  const ops: BatchOp[] = [];
  for await (const key of db.keys(CHUNK_RANGE)) {
    const at = chunkOfKey(key);
    if (keep === undefined || at === undefined || at.index !== keep.index || at.chunk >= keep.chunks) ops.push({ type: 'del', key });
  }
  if (ops.length > 0) await db.batch(ops, { sync: false });
}

/** Runs a record decoder, turning a RecordDecodeError into a CorruptStorageError. */
function decodeRecord<T>(dir: string, record: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RecordDecodeError) throw new CorruptStorageError(dir, record, err.problem);
    throw err;
  }
}
