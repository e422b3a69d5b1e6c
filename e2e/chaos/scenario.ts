/**
 * One whole-cluster chaos run against `bosun up` (2 nodes, process runtime): the workload (object
 * churn, ConfigMap CAS clients, a recorded pod watch) runs while the nemesis goes through its
 * faults — at least once, and again until `durationMs` has passed — then everything is healed
 * and checked. Shared by the short run in `npm test` and the long one (`npm run chaos`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCES } from '../../lib/api/resources';
import type { Job } from '../../lib/api/types/batch';
import { checkLinearizable } from '../support/linearizability';
import { finalReads, runConfigMapCas } from './configmap-cas';
import { waitConverged } from './convergence';
import { FAULTS, runFault } from './nemesis';
import { createChurnObjects, JOB_COMPLETIONS, runChurn } from './object-churn';
import { PodHistory } from './pod-history';
import { UpCluster } from './up-cluster';

/** The namespace the workload lives in. */
const NS = 'default';
/** The registers (ConfigMaps) the CAS clients share. */
const CAS_KEYS = ['cas-0', 'cas-1'];
const CAS_CLIENTS = 3;
/** How long after the last heal the cluster has to converge (the figure). */
export const CONVERGE_WITHIN_MS = 20_000;
const CONVERGE_POLL_MS = 500;
/** Pause between two faults, so the workload makes progress in between. */
const FAULT_GAP_MS = 2_000;
/**
 * The controller-manager's node grace period for the run, seconds: past the agents' Lease renewal
 * (every 10 s) with margin, far below the 40 s default so a pause fits in a short run.
 */
const NODE_GRACE_PERIOD_S = 16;
/** Budget of the linearizability search. */
const CHECK_TIMEOUT_MS = 30_000;

/** What a run did and what it found. */
export interface ChaosReport {
  readonly faults: string[];
  readonly violations: string[];
  readonly summary: string;
}

/** Runs the scenario in a fresh temporary folder (removed afterwards unless the run found violations). */
export async function runChaos(durationMs: number, log: (line: string) => void): Promise<ChaosReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-chaos-up-'));
  const env = { BOSUN_CONTROLLER_MANAGER_NODE_MONITOR_GRACE_PERIOD: String(NODE_GRACE_PERIOD_S), BOSUN_CONTROLLER_MANAGER_NODE_MONITOR_PERIOD: '1' };
  const t0 = Date.now();
  const cluster = await UpCluster.start(dir, 2, env, log);
  log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  let violations: string[] = [];
  try {
    const report = await exercise(cluster, durationMs, log);
    violations = report.violations;
    return report;
  } catch (err) {
    violations = [String(err)];
    throw err;
  } finally {
    await cluster.stop();
    if (violations.length === 0) fs.rmSync(dir, { recursive: true, force: true });
    else log(`data and logs kept in ${dir}`);
  }
}

async function exercise(cluster: UpCluster, durationMs: number, log: (line: string) => void): Promise<ChaosReport> {
  const client = cluster.client;
  const pods = new PodHistory(client, NS, log);
  await createChurnObjects(client, NS);
  let stopWorkload = false;
  const until = () => stopWorkload;
  const churn = runChurn(client, NS, until, log);
  const cas = runConfigMapCas(client, NS, CAS_KEYS, CAS_CLIENTS, until);
  const faults: string[] = [];
  const start = Date.now();
  try {
    for (let i = 0; i < FAULTS.length || Date.now() - start < durationMs; i++) {
      await new Promise((r) => setTimeout(r, FAULT_GAP_MS));
      const line = await runFault(cluster, FAULTS[i % FAULTS.length]!);
      faults.push(line);
      log(line);
    }
  } finally {
    stopWorkload = true;
  }
  const [churnReport, casReport] = await Promise.all([churn, cas]);
  const lastHeal = Date.now();
  const violations: string[] = [];
  const left = await waitConverged(cluster, NS, lastHeal + CONVERGE_WITHIN_MS, CONVERGE_POLL_MS);
  const convergedIn = Date.now() - lastHeal;
  for (const l of left) violations.push(`not converged ${CONVERGE_WITHIN_MS / 1000} s after the last heal: ${l}`);
  await finalReads(client, NS, CAS_KEYS, casReport.history, Date.now() + CONVERGE_WITHIN_MS);
  await pods.stop();
  const lin = checkLinearizable(casReport.history, { timeoutMs: CHECK_TIMEOUT_MS });
  if (lin.ok === false) violations.push(`ConfigMap history not linearizable: ${lin.reason}\n${lin.window}`);
  else if (lin.ok === 'unknown') violations.push(`ConfigMap history: checker gave up: ${lin.reason}`);
  for (const p of pods.podsOnTwoNodes()) violations.push(`pod bound to two nodes: ${p}`);
  for (const o of pods.ordinalOverlaps()) violations.push(`two pods of one StatefulSet ordinal: ${o}`);
  for (const name of churnReport.jobs) {
    const job = await client.resource<Job>(RESOURCES.jobs).get(NS, name).catch(() => undefined);
    if (!job) continue;
    const succeeded = (job.status as { succeeded?: number } | undefined)?.succeeded ?? 0;
    const seen = pods.succeededPodsOf(name).size;
    if (succeeded !== JOB_COMPLETIONS || seen !== succeeded) violations.push(`job ${name}: status.succeeded ${succeeded}, ${seen} pods seen Succeeded, completions ${JOB_COMPLETIONS}`);
  }
  const summary =
    `${faults.length} faults in ${((lastHeal - start) / 1000).toFixed(0)} s; converged in ${(convergedIn / 1000).toFixed(1)} s; ` +
    `churn: ${churnReport.rolls} rolls, ${churnReport.scales} scales, ${churnReport.jobs.length} jobs, ${churnReport.failedWrites} failed writes; ` +
    `CAS: ${casReport.history.size} ops, ${casReport.swapped} swapped, ${casReport.conflicts} conflicts, ${casReport.indeterminate} indeterminate; ` +
    `pods: ${pods.sightings.length} sightings, ${pods.relists} relists; violations: ${violations.length}`;
  log(summary);
  return { faults, violations, summary };
}
