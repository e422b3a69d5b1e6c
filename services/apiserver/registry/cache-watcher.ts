import type { KubeObject } from '../../../lib/api/object';
import type { ObjectFilter } from './object-filter';

/** What a watch delivers; BOOKMARK objects carry only apiVersion, kind and metadata.resourceVersion. */
export interface WatchEvent<T extends KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  /** Shared with other watchers and the cache: frozen, never to be changed. */
  readonly object: T;
}

/**
 * Why a watch ended: the client stopped it; it fell behind (its queue went over its bounds —
 * re-watch from the last resourceVersion seen); the cache re-listed after losing its store
 * watch (re-watch; a too-old version then answers 410); or the cache was stopped.
 */
export type WatchEndReason = 'stopped' | 'too-slow' | 'cache-reset' | 'cache-stopped';

/** How much a watcher may hold of live events it has not read yet. */
export interface WatcherQueueLimits {
  /** Unread live events (bookmarks included). */
  readonly events: number;
  /** Unread live events' estimated serialized size, in bytes (see WatchCache: the stored JSON size). */
  readonly bytes: number;
}

/** Estimated size of a bookmark event, in bytes (its object carries only a resourceVersion). */
export const BOOKMARK_EVENT_BYTES = 128;

/** Consumed slots a Fifo lets pile up at its head before it copies the rest to a new array. */
const FIFO_COMPACT_AFTER = 1024;

/** A live event in a watcher's queue with its estimated size. */
interface QueuedEvent<T extends KubeObject> {
  readonly event: WatchEvent<T>;
  readonly bytes: number;
}

/** A FIFO with O(1) shift that holds no reference to what it handed out. */
class Fifo<V> {
  private items: (V | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: V): void {
    this.items.push(v);
  }

  shift(): V | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > FIFO_COMPACT_AFTER && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** Drops every item (and the array that held them). */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * One client's watch on a WatchCache: an async iterable of events. The initial backlog
 * (replayed history or the current objects, all shared with the cache) is queued as given;
 * live events go through a queue bounded by `limits`: a watcher that still holds `limits.events`
 * unread live events, or `limits.bytes` of them, when the next store batch arrives is ended with
 * 'too-slow' instead of slowing the cache or other watchers. So a watcher that does not read
 * retains at most its limits plus one store batch of objects beyond what the cache holds
 * anyway. Ending it as too slow drops everything it still queues (the client re-watches from
 * the last resourceVersion it received, as with Kubernetes' cacher); after the other ends,
 * events already queued are still delivered, then the iteration finishes.
 */
export class CacheWatcher<T extends KubeObject> implements AsyncIterable<WatchEvent<T>> {
  /** Resolves with the reason once the watch has ended (events may still be queued). */
  readonly ended: Promise<WatchEndReason>;
  /** The newest revision queued to this watcher (or the one it started after). */
  lastRevision: number;
  private readonly backlog = new Fifo<WatchEvent<T>>();
  private readonly live = new Fifo<QueuedEvent<T>>();
  /** Sum of the sizes of the events in `live`. */
  private liveBytes = 0;
  private endReason: WatchEndReason | undefined;
  private resolveEnded!: (r: WatchEndReason) => void;
  private wake: (() => void) | undefined;

  constructor(
    readonly filter: ObjectFilter,
    readonly bookmarks: boolean,
    private readonly limits: WatcherQueueLimits,
    /** Live events at or below this revision are not for this watcher (already replayed or asked to skip). */
    readonly startRevision: number,
    backlog: readonly WatchEvent<T>[],
    /** Called once, when the watch ends. */
    private readonly onStop: (w: CacheWatcher<T>, reason: WatchEndReason) => void,
  ) {
    this.lastRevision = startRevision;
    for (const e of backlog) this.backlog.push(e);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Events waiting to be read. */
  get queued(): number {
    return this.backlog.length + this.live.length;
  }

  /** Estimated size of the unread live events, in bytes. */
  get queuedLiveBytes(): number {
    return this.liveBytes;
  }

  get isEnded(): boolean {
    return this.endReason !== undefined;
  }

  /** Ends the watch from the client side. Idempotent. */
  stop(): void {
    this.end('stopped');
  }

  /**
   * Called before each batch of store events: a watcher whose unread live events from earlier
   * batches reach either limit is too slow and is ended (returns false).
   */
  admitBatch(): boolean {
    if (this.endReason !== undefined) return false;
    if (this.isFull()) {
      this.end('too-slow');
      return false;
    }
    return true;
  }

  /**
   * Queues a live event of the current batch, `bytes` its estimated serialized size (events of
   * one batch are never refused, so a batch is never split: resuming from any resourceVersion
   * the client received misses nothing).
   */
  offer(event: WatchEvent<T>, revision: number, bytes: number): void {
    if (this.endReason !== undefined) return;
    this.enqueue(event, revision, bytes);
  }

  /** Queues a bookmark if there is room (bookmarks never make a watcher too slow). */
  offerBookmark(event: WatchEvent<T>, revision: number): void {
    if (this.endReason !== undefined || this.isFull()) return;
    this.enqueue(event, revision, BOOKMARK_EVENT_BYTES);
  }

  /**
   * Ends the watch (the cache calls this for 'too-slow', 'cache-reset', 'cache-stopped').
   * 'too-slow' (and 'stopped') drop the queued events at once.
   */
  end(reason: WatchEndReason): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    if (reason === 'too-slow' || reason === 'stopped') this.dropQueued();
    this.onStop(this, reason);
    this.resolveEnded(reason);
    this.notify();
  }

  /** The next event, or undefined once the watch ended and its queue is drained. */
  async next(): Promise<WatchEvent<T> | undefined> {
    for (;;) {
      const backlogged = this.backlog.shift();
      if (backlogged !== undefined) return backlogged;
      const queued = this.live.shift();
      if (queued !== undefined) {
        this.liveBytes -= queued.bytes;
        return queued.event;
      }
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

  private isFull(): boolean {
    return this.live.length >= this.limits.events || this.liveBytes >= this.limits.bytes;
  }

  private enqueue(event: WatchEvent<T>, revision: number, bytes: number): void {
    this.live.push({ event, bytes });
    this.liveBytes += bytes;
    this.lastRevision = Math.max(this.lastRevision, revision);
    this.notify();
  }

  private dropQueued(): void {
    this.backlog.clear();
    this.live.clear();
    this.liveBytes = 0;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
