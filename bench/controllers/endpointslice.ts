/**
 * bench/controllers/endpointslice — EndpointSlice convergence at 1,000 Services × 10 pods
 * (issue 14's benchmark), through real processes.
 *
 * A control plane of real processes (store, apiserver, controller-manager; no scheduler: pods are
 * created bound) and simulated nodes whose kubelet (SimulatedKubelet, in this process) makes
 * pods Running and Ready. SERVICES Services with selectors are created first, then
 * SERVICES × PODS_PER_SERVICE pods, CREATE_CONCURRENCY at a time. Watches in this process see
 * every pod turn Ready and every slice change, so for each Service:
 *   convergence = when its slices first hold all its pods as ready endpoints
 *                 − when the last of its pods was seen Ready.
 * Prints p50/p99/max of that, and the lag from the last pod Ready to the last Service complete.
 * Then one pod flips to not Ready (a readiness probe failing): the time until its slice shows it
 * not ready, and the fan-out — how many slices changed in the FANOUT_WINDOW_MS after the flip
 * (one is ideal). Anchor: Kubernetes' in-cluster network programming latency SLO (p99 ≤ 30 s, for
 * large clusters); target ≤ 1 s.
 * Bounded: every phase has a cap; every process is stopped at the end.
 * Usage: npm run bench:endpointslices [-- --services N --pods-per-service M]
 */
import { flagNumber } from '../common/flags';
import { RESOURCES } from '../../lib/api/resources';
import type { KubeObject } from '../../lib/api/object';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import { SharedInformer } from '../../lib/client/informer';
import type { SimulatedNodeSpec } from '../../lib/client/testing/simulated-kubelet';
import { ControlPlaneCluster } from '../../e2e/support/control-plane-cluster';
import { latencySummary, percentile, sleep } from '../store/measure';
import { PodTracker } from './pod-tracker';

const DEFAULT_SERVICES = 1_000;
const DEFAULT_PODS_PER_SERVICE = 10;
/** Pods per simulated node (the simulated kubelet hands out at most 253 addresses per node). */
const PODS_PER_NODE = 200;
const CREATE_CONCURRENCY = 32;
const NAMESPACE = 'bench-eps';
/** Caps, ms. */
const CONVERGE_CAP_MS = 600_000;
const FLIP_CAP_MS = 30_000;
/** Slice changes counted after the flip during this window, ms. */
const FANOUT_WINDOW_MS = 3_000;
const POLL_MS = 50;
const ANCHOR_SLO_P99_S = 30;
const TARGET_S = 1;

type Endpoint = { addresses?: string[]; conditions?: { ready?: boolean }; targetRef?: { name?: string } };
type Slice = KubeObject & { endpoints?: Endpoint[] };

/** Watches every EndpointSlice of the namespace; records when each Service first had all its pods ready, and every change. */
class SliceWatch {
  readonly completeMs = new Map<string, number>();
  readonly changes: { at: number; slice: string }[] = [];
  private readonly informer: SharedInformer<Slice>;

  constructor(
    cluster: ControlPlaneCluster,
    private readonly podsPerService: number,
  ) {
    this.informer = new SharedInformer<Slice>(listerWatcherFor(cluster.client.resource<Slice>(RESOURCES.endpointslices), { namespace: NAMESPACE }), { retryBaseMs: 50 });
    const seen = (s: Slice) => {
      const now = Date.now();
      this.changes.push({ at: now, slice: s.metadata.name ?? '' });
      const service = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!service || this.completeMs.has(service)) return;
      if (this.readyEndpoints(service).size >= this.podsPerService) this.completeMs.set(service, now);
    };
    this.informer.addEventHandler({ onAdd: seen, onUpdate: (_o, s) => seen(s), onDelete: (s) => seen(s) });
  }

  async start(): Promise<void> {
    this.informer.run();
    await this.informer.waitForSync();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Names of the pods a Service's slices list as ready. */
  readyEndpoints(service: string): Set<string> {
    const ready = new Set<string>();
    for (const s of this.informer.lister.list()) {
      if (s.metadata.labels?.['kubernetes.io/service-name'] !== service) continue;
      for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false && e.targetRef?.name) ready.add(e.targetRef.name);
    }
    return ready;
  }
}

async function main(): Promise<void> {
  const services = flagNumber('--services', DEFAULT_SERVICES, { integer: true, min: 1 });
  const perService = flagNumber('--pods-per-service', DEFAULT_PODS_PER_SERVICE, { integer: true, min: 1 });
  const totalPods = services * perService;
  const nodes: SimulatedNodeSpec[] = Array.from({ length: Math.ceil(totalPods / PODS_PER_NODE) }, (_, i) => ({ name: `sim-${i + 1}`, pods: String(PODS_PER_NODE + 10) }));
  console.log(`bench/endpointslices: ${services} Services × ${perService} pods on ${nodes.length} simulated nodes`);
  const cluster = await ControlPlaneCluster.start('bench-eps', { schedulers: 0, nodes });
  const slices = new SliceWatch(cluster, perService);
  const pods = new PodTracker(cluster.client, NAMESPACE);
  try {
    await cluster.client.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await slices.start();
    await pods.start();
    const svcClient = cluster.client.resource(RESOURCES.services);
    const podClient = cluster.client.resource(RESOURCES.pods);
    const inBatches = async (n: number, make: (i: number) => Promise<unknown>) => {
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, n) }, async () => {
        while (next < n) await make(next++);
      }));
    };
    let t0 = Date.now();
    await inBatches(services, (i) => svcClient.create(NAMESPACE, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: NAMESPACE }, spec: { selector: { svc: `svc-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }));
    console.log(`bench/endpointslices: ${services} Services created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    t0 = Date.now();
    await inBatches(totalPods, (p) => {
      const svc = p % services;
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `svc-${svc}-pod-${Math.floor(p / services)}`, namespace: NAMESPACE, labels: { svc: `svc-${svc}` } }, spec: { nodeName: nodes[p % nodes.length]!.name, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080 }] }] } };
      return podClient.create(NAMESPACE, pod);
    });
    console.log(`bench/endpointslices: ${totalPods} pods created in ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for every Service's slices`);
    const deadline = Date.now() + CONVERGE_CAP_MS;
    while (slices.completeMs.size < services) {
      if (Date.now() > deadline) throw new Error(`only ${slices.completeMs.size} of ${services} Services complete after ${CONVERGE_CAP_MS / 1000} s (${pods.readyCount('svc-')} of ${totalPods} pods Ready)`);
      await sleep(POLL_MS);
    }
    const lastReadyOf = (svc: number) => Math.max(...pods.of(`svc-${svc}-pod-`).map((t) => t.readyMs ?? Infinity));
    const convergence = Float64Array.from({ length: services }, (_, i) => Math.max(0, slices.completeMs.get(`svc-${i}`)! - lastReadyOf(i)));
    const { p50, p99 } = latencySummary(convergence);
    const maxMs = percentile(convergence, 100);
    const lastPodReady = Math.max(...Array.from({ length: services }, (_, i) => lastReadyOf(i)));
    const lastComplete = Math.max(...slices.completeMs.values());
    console.log(`bench/endpointslices: all complete ${((lastComplete - t0) / 1000).toFixed(1)} s after the first pod create`);

    // The flip: one pod's readiness probe fails.
    const flipped = 'svc-0-pod-0';
    const changesBefore = slices.changes.length;
    const flipAt = Date.now();
    cluster.kubelet!.setReady(NAMESPACE, flipped, false);
    const flipDeadline = flipAt + FLIP_CAP_MS;
    while (slices.readyEndpoints('svc-0').has(flipped)) {
      if (Date.now() > flipDeadline) throw new Error(`the flipped pod still ready in its slice after ${FLIP_CAP_MS} ms`);
      await sleep(5);
    }
    const flipMs = Date.now() - flipAt;
    await sleep(FANOUT_WINDOW_MS);
    const after = slices.changes.slice(changesBefore);
    const fanout = new Set(after.map((c) => c.slice)).size;

    console.log(`\n== bench/endpointslices: ${services} Services × ${perService} pods, controller-manager and store as real processes ==`);
    console.log('figure                                         bosun          anchor / target');
    console.log(`pod Ready → its Service's slices complete p50   ${p50.toFixed(0).padStart(6)} ms`);
    console.log(`                                          p99   ${p99.toFixed(0).padStart(6)} ms      SLO p99 ≤ ${ANCHOR_SLO_P99_S} s; target ≤ ${TARGET_S} s`);
    console.log(`                                          max   ${maxMs.toFixed(0).padStart(6)} ms`);
    console.log(`last pod Ready → last Service complete          ${(lastComplete - lastPodReady).toFixed(0).padStart(6)} ms`);
    console.log(`one pod not Ready → its slice shows it          ${flipMs.toFixed(0).padStart(6)} ms      target ≤ ${TARGET_S * 1000} ms`);
    console.log(`slices changed by that flip (${FANOUT_WINDOW_MS / 1000} s window)        ${String(fanout).padStart(6)}         (1 is ideal)`);
  } finally {
    slices.stop();
    pods.stop();
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/endpointslices: ${err instanceof Error ? err.stack ?? err.message : err}`);
    process.exit(1);
  },
);
