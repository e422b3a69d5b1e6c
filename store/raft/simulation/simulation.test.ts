/**
 * Seeded randomized simulation of the raft core: thousands of runs of 3- and 5-member
 * clusters under message loss, duplication, reordering, partitions, crashes (also in the
 * middle of a Ready) and restarts, snapshots and compaction, ReadIndex, leadership transfer
 * and membership changes, with Election Safety, Log Matching, Leader Completeness, State
 * Machine Safety and the member-loop contracts checked after every step, and liveness
 * checked at the end of every run.
 *
 * Two kinds of suites: many short runs (DEFAULT_STEPS random steps) for breadth, and fewer
 * long runs (LONG_STEPS) because some histories — a deposed leader's entry committed by
 * counting replicas and then overwritten (Raft Figure 8) — need many terms to build up.
 *
 * Environment:
 *   SIM_SEED   base seed (default {@link DEFAULT_BASE_SEED}). Run i of a suite uses
 *              runSeed(base, i); run 0 uses the base seed itself, so
 *              SIM_SEED=<failing seed> SIM_RUNS=1 replays a failure exactly.
 *   SIM_RUNS   runs per suite (overrides the defaults below).
 *   SIM_NODES  only suites with this cluster size (3 or 5).
 *   SIM_STEPS  only suites with this many steps; any other value runs one custom suite per
 *              cluster size with that many steps.
 *
 * A failure prints its seed, the exact replay command and the last trace events; replay.js
 * prints a full trace.
 */

import { expect } from 'chai';
import { ClusterStats, emptyStats } from './cluster';
import { mixSeed } from './prng';
import { DEFAULT_STEPS, runSimulation, RunSummary, SimulationFailure } from './scenario';

/** Base seed used when SIM_SEED is not set. */
export const DEFAULT_BASE_SEED = 20240601;

/** Random steps per run in the long suites. */
export const LONG_STEPS = 3000;

/** Seed of run `i` in a suite with base seed `base`: the base itself for run 0. */
export function runSeed(base: number, i: number): number {
  return i === 0 ? base >>> 0 : mixSeed(base, i);
}

/** Failures printed in full per suite (the rest only by seed). */
const MAX_DETAILED_FAILURES = 3;

interface Suite {
  nodes: number;
  runs: number;
  steps: number;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

function selectSuites(): Suite[] {
  const runs = envInt('SIM_RUNS');
  const nodes = envInt('SIM_NODES');
  const steps = envInt('SIM_STEPS');
  let suites: Suite[] = [
    { nodes: 3, runs: 2000, steps: DEFAULT_STEPS },
    { nodes: 5, runs: 1000, steps: DEFAULT_STEPS },
    { nodes: 3, runs: 300, steps: LONG_STEPS },
    { nodes: 5, runs: 150, steps: LONG_STEPS },
  ];
  if (steps !== undefined) {
    const matching = suites.filter((s) => s.steps === steps);
    suites = matching.length > 0 ? matching : [3, 5].map((n) => ({ nodes: n, runs: 200, steps }));
  }
  if (nodes !== undefined) suites = suites.filter((s) => s.nodes === nodes);
  return suites.map((s) => ({ ...s, runs: runs ?? s.runs }));
}

const baseSeed = envInt('SIM_SEED') ?? DEFAULT_BASE_SEED;

function addStats(into: ClusterStats, s: ClusterStats): void {
  for (const k of Object.keys(into) as Array<keyof ClusterStats>) into[k] += s[k];
}

function summarize(suite: Suite, results: RunSummary[], failures: number): string {
  const t = emptyStats();
  let commits = 0;
  let terms = 0;
  let liveness = 0;
  const membership: Record<string, number> = {};
  for (const r of results) {
    addStats(t, r.stats);
    commits += r.commitIndex;
    terms += r.terms;
    liveness += r.livenessSteps;
    membership[r.membership] = (membership[r.membership] ?? 0) + 1;
  }
  return (
    `      ${suite.nodes} members x ${suite.steps} steps: ${results.length}/${results.length + failures} runs passed; ` +
    `${commits} entries committed, ${terms} leader terms, ${t.truncations} log truncations, ` +
    `${t.delivered} msgs delivered, ${t.lost} lost, ${t.duplicated} duplicated, ${t.crashes} crashes, ` +
    `${t.restarts} restarts, ${t.snapshotsTaken} snapshots taken, ${t.snapshotsInstalled} installed, ` +
    `${t.readStates} read states, ${t.confChangesApplied} conf changes applied ` +
    `(membership plans ${JSON.stringify(membership)}), avg liveness ${(liveness / Math.max(1, results.length)).toFixed(0)} steps`
  );
}

describe('raft simulation (seeded, randomized)', function () {
  this.timeout(600_000);

  for (const suite of selectSuites()) {
    const { nodes, runs, steps } = suite;
    it(`${nodes} members, ${runs} runs x ${steps} steps from base seed ${baseSeed}: Election Safety, Log Matching, Leader Completeness, State Machine Safety after every step; liveness after healing`, () => {
      const failures: SimulationFailure[] = [];
      const results: RunSummary[] = [];
      for (let i = 0; i < runs; i++) {
        try {
          results.push(runSimulation({ seed: runSeed(baseSeed, i), nodes, steps }));
        } catch (err) {
          if (!(err instanceof SimulationFailure)) throw err;
          failures.push(err);
        }
      }
      // eslint-disable-next-line no-console
      console.log(summarize(suite, results, failures.length));
      if (failures.length > 0) {
        const detail = failures.slice(0, MAX_DETAILED_FAILURES).map((f) => f.message).join('\n\n');
        const seeds = failures.map((f) => f.seed).join(', ');
        expect.fail(`${failures.length}/${runs} runs failed (seeds: ${seeds})\n\n${detail}`);
      }
    });
  }
});
