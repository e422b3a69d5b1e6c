/**
 * How much load each phase of the apiserver benchmark applies: a full run (about 3-4 minutes)
 * and a --quick one (under a minute). Every loop is bounded by a count and a time cap.
 */

/** Fixed targets from the issue. */
export const SINGLE_OBJECT_P99_TARGET_MS = 50;
export const LIST_TARGET_MS = 1_000;
/** Pod creates must reach at least this share of the raw put throughput. */
export const CREATE_TO_PUT_TARGET_RATIO = 0.5;
/** Pods the list phase lists (the target is stated for this many). */
export const LIST_TARGET_PODS = 10_000;
/** Page size of the paged list. */
export const LIST_PAGE_LIMIT = 500;

/** A closed-loop load at concurrency C. */
export interface ClosedLoad {
  /** HTTP/2 connections the calls are spread over. */
  readonly channels: number;
  /** Calls in flight. */
  readonly concurrency: number;
  readonly total: number;
  readonly capMs: number;
}

export interface ApiBenchPlan {
  /** Calls before each closed-loop phase, unmeasured (JIT, connections). */
  readonly warmupCalls: number;
  /** Phase 1 (anchor) and 2: same channels and concurrency. */
  readonly puts: ClosedLoad;
  readonly creates: ClosedLoad;
  /** Phase 3: fixed-rate single-object calls. */
  readonly openLoop: { readonly rate: number; readonly total: number; readonly capMs: number; readonly channels: number; readonly callTimeoutMs: number };
  /** Phase 4. */
  readonly list: { readonly pods: number; readonly topUpCapMs: number; readonly repeats: number; readonly clientRepeats: number; readonly callTimeoutMs: number };
  /** Phase 5. */
  readonly watch: { readonly watchers: number; readonly channels: number; readonly updates: number; readonly gapMs: number; readonly capMs: number };
}

const C = 64;
const CHANNELS = 4;

const FULL: ApiBenchPlan = {
  warmupCalls: 300,
  puts: { channels: CHANNELS, concurrency: C, total: 30_000, capMs: 15_000 },
  creates: { channels: CHANNELS, concurrency: C, total: 10_000, capMs: 25_000 },
  openLoop: { rate: 200, total: 2_000, capMs: 10_000, channels: 2, callTimeoutMs: 5_000 },
  list: { pods: LIST_TARGET_PODS, topUpCapMs: 40_000, repeats: 5, clientRepeats: 2, callTimeoutMs: 30_000 },
  watch: { watchers: 1_000, channels: 8, updates: 100, gapMs: 20, capMs: 40_000 },
};

const QUICK: ApiBenchPlan = {
  warmupCalls: 150,
  puts: { channels: CHANNELS, concurrency: C, total: 6_000, capMs: 4_000 },
  creates: { channels: CHANNELS, concurrency: C, total: 3_000, capMs: 5_000 },
  openLoop: { rate: 200, total: 600, capMs: 3_000, channels: 2, callTimeoutMs: 5_000 },
  list: { pods: 3_000, topUpCapMs: 10_000, repeats: 3, clientRepeats: 1, callTimeoutMs: 30_000 },
  watch: { watchers: 1_000, channels: 8, updates: 20, gapMs: 20, capMs: 10_000 },
};

/** The plan for a full or a --quick run. */
export function apiBenchPlan(quick: boolean): ApiBenchPlan {
  return quick ? QUICK : FULL;
}
