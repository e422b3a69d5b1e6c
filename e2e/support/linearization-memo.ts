/**
 * The linearizability search's bookkeeping: the set of ops linearized so far, as bitsets, and
 * the memo of configurations already visited.
 *
 * A configuration is (mandatory ops linearized, optional ops linearized, register value).
 * A configuration is dominated by a visited one with the same determinate set and value whose
 * indeterminate set is a subset of its own: indeterminate ops may be left out forever, so every
 * completion of the former is a completion of the latter. Visited means explored without
 * success, or being explored on the current path, so a dominated configuration is skipped.
 */
import { KeyOp } from './register-model';

/**
 * Visited configurations in flat typed arrays (no per-entry objects, so no GC churn): a
 * chained hash table over entries; each entry's bitset words live in one shared pool.
 */
export class Memo {
  private table = new Int32Array(1 << 12).fill(-1);
  private chain = new Int32Array(1 << 12);
  private hashes = new Uint32Array(1 << 12);
  private states = new Int32Array(1 << 12);
  private lows = new Int32Array(1 << 12);
  private lens = new Int32Array(1 << 12);
  private starts = new Int32Array(1 << 12);
  private pool = new Uint32Array(1 << 14);
  private count = 0;
  private words = 0;

  /** `det` and `unk` are the live bitsets of a LinearizedSets; `add` reads them as they are. */
  constructor(
    private readonly det: Uint32Array,
    private readonly unk: Uint32Array,
  ) {}

  /** Approximate memory held, in bytes. */
  bytes(): number {
    return this.pool.length * 4 + this.chain.length * 24 + this.table.length * 4;
  }

  /**
   * Records the current configuration: the `det` and `unk` bitsets given to the constructor,
   * as they are now, and register value `state`. Of `det` only words `low` (the first word
   * not full) to `highWord` are stored: the words below are full, the words above empty.
   * `hash` identifies the det set. Returns false if a visited configuration dominates it.
   */
  add(hash: number, low: number, highWord: number, state: number): boolean {
    const det = this.det;
    const unk = this.unk;
    const len = Math.max(0, highWord + 1 - low);
    const h = (hash ^ Math.imul(state + 0x27d4eb2f, 0x9e3779b1)) >>> 0;
    const slot = h & (this.table.length - 1);
    for (let e = this.table[slot]; e >= 0; e = this.chain[e]) {
      if (this.hashes[e] !== h || this.states[e] !== state || this.lows[e] !== low || this.lens[e] !== len) continue;
      let at = this.starts[e];
      let same = true;
      for (let w = 0; w < len && same; w++) same = this.pool[at++] === det[low + w];
      for (let w = 0; w < unk.length && same; w++) same = (this.pool[at++] & ~unk[w]) === 0;
      if (same) return false;
    }

    const e = this.count++;
    if (e === this.chain.length) this.growEntries();
    const need = this.words + len + unk.length;
    if (need > this.pool.length) this.pool = grow(this.pool, need);
    let at = this.words;
    this.starts[e] = at;
    for (let w = 0; w < len; w++) this.pool[at++] = det[low + w];
    for (let w = 0; w < unk.length; w++) this.pool[at++] = unk[w];
    this.words = at;
    this.hashes[e] = h;
    this.states[e] = state;
    this.lows[e] = low;
    this.lens[e] = len;
    this.chain[e] = this.table[slot];
    this.table[slot] = e;
    if (this.count > this.table.length) this.rehash();
    return true;
  }

  private growEntries(): void {
    const size = this.chain.length * 2;
    this.chain = grow(this.chain, size);
    this.hashes = grow(this.hashes, size);
    this.states = grow(this.states, size);
    this.lows = grow(this.lows, size);
    this.lens = grow(this.lens, size);
    this.starts = grow(this.starts, size);
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 4).fill(-1);
    const mask = this.table.length - 1;
    for (let e = 0; e < this.count; e++) {
      const slot = this.hashes[e] & mask;
      this.chain[e] = this.table[slot];
      this.table[slot] = e;
    }
  }
}

/** A copy of `a` with room for at least `size` elements (doubling). */
function grow<T extends Int32Array | Uint32Array>(a: T, size: number): T {
  let cap = a.length;
  while (cap < size) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** 32-bit pseudo-random per-operation hash seeds (splitmix-style), deterministic per index. */
function zobrist(i: number): number {
  let z = Math.imul(i + 1, 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The set of linearized ops as two bitsets: mandatory ops (det), numbered in return order, and
 * optional ops (unk). Every mandatory op returning before the first open return is linearized,
 * so det is a run of full words (below `low`), then a short tail the memo stores. `hash` is a
 * Zobrist hash of det.
 */
export class LinearizedSets {
  readonly slot: Int32Array;
  readonly det: Uint32Array;
  readonly unk: Uint32Array;
  private readonly mandatory: Uint8Array;
  private readonly hashes: Uint32Array;
  /** First det word that is not full. */
  low = 0;
  hash = 0;

  constructor(ops: readonly KeyOp[], events: readonly { isCall: boolean; op: number }[]) {
    const n = ops.length;
    this.slot = new Int32Array(n);
    this.mandatory = new Uint8Array(n);
    this.hashes = new Uint32Array(n);
    let detCount = 0;
    let unkCount = 0;
    for (const ev of events) if (!ev.isCall) this.slot[ev.op] = detCount++;
    for (let i = 0; i < n; i++) {
      if (ops[i].mandatory) {
        this.mandatory[i] = 1;
        this.hashes[i] = zobrist(this.slot[i]);
      } else {
        this.slot[i] = unkCount++;
      }
    }
    this.det = new Uint32Array((detCount + 31) >>> 5);
    this.unk = new Uint32Array((unkCount + 31) >>> 5);
  }

  /** Adds op i to the set, or removes it. */
  flip(i: number): void {
    const k = this.slot[i];
    if (this.mandatory[i] === 0) {
      this.unk[k >>> 5] ^= 1 << (k & 31);
      return;
    }
    const det = this.det;
    det[k >>> 5] ^= 1 << (k & 31);
    this.hash ^= this.hashes[i];
    let low = this.low;
    if (k >>> 5 < low) low = k >>> 5;
    while (low < det.length && det[low] === 0xffffffff) low++;
    this.low = low;
  }
}
