/**
 * Simulated nodes for controller tests and benchmarks, until node agents run real pods: Node
 * objects created through the API, and a loop that plays the kubelet's part for pods bound to
 * them — Pending pods become Running and Ready (podIP, hostIP, startTime, container statuses,
 * conditions), pods asked to exit (annotation {@link SIMULATED_EXIT_CODE}) end Succeeded or
 * Failed, and pods marked for deletion are removed with grace 0, as a kubelet does once their
 * containers stopped. Everything goes through the API, so controllers see what they would see
 * with real nodes.
 */
import type { Logger } from 'pino';
import type { KubeObject, ResourceInfo } from '../../api/object';
import type { ApiClient, ResourceClient } from '../api-client';
import { listerWatcherFor } from '../api-adapters';
import { SharedInformer } from '../informer';
import { NODE_LEASE_RENEW_INTERVAL_MS, NodeLease } from '../node-lease';

/** Pod annotation: the exit code every container of the pod ends with, once it has run. */
export const SIMULATED_EXIT_CODE = 'bosun.dev/simulated-exit-code';
/** Pod annotation: how long the pod runs before it exits, ms (default {@link DEFAULT_RUN_MS}). */
export const SIMULATED_RUN_MS = 'bosun.dev/simulated-run-ms';
/** Pod annotation "false": the pod runs but never becomes Ready. */
export const SIMULATED_READY = 'bosun.dev/simulated-ready';
/** How long a pod asked to exit runs first. */
export const DEFAULT_RUN_MS = 200;
/** Pause before a failed status write is tried again. */
const RETRY_MS = 200;

const PODS: ResourceInfo = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'] };
const NODES: ResourceInfo = { group: '', version: 'v1', kind: 'Node', resource: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], categories: [] };

/** A simulated node's size and labels. */
export interface SimulatedNodeSpec {
  readonly name: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: string;
  readonly labels?: Record<string, string>;
  readonly taints?: readonly unknown[];
  /** The node's InternalIP address (none when absent), e.g. a 127.0.0.0/8 address for LoadBalancer tests. */
  readonly internalIP?: string;
}

/** Options of a {@link SimulatedKubelet}. */
export interface SimulatedKubeletOptions {
  readonly client: ApiClient;
  readonly logger?: Logger;
  /** Delay between a pod's binding and its Running status, ms (default 0). */
  readonly startDelayMs?: number;
}

type Container = { name?: string; image?: string };
type PodSpec = { nodeName?: string; containers?: Container[]; initContainers?: Container[]; restartPolicy?: string };

/** The kubelet's part for the pods bound to simulated nodes. See the file comment. */
export class SimulatedKubelet {
  private readonly pods: ResourceClient;
  private readonly nodes: ResourceClient;
  private readonly informer: SharedInformer<KubeObject>;
  private readonly nodeIndex = new Map<string, number>();
  /** Pods with a write in flight, and whether another pass was asked for meanwhile. */
  private readonly busy = new Map<string, boolean>();
  /** Pods whose exit is already scheduled. */
  private readonly exiting = new Set<string>();
  /** Pods whose start is delayed by startDelayMs and already scheduled. */
  private readonly starting = new Set<string>();
  /** Pod IPs by pod uid, and the next host number per node. */
  private readonly ips = new Map<string, string>();
  private readonly nextHost = new Map<number, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly notReady = new Set<string>();
  /** Delay between a pod's binding and its Running status, ms (see {@link setStartDelay}). */
  private startDelayMs: number;
  /** Each node's heartbeat, renewed every NODE_LEASE_RENEW_INTERVAL_MS while the node is not paused. */
  private readonly leases = new Map<string, NodeLease>();
  private readonly paused = new Set<string>();
  private heartbeat?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: SimulatedKubeletOptions) {
    this.startDelayMs = opts.startDelayMs ?? 0;
    this.pods = opts.client.resource(PODS);
    this.nodes = opts.client.resource(NODES);
    this.informer = new SharedInformer(listerWatcherFor(this.pods), { logger: opts.logger });
    this.informer.addEventHandler({ onAdd: (p) => this.enqueue(p), onUpdate: (_o, p) => this.enqueue(p) });
  }

  /** Changes the delay between a pod's binding and its Running status for pods bound from now on, ms. */
  setStartDelay(ms: number): void {
    this.startDelayMs = ms;
  }

  /** Creates (or adopts, when they exist) the Nodes, Ready, and starts serving their pods. */
  async start(nodes: readonly SimulatedNodeSpec[]): Promise<void> {
    for (const spec of nodes) {
      this.nodeIndex.set(spec.name, this.nodeIndex.size + 1);
      await this.nodes.create(undefined, simulatedNode(spec)).catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
      this.leases.set(spec.name, new NodeLease(this.opts.client, spec.name));
    }
    await this.renewLeases();
    this.heartbeat = setInterval(() => void this.renewLeases(), NODE_LEASE_RENEW_INTERVAL_MS);
    this.informer.run();
    await this.informer.waitForSync();
  }

  /** Stops (or resumes) a node's heartbeat, as if its agent died (or came back). */
  setHeartbeat(nodeName: string, beating: boolean): void {
    if (beating) this.paused.delete(nodeName);
    else this.paused.add(nodeName);
  }

  private async renewLeases(): Promise<void> {
    await Promise.all(
      [...this.leases.entries()]
        .filter(([name]) => !this.paused.has(name))
        .map(([name, lease]) => lease.renew().catch((err: Error) => this.opts.logger?.debug({ node: name, err: err.message }, 'simulated kubelet: lease not renewed'))),
    );
  }

  /** Adds one more node while running (e.g. to see a DaemonSet follow it). */
  async addNode(spec: SimulatedNodeSpec): Promise<void> {
    await this.nodes.create(undefined, simulatedNode(spec));
    this.nodeIndex.set(spec.name, this.nodeIndex.size + 1);
    const lease = new NodeLease(this.opts.client, spec.name);
    this.leases.set(spec.name, lease);
    await lease.renew();
    for (const pod of this.informer.lister.list()) this.enqueue(pod);
  }

  /** Makes a running pod Ready or not Ready (a readiness probe turning). */
  setReady(namespace: string, name: string, ready: boolean): void {
    const key = `${namespace}/${name}`;
    if (ready) this.notReady.delete(key);
    else this.notReady.add(key);
    const pod = this.informer.lister.get(namespace, name);
    if (pod) this.enqueue(pod);
  }

  stop(): void {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.informer.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private enqueue(pod: KubeObject): void {
    const nodeName = (pod.spec as PodSpec | undefined)?.nodeName;
    if (this.stopped || !nodeName || !this.nodeIndex.has(nodeName)) return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.busy.has(key)) {
      this.busy.set(key, true);
      return;
    }
    this.busy.set(key, false);
    void this.sync(key)
      .catch((err: Error) => {
        this.opts.logger?.debug({ pod: key, err: err.message }, 'simulated kubelet: write failed, retrying');
        this.later(RETRY_MS, () => this.resync(key));
      })
      .finally(() => {
        const again = this.busy.get(key);
        this.busy.delete(key);
        if (again) this.resync(key);
      });
  }

  private resync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.informer.lister.get(namespace, name);
    if (pod) this.enqueue(pod);
  }

  /** One level-triggered pass over the pod's latest cached state. */
  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.informer.lister.get(namespace, name);
    if (!pod) return;
    const phase = (pod.status?.phase as string | undefined) ?? 'Pending';
    if (pod.metadata.deletionTimestamp) {
      await this.pods.delete(namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch((err: { code?: number }) => {
        if (err.code !== 404 && err.code !== 409) throw err;
      });
      return;
    }
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const exitCode = pod.metadata.annotations?.[SIMULATED_EXIT_CODE];
    if (phase === 'Pending') {
      const delay = this.startDelayMs;
      if (delay > 0 && !this.starting.has(key)) {
        this.starting.add(key);
        this.later(delay, () => this.resync(key));
        return;
      }
      this.starting.delete(key);
      await this.writeStatus(pod, this.runningStatus(pod));
      return;
    }
    const wantReady = !this.notReady.has(key) && pod.metadata.annotations?.[SIMULATED_READY] !== 'false';
    if (readyOf(pod) !== wantReady) await this.writeStatus(pod, this.runningStatus(pod));
    if (exitCode !== undefined && !this.exiting.has(key)) {
      this.exiting.add(key);
      const runMs = Number(pod.metadata.annotations?.[SIMULATED_RUN_MS] ?? DEFAULT_RUN_MS);
      this.later(Number.isFinite(runMs) ? runMs : DEFAULT_RUN_MS, () => {
        const latest = this.informer.lister.get(namespace, name);
        if (!latest || latest.metadata.uid !== pod.metadata.uid) return;
        void this.writeStatus(latest, exitedStatus(latest, Number(exitCode) || 0)).catch(() => {
          this.exiting.delete(key);
          this.resync(key);
        });
      });
    }
  }

  private async writeStatus(pod: KubeObject, status: Record<string, unknown>): Promise<void> {
    await this.pods.updateStatus(pod.metadata.namespace, { ...pod, status: { ...(pod.status ?? {}), ...status } });
  }

  private runningStatus(pod: KubeObject): Record<string, unknown> {
    const spec = pod.spec as PodSpec;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ready = !this.notReady.has(key(pod)) && pod.metadata.annotations?.[SIMULATED_READY] !== 'false';
    const node = this.nodeIndex.get(spec.nodeName!) ?? 0;
    const podIP = this.podIp(node, pod.metadata.uid ?? key(pod));
    const startedAt = (pod.status?.startTime as string | undefined) ?? now;
    const condition = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
    return {
      phase: 'Running',
      hostIP: `127.0.0.${node + 1}`,
      hostIPs: [{ ip: `127.0.0.${node + 1}` }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: startedAt,
      conditions: [condition('PodScheduled', true), condition('Initialized', true), condition('ContainersReady', ready), condition('Ready', ready)],
      containerStatuses: (spec.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `simulated://${c.image}`,
        containerID: `simulated://${pod.metadata.uid}/${c.name}`,
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt } },
      })),
    };
  }

  /** A pod IP in the node's /24 of 10.42.0.0/16, one per pod uid (addresses only; nothing routes them). */
  private podIp(node: number, uid: string): string {
    let ip = this.ips.get(uid);
    if (!ip) {
      const host = this.nextHost.get(node) ?? 0;
      this.nextHost.set(node, host + 1);
      ip = `10.42.${node}.${(host % 253) + 2}`;
      this.ips.set(uid, ip);
    }
    return ip;
  }
}

/** namespace/name of a pod. */
function key(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Whether the pod's Ready condition is True. */
function readyOf(pod: KubeObject): boolean {
  const conditions = (pod.status?.conditions as { type: string; status: string }[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The status of a pod whose containers all ended with `exitCode`. */
function exitedStatus(pod: KubeObject, exitCode: number): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const statuses = (pod.status?.containerStatuses as Record<string, unknown>[] | undefined) ?? [];
  const conditions = ((pod.status?.conditions as Record<string, unknown>[] | undefined) ?? []).map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: now } : c,
  );
  return {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions,
    containerStatuses: statuses.map((s) => ({
      ...s,
      ready: false,
      started: false,
      state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: pod.status?.startTime, finishedAt: now } },
    })),
  };
}

/** A Ready Node of the given size, as a node agent would register it. */
export function simulatedNode(spec: SimulatedNodeSpec): KubeObject {
  const resources = { cpu: spec.cpu ?? '8', memory: spec.memory ?? '32Gi', pods: spec.pods ?? '110' };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: spec.name, labels: { 'kubernetes.io/hostname': spec.name, 'kubernetes.io/os': 'linux', ...(spec.labels ?? {}) } },
    spec: spec.taints ? { taints: [...spec.taints] } : {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated node', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [...(spec.internalIP ? [{ type: 'InternalIP', address: spec.internalIP }] : []), { type: 'Hostname', address: spec.name }],
    },
  };
}
