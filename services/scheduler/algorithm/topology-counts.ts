/**
 * Counts per topology pair (a node label key and one of its values, e.g. zone=a), the
 * bookkeeping of inter-pod affinity and topology spreading. Entries that fall to zero are
 * dropped, so `size` is the number of pairs with a non-zero count.
 */
import type { Labels } from './api-types';

const SEPARATOR = '\u0000';

export class TopologyCounts {
  private readonly counts: Map<string, number>;

  constructor(from?: TopologyCounts) {
    this.counts = new Map(from?.counts);
  }

  /** Number of pairs with a non-zero count. */
  get size(): number {
    return this.counts.size;
  }

  /** The count of pair (key, value); 0 when absent. */
  get(key: string, value: string): number {
    return this.counts.get(key + SEPARATOR + value) ?? 0;
  }

  /** Adds `delta` to pair (key, value). */
  add(key: string, value: string, delta: number): void {
    const k = key + SEPARATOR + value;
    const n = (this.counts.get(k) ?? 0) + delta;
    if (n === 0) this.counts.delete(k);
    else this.counts.set(k, n);
  }

  /** Adds `delta` to the pair of `key` on a node labelled `labels`, if it has the label. */
  addAt(key: string, labels: Labels, delta: number): void {
    const value = labels[key];
    if (value !== undefined) this.add(key, value, delta);
  }

  /** Every pair with its count. */
  *entries(): IterableIterator<{ key: string; value: string; count: number }> {
    for (const [k, count] of this.counts) {
      const i = k.indexOf(SEPARATOR);
      yield { key: k.slice(0, i), value: k.slice(i + 1), count };
    }
  }

  /** An independent copy. */
  clone(): TopologyCounts {
    return new TopologyCounts(this);
  }
}
