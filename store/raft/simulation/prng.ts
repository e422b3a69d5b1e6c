/**
 * A small seeded pseudo-random generator for deterministic simulation runs.
 *
 * mulberry32: 32 bits of state, fast, and good enough to drive schedules and fault
 * injection. Everything a simulation run decides comes from one of these, so a run is fully
 * determined by its seed and can be replayed exactly.
 */

/** Largest seed value; seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/** Deterministic random source seeded with a 32-bit unsigned integer. */
export class Prng {
  private state: number;

  /** Creates a generator; equal seeds produce equal sequences. */
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Next raw 32-bit unsigned value. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n); n must be a positive integer. */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Prng.int: bound must be positive, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: empty array');
    return items[this.int(items.length)];
  }

  /** A new array with the items in random order (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  /**
   * Index chosen with probability proportional to `weights[i]` (non-negative, not all zero).
   */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError('Prng.weighted: weights sum to zero');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** An independent generator derived from this one's next output and `salt`. */
  fork(salt: number): Prng {
    return new Prng(mixSeed(this.nextUint32(), salt));
  }
}

/**
 * Mixes two 32-bit values into a new seed (a murmur3-style finalizer), so that run `i` of a
 * suite gets a seed unrelated to run `i + 1`.
 */
export function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b ^ 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
