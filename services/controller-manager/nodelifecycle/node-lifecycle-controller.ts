/**
 * The node lifecycle controller (Kubernetes' `nodelifecycle`, with taint-based eviction):
 * - watches every Node and its Lease in kube-node-lease; a node whose agent has not renewed the
 *   Lease nor its Ready heartbeat for the grace period (40 s by default) gets its conditions set
 *   to Unknown (node-health.ts) and its pods marked not Ready, so endpoints drop them;
 * - keeps the condition taints (node-taints.ts): not-ready / unreachable NoSchedule + NoExecute,
 *   pressure NoSchedule, unschedulable for cordoned nodes; new NoExecute taints are rate-limited
 *   (0.1 nodes/s, Kubernetes' --node-eviction-rate), so a flapping network does not empty the
 *   cluster at once;
 * - evicts the pods of NoExecute-tainted nodes when their tolerations run out (taint-eviction.ts;
 *   DefaultTolerationSeconds gives every pod 300 s).
 * Each node is looked at on every change of it, its Lease or its pods, and every monitor period.
 */
import type { Logger } from 'pino';
import { RESOURCES } from '../../../lib/api/resources';
import { isConflict, isNotFound } from '../../../lib/api/status';
import type { Lease } from '../../../lib/api/types/coordination';
import type { Node, Pod } from '../../../lib/api/types/core';
import type { ResourceClient } from '../../../lib/client/api-client';
import type { EventRecorder } from '../../../lib/client/events';
import type { SharedInformer } from '../../../lib/client/informer';
import { TokenBucket } from '../../../lib/client/token-bucket';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import { conditionsOf, observe, unknownConditions, type ProbeRecord } from './node-health';
import { desiredManagedTaints, NO_EXECUTE, reconcileTaints } from './node-taints';
import { evictionTime } from './taint-eviction';

export const NODE_LIFECYCLE_CONTROLLER_NAME = 'nodelifecycle';
/** The component on its Events (Kubernetes'). */
export const NODE_LIFECYCLE_COMPONENT = 'node-controller';
/** The namespace of the node Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const REASON_NODE_NOT_READY = 'NodeNotReady';
export const REASON_TAINT_MANAGER_EVICTION = 'TaintManagerEviction';
const NODE_NAME_INDEX = 'spec.nodeName';

export interface NodeLifecycleOptions {
  /** How long a node may go without a heartbeat before it is Unknown (--node-monitor-grace-period), ms. */
  readonly gracePeriodMs: number;
  /** How often every node is looked at without a change (--node-monitor-period), ms. */
  readonly monitorPeriodMs: number;
  /** Nodes per second that may gain a NoExecute taint (--node-eviction-rate). */
  readonly evictionRatePerSecond: number;
}

export const DEFAULT_NODE_LIFECYCLE_OPTIONS: NodeLifecycleOptions = { gracePeriodMs: 40_000, monitorPeriodMs: 5_000, evictionRatePerSecond: 0.1 };

/** Registers the node lifecycle controller with `options`. */
export function nodeLifecycleControllerDescriptor(options: NodeLifecycleOptions = DEFAULT_NODE_LIFECYCLE_OPTIONS): ControllerDescriptor {
  return { name: NODE_LIFECYCLE_CONTROLLER_NAME, create: (ctx) => new NodeLifecycleController(ctx, options) };
}

/** The node lifecycle controller. See the file comment. Its queue holds node names. */
export class NodeLifecycleController extends QueueController {
  private readonly nodes: SharedInformer<Node>;
  private readonly leases: SharedInformer<Lease>;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodeClient: ResourceClient<Node>;
  private readonly podClient: ResourceClient<Pod>;
  protected readonly runner: ControllerRunner;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly taintLimiter: TokenBucket;
  private readonly probes = new Map<string, ProbeRecord>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly options: NodeLifecycleOptions,
  ) {
    super();
    this.nodes = ctx.informers.informer<Node>(RESOURCES.nodes);
    this.leases = ctx.informers.informer<Lease>(RESOURCES.leases);
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods, { indexers: { [NODE_NAME_INDEX]: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []) } });
    this.nodeClient = ctx.client.resource<Node>(RESOURCES.nodes);
    this.podClient = ctx.client.resource<Pod>(RESOURCES.pods);
    this.recorder = ctx.recorder(NODE_LIFECYCLE_COMPONENT);
    this.logger = ctx.logger.child({ controller: NODE_LIFECYCLE_CONTROLLER_NAME });
    this.taintLimiter = new TokenBucket(options.evictionRatePerSecond, 1, ctx.clock);
    this.runner = controllerRunner(ctx, NODE_LIFECYCLE_CONTROLLER_NAME, (name) => this.reconcile(name));
    const enqueueNode = (node: Node) => this.runner.enqueue(node.metadata.name!);
    this.nodes.addEventHandler({ onAdd: enqueueNode, onUpdate: (_old, node) => enqueueNode(node), onDelete: (node) => this.probes.delete(node.metadata.name!) });
    const leaseChanged = (lease: Lease) => {
      if (lease.metadata.namespace === NODE_LEASE_NAMESPACE) this.runner.enqueue(lease.metadata.name!);
    };
    this.leases.addEventHandler({ onAdd: leaseChanged, onUpdate: (_old, lease) => leaseChanged(lease) });
    // A pod landing on a NoExecute-tainted node is looked at at once.
    this.pods.addEventHandler({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (_old, pod) => this.podChanged(pod),
    });
  }

  protected synced() {
    return [this.nodes, this.leases, this.pods];
  }

  private podChanged(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const node = this.nodes.lister.get('', nodeName);
    if (node?.spec?.taints?.some((t) => t.effect === NO_EXECUTE)) this.runner.enqueue(nodeName);
  }

  private async reconcile(name: string): Promise<ReconcileResult | void> {
    let node = this.nodes.lister.get('', name);
    if (!node) return;
    const nowMs = this.ctx.clock.now();
    const now = new Date(nowMs).toISOString();
    const lease = this.leases.lister.get(NODE_LEASE_NAMESPACE, name);
    const probe = observe(this.probes.get(name), node, String(lease?.spec?.renewTime ?? ''), nowMs);
    this.probes.set(name, probe);
    try {
      if (nowMs - probe.probeMs > this.options.gracePeriodMs) node = await this.markUnknown(node, now);
      node = await this.syncTaints(node, now);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return { requeue: true };
      throw err;
    }
    const nextEviction = await this.evictPods(node, nowMs);
    const untilStale = probe.probeMs + this.options.gracePeriodMs + 1 - nowMs;
    const wait = Math.min(this.options.monitorPeriodMs, nextEviction ?? Infinity, untilStale > 0 ? untilStale : Infinity);
    return { requeueAfterMs: Math.max(1, wait) };
  }

  /** The node's agent stopped reporting: conditions Unknown, its pods not Ready. */
  private async markUnknown(node: Node, now: string): Promise<Node> {
    const conditions = unknownConditions(node, now);
    if (!conditions) return node;
    const wasReady = conditionsOf(node).find((c) => c.type === 'Ready')?.status === 'True';
    const updated = await this.nodeClient.updateStatus(undefined, { ...node, status: { ...(node.status ?? {}), conditions } });
    this.logger.info({ node: node.metadata.name }, 'node stopped reporting: conditions set to Unknown');
    if (wasReady) this.recorder.event(updated, 'Normal', REASON_NODE_NOT_READY, `Node ${node.metadata.name} status is now: NodeNotReady`);
    for (const pod of this.pods.lister.byIndex(NODE_NAME_INDEX, node.metadata.name!)) await this.markPodNotReady(pod, now);
    return updated;
  }

  private async markPodNotReady(pod: Pod, now: string): Promise<void> {
    const conditions = ((pod.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).map((c) => c);
    const ready = conditions.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const next = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: now } : c));
    await this.podClient.updateStatus(pod.metadata.namespace, { ...pod, status: { ...(pod.status ?? {}), conditions: next } }).catch((err) => {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    });
  }

  /** Brings the condition taints up to date; new NoExecute taints wait for the rate limiter. */
  private async syncTaints(node: Node, now: string): Promise<Node> {
    let desired = desiredManagedTaints(node);
    const current = node.spec?.taints ?? [];
    const addsNoExecute = desired.some((d) => d.effect === NO_EXECUTE && !current.some((c) => c.key === d.key && c.effect === d.effect));
    if (addsNoExecute && !this.taintLimiter.tryTake()) {
      desired = desired.filter((d) => d.effect !== NO_EXECUTE || current.some((c) => c.key === d.key && c.effect === d.effect));
    }
    const taints = reconcileTaints(node, desired, now);
    if (!taints) return node;
    return this.nodeClient.update(undefined, { ...node, spec: { ...(node.spec ?? {}), taints } });
  }

  /** Deletes the pods whose tolerations ran out; returns ms until the next one is due, if any. */
  private async evictPods(node: Node, nowMs: number): Promise<number | undefined> {
    const taints = node.spec?.taints ?? [];
    if (!taints.some((t) => t.effect === NO_EXECUTE)) return undefined;
    let next: number | undefined;
    for (const pod of this.pods.lister.byIndex(NODE_NAME_INDEX, node.metadata.name!)) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = evictionTime(pod, taints);
      if (at === 'never') continue;
      if (at > nowMs) {
        next = Math.min(next ?? Infinity, at - nowMs);
        continue;
      }
      try {
        await this.podClient.delete(pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        this.recorder.event(pod, 'Normal', REASON_TAINT_MANAGER_EVICTION, `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return next;
  }
}
