import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject } from '../../lib/api/object';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { SharedInformer } from '../../lib/client/informer';
import { LocalApiServer } from '../../lib/launcher/apiserver-process';
import { LocalScheduler } from '../../lib/launcher/scheduler-process';
import { freePort, LocalStoreCluster } from '../../lib/launcher/store-cluster';
import type { Pod } from '../../services/scheduler/algorithm/api-types';
import { NAMESPACES, NODES, PODS } from '../../services/scheduler/api-resources';
import { MEMBERS } from '../common/settings';
import { latencySummary, procCpuMs, sleep } from '../store/measure';
import { NODE_SHAPE, POD_SHAPE, ZONES, type SchedulerBenchPlan } from './plan';

/** Creations in flight while filling the cluster. */
const FILL_CONCURRENCY = 64;
/** Namespace of the benchmark's pods. */
const NAMESPACE = 'bench';
/** How often the wave waits check progress, ms. */
const POLL_MS = 20;

/** Figures of one end-to-end run. */
export interface EndToEndFigures {
  readonly nodes: number;
  readonly pods: number;
  /** Pods bound per second from scheduler start (process spawn) to the last bind seen. */
  readonly podsPerSecond: number;
  /** The same from the first bind seen (without start-up: process, lease, cache fill). */
  readonly podsPerSecondAfterFirstBind: number;
  /** Spawn → first bind seen, s. */
  readonly startupSeconds: number;
  readonly seconds: number;
  /** Steady stream at `streamRate`: create acknowledged → bind seen, ms. */
  readonly stream: { readonly pods: number; readonly rate: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** CPU during the bind wave, ms: scheduler process, apiserver, store members. */
  readonly cpuMs: { readonly scheduler: number; readonly apiserver: number; readonly store: number; readonly wallMs: number };
  /** Binding errors and unschedulable decisions the scheduler counted. */
  readonly bindErrors: number;
}

const podManifest = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NAMESPACE },
  spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { ...POD_SHAPE } } }] },
});

const nodeManifest = (i: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % ZONES}` } },
  status: { capacity: { ...NODE_SHAPE }, allocatable: { ...NODE_SHAPE } },
});

/** Runs `make(i)` for i in [0, n) with at most FILL_CONCURRENCY in flight. */
async function fill(n: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FILL_CONCURRENCY, n) }, async () => {
      while (next < n) await make(next++);
    }),
  );
}

/** Waits until `done()` holds, or throws after `capMs`. */
async function waitUntil(done: () => boolean, capMs: number, what: string): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${Math.round(capMs / 1000)} s`);
    await sleep(POLL_MS);
  }
}

/**
 * (b) End to end: a fresh cluster of real processes (a MEMBERS-member store, one apiserver),
 * `nodes` Node objects and `pods` pending pods created through the API; then one `bosun
 * scheduler` process starts, and its binds are observed through a watch (an informer in this
 * process) until the last pod is bound. Then pods are created at a steady rate and each one's
 * create→bound time is taken.
 */
export async function runEndToEnd(nodes: number, plan: SchedulerBenchPlan['endToEnd'], log: (msg: string) => void): Promise<EndToEndFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-scheduler-'));
  const store = await LocalStoreCluster.create({ members: MEMBERS, dir: path.join(dir, 'store'), insecure: true });
  const apiserver = new LocalApiServer('apiserver', await freePort(), path.join(dir, 'apiserver.log'), store.endpoints);
  const scheduler = new LocalScheduler('scheduler', await freePort(), path.join(dir, 'scheduler.log'), [apiserver.grpcEndpoint], ['--log-level', 'warn']);
  const client = new GrpcApiClient({ endpoints: [apiserver.grpcEndpoint] });
  let informer: SharedInformer<Pod> | undefined;
  let ok = false;
  try {
    store.startAll();
    await store.waitReady();
    apiserver.start();
    await apiserver.waitReady();
    await client.resource(NAMESPACES).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    let t = performance.now();
    await fill(nodes, (i) => client.resource(NODES).create(undefined, nodeManifest(i)));
    const pods = client.resource(PODS);
    await fill(plan.pods, (i) => pods.create(NAMESPACE, podManifest(`pre-${i}`)));
    log(`${nodes} nodes and ${plan.pods} pending pods created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const boundAt = new Map<string, number>();
    informer = new SharedInformer<Pod>(listerWatcherFor(client.resource<Pod>(PODS), { namespace: NAMESPACE }), { retryBaseMs: 50 });
    const seen = (p: Pod) => {
      if (p.spec?.nodeName && !boundAt.has(p.metadata.name!)) boundAt.set(p.metadata.name!, performance.now());
    };
    informer.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
    informer.run();
    await informer.waitForSync();

    const cpu0 = { scheduler: 0, apiserver: procCpuMs(apiserver.pid) ?? 0, store: store.members.reduce((s, m) => s + (procCpuMs(m.pid) ?? 0), 0) };
    const started = performance.now();
    scheduler.start();
    await waitUntil(() => boundAt.size >= plan.pods, plan.capMs, `binding ${plan.pods} pods`);
    const last = Math.max(...boundAt.values());
    const first = Math.min(...boundAt.values());
    const cpuMs = {
      scheduler: procCpuMs(scheduler.pid) ?? NaN,
      apiserver: (procCpuMs(apiserver.pid) ?? NaN) - cpu0.apiserver,
      store: store.members.reduce((s, m) => s + (procCpuMs(m.pid) ?? 0), 0) - cpu0.store,
      wallMs: last - started,
    };
    log(`${plan.pods} pods bound ${((last - started) / 1000).toFixed(2)} s after the scheduler started (first bind after ${((first - started) / 1000).toFixed(2)} s)`);

    // The steady stream: create at a fixed rate, measure create acknowledged → bind seen.
    const createdAt = new Map<string, number>();
    const intervalMs = 1000 / plan.streamRate;
    t = performance.now();
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < plan.streamPods; i++) {
      const due = t + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const name = `stream-${i}`;
      creates.push(pods.create(NAMESPACE, podManifest(name)).then(() => createdAt.set(name, performance.now())));
    }
    await Promise.all(creates);
    await waitUntil(() => [...createdAt.keys()].every((n) => boundAt.has(n)), plan.capMs, `binding the ${plan.streamPods} streamed pods`);
    const latencies = Float64Array.from([...createdAt].map(([n, at]) => Math.max(0, boundAt.get(n)! - at)));
    const { p50, p99 } = latencySummary(latencies);
    const status = await scheduler.status();
    ok = true;
    return {
      nodes,
      pods: plan.pods,
      podsPerSecond: plan.pods / ((last - started) / 1000),
      podsPerSecondAfterFirstBind: (plan.pods - 1) / Math.max(0.001, (last - first) / 1000),
      startupSeconds: (first - started) / 1000,
      seconds: (last - started) / 1000,
      stream: { pods: plan.streamPods, rate: plan.streamRate, p50Ms: p50, p99Ms: p99, maxMs: latencies[latencies.length - 1] ?? NaN },
      cpuMs,
      bindErrors: Number(status.bindErrorsTotal),
    };
  } finally {
    informer?.stop();
    client.close();
    await scheduler.kill('SIGTERM');
    await apiserver.kill('SIGTERM');
    await store.stop();
    if (ok && !process.env.BOSUN_BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    if (!ok || process.env.BOSUN_BENCH_KEEP) log(`logs kept in ${dir}`);
  }
}
