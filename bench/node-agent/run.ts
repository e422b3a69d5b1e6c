/**
 * bench/node-agent — pod start-up through real node agents, per runtime, side by side.
 *
 * For each runtime (process; docker where an engine answers): a control plane of real processes
 * (store, apiserver, scheduler, controller-manager with node IPAM) and two `bosun node-agent`
 * processes on that runtime; busybox pods (`sleep`) are created through the API — first 20 paced
 * one per 500 ms (start-up latency, what the SLO speaks to), then a burst of PODS, 10 at a time
 * (throughput: the burst queues behind the nodes' CPUs) — and each pod's create → Running is
 * observed by a watch in this process. Prints p50/p99 of both next to
 * Kubernetes' pod-startup SLO (p99 ≤ 5 s, image pull excluded: the image is present) and the
 * targets (p99 ≤ 1 s process, ≤ 3 s docker), `docker run --rm busybox true` timed in the same
 * run as the engine's own floor, and the agents' RSS growth per 100 pods.
 * Bounded: every phase has a cap, every process and pod it started is stopped.
 * Usage: npm run bench:node-agent [-- --pods N --runtimes process,docker]   (as root)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { podCondition } from '../../lib/api/pod-status';
import { RESOURCES } from '../../lib/api/resources';
import type { Node, Pod } from '../../lib/api/types/core';
import type { ResourceClient } from '../../lib/client/api-client';
import { ControlPlaneCluster } from '../../e2e/support/control-plane-cluster';
import { PodTracker } from '../controllers/pod-tracker';

const DEFAULT_PODS = 100;
/** How long all pods of one runtime may take to run, ms. */
const RUNNING_CAP_MS = 120_000;
/** How long both nodes may take to be Ready, ms. */
const NODES_READY_CAP_MS = 60_000;
/** How long the pods may take to go away at the end, ms. */
const CLEANUP_CAP_MS = 60_000;
/** Creates in flight at once in the burst phase. */
const CREATE_CONCURRENCY = 10;
/** The paced phase: this many pods, one every PACED_INTERVAL_MS (what the SLO's latency speaks to: start-up, not a queue). */
const PACED_PODS = 20;
const PACED_INTERVAL_MS = 500;
/** `docker run` repetitions for the engine's floor. */
const DOCKER_RUN_SAMPLES = 5;
const POLL_MS = 100;
const NAMESPACE = 'bench-node-agent';
const IMAGE = 'busybox:latest';

/** Anchors and targets, ms. */
const K8S_POD_STARTUP_SLO_P99_MS = 5_000;
const TARGET_P99_MS: Record<string, number> = { process: 1_000, docker: 3_000 };

function argValue(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1]) / 1024;
  } catch {
    return NaN;
  }
}

function dockerAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** Makes the busybox image present for `runtime` (built offline by the project's script). */
function ensureImage(runtime: string): void {
  const repo = path.resolve(__dirname, '..', '..', '..');
  const tarball = execFileSync('bash', [path.join(repo, 'scripts', 'images', 'build-images.sh'), 'busybox'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  if (runtime === 'process') {
    execFileSync(process.execPath, [path.join(repo, 'bin', 'bosun.js'), 'image', 'import', IMAGE, tarball], { stdio: 'ignore' });
  } else if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
    execFileSync('docker', ['import', tarball, IMAGE], { stdio: 'ignore' });
  }
}

/** `docker run --rm busybox true`, DOCKER_RUN_SAMPLES times: the engine's own start-and-exit floor (ms, sorted). */
function dockerRunFloor(): number[] {
  const samples: number[] = [];
  for (let i = 0; i < DOCKER_RUN_SAMPLES; i++) {
    const t0 = performance.now();
    const r = spawnSync('docker', ['run', '--rm', '--network', 'none', IMAGE, 'true'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b);
}

interface Latencies {
  readonly running: number;
  readonly pods: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

interface RuntimeResult {
  readonly runtime: string;
  readonly burst: Latencies;
  readonly paced: Latencies;
  readonly rssPer100PodsMb: number;
  readonly rssIdleMb: number;
}

async function waitUntil(check: () => Promise<boolean>, capMs: number, what: string): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${capMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

async function measure(runtime: string, pods: number): Promise<RuntimeResult> {
  ensureImage(runtime);
  const nodeNames = [`bench-${runtime}-a`, `bench-${runtime}-b`];
  const cluster = await ControlPlaneCluster.start(`bench-node-agent-${runtime}`, { nodes: [], nodeAgents: nodeNames.map((nodeName) => ({ nodeName, runtime })) });
  try {
    const nodes = cluster.client.resource<Node>(RESOURCES.nodes);
    const ready = (n: Node) => podCondition(n, 'Ready')?.status === 'True';
    await waitUntil(async () => {
      const list = await nodes.list(undefined);
      return nodeNames.every((name) => list.items.some((n) => n.metadata.name === name && ready(n) && n.spec?.podCIDR));
    }, NODES_READY_CAP_MS, 'both nodes Ready with a podCIDR');
    await cluster.client.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    const rssIdle = cluster.nodeAgents.map((a) => rssMb(a.pid));
    const tracker = new PodTracker(cluster.client, NAMESPACE);
    await tracker.start();
    const client = cluster.client.resource<Pod>(RESOURCES.pods);
    // Paced first (an idle cluster), then the burst.
    const paced = await startPods(client, tracker, Array.from({ length: PACED_PODS }, (_, i) => `paced-${i}`), 1, PACED_INTERVAL_MS);
    const burst = await startPods(client, tracker, Array.from({ length: pods }, (_, i) => `p-${i}`), CREATE_CONCURRENCY, 0);
    const rssLoaded = cluster.nodeAgents.map((a) => rssMb(a.pid));
    tracker.stop();
    const growth = rssLoaded.reduce((s, v, i) => s + (v - rssIdle[i]!), 0);
    await client.deleteCollection(NAMESPACE, {}, { gracePeriodSeconds: 0 }).catch(() => undefined);
    await waitUntil(async () => (await client.list(NAMESPACE)).items.length === 0, CLEANUP_CAP_MS, 'the pods deleted').catch((err: Error) => console.log(`  (clean-up: ${err.message})`));
    return {
      runtime,
      burst,
      paced,
      rssPer100PodsMb: (growth / (pods + PACED_PODS)) * 100,
      rssIdleMb: rssIdle.reduce((s, v) => s + v, 0) / rssIdle.length,
    };
  } finally {
    await cluster.stop();
  }
}

/** Creates `names` (`concurrency` at a time, `intervalMs` apart) and returns their create → Running latencies. */
async function startPods(client: ResourceClient<Pod>, tracker: PodTracker, names: string[], concurrency: number, intervalMs: number): Promise<Latencies> {
  const createdAt = new Map<string, number>();
  for (let i = 0; i < names.length; i += concurrency) {
    await Promise.all(
      names.slice(i, i + concurrency).map(async (name) => {
        createdAt.set(name, Date.now());
        await client.create(NAMESPACE, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: NAMESPACE },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
        });
      }),
    );
    if (intervalMs > 0) await sleep(intervalMs);
  }
  const deadline = Date.now() + RUNNING_CAP_MS;
  const running = () => names.filter((n) => tracker.times.get(n)?.readyMs !== undefined).length;
  while (running() < names.length && Date.now() < deadline) await sleep(POLL_MS);
  const latencies = names
    .map((n) => {
      const t = tracker.times.get(n);
      return t?.readyMs !== undefined ? t.readyMs - createdAt.get(n)! : NaN;
    })
    .filter((ms) => !Number.isNaN(ms))
    .sort((a, b) => a - b);
  return { running: latencies.length, pods: names.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1] ?? NaN };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/node-agent runs the process runtime with pod networks and cgroups: run it as root');
  const pods = Number(argValue('--pods', String(DEFAULT_PODS)));
  if (!Number.isInteger(pods) || pods < 1) throw new Error(`--pods: a positive integer is required, got ${argValue('--pods', '')}`);
  const wanted = argValue('--runtimes', 'process,docker').split(',');
  const docker = dockerAnswers();
  const started = Date.now();
  const results: RuntimeResult[] = [];
  for (const runtime of wanted) {
    if (runtime === 'docker' && !docker) {
      console.log('bench/node-agent: no Docker engine answers (scripts/docker/ensure-docker.sh starts one); docker runtime skipped');
      continue;
    }
    console.log(`bench/node-agent: ${runtime} runtime, ${pods} pods on two nodes…`);
    results.push(await measure(runtime, pods));
  }
  const floor = docker ? dockerRunFloor() : [];
  const rows: string[][] = [['runtime', 'pods', 'running', 'p50 ms', 'p99 ms', 'max ms', 'target p99', 'K8s SLO p99', 'agent RSS idle MB', 'RSS per 100 pods MB']];
  for (const r of results) {
    for (const [what, l] of [[`paced (1 per ${PACED_INTERVAL_MS} ms)`, r.paced], [`burst (${CREATE_CONCURRENCY} at a time)`, r.burst]] as const) {
      rows.push([r.runtime, what, `${l.running}/${l.pods}`, fmt(l.p50Ms), fmt(l.p99Ms), fmt(l.maxMs), `≤ ${TARGET_P99_MS[r.runtime] ?? '—'}`, `≤ ${K8S_POD_STARTUP_SLO_P99_MS}`, fmt(r.rssIdleMb, 1), fmt(r.rssPer100PodsMb, 1)]);
    }
  }
  if (floor.length) rows.push(['docker run --rm true', 'sequential', `${floor.length}/${DOCKER_RUN_SAMPLES}`, fmt(percentile(floor, 50)), fmt(percentile(floor, 99)), fmt(floor[floor.length - 1]!), '(anchor)', '', '', '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\nbench/node-agent: create → Running observed by watch; store, apiserver, scheduler, controller-manager, two node agents per runtime; wall ${fmt((Date.now() - started) / 1000, 1)} s`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log(`load average (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores`);
}

main().catch((err: Error) => {
  console.error(`bench/node-agent: ${err.message}`);
  process.exitCode = 1;
});
