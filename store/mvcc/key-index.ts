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

/** The shared empty history of a new key (never mutated: the first append copies). */
const NO_RECORDS: KeyRecord[] = [];
/** Histories shorter than this grow by an exact-size copy rather than by push. */
const EXACT_SIZE_RECORDS = 8;

/**
 * The revision history of one key: its records in ascending revision order. Generations (as in
 * etcd's keyIndex) are implicit: a generation ends at each tombstone, and a put after a
 * tombstone starts a new one (version 1, new createRevision).
 */
export class KeyHistory {
  /**
   * Ascending by (main, sub). Changed only by {@link append} and {@link prune}, which may
   * replace the array: hold on to it only as long as no write can happen.
   */
  records: KeyRecord[] = NO_RECORDS;

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
    // Most keys keep one or two records, and an array grown by push reserves room for 17
    // (about 130 bytes more per key). Short histories are copied at their exact size instead.
    if (this.records.length < EXACT_SIZE_RECORDS) this.records = this.records.concat(rec);
    else this.records.push(rec);
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
    if (from > 0) this.records = this.records.slice(from);
    return this.records.length === 0;
  }
}

/** Max keys per sorted chunk before it splits; keeps inserts O(CHUNK) memmove + O(log n) search. */
const MAX_CHUNK_KEYS = 512;

/** A sorted run of histories and how many of them are live at the latest revision. */
interface Chunk {
  hs: KeyHistory[];
  live: number;
}

/**
 * Ordered map from key to {@link KeyHistory}: a hash map for point lookups plus a list of sorted
 * chunks (each at most {@link MAX_CHUNK_KEYS} keys) for ordered iteration. Finding a position
 * is O(log n); inserting or removing a key moves at most one chunk's worth of entries. Each
 * chunk counts its keys that are live at the latest revision (the store reports changes through
 * {@link liveChanged}), so counting a range at the latest revision is O(chunks + chunk size).
 */
export class KeyIndex {
  private readonly map = new Map<string, KeyHistory>();
  /** Sorted, non-overlapping, in order; empty only when it is the single chunk of an empty index. */
  private chunks: Chunk[] = [{ hs: [], live: 0 }];

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
   * A new history has no records, so it is not live until {@link liveChanged} says so.
   */
  getOrCreate(key: string, keyBytes?: Buffer): KeyHistory {
    let h = this.map.get(key);
    if (h !== undefined) return h;
    h = new KeyHistory(key, keyBytes ?? toBytes(key));
    this.map.set(key, h);
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    chunk.hs.splice(lowerBound(chunk.hs, key), 0, h);
    if (chunk.hs.length > MAX_CHUNK_KEYS) {
      const upper: Chunk = { hs: chunk.hs.splice(chunk.hs.length >>> 1), live: 0 };
      upper.live = countLive(upper.hs);
      chunk.live -= upper.live;
      this.chunks.splice(ci + 1, 0, upper);
    }
    return h;
  }

  /** Records that `key` became live (+1) or stopped being live (-1) at the latest revision. */
  liveChanged(key: string, delta: 1 | -1): void {
    this.chunks[this.chunkFor(key)].live += delta;
  }

  /** Recomputes every chunk's live count (after bulk loading). */
  recount(): void {
    for (const c of this.chunks) c.live = countLive(c.hs);
  }

  /** Removes `key` and its history. */
  delete(key: string): void {
    const h = this.map.get(key);
    if (h === undefined) return;
    this.map.delete(key);
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk.hs, key);
    if (chunk.hs[i] !== h) throw new Error(`key-index: ordered chunks lost key ${JSON.stringify(key)}`);
    chunk.hs.splice(i, 1);
    if (h.live() !== undefined) chunk.live--;
    if (chunk.hs.length === 0 && this.chunks.length > 1) this.chunks.splice(ci, 1);
  }

  /** Removes everything. */
  clear(): void {
    this.map.clear();
    this.chunks = [{ hs: [], live: 0 }];
  }

  /**
   * Calls `fn` for each history with key in [start, end) in byte order (`end` undefined = no
   * upper bound) until it returns false. `fn` must not add or remove keys.
   */
  forEach(start: string, end: string | undefined, fn: (h: KeyHistory) => boolean | void): void {
    const chunks = this.chunks;
    let ci = this.chunkFor(start);
    let i = lowerBound(chunks[ci].hs, start);
    for (; ci < chunks.length; ci++, i = 0) {
      const hs = chunks[ci].hs;
      for (; i < hs.length; i++) {
        const h = hs[i];
        if (end !== undefined && h.key >= end) return;
        if (fn(h) === false) return;
      }
    }
  }

  /** Histories of keys in [start, end); a generator over {@link forEach}'s order. Same rules. */
  *range(start: string, end?: string): Generator<KeyHistory> {
    const chunks = this.chunks;
    let ci = this.chunkFor(start);
    let i = lowerBound(chunks[ci].hs, start);
    for (; ci < chunks.length; ci++, i = 0) {
      const hs = chunks[ci].hs;
      for (; i < hs.length; i++) {
        if (end !== undefined && hs[i].key >= end) return;
        yield hs[i];
      }
    }
  }

  /** Number of keys in [start, end) live at the latest revision. */
  countLive(start: string, end: string | undefined): number {
    const chunks = this.chunks;
    let ci = this.chunkFor(start);
    let n = 0;
    let i = lowerBound(chunks[ci].hs, start);
    for (; ci < chunks.length; ci++, i = 0) {
      const c = chunks[ci];
      const hs = c.hs;
      const whole = i === 0 && (end === undefined || (hs.length > 0 && hs[hs.length - 1].key < end));
      if (whole) {
        n += c.live;
        continue;
      }
      for (; i < hs.length; i++) {
        if (end !== undefined && hs[i].key >= end) return n;
        if (hs[i].live() !== undefined) n++;
      }
    }
    return n;
  }

  /** The chunk whose key span should hold `key`: the last chunk starting at or before it. */
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid].hs[0].key <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function countLive(hs: KeyHistory[]): number {
  let n = 0;
  for (const h of hs) if (h.live() !== undefined) n++;
  return n;
}

/** First index in key-sorted `arr` whose key is >= key. */
function lowerBound(arr: KeyHistory[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
