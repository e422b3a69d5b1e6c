/**
 * Promises keyed by an id, settled later by whoever learns the outcome (the apply loop for
 * proposals). Each wait has a deadline; on expiry it rejects with the error from `onTimeout`.
 */
export class Waiters<K, V> {
  private readonly pending = new Map<K, { resolve(v: V): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  constructor(private readonly onTimeout: () => Error) {}

  /** Registers `key` and returns the promise its outcome settles. */
  wait(key: K, timeoutMs: number): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(this.onTimeout());
      }, timeoutMs);
      this.pending.set(key, { resolve, reject, timer });
    });
  }

  has(key: K): boolean {
    return this.pending.has(key);
  }

  resolve(key: K, value: V): void {
    const w = this.pending.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    this.pending.delete(key);
    w.resolve(value);
  }

  reject(key: K, err: Error): void {
    const w = this.pending.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    this.pending.delete(key);
    w.reject(err);
  }

  /** Fails every pending wait (member stopping). */
  rejectAll(err: Error): void {
    for (const key of [...this.pending.keys()]) this.reject(key, err);
  }

  get size(): number {
    return this.pending.size;
  }
}

/**
 * Waits for a monotonically growing index (the applied index) to reach a value. Cheap for
 * many waiters: they are kept sorted by the index they need.
 */
export class IndexWaiters {
  private waiting: { index: number; resolve(): void }[] = [];

  constructor(private current: number) {}

  /** Resolves once the index is >= `index`. */
  waitFor(index: number): Promise<void> {
    if (this.current >= index) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push({ index, resolve });
      if (this.waiting.length > 1 && this.waiting[this.waiting.length - 2].index > index) {
        this.waiting.sort((a, b) => a.index - b.index);
      }
    });
  }

  /** Moves the index forward and releases everyone it now satisfies. */
  advance(index: number): void {
    if (index <= this.current) return;
    this.current = index;
    let n = 0;
    while (n < this.waiting.length && this.waiting[n].index <= index) n++;
    if (n === 0) return;
    const ready = this.waiting.splice(0, n);
    for (const w of ready) w.resolve();
  }
}
