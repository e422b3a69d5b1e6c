import type { KubeObject } from '../../../lib/api/object';
import type { ObjectFilter } from './object-filter';

/** What a watch delivers; BOOKMARK objects carry only apiVersion, kind and metadata.resourceVersion. */
export interface WatchEvent<T extends KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  /** Shared with other watchers and the cache: frozen, never to be changed. */
  readonly object: T;
}

/**
 * Why a watch ended: the client stopped it; it fell behind (its queue filled up — re-watch
 * from the last resourceVersion seen); the cache re-listed after losing its store watch
 * (re-watch; a too-old version then answers 410); or the cache was stopped.
 */
export type WatchEndReason = 'stopped' | 'too-slow' | 'cache-reset' | 'cache-stopped';

/** A FIFO with O(1) shift. */
class Fifo<V> {
  private items: V[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: V): void {
    this.items.push(v);
  }

  shift(): V | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

/**
 * One client's watch on a WatchCache: an async iterable of events. The initial backlog
 * (replayed history or the current objects) is queued without limit; live events go through a
 * queue, and a watcher that has not read its queue below `queueSize` by the time the next
 * store batch arrives is ended with 'too-slow' instead of slowing the cache or other watchers
 * (so its memory is bounded by queueSize plus one batch). Events already queued are still delivered after the
 * end, then the iteration finishes.
 */
export class CacheWatcher<T extends KubeObject> implements AsyncIterable<WatchEvent<T>> {
  /** Resolves with the reason once the watch has ended (events may still be queued). */
  readonly ended: Promise<WatchEndReason>;
  /** The newest revision queued to this watcher (or the one it started after). */
  lastRevision: number;
  private readonly backlog = new Fifo<WatchEvent<T>>();
  private readonly live = new Fifo<WatchEvent<T>>();
  private endReason: WatchEndReason | undefined;
  private resolveEnded!: (r: WatchEndReason) => void;
  private wake: (() => void) | undefined;

  constructor(
    readonly filter: ObjectFilter,
    readonly bookmarks: boolean,
    private readonly queueSize: number,
    /** Live events at or below this revision are not for this watcher (already replayed or asked to skip). */
    readonly startRevision: number,
    backlog: readonly WatchEvent<T>[],
    private readonly onStop: (w: CacheWatcher<T>) => void,
  ) {
    this.lastRevision = startRevision;
    for (const e of backlog) this.backlog.push(e);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Events waiting to be read. */
  get queued(): number {
    return this.backlog.length + this.live.length;
  }

  get isEnded(): boolean {
    return this.endReason !== undefined;
  }

  /** Ends the watch from the client side. Idempotent. */
  stop(): void {
    this.end('stopped');
  }

  /**
   * Called before each batch of store events: a watcher that still has `queueSize` or more
   * unread live events from earlier batches is too slow and is ended (returns false).
   */
  admitBatch(): boolean {
    if (this.endReason !== undefined) return false;
    if (this.live.length >= this.queueSize) {
      this.end('too-slow');
      return false;
    }
    return true;
  }

  /** Queues a live event of the current batch (events of one batch are never refused). */
  offer(event: WatchEvent<T>, revision: number): void {
    if (this.endReason !== undefined) return;
    this.live.push(event);
    this.lastRevision = Math.max(this.lastRevision, revision);
    this.notify();
  }

  /** Queues a bookmark if there is room (bookmarks never count against a slow watcher). */
  offerBookmark(event: WatchEvent<T>, revision: number): void {
    if (this.endReason !== undefined || this.live.length >= this.queueSize) return;
    this.live.push(event);
    this.lastRevision = Math.max(this.lastRevision, revision);
    this.notify();
  }

  /** Ends the watch (the cache calls this for 'too-slow', 'cache-reset', 'cache-stopped'). */
  end(reason: WatchEndReason): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    this.onStop(this);
    this.resolveEnded(reason);
    this.notify();
  }

  /** The next event, or undefined once the watch ended and its queue is drained. */
  async next(): Promise<WatchEvent<T> | undefined> {
    for (;;) {
      if (this.endReason === 'stopped') return undefined;
      const e = this.backlog.shift() ?? this.live.shift();
      if (e !== undefined) return e;
      if (this.endReason !== undefined) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    try {
      for (;;) {
        const e = await this.next();
        if (e === undefined) return;
        yield e;
      }
    } finally {
      this.stop();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
