/**
 * bench/cluster — the whole embedded cluster (`npm start`'s `bosun up`), measured as a user meets it.
 *
 * (a) Start-up: a fresh `bosun up --ports free` in a new folder (the busybox sample image is built
 *     first, outside the timing: the one-time build) → the time until `bosun up` reports both
 *     nodes Ready and the DNS answering, and until a first pod is Running. Anchors: k3d 19.9 s and
 *     kind ~33 s to create a cluster; target ≤ 10 s.
 * (b) Idle: after IDLE_S seconds with no workload (5 minutes by default, as the issue asks), the
 *     RSS of every process of the cluster (per component and total) and the CPU they used over
 *     the idle window, as a share of one core. Anchors: k3s server + agent ≈ 512 MB with one node,
 *     5–20 % of a core idle; targets ≤ 600 MB and ≤ 3 %.
 * (c) A REPLICAS-replica Deployment of busybox on the process runtime: apply → all Ready, and
 *     p50/p99 of each pod's create → Ready, as a watch in this process sees them. Anchor:
 *     Kubernetes' pod-startup SLO (p99 ≤ 5 s, image present).
 * Bounded: every wait has a cap; the cluster is stopped (Ctrl-C, then its process group killed)
 * and its folder removed at the end. Usage (as root, for the process runtime):
 *   npm run bench:cluster [-- --idle-seconds 300 --replicas 100]
 */
import { flagNumber } from '../common/flags';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCES } from '../../lib/api/resources';
import type { Pod } from '../../lib/api/types/core';
import type { Deployment } from '../../lib/api/types/apps';
import type { ApiClient } from '../../lib/client/api-client';
import { resolveConnection } from '../../lib/client/kubeconfig';
import { grpcClientFor } from '../../lib/client/kubeconfig-client';
import { startUp, type RunningUp } from '../../e2e/support/bosun-up';
import { PodTracker } from '../controllers/pod-tracker';
import { percentile, procCpuMs, procRssBytes, sleep } from '../store/measure';
import { clusterProcesses, type ClusterProcess } from './process-tree';

const DEFAULT_IDLE_S = 300;
const DEFAULT_REPLICAS = 100;
/** Caps, ms. */
const UP_CAP_MS = 180_000;
const FIRST_POD_CAP_MS = 60_000;
const DEPLOYMENT_CAP_MS = 180_000;
const STOP_CAP_MS = 30_000;
const POLL_MS = 100;
const NAMESPACE = 'default';
const IMAGE = 'busybox:latest';

/** Anchors and targets. */
const ANCHOR_K3D_CREATE_S = 19.9;
const ANCHOR_KIND_CREATE_S = 33;
const TARGET_START_S = 10;
const ANCHOR_K3S_RSS_MB = 512;
const TARGET_RSS_MB = 600;
const ANCHOR_K3S_IDLE_CPU = '5–20 %';
const TARGET_IDLE_CPU_PCT = 3;
const K8S_POD_STARTUP_SLO_P99_MS = 5_000;

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const mb = (bytes: number) => bytes / (1024 * 1024);

async function waitUntil(what: string, capMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${capMs} ms`);
    await sleep(POLL_MS);
  }
}

function podRunning(pod: Pod | undefined): boolean {
  return pod?.status?.phase === 'Running';
}

/** (a): fresh start → nodes Ready and DNS answering (what `bosun up` waits for), then a first pod Running. */
async function measureStart(dir: string): Promise<{ up: RunningUp; client: ApiClient; readyS: number; podS: number }> {
  const t0 = Date.now();
  const up = startUp(['--dir', dir, '--ports', 'free']);
  const out = await up.waitFor(/Press Ctrl-C/, UP_CAP_MS);
  const readyS = (Date.now() - t0) / 1000;
  const kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1];
  if (!kubeconfig) throw new Error(`bosun up printed no kubeconfig:\n${out}`);
  const client = grpcClientFor(resolveConnection({ kubeconfig, env: {}, cwd: process.cwd() }));
  const pods = client.resource<Pod>(RESOURCES.pods);
  await pods.create(NAMESPACE, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'first', namespace: NAMESPACE }, spec: { containers: [{ name: 'c', image: IMAGE, command: ['sleep', '3600'] }] } } as Pod);
  await waitUntil('the first pod Running', FIRST_POD_CAP_MS, async () => podRunning(await pods.get(NAMESPACE, 'first').catch(() => undefined)));
  const podS = (Date.now() - t0) / 1000;
  await pods.delete(NAMESPACE, 'first', { gracePeriodSeconds: 0 });
  return { up, client, readyS, podS };
}

interface IdleFigure {
  readonly name: string;
  readonly rssMb: number;
  readonly cpuPct: number;
}

/** (b): CPU over the idle window and RSS at its end, per process of the cluster. */
async function measureIdle(root: number, idleS: number): Promise<IdleFigure[]> {
  const before = new Map<number, number>();
  const procs: ClusterProcess[] = clusterProcesses(root);
  for (const p of procs) before.set(p.pid, procCpuMs(p.pid) ?? NaN);
  const t0 = Date.now();
  await sleep(idleS * 1000);
  const wallMs = Date.now() - t0;
  return procs.map((p) => ({
    name: p.name,
    rssMb: mb(procRssBytes(p.pid) ?? NaN),
    cpuPct: (((procCpuMs(p.pid) ?? NaN) - before.get(p.pid)!) / wallMs) * 100,
  }));
}

/** (c): a REPLICAS-replica Deployment: apply → all Ready, and each pod's create → Ready. */
async function measureDeployment(client: ApiClient, replicas: number): Promise<{ allReadyS: number; p50Ms: number; p99Ms: number; ready: number }> {
  const tracker = new PodTracker(client, NAMESPACE);
  await tracker.start();
  const labels = { app: 'bench' };
  const t0 = Date.now();
  await client.resource<Deployment>(RESOURCES.deployments).create(NAMESPACE, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench', namespace: NAMESPACE },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: IMAGE, command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 0 } } },
    } as Deployment);
  let allReadyS = NaN;
  try {
    await waitUntil(`${replicas} pods Ready`, DEPLOYMENT_CAP_MS, async () => tracker.readyCount('bench-') >= replicas);
    allReadyS = (Date.now() - t0) / 1000;
  } catch (err) {
    console.error(`bench/cluster: ${(err as Error).message}; reporting the pods that were Ready`);
  }
  const latencies = Float64Array.from(tracker.of('bench-').flatMap((t) => (t.readyMs === undefined ? [] : [t.readyMs - t.createdMs]))).sort();
  tracker.stop();
  return { allReadyS, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), ready: latencies.length };
}

async function stopCluster(up: RunningUp): Promise<void> {
  up.child.kill('SIGINT');
  await Promise.race([up.exited, sleep(STOP_CAP_MS)]);
  up.killAll();
}

async function main(): Promise<void> {
  const idleS = flagNumber('--idle-seconds', DEFAULT_IDLE_S);
  const replicas = flagNumber('--replicas', DEFAULT_REPLICAS);
  const repo = path.resolve(__dirname, '..', '..', '..');
  console.log('bench/cluster: building the busybox sample image (one-time build, not timed)…');
  execFileSync('bash', [path.join(repo, 'scripts', 'images', 'build-images.sh'), 'busybox'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-cluster-'));
  let up: RunningUp | undefined;
  try {
    console.log(`bench/cluster: fresh bosun up in ${dir} (${os.cpus().length} CPUs)…`);
    const start = await measureStart(dir);
    up = start.up;
    console.log(`bench/cluster: idle for ${idleS} s…`);
    const idle = await measureIdle(up.child.pid!, idleS);
    console.log(`bench/cluster: a ${replicas}-replica Deployment…`);
    const deploy = await measureDeployment(start.client, replicas);
    start.client.close();

    const totalRss = idle.reduce((s, f) => s + (Number.isFinite(f.rssMb) ? f.rssMb : 0), 0);
    const totalCpu = idle.reduce((s, f) => s + (Number.isFinite(f.cpuPct) ? f.cpuPct : 0), 0);
    console.log('\n== bench/cluster ==');
    console.log('figure                               bosun        anchor                          target');
    console.log(`fresh start → nodes Ready, DNS up    ${fmt(start.readyS, 1).padStart(6)} s     k3d ${ANCHOR_K3D_CREATE_S} s, kind ~${ANCHOR_KIND_CREATE_S} s (create)   ≤ ${TARGET_START_S} s`);
    console.log(`fresh start → first pod Running      ${fmt(start.podS, 1).padStart(6)} s`);
    console.log(`idle RSS, whole cluster              ${fmt(totalRss).padStart(6)} MB    k3s server+agent ≈ ${ANCHOR_K3S_RSS_MB} MB (1 node)  ≤ ${TARGET_RSS_MB} MB`);
    console.log(`idle CPU, whole cluster (${idleS} s)    ${fmt(totalCpu, 1).padStart(6)} %     k3s ${ANCHOR_K3S_IDLE_CPU} of a core          ≤ ${TARGET_IDLE_CPU_PCT} %`);
    console.log(`${replicas}-replica Deployment → all Ready  ${fmt(deploy.allReadyS, 1).padStart(6)} s     (${deploy.ready}/${replicas} Ready)`);
    console.log(`pod create → Ready p50 / p99         ${fmt(deploy.p50Ms)} / ${fmt(deploy.p99Ms)} ms   Kubernetes SLO p99 ≤ ${K8S_POD_STARTUP_SLO_P99_MS} ms`);
    console.log('\nper process (idle):');
    console.log('process                          RSS MB   CPU % of a core');
    for (const f of [...idle].sort((a, b) => a.name.localeCompare(b.name))) console.log(`${f.name.padEnd(32)} ${fmt(f.rssMb).padStart(6)}   ${fmt(f.cpuPct, 2).padStart(6)}`);
  } finally {
    if (up) await stopCluster(up);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/cluster: ${err instanceof Error ? err.stack ?? err.message : err}`);
    process.exit(1);
  },
);
