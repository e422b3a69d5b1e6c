import type { KubeObject } from '../../../lib/api/object';
import type { WatchEndReason, WatchEvent } from '../registry/cache-watcher';
import type { ResourceWatch } from './resource-rest';

/**
 * Test support: a ResourceWatch fed by the test, ending the way CacheWatcher does ('too-slow'
 * and 'stopped' drop what is queued; other reasons let the queue be read first). With a
 * `source`, it never runs dry: every next() on an empty queue takes a new event from it.
 * Not used outside tests.
 */
export class FakeWatch implements ResourceWatch<KubeObject> {
  /** Whether stop() was called. */
  stopped = false;
  /** Events handed out by next(). */
  pulled = 0;
  readonly ended: Promise<WatchEndReason>;
  private reason: WatchEndReason | undefined;
  private resolveEnded!: (reason: WatchEndReason) => void;
  private queue: WatchEvent<KubeObject>[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly source?: () => WatchEvent<KubeObject>) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  push(e: WatchEvent<KubeObject>): void {
    this.queue.push(e);
    this.notify();
  }

  /** Ends the watch for `reason` (idempotent: the first reason stays). */
  end(reason: WatchEndReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    if (reason === 'too-slow' || reason === 'stopped') this.queue = [];
    this.resolveEnded(reason);
    this.notify();
  }

  stop(): void {
    this.stopped = true;
    this.end('stopped');
  }

  async next(): Promise<WatchEvent<KubeObject> | undefined> {
    for (;;) {
      const e = this.queue.shift() ?? (this.reason === undefined ? this.source?.() : undefined);
      if (e !== undefined) {
        this.pulled++;
        return e;
      }
      if (this.reason !== undefined) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<KubeObject>> {
    for (;;) {
      const e = await this.next();
      if (!e) return;
      yield e;
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
