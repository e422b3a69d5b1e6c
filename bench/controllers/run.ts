/**
 * bench/controllers — the ReplicaSet controller at scale through real processes.
 *
 * Starts a control plane of real processes (store ×STORE_MEMBERS, apiserver, scheduler,
 * controller-manager) with SIMULATED_NODES simulated nodes played by a SimulatedKubelet in this
 * process, then:
 * (a) creates a REPLICAS-replica Deployment (its ReplicaSet creates the pods) and waits until
 *     every pod is seen Ready through a watch; reports the time to all Ready and p50/p99 of pod
 *     create→Ready (both watch-observed);
 * (b) reports the pod creates/s the ReplicaSet controller sustained (first to last pod seen
 *     created in (a));
 * (c) changes the Deployment's image and waits for the rolling update (25 % surge / 25 %
 *     unavailable) to complete: every replica updated and available, no old pod left.
 * Prints the figures next to the anchors (Kubernetes' pod-startup SLO, ClusterLoader2's
 * throughput) and the targets. Bounded: the whole run is capped at RUN_CAP_MS and every process
 * it started is stopped. Usage: npm run bench:controllers [-- --replicas N --members 1|3]
 * Profiles of every process (bench/store's hook, written when each exits):
 *   NODE_OPTIONS="--require $PWD/dist/bench/store/cpu-profile-hook.js" BOSUN_BENCH_PROF_DIR=/tmp/prof \
 *     node dist/bench/controllers/run.js
 */
import * as os from 'node:os';
import { RESOURCES } from '../../lib/api/resources';
import { ControlPlaneCluster } from '../../e2e/support/control-plane-cluster';
import { procCpuMs, sleep } from '../store/measure';
import { PodTracker, type PodTimes } from './pod-tracker';

/** Replicas of the benchmark's ReplicaSet. */
const DEFAULT_REPLICAS = 1_000;
/** Simulated nodes (110 pods each by default). */
const SIMULATED_NODES = 100;
/** Store members unless --members says otherwise. */
const DEFAULT_STORE_MEMBERS = 1;
/** The whole run, start-up and clean-up included, must end within this, ms. */
const RUN_CAP_MS = 170_000;
/** Cap of phase (a), ms. */
const READY_CAP_MS = 90_000;
/** Time kept for clean-up at the end of the run, ms. */
const CLEANUP_RESERVE_MS = 15_000;
/** How often phase (c) reads the Deployment, ms. */
const ROLLOUT_POLL_MS = 100;
/** How often progress is checked, ms. */
const POLL_MS = 20;
const NAMESPACE = 'bench-controllers';
/** Name of the Deployment and its pods' app label. */
const APP_NAME = 'bench';

/** Anchors and targets (ms, pods/s). */
const K8S_POD_STARTUP_SLO_P99_MS = 5_000;
const CLUSTERLOADER2_PODS_PER_S = 100;
const TARGET_ALL_READY_MS = 5_000;
const TARGET_CREATES_PER_S = 500;

function argValue(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: a positive integer is required, got ${process.argv[i + 1]}`);
  return v;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface PhaseA {
  readonly allReadyMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly createsPerS: number;
  readonly createSpanMs: number;
  readonly cpuMs: Record<string, number>;
}

async function phaseA(cluster: ControlPlaneCluster, tracker: PodTracker, replicas: number): Promise<PhaseA> {
  const pids: Record<string, number | undefined> = {
    store: cluster.store.members[0]?.pid,
    apiserver: cluster.apiserver.pid,
    scheduler: cluster.schedulers[0]?.pid,
    'controller-manager': cluster.controllerManagers[0]?.pid,
    'bench (kubelet sim + watch)': process.pid,
  };
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid) ?? 0]));
  const t0 = Date.now();
  await cluster.client.resource(RESOURCES.deployments).create(NAMESPACE, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP_NAME, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: APP_NAME } },
      template: { metadata: { labels: { app: APP_NAME } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }] } },
    },
  });
  const deadline = t0 + READY_CAP_MS;
  while (tracker.readyCount(`${APP_NAME}-`) < replicas) {
    if (Date.now() > deadline) throw new Error(`phase (a): only ${tracker.readyCount(`${APP_NAME}-`)} of ${replicas} pods Ready after ${READY_CAP_MS / 1000} s`);
    await sleep(POLL_MS);
  }
  const times: PodTimes[] = tracker.of(`${APP_NAME}-`);
  const lastReady = Math.max(...times.map((t) => t.readyMs!));
  const created = times.map((t) => t.createdMs).sort((a, b) => a - b);
  const latencies = times.map((t) => t.readyMs! - t.createdMs).sort((a, b) => a - b);
  const span = created[created.length - 1]! - created[0]!;
  const cpuMs = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (procCpuMs(pid) ?? 0) - cpuBefore[k]!]));
  return {
    allReadyMs: lastReady - t0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    createsPerS: span > 0 ? ((created.length - 1) * 1000) / span : NaN,
    createSpanMs: span,
    cpuMs,
  };
}

/** Phase (c): how long the rolling update took, or how far it got when time ran out. */
interface PhaseC {
  readonly completeMs?: number;
  readonly progress: string;
}

async function phaseC(cluster: ControlPlaneCluster, replicas: number, capMs: number): Promise<PhaseC> {
  const deployments = cluster.client.resource(RESOURCES.deployments);
  const t0 = Date.now();
  await deployments.patch(NAMESPACE, APP_NAME, 'application/strategic-merge-patch+json', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } } } }));
  let progress = '';
  while (Date.now() - t0 < capMs) {
    const d = await deployments.get(NAMESPACE, APP_NAME);
    const s = (d.status ?? {}) as { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
    progress = `updated ${s.updatedReplicas ?? 0}, total ${s.replicas ?? 0}, available ${s.availableReplicas ?? 0} of ${replicas}`;
    if ((s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas) {
      return { completeMs: Date.now() - t0, progress };
    }
    await sleep(ROLLOUT_POLL_MS);
  }
  return { progress };
}

function report(replicas: number, members: number, a: PhaseA, c: PhaseC, wallMs: number): void {
  const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const rows: [string, string, string, string][] = [
    ['figure', 'measured', 'anchor', 'target here'],
    [`(a) ${replicas} replicas: create → all Ready`, `${fmt(a.allReadyMs)} ms`, '—', `≤ ${TARGET_ALL_READY_MS} ms (${verdict(a.allReadyMs <= TARGET_ALL_READY_MS)})`],
    ['(a) pod create→Ready p50', `${fmt(a.p50Ms)} ms`, '—', '—'],
    ['(a) pod create→Ready p99', `${fmt(a.p99Ms)} ms`, `K8s pod-startup SLO p99 ≤ ${K8S_POD_STARTUP_SLO_P99_MS} ms (${verdict(a.p99Ms <= K8S_POD_STARTUP_SLO_P99_MS)})`, '—'],
    ['(b) pod creates/s by the RS controller', `${fmt(a.createsPerS)} /s over ${fmt(a.createSpanMs)} ms`, `ClusterLoader2 ${CLUSTERLOADER2_PODS_PER_S} pods/s (${verdict(a.createsPerS >= CLUSTERLOADER2_PODS_PER_S)})`, `≥ ${TARGET_CREATES_PER_S} /s (${verdict(a.createsPerS >= TARGET_CREATES_PER_S)})`],
    ['(c) rolling update of the replicas to completion', c.completeMs !== undefined ? `${fmt(c.completeMs)} ms` : `not complete (${c.progress})`, '—', '—'],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\nbench/controllers: store ×${members}, apiserver, scheduler, controller-manager; ${SIMULATED_NODES} simulated nodes; wall ${fmt(wallMs / 1000, 1)} s`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log('\nCPU during (a), ms: ' + Object.entries(a.cpuMs).map(([k, v]) => `${k} ${fmt(v)}`).join(', '));
  // The machine is shared: a load average well above the core count makes every figure pessimistic.
  console.log(`load average (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores`);
}

async function main(): Promise<void> {
  const replicas = argValue('--replicas', DEFAULT_REPLICAS);
  const members = argValue('--members', DEFAULT_STORE_MEMBERS);
  const started = Date.now();
  let cluster: ControlPlaneCluster | undefined;
  let tracker: PodTracker | undefined;
  const cap = setTimeout(() => {
    console.error(`bench/controllers: over the ${RUN_CAP_MS / 1000} s cap; stopping`);
    void shutdown().finally(() => process.exit(2));
  }, RUN_CAP_MS);
  async function shutdown(): Promise<void> {
    tracker?.stop();
    await cluster?.stop().catch((err) => console.error('stopping the cluster:', err));
  }
  try {
    const nodes = Array.from({ length: SIMULATED_NODES }, (_, i) => ({ name: `sim-${i + 1}`, cpu: '64', memory: '256Gi', pods: '110' }));
    cluster = await ControlPlaneCluster.start('bench-controllers', { members, nodes, controllerManagerArgs: ['--controllers', 'replicaset,deployment'] });
    await cluster.controllerManagerLeader();
    await cluster.client.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    tracker = new PodTracker(cluster.client, NAMESPACE);
    await tracker.start();
    const a = await phaseA(cluster, tracker, replicas);
    const c = await phaseC(cluster, replicas, RUN_CAP_MS - CLEANUP_RESERVE_MS - (Date.now() - started));
    report(replicas, members, a, c, Date.now() - started);
  } finally {
    clearTimeout(cap);
    await shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench/controllers failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
