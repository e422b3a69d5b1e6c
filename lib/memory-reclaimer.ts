import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { realClock, type Clock, type Timer } from './client/clock';
import type { Logger } from './logger';

/**
 * Gives memory back once a burst of work is over. V8 collects garbage only when JavaScript
 * allocates, so a process that goes quiet after a burst — say, hundreds of watch streams torn
 * down — keeps its grown heap and every buffer the dead work held for as long as it stays
 * quiet (measured: an apiserver stayed 30–80 MB above its baseline). A full collection frees
 * that; and V8 gives back its grown young generation (up to 32 MB) only at a collection that
 * sees a low allocation rate over the last ~5 s, so a second, cheap collection follows one
 * check interval later if the process is still quiet.
 *
 * Every `checkIntervalMs` the reclaimer looks at the process. If its event loop was busy less
 * than `quietUtilization` of that interval, and since the last collection either the JS heap
 * plus external buffers grew by `growthBytes` or the owner reported `releaseThreshold`
 * releases (work torn down, whose memory became garbage without the heap growing — e.g.
 * watch streams closed), it runs one full collection. A busy process is left alone (V8
 * collects on its own), and so is a quiet one with nothing to give back.
 */

/** How often the process is looked at, in milliseconds (also the quiet time a collection needs). */
export const DEFAULT_RECLAIM_CHECK_INTERVAL_MS = 5_000;
/** Event-loop utilization (0–1) below which an interval counts as quiet. */
export const DEFAULT_RECLAIM_QUIET_UTILIZATION = 0.05;
/** Growth of heap + external memory since the last collection that makes one worth it, in bytes. */
export const DEFAULT_RECLAIM_GROWTH_BYTES = 16 * 1024 * 1024;
/** Releases reported since the last collection that make one worth it. */
export const DEFAULT_RECLAIM_RELEASE_THRESHOLD = 50;

/** What the reclaimer looks at. */
export interface ProcessSample {
  /** Share of the time since the previous sample the event loop was busy (0–1). */
  readonly utilization: number;
  /** JS heap in use plus memory held by external objects (Buffers), in bytes. */
  readonly heapBytes: number;
}

/** Constructor parameters of a MemoryReclaimer. */
export interface MemoryReclaimerOptions {
  /** Runs a full garbage collection (default: V8's, see fullGarbageCollector). */
  readonly collect?: () => void;
  /** Takes a sample (default: this process's event-loop utilization and memory usage). */
  readonly sample?: () => ProcessSample;
  readonly clock?: Clock;
  readonly checkIntervalMs?: number;
  readonly quietUtilization?: number;
  readonly growthBytes?: number;
  readonly releaseThreshold?: number;
  /**
   * Also collect once the process first goes quiet after start(), even though nothing grew:
   * start-up leaves a grown young generation (16 MB) that only a collection can give back.
   */
  readonly settleAfterStart?: boolean;
  /** Called after each collection with the heap bytes before and after and what it took. */
  readonly onCollected?: (info: { readonly beforeBytes: number; readonly afterBytes: number; readonly ms: number }) => void;
}

/** See the file comment. */
export class MemoryReclaimer {
  private readonly collect: (() => void) | undefined;
  private readonly sample: () => ProcessSample;
  private readonly clock: Clock;
  private readonly checkIntervalMs: number;
  private readonly quietUtilization: number;
  private readonly growthBytes: number;
  private readonly releaseThreshold: number;
  /** Heap bytes right after the last collection (or at start, or V8's own lowest since). */
  private settledBytes = 0;
  private releases = 0;
  /** The start-up collection (settleAfterStart) has not run yet. */
  private startPending = false;
  /** A collection ran at the last check: the next quiet check runs the settling one. */
  private settling = false;
  private timer: Timer | undefined;
  private running = false;

  constructor(private readonly options: MemoryReclaimerOptions = {}) {
    this.collect = options.collect ?? fullGarbageCollector();
    this.sample = options.sample ?? processSampler();
    this.clock = options.clock ?? realClock;
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_RECLAIM_CHECK_INTERVAL_MS;
    this.quietUtilization = options.quietUtilization ?? DEFAULT_RECLAIM_QUIET_UTILIZATION;
    this.growthBytes = options.growthBytes ?? DEFAULT_RECLAIM_GROWTH_BYTES;
    this.releaseThreshold = options.releaseThreshold ?? DEFAULT_RECLAIM_RELEASE_THRESHOLD;
  }

  /** Starts looking (idempotent); does nothing when V8 gave no collector. */
  start(): void {
    if (this.running || !this.collect) return;
    this.running = true;
    this.settledBytes = this.sample().heapBytes;
    this.startPending = this.options.settleAfterStart === true;
    this.schedule();
  }

  /** Notes one release (work torn down: its memory became garbage). */
  released(): void {
    this.releases++;
  }

  /** Stops looking; a collection in progress is not interrupted. Idempotent. */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.checkIntervalMs, () => this.check());
  }

  private check(): void {
    if (!this.running) return;
    const { utilization, heapBytes } = this.sample();
    const quiet = utilization < this.quietUtilization;
    const worth = this.startPending || this.settling || heapBytes - this.settledBytes >= this.growthBytes || this.releases >= this.releaseThreshold;
    const wasSettling = this.settling;
    this.settling = false;
    if (quiet && worth) {
      const started = this.clock.now();
      this.collect!();
      this.releases = 0;
      this.startPending = false;
      this.settling = !wasSettling;
      this.settledBytes = this.sample().heapBytes;
      this.options.onCollected?.({ beforeBytes: heapBytes, afterBytes: this.settledBytes, ms: this.clock.now() - started });
    } else if (heapBytes < this.settledBytes) {
      this.settledBytes = heapBytes; // V8 collected on its own
    }
    this.schedule();
  }
}

/** Samples this process: event-loop utilization since the previous sample, heap used + external. */
function processSampler(): () => ProcessSample {
  let previous = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, previous).utilization;
    previous = now;
    const { heapUsed, external } = process.memoryUsage();
    return { utilization, heapBytes: heapUsed + external };
  };
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

/**
 * The reclaimer a long-running component runs: settles once after start-up and after each
 * burst, logging each collection at debug level. Started; a component that stops by exiting
 * (exitOnSignals) need not stop it.
 */
export function startProcessReclaimer(logger: Logger, options: Omit<MemoryReclaimerOptions, 'onCollected' | 'settleAfterStart'> = {}): MemoryReclaimer {
  const reclaimer = new MemoryReclaimer({
    ...options,
    settleAfterStart: true,
    onCollected: ({ beforeBytes, afterBytes, ms }) => logger.debug({ beforeBytes, afterBytes, ms, rssBytes: process.memoryUsage.rss() }, 'collected garbage once quiet'),
  });
  reclaimer.start();
  return reclaimer;
}
