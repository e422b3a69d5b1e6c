import { KeyValue } from '../../gen/etcd/kv';

/**
 * The in-memory key index: every key the store has seen (and not yet compacted away), in byte
 * order, each with its revision history.
 *
 * Keys are held as 'latin1' strings: one char per byte, so JS string order is byte order and
 * Map lookups are fast. {@link toKey} / {@link toBytes} convert at the edges.
 */

/** Converts key bytes to the index's string form. */
export function toKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Converts an index key back to bytes. */
export function toBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/**
 * One change of one key at revision {main, sub}. For a put, `kv` is the full key-value as of
 * that revision; for a delete (`tombstone`), `kv` carries only the key and modRevision = main,
 * which is exactly the `kv` of an etcd DELETE event. Records and their `kv` are shared with
 * readers and must never be mutated.
 */
export interface KeyRecord {
  readonly key: string;
  readonly main: number;
  readonly sub: number;
  readonly tombstone: boolean;
  readonly kv: KeyValue;
}

/** Orders two revisions: negative if (m1,s1) < (m2,s2). */
export function compareRevision(m1: number, s1: number, m2: number, s2: number): number {
  return m1 !== m2 ? m1 - m2 : s1 - s2;
}

/**
 * The revision history of one key: its records in ascending revision order. Generations (as in
 * etcd's keyIndex) are implicit: a generation ends at each tombstone, and a put after a
 * tombstone starts a new one (version 1, new createRevision).
 */
export class KeyHistory {
  /** Ascending by (main, sub). */
  readonly records: KeyRecord[] = [];

  constructor(
    readonly key: string,
    readonly keyBytes: Buffer,
  ) {}

  /** The newest record, if any. */
  latest(): KeyRecord | undefined {
    return this.records[this.records.length - 1];
  }

  /** The live value now, or undefined if the key is absent (never written or deleted). */
  live(): KeyValue | undefined {
    const r = this.latest();
    return r === undefined || r.tombstone ? undefined : r.kv;
  }

  /** Index of the newest record with main <= rev, or -1. */
  indexAt(rev: number): number {
    const recs = this.records;
    let hi = recs.length - 1;
    if (hi < 0 || recs[hi].main <= rev) return hi;
    let lo = 0;
    // invariant: answer in [lo-1, hi-1]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (recs[mid].main <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The value as of revision `rev`, or undefined if the key was absent then. */
  liveAt(rev: number): KeyValue | undefined {
    const i = this.indexAt(rev);
    if (i < 0) return undefined;
    const r = this.records[i];
    return r.tombstone ? undefined : r.kv;
  }

  /** The value just before revision {main, sub} (what a watch event's prev_kv shows), if kept. */
  liveBefore(main: number, sub: number): KeyValue | undefined {
    const recs = this.records;
    for (let i = recs.length - 1; i >= 0; i--) {
      const r = recs[i];
      if (compareRevision(r.main, r.sub, main, sub) < 0) return r.tombstone ? undefined : r.kv;
    }
    return undefined;
  }

  /** Appends a record; revisions must increase. */
  append(rec: KeyRecord): void {
    const last = this.latest();
    if (last !== undefined && compareRevision(last.main, last.sub, rec.main, rec.sub) >= 0) {
      throw new Error(`key-index: non-increasing revision ${rec.main}.${rec.sub} after ${last.main}.${last.sub}`);
    }
    this.records.push(rec);
  }

  /**
   * First index of the records that survive a compaction at `compactRev`: the newest record
   * with main <= compactRev is kept (it is what reads at compactRev see) unless it is a
   * tombstone older than compactRev; everything before it goes. A tombstone exactly at
   * compactRev is kept so the DELETE event at compactRev stays in the revision log.
   */
  retainedFrom(compactRev: number): number {
    const i = this.indexAt(compactRev);
    if (i < 0) return 0;
    const r = this.records[i];
    return r.tombstone && r.main < compactRev ? i + 1 : i;
  }

  /** Drops what a compaction at `compactRev` makes unreachable. Returns true if nothing is left. */
  prune(compactRev: number): boolean {
    const from = this.retainedFrom(compactRev);
    if (from > 0) this.records.splice(0, from);
    return this.records.length === 0;
  }
}

/** Max keys per sorted chunk before it splits; keeps inserts O(CHUNK) memmove + O(log n) search. */
const MAX_CHUNK_KEYS = 512;

/**
 * Ordered map from key to {@link KeyHistory}: a hash map for point lookups plus a list of sorted
 * chunks (each at most {@link MAX_CHUNK_KEYS} keys) for ordered iteration. Finding a position
 * is O(log n); inserting or removing a key moves at most one chunk's worth of entries.
 */
export class KeyIndex {
  private readonly map = new Map<string, KeyHistory>();
  /** Sorted, non-overlapping, in order; empty only when it is the single chunk of an empty index. */
  private chunks: string[][] = [[]];

  /** Number of keys with any retained history (tombstoned keys count until compacted). */
  get size(): number {
    return this.map.size;
  }

  get(key: string): KeyHistory | undefined {
    return this.map.get(key);
  }

  /**
   * Returns the history of `key`, creating (and ordering) it if new; a new history's keyBytes
   * is `keyBytes` (which must equal toBytes(key) and is kept, not copied) or a fresh copy.
   */
  getOrCreate(key: string, keyBytes?: Buffer): KeyHistory {
    let h = this.map.get(key);
    if (h !== undefined) return h;
    h = new KeyHistory(key, keyBytes ?? toBytes(key));
    this.map.set(key, h);
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    chunk.splice(lowerBound(chunk, key), 0, key);
    if (chunk.length > MAX_CHUNK_KEYS) {
      const half = chunk.length >>> 1;
      this.chunks.splice(ci + 1, 0, chunk.splice(half));
    }
    return h;
  }

  /** Removes `key` and its history. */
  delete(key: string): void {
    if (!this.map.delete(key)) return;
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) throw new Error(`key-index: ordered chunks lost key ${JSON.stringify(key)}`);
    chunk.splice(i, 1);
    if (chunk.length === 0 && this.chunks.length > 1) this.chunks.splice(ci, 1);
  }

  /** Removes everything. */
  clear(): void {
    this.map.clear();
    this.chunks = [[]];
  }

  /**
   * Histories of keys in [start, end) in byte order; `end` undefined means no upper bound.
   * The index must not be modified while the iterator is in use.
   */
  *range(start: string, end?: string): Generator<KeyHistory> {
    const chunks = this.chunks;
    let ci = this.chunkFor(start);
    let i = lowerBound(chunks[ci], start);
    for (; ci < chunks.length; ci++, i = 0) {
      const chunk = chunks[ci];
      for (; i < chunk.length; i++) {
        const k = chunk[i];
        if (end !== undefined && k >= end) return;
        yield this.map.get(k)!;
      }
    }
  }

  /** The chunk whose key span should hold `key`: the last chunk starting at or before it. */
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid][0] <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** First index in sorted `arr` whose element is >= key. */
function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
