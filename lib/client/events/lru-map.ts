/**
 * A map that keeps its `capacity` most recently used entries (client-go's event caches use a
 * groupcache LRU): get and set make an entry the newest; a set beyond capacity drops the
 * oldest. Backed by a Map's insertion order.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`LruMap: capacity must be at least 1, got ${capacity}`);
  }

  /** The value of `key` (now the newest entry), or undefined. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Sets `key` as the newest entry, dropping the oldest when over capacity. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }

  get size(): number {
    return this.entries.size;
  }
}
