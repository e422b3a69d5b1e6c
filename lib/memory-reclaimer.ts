import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { realClock, type Clock, type Timer } from './client/clock';

/**
 * Gives memory back once a burst of work is over. V8 collects garbage only when JavaScript
 * allocates, so a process that goes quiet after, say, hundreds of watch streams were torn down
 * keeps its grown heap and every buffer the dead streams held — measured: an apiserver stayed
 * ~50 MB above its baseline for as long as it stayed idle. One full collection brings it back
 * (V8 then also returns its emptied pages to the system).
 *
 * The reclaimer counts releases (e.g. watch streams ended); once `threshold` of them piled up
 * and none followed for `quietMs`, it runs one full collection — at most once per
 * `minIntervalMs`, so a process where streams end all the time pays at most one collection
 * per interval (tens of milliseconds on a heap of ~100 MB). A busy process collects garbage on
 * its own anyway; this is for the quiet after.
 */

/** Releases after which a collection is due. */
export const DEFAULT_RECLAIM_THRESHOLD = 50;
/** Quiet time (no further release) before the collection runs, in milliseconds. */
export const DEFAULT_RECLAIM_QUIET_MS = 5_000;
/** Least time between two collections, in milliseconds. */
export const DEFAULT_RECLAIM_MIN_INTERVAL_MS = 10_000;

/** Constructor parameters of a MemoryReclaimer. */
export interface MemoryReclaimerOptions {
  /** Runs a full garbage collection (default: V8's, see fullGarbageCollector). */
  readonly collect?: () => void;
  readonly clock?: Clock;
  readonly threshold?: number;
  readonly quietMs?: number;
  readonly minIntervalMs?: number;
  /** Called after each collection with what it took, in milliseconds. */
  readonly onCollected?: (info: { readonly releases: number; readonly ms: number }) => void;
}

/** See the file comment. */
export class MemoryReclaimer {
  private readonly collect: (() => void) | undefined;
  private readonly clock: Clock;
  private readonly threshold: number;
  private readonly quietMs: number;
  private readonly minIntervalMs: number;
  private releases = 0;
  private lastCollection = -Infinity;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly options: MemoryReclaimerOptions = {}) {
    this.collect = options.collect ?? fullGarbageCollector();
    this.clock = options.clock ?? realClock;
    this.threshold = options.threshold ?? DEFAULT_RECLAIM_THRESHOLD;
    this.quietMs = options.quietMs ?? DEFAULT_RECLAIM_QUIET_MS;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_RECLAIM_MIN_INTERVAL_MS;
  }

  /** Notes one release (memory that became garbage); may schedule a collection. */
  released(): void {
    if (this.stopped || !this.collect) return;
    this.releases++;
    if (this.releases < this.threshold) return;
    this.timer?.cancel();
    const due = Math.max(this.quietMs, this.lastCollection + this.minIntervalMs - this.clock.now());
    this.timer = this.clock.setTimer(due, () => this.run());
  }

  /** Cancels a pending collection; later releases are ignored. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped || !this.collect) return;
    const releases = this.releases;
    this.releases = 0;
    const started = this.clock.now();
    this.collect();
    this.lastCollection = this.clock.now();
    this.options.onCollected?.({ releases, ms: this.lastCollection - started });
  }
}

/**
 * V8's full garbage collection, for a process not started with --expose-gc: the flag is set
 * at run time and the function taken from a fresh context (the only one it appears in); the
 * flag is cleared again so no later context gets it. Undefined if V8 refuses.
 */
export function fullGarbageCollector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return () => (exposed as () => void)();
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    v8.setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}
