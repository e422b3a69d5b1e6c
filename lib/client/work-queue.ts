/**
 * Work queues for controllers, after client-go's `util/workqueue`: a deduplicating FIFO that
 * hands each key to one worker at a time, a delaying layer (`addAfter`) and a rate-limiting
 * layer (`addRateLimited`) with per-key exponential backoff under an overall token bucket.
 *
 * Contract of {@link WorkQueue}:
 * - a key queued and not yet handed out is queued once, however often it is added;
 * - a key handed out by `get()` is processing until `done(key)`; adding it meanwhile marks it
 *   dirty, and `done` queues it again — so no two workers ever hold the same key;
 * - after `shutDown()`, adds are ignored, queued keys are still handed out, and `get()` resolves
 *   `undefined` once the queue is empty.
 */
import type { WorkQueueMetrics } from '../metrics/work-queue-metrics';
import { Clock, realClock, Timer } from './clock';
import { TokenBucket } from './token-bucket';

/** Base delay of the per-key exponential backoff, in milliseconds (client-go: 5 ms). */
export const DEFAULT_BACKOFF_BASE_MS = 5;
/** Cap of the per-key exponential backoff, in milliseconds (client-go: 1000 s). */
export const DEFAULT_BACKOFF_MAX_MS = 1000 * 1000;
/** Sustained rate of the overall token bucket, in keys per second (client-go: 10 qps). */
export const DEFAULT_BUCKET_QPS = 10;
/** Burst of the overall token bucket, in keys (client-go: 100). */
export const DEFAULT_BUCKET_BURST = 100;

/** Queued keys in order: an array read from a moving head, so taking the first key is O(1). */
class KeyFifo<K> {
  private items: K[] = [];
  private head = 0;

  push(key: K): void {
    this.items.push(key);
  }

  shift(): K | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    // Drop the consumed prefix once it is most of the array (amortised O(1)).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}

/** A deduplicating FIFO of keys with one worker per key. See the file comment for the contract. */
export class WorkQueue<K> {
  private readonly queue = new KeyFifo<K>();
  /** Where the queue reports adds, depth and waits (none until {@link WorkQueue.reportTo}). */
  protected metrics: WorkQueueMetrics | undefined;
  /** performance.now() of each queued key's add, for the queue-duration metric. */
  private readonly addedAt = new Map<K, number>();
  /** Keys that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<K>();
  /** Keys handed out by get() and not yet done(). */
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;

  /** Marks `key` as needing processing; no-op when already queued or after shutDown(). */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics?.added();
    if (this.processing.has(key)) return; // queued again by done()
    this.enqueue(key);
  }

  /** Reports this queue's adds, depth, waits and retries to `metrics` (client-go's workqueue metrics). */
  reportTo(metrics: WorkQueueMetrics): void {
    this.metrics = metrics;
  }

  private enqueue(key: K): void {
    this.queue.push(key);
    if (this.metrics) {
      this.addedAt.set(key, performance.now());
      this.metrics.depth(this.queue.length);
    }
    this.dispatch();
  }

  /**
   * The next key, resolved as soon as one is available; the caller owns it until `done(key)`.
   * Resolves `undefined` when the queue is shut down and empty.
   */
  get(): Promise<K | undefined> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.dispatch();
    });
  }

  /** Ends processing of `key`; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
  }

  /** Stops accepting keys; waiting `get()`s resolve `undefined` once the queue drains. */
  shutDown(): void {
    this.shuttingDown = true;
    this.dispatch();
  }

  /** Whether shutDown() was called. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Number of keys queued and not handed out (processing keys are not counted). */
  get length(): number {
    return this.queue.length;
  }

  /** Hands queued keys to waiting workers, and `undefined` to all waiters once shut down and empty. */
  private dispatch(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const key = this.queue.shift() as K;
      if (this.metrics) {
        const at = this.addedAt.get(key);
        this.addedAt.delete(key);
        if (at !== undefined) this.metrics.waited((performance.now() - at) / 1000);
        this.metrics.depth(this.queue.length);
      }
      this.dirty.delete(key);
      this.processing.add(key);
      (this.waiters.shift() as (key: K | undefined) => void)(key);
    }
    if (this.shuttingDown && this.queue.length === 0) {
      for (const w of this.waiters.splice(0)) w(undefined);
    }
  }
}

/** A {@link WorkQueue} that can also add a key after a delay, measured on an injected clock. */
export class DelayingQueue<K> extends WorkQueue<K> {
  /** Keys waiting to be added, with the earliest time each is due. */
  private readonly waiting = new Map<K, { readyAt: number; timer: Timer }>();

  constructor(protected readonly clock: Clock = realClock) {
    super();
  }

  /**
   * Adds `key` after `delayMs` milliseconds (at once when `delayMs <= 0`). A key already waiting
   * keeps the earlier of its two due times.
   */
  addAfter(key: K, delayMs: number): void {
    if (this.isShuttingDown()) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(delayMs, () => {
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { readyAt, timer });
  }

  /** Shuts down and cancels every pending delayed add. */
  override shutDown(): void {
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    super.shutDown();
  }
}

/** Decides how long a key waits before it is retried. */
export interface RateLimiter<K> {
  /** The delay in milliseconds before `key` may be processed again; records one more failure. */
  when(key: K): number;
  /** Clears the failure history of `key` (call after it was processed successfully). */
  forget(key: K): void;
  /** How many times `when(key)` was called since the last `forget(key)`. */
  numRequeues(key: K): number;
}

/** Per-key exponential backoff: `baseMs * 2^failures`, capped at `maxMs` (client-go's ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly baseMs = DEFAULT_BACKOFF_BASE_MS,
    private readonly maxMs = DEFAULT_BACKOFF_MAX_MS,
  ) {}

  when(key: K): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    const backoff = this.baseMs * Math.pow(2, exp);
    return Number.isFinite(backoff) ? Math.min(backoff, this.maxMs) : this.maxMs;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * An overall token bucket (`qps` tokens per second, at most `burst` banked): each `when` takes a
 * token, waiting for one to accrue when the bucket is empty. Keys are not told apart.
 */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private readonly bucket: TokenBucket;

  constructor(clock: Clock = realClock, qps = DEFAULT_BUCKET_QPS, burst = DEFAULT_BUCKET_BURST) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`BucketRateLimiter: need qps > 0 and burst >= 1, got qps=${qps} burst=${burst}`);
    this.bucket = new TokenBucket(qps, burst, clock);
  }

  when(_key: K): number {
    return this.bucket.reserve(); // a reservation: a negative balance is time owed
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/** The longest delay of several limiters; requeue counts are the largest of theirs. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(key));
    return max;
  }
}

/** client-go's default controller rate limiter: max(5 ms..1000 s per-key backoff, 10 qps / 100 burst bucket). */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(), new BucketRateLimiter<K>(clock));
}

/**
 * The controller queue: a {@link DelayingQueue} whose `addRateLimited` waits as its
 * {@link RateLimiter} says (by default {@link defaultControllerRateLimiter}). Workers call
 * `forget(key)` after a successful sync and `addRateLimited(key)` after a failed one.
 */
export class RateLimitingQueue<K> extends DelayingQueue<K> {
  private readonly limiter: RateLimiter<K>;

  constructor(clock: Clock = realClock, limiter?: RateLimiter<K>) {
    super(clock);
    this.limiter = limiter ?? defaultControllerRateLimiter<K>(clock);
  }

  /** Adds `key` once the rate limiter allows (per-key backoff, overall bucket). */
  addRateLimited(key: K): void {
    this.metrics?.retried();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the backoff of `key`; does not remove it from the queue. */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  /** How many times `key` was rate-limited since its last `forget`. */
  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }
}
