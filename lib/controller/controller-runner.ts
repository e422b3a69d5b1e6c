/**
 * The worker loop every controller shares (client-go's processNextWorkItem): N workers take keys
 * from one rate-limited work queue and call the controller's `reconcile(key)`.
 *
 * Contract:
 * - A reconcile is level-triggered: it reads the cache, acts once, and returns or throws. It
 *   never loops or sleeps by itself; to look again later it returns `{ requeueAfterMs }`.
 * - Returned normally: the key's backoff is forgotten; with `requeueAfterMs > 0` the key is
 *   added again after that delay (on the injected clock). With `requeue: true` (work left that
 *   is not an error, e.g. waiting for finalizers) the key is re-added with its per-key backoff
 *   instead, as after a throw but without logging a failure.
 * - Threw: the error is logged and the key is re-added with the queue's per-key backoff
 *   (`addRateLimited`), so a failing key is retried at 5 ms, 10 ms, … up to the limiter's cap.
 * - The queue guarantees that no two workers hold the same key at once.
 * - `stop()` shuts the queue down and resolves once every worker has finished the reconcile it
 *   was in (keys still queued are dropped: the next leader's informers see the same level).
 */
import type { Logger } from 'pino';
import { type Clock, realClock } from '../client/clock';
import { type RateLimiter, RateLimitingQueue } from '../client/work-queue';
import type { WorkQueueMetrics } from '../metrics/work-queue-metrics';

/** Workers of a controller unless it asks for another number (kube-controller-manager's usual concurrent syncs). */
export const DEFAULT_WORKERS = 2;

/** What a reconcile may ask for besides success. */
export interface ReconcileResult {
  /** Look at the key again after this many milliseconds (e.g. a deadline or minReadySeconds passing). */
  readonly requeueAfterMs?: number;
  /** Look again with the key's growing backoff (not an error; ignored when requeueAfterMs is set). */
  readonly requeue?: boolean;
}

/** One reconcile of `key`: resolve when done (optionally asking for a later look), throw to retry with backoff. */
export type ReconcileFunc<K> = (key: K) => Promise<ReconcileResult | void>;

/** Constructor parameters of a {@link ControllerRunner}. */
export interface ControllerRunnerOptions<K> {
  /** The controller's name (in logs). */
  readonly name: string;
  readonly reconcile: ReconcileFunc<K>;
  /** Parallel workers (default {@link DEFAULT_WORKERS}). */
  readonly workers?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Backoff of failed keys (default: client-go's default controller rate limiter on `clock`). */
  readonly rateLimiter?: RateLimiter<K>;
  /** Where the queue and the workers report (workqueue_* metrics labelled with the name); none when absent. */
  readonly metrics?: WorkQueueMetrics;
}

/** N workers over a rate-limited queue calling one reconcile. See the file comment. */
export class ControllerRunner<K = string> {
  /** The queue; event handlers add keys with {@link ControllerRunner.enqueue}. */
  readonly queue: RateLimitingQueue<K>;
  readonly name: string;
  private readonly reconcile: ReconcileFunc<K>;
  private readonly workerCount: number;
  private readonly logger?: Logger;
  private readonly metrics?: WorkQueueMetrics;
  private workers: Promise<void>[] = [];
  /** Reconciles finished, by outcome (for status pages and tests). */
  private readonly counts = { succeeded: 0, failed: 0 };

  constructor(options: ControllerRunnerOptions<K>) {
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.workerCount = options.workers ?? DEFAULT_WORKERS;
    if (!Number.isInteger(this.workerCount) || this.workerCount < 1) throw new Error(`controller ${options.name}: workers must be a positive integer, got ${this.workerCount}`);
    this.logger = options.logger;
    this.queue = new RateLimitingQueue<K>(options.clock ?? realClock, options.rateLimiter);
    this.metrics = options.metrics;
    if (options.metrics) this.queue.reportTo(options.metrics);
  }

  /** Queues `key` for a reconcile (deduplicated while queued). */
  enqueue(key: K): void {
    this.queue.add(key);
  }

  /** Queues `key` after `delayMs` milliseconds. */
  enqueueAfter(key: K, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  /** Starts the workers; idempotent while running. Call after the informers the reconcile reads have synced. */
  start(): void {
    if (this.workers.length > 0 || this.queue.isShuttingDown()) return;
    for (let i = 0; i < this.workerCount; i++) this.workers.push(this.worker());
  }

  /** Shuts the queue down and resolves when every worker has returned (see the file comment). */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  /** Reconciles finished so far, by outcome. */
  stats(): { readonly succeeded: number; readonly failed: number; readonly queued: number } {
    return { ...this.counts, queued: this.queue.length };
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processOne(key);
    }
  }

  private async processOne(key: K): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.reconcile(key);
      this.counts.succeeded++;
      const after = result?.requeueAfterMs ?? 0;
      if (after <= 0 && result?.requeue) {
        this.queue.addRateLimited(key);
        return;
      }
      this.queue.forget(key);
      if (after > 0) this.queue.addAfter(key, after);
    } catch (err) {
      this.counts.failed++;
      this.logger?.warn({ controller: this.name, key, err: (err as Error)?.message ?? String(err), requeues: this.queue.numRequeues(key) }, 'reconcile failed; retrying with backoff');
      this.queue.addRateLimited(key);
    } finally {
      this.metrics?.worked((performance.now() - started) / 1000);
      this.queue.done(key);
    }
  }
}
