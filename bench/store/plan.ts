/**
 * The sizes of every phase of the store benchmark, full and --quick. Every load is bounded
 * twice: by a request count and by a time cap (ms).
 */

/** One closed-loop load: connections, concurrent clients, request bound, time cap. */
export interface LoadShape {
  readonly conns: number;
  readonly clients: number;
  readonly total: number;
  readonly capMs: number;
}

/** Sizes of all phases. */
export interface BenchPlan {
  /** Keys of 256-byte values loaded before the memory reading. */
  readonly memoryKeys: LoadShape;
  /**
   * Overwrites of the loaded keys put right after them, in the same load: both systems take
   * their first snapshot at 100,000 applied entries (etcd's default --snapshot-count, and
   * Bosun's), which the distinct keys alone reach only with their very last puts. The tail
   * carries the load across the snapshot so its latency shows in the figures (0: no tail).
   */
  readonly snapshotTail: number;
  /** Pause after loading so followers catch up and allocation settles, ms. */
  readonly memorySettleMs: number;
  /**
   * Idle time on the fresh cluster before its members' resident memory is read: a Bosun member
   * gives back what start-up grew only once it has been quiet for 5–10 s (lib/memory-reclaimer).
   */
  readonly idleSettleMs: number;
  /** Further quiet time after the after-load reading before the settled one, ms. */
  readonly quietSettleMs: number;
  /** Calls run (not measured) before each put shape. */
  readonly warmupCalls: number;
  readonly puts: readonly LoadShape[];
  readonly ranges: LoadShape;
  readonly watch: {
    readonly watchers: number;
    readonly streams: number;
    readonly puts: number;
    /** Interval between puts, ms (one putter, one put in flight). */
    readonly putIntervalMs: number;
    /** How long to wait for straggling events after the last put, ms. */
    readonly drainMs: number;
    readonly capMs: number;
  };
  readonly failover: {
    /** Kills of the leader; the gap reported is the median. */
    readonly trials: number;
    readonly clients: number;
    /** Steady load before the kill, ms. */
    readonly beforeKillMs: number;
    /** The load continues this long after the first success following the kill, ms. */
    readonly afterRecoveryMs: number;
    /** Give up waiting for recovery this long after the kill, ms. */
    readonly capAfterKillMs: number;
    /** Per-call deadline, so a call stuck on a dead member fails over, ms. */
    readonly callTimeoutMs: number;
    /** Pause before a client retries on the next member after an error, ms. */
    readonly retryBackoffMs: number;
    /** Upper bound on calls started. */
    readonly maxCalls: number;
  };
}

/** Value size of every put, bytes. */
export const VALUE_BYTES = 256;
/** Distinct keys the put phases cycle through. */
export const PUT_KEYSPACE = 10_000;

/**
 * Deadline of each put during the failover phase, ms. A put forwarded to a dead leader is never
 * answered; the client only moves on when this runs out, so it bounds how much the client adds
 * to the measured gap (with 1 s, both systems' gaps came out ~0.7 s longer). Well above the put
 * p99 at 10 clients.
 */
export const FAILOVER_CALL_TIMEOUT_MS = 300;

const FULL: BenchPlan = {
  memoryKeys: { conns: 100, clients: 1000, total: 100_000, capMs: 120_000 },
  snapshotTail: 10_000,
  memorySettleMs: 3_000,
  idleSettleMs: 12_000,
  quietSettleMs: 12_000,
  warmupCalls: 500,
  puts: [
    { conns: 1, clients: 1, total: 2_000, capMs: 15_000 },
    { conns: 10, clients: 10, total: 10_000, capMs: 20_000 },
    { conns: 100, clients: 1000, total: 30_000, capMs: 30_000 },
  ],
  ranges: { conns: 100, clients: 100, total: 30_000, capMs: 20_000 },
  watch: { watchers: 100, streams: 10, puts: 500, putIntervalMs: 10, drainMs: 5_000, capMs: 30_000 },
  failover: {
    trials: 5,
    clients: 10,
    beforeKillMs: 2_000,
    afterRecoveryMs: 1_000,
    capAfterKillMs: 20_000,
    callTimeoutMs: FAILOVER_CALL_TIMEOUT_MS,
    retryBackoffMs: 10,
    maxCalls: 500_000,
  },
};

const QUICK: BenchPlan = {
  memoryKeys: { conns: 100, clients: 1000, total: 25_000, capMs: 40_000 },
  snapshotTail: 0,
  memorySettleMs: 2_000,
  idleSettleMs: 12_000,
  quietSettleMs: 12_000,
  warmupCalls: 200,
  puts: [
    { conns: 1, clients: 1, total: 500, capMs: 6_000 },
    { conns: 10, clients: 10, total: 3_000, capMs: 8_000 },
    { conns: 100, clients: 1000, total: 10_000, capMs: 10_000 },
  ],
  ranges: { conns: 100, clients: 100, total: 8_000, capMs: 8_000 },
  watch: { watchers: 100, streams: 10, puts: 150, putIntervalMs: 10, drainMs: 3_000, capMs: 15_000 },
  failover: {
    trials: 2,
    clients: 10,
    beforeKillMs: 1_500,
    afterRecoveryMs: 500,
    capAfterKillMs: 15_000,
    callTimeoutMs: FAILOVER_CALL_TIMEOUT_MS,
    retryBackoffMs: 10,
    maxCalls: 200_000,
  },
};

/** The plan for a full run or a --quick one. */
export function benchPlan(quick: boolean): BenchPlan {
  return quick ? QUICK : FULL;
}
