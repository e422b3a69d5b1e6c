import type { KubeObject } from '../../../lib/api/object';

/** One change the watch cache saw, in store order. */
export interface CacheEvent<T extends KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  /** The new state; for DELETED the last state, with resourceVersion = the deletion revision. */
  readonly object: T;
  /** The state before (absent for ADDED); selector transitions are computed from it. */
  readonly prevObject: T | undefined;
  /** The store revision of the change. */
  readonly revision: number;
  /** Estimated serialized size of `object`, in bytes: the size of its stored JSON. */
  readonly bytes: number;
}

/**
 * A bounded ring of the newest cache events. Invariant: it holds every event with a revision
 * greater than `startRevision`, in order; older ones have been evicted (or were before the
 * list the cache started from).
 */
export class EventRing<T extends KubeObject> {
  private readonly slots: (CacheEvent<T> | undefined)[];
  private head = 0;
  private size = 0;
  private start: number;

  constructor(
    private readonly capacity: number,
    startRevision: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`EventRing capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<CacheEvent<T> | undefined>(capacity);
    this.start = startRevision;
  }

  /** Every event newer than this revision is in the ring. */
  get startRevision(): number {
    return this.start;
  }

  get length(): number {
    return this.size;
  }

  /** Appends an event, evicting the oldest when full. Events must come in revision order. */
  push(event: CacheEvent<T>): void {
    if (this.size === this.capacity) {
      const evicted = this.slots[this.head]!;
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.start = evicted.revision;
    }
    this.slots[(this.head + this.size) % this.capacity] = event;
    this.size++;
  }

  /** The events with revision > `revision`, oldest first; undefined when some were evicted. */
  eventsAfter(revision: number): CacheEvent<T>[] | undefined {
    if (revision < this.start) return undefined;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    const out: CacheEvent<T>[] = [];
    for (let i = lo; i < this.size; i++) out.push(this.at(i));
    return out;
  }

  private at(i: number): CacheEvent<T> {
    return this.slots[(this.head + i) % this.capacity]!;
  }
}
