/**
 * Seeded randomized simulation of the raft core: thousands of runs of 3- and 5-member
 * clusters under message loss, duplication, reordering, partitions, crashes and restarts,
 * snapshots and compaction, ReadIndex, leadership transfer and membership changes, with
 * Election Safety, Log Matching, Leader Completeness and State Machine Safety checked after
 * every step, and liveness checked at the end of each run.
 *
 * Environment:
 *   SIM_SEED   base seed (default {@link DEFAULT_BASE_SEED}); run i uses runSeed(base, i),
 *              and run 0 uses the base seed itself, so SIM_SEED=<failing seed> SIM_RUNS=1
 *              replays a failure exactly.
 *   SIM_RUNS   runs per cluster size (default 2000 for 3 members, 1000 for 5).
 *   SIM_NODES  only run this cluster size (3 or 5).
 *   SIM_STEPS  random steps per run (default DEFAULT_STEPS).
 */

import { expect } from 'chai';
import { ClusterStats, emptyStats } from './cluster';
import { mixSeed } from './prng';
import { DEFAULT_STEPS, runSimulation, SimulationFailure } from './scenario';

/** Base seed used when SIM_SEED is not set. */
export const DEFAULT_BASE_SEED = 20240601;

/** Seed of run `i` in a suite with base seed `base`: the base itself for run 0. */
export function runSeed(base: number, i: number): number {
  return i === 0 ? base >>> 0 : mixSeed(base, i);
}

/** Failures printed in full per suite (the rest only by seed). */
const MAX_DETAILED_FAILURES = 3;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

const baseSeed = envInt('SIM_SEED') ?? DEFAULT_BASE_SEED;
const runsOverride = envInt('SIM_RUNS');
const onlyNodes = envInt('SIM_NODES');
const steps = envInt('SIM_STEPS') ?? DEFAULT_STEPS;

const suites: Array<{ nodes: number; runs: number }> = [
  { nodes: 3, runs: runsOverride ?? 2000 },
  { nodes: 5, runs: runsOverride ?? 1000 },
].filter((s) => onlyNodes === undefined || s.nodes === onlyNodes);

function addStats(into: ClusterStats, s: ClusterStats): void {
  for (const k of Object.keys(into) as Array<keyof ClusterStats>) into[k] += s[k];
}

describe('raft simulation (seeded, randomized)', function () {
  this.timeout(600_000);

  for (const { nodes, runs } of suites) {
    it(`${nodes} members, ${runs} runs from base seed ${baseSeed}: Election Safety, Log Matching, Leader Completeness, State Machine Safety after every step; liveness after healing`, () => {
      const failures: SimulationFailure[] = [];
      const totals = emptyStats();
      let commits = 0;
      let terms = 0;
      let livenessSteps = 0;
      const membership = { none: 0, remove: 0, add: 0 };
      for (let i = 0; i < runs; i++) {
        const seed = runSeed(baseSeed, i);
        try {
          const r = runSimulation({ seed, nodes, steps });
          addStats(totals, r.stats);
          commits += r.commitIndex;
          terms += r.terms;
          livenessSteps += r.livenessSteps;
          membership[r.membership]++;
        } catch (err) {
          if (!(err instanceof SimulationFailure)) throw err;
          failures.push(err);
        }
      }
      const summary =
        `      ${nodes} members: ${runs - failures.length}/${runs} runs passed; ` +
        `committed ${commits} entries, ${terms} leader terms, ${totals.leaderChanges} elections won, ${totals.truncations} log truncations, ` +
        `${totals.delivered} msgs delivered, ${totals.lost} lost, ${totals.duplicated} duplicated, ` +
        `${totals.crashes} crashes, ${totals.restarts} restarts, ${totals.snapshotsTaken} snapshots taken, ` +
        `${totals.snapshotsInstalled} installed, ${totals.readStates} read states, ` +
        `${totals.confChangesApplied} conf changes applied (runs: ${JSON.stringify(membership)}), ` +
        `avg liveness ${(livenessSteps / Math.max(1, runs - failures.length)).toFixed(0)} steps`;
      // eslint-disable-next-line no-console
      console.log(summary);
      if (failures.length > 0) {
        const detail = failures.slice(0, MAX_DETAILED_FAILURES).map((f) => f.message).join('\n\n');
        const seeds = failures.map((f) => f.seed).join(', ');
        expect.fail(`${failures.length}/${runs} runs failed (seeds: ${seeds})\n\n${detail}`);
      }
    });
  }
});
