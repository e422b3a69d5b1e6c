/**
 * A node and the pods on it, aggregated the way the filters and scores read them
 * (kube-scheduler's framework.NodeInfo): allocatable resources (status.allocatable, else
 * status.capacity), the sum of the pods' requests (exact and non-zero), the host ports in use,
 * and the pods with inter-pod affinity terms. Pods are added and removed in place; `clone()`
 * gives preemption a copy to simulate evictions on.
 */
import { PodLabelIndex } from './pod-label-index';
import type { Labels, Node, Taint } from './api-types';
import { recordAt, stringAt } from './malformed';
import type { NodeIdentity } from './node-selector';
import { ANY_HOST_IP, type HostPort, type PodInfo } from './pod-info';
import { addResources, cloneResources, emptyResources, parseResourceList, type Resources } from './resources';
import { parseTaints } from './taints';

/** Host ports in use on a node, with Kubernetes' rule that 0.0.0.0 conflicts with every address. */
export class HostPortTable {
  /** `ip|protocol|port` → how many pods use it. */
  private readonly exact = new Map<string, number>();
  /** `protocol|port` → how many pods use it on any address. */
  private readonly anyIp = new Map<string, number>();

  /** Whether a pod binding `p` would collide with a port in use. */
  conflicts(p: HostPort): boolean {
    if (p.ip === ANY_HOST_IP) return this.anyIp.has(`${p.protocol}|${p.port}`);
    return this.exact.has(`${ANY_HOST_IP}|${p.protocol}|${p.port}`) || this.exact.has(`${p.ip}|${p.protocol}|${p.port}`);
  }

  /** Records (`+1`) or releases (`-1`) one use of `p`. */
  update(p: HostPort, delta: 1 | -1): void {
    bump(this.exact, `${p.ip}|${p.protocol}|${p.port}`, delta);
    bump(this.anyIp, `${p.protocol}|${p.port}`, delta);
  }

  /** A copy. */
  clone(): HostPortTable {
    const c = new HostPortTable();
    for (const [k, v] of this.exact) c.exact.set(k, v);
    for (const [k, v] of this.anyIp) c.anyIp.set(k, v);
    return c;
  }

  /** Number of distinct ip/protocol/port entries in use. */
  get size(): number {
    return this.exact.size;
  }
}

function bump(m: Map<string, number>, key: string, delta: number): void {
  const n = (m.get(key) ?? 0) + delta;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

/** The parts of a Node the scheduler uses, compiled once per node version. */
export interface CompiledNode extends NodeIdentity {
  readonly node: Node;
  readonly taints: readonly Taint[];
  readonly unschedulable: boolean;
  readonly allocatable: Resources;
  /** status.allocatable.pods: how many pods the node takes. */
  readonly allowedPodNumber: number;
}

/** Compiles a Node; throws MalformedObjectError when the scheduler cannot read it. */
export function compileNode(node: Node): CompiledNode {
  const meta = recordAt<unknown>(node?.metadata, 'metadata') as Node['metadata'];
  const name = stringAt(meta.name, 'metadata.name');
  const labels: Labels = Object.fromEntries(Object.entries(recordAt<unknown>(meta.labels, 'metadata.labels')).map(([k, v]) => [k, stringAt(v, `metadata.labels.${k}`)]));
  const spec = recordAt<unknown>(node.spec, 'spec');
  const status = recordAt<unknown>(node.status, 'status');
  const useCapacity = status.allocatable === undefined || status.allocatable === null;
  const parsed = parseResourceList(useCapacity ? status.capacity : status.allocatable, useCapacity ? 'status.capacity' : 'status.allocatable');
  return {
    node,
    name,
    labels,
    taints: parseTaints(spec.taints),
    unschedulable: spec.unschedulable === true,
    allocatable: parsed.resources,
    allowedPodNumber: parsed.pods ?? 0,
  };
}

/** A node with its pods. See the file comment. */
export class NodeInfo implements NodeIdentity {
  /** Sum of the pods' exact requests. */
  readonly requested: Resources;
  /** Sum of the pods' non-zero requests (scoring). */
  readonly nonZeroRequested: Resources;
  /** Every pod on the node (bound or assumed), terminating ones included. */
  readonly pods: PodInfo[];
  /** The pods with any inter-pod affinity or anti-affinity term. */
  readonly podsWithAffinity: PodInfo[];
  /** The pods with a required anti-affinity term. */
  readonly podsWithRequiredAntiAffinity: PodInfo[];
  readonly usedPorts: HostPortTable;
  /** The pods by namespace and label, for spreading's counts. */
  readonly podsByLabel: PodLabelIndex;
  /** Bumped on every change (node or pods), so caches of derived state can tell it moved. */
  generation = 0;

  constructor(
    private compiled: CompiledNode,
    from?: NodeInfo,
  ) {
    this.requested = from ? cloneResources(from.requested) : emptyResources();
    this.nonZeroRequested = from ? cloneResources(from.nonZeroRequested) : emptyResources();
    this.pods = from ? [...from.pods] : [];
    this.podsWithAffinity = from ? [...from.podsWithAffinity] : [];
    this.podsWithRequiredAntiAffinity = from ? [...from.podsWithRequiredAntiAffinity] : [];
    this.usedPorts = from ? from.usedPorts.clone() : new HostPortTable();
    this.podsByLabel = from ? from.podsByLabel.clone() : new PodLabelIndex();
    this.generation = from ? from.generation : 0;
  }

  get node(): Node {
    return this.compiled.node;
  }
  get name(): string {
    return this.compiled.name;
  }
  get labels(): Labels {
    return this.compiled.labels;
  }
  get taints(): readonly Taint[] {
    return this.compiled.taints;
  }
  get unschedulable(): boolean {
    return this.compiled.unschedulable;
  }
  get allocatable(): Resources {
    return this.compiled.allocatable;
  }
  get allowedPodNumber(): number {
    return this.compiled.allowedPodNumber;
  }

  /** Replaces the node (a new version from the API), keeping the pods. */
  setNode(compiled: CompiledNode): void {
    this.compiled = compiled;
    this.generation++;
  }

  /** Adds a pod (the caller makes sure it is not there yet). */
  addPod(p: PodInfo): void {
    this.pods.push(p);
    if (p.hasAffinity) this.podsWithAffinity.push(p);
    if (p.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity.push(p);
    this.podsByLabel.add(p);
    this.account(p, 1);
  }

  /** Removes the pod with key `key`; returns it, or undefined when it was not on this node. */
  removePod(key: string): PodInfo | undefined {
    const p = removeByKey(this.pods, key);
    if (!p) return undefined;
    removeByKey(this.podsWithAffinity, key);
    removeByKey(this.podsWithRequiredAntiAffinity, key);
    this.podsByLabel.remove(p);
    this.account(p, -1);
    return p;
  }

  /** The pod with key `key`, if on this node. */
  findPod(key: string): PodInfo | undefined {
    return this.pods.find((p) => p.key === key);
  }

  /** An independent copy (pods are shared, being immutable). */
  clone(): NodeInfo {
    return new NodeInfo(this.compiled, this);
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    addResources(this.requested, p.requests, sign);
    addResources(this.nonZeroRequested, p.nonZeroRequests, sign);
    for (const hp of p.hostPorts) this.usedPorts.update(hp, sign);
    this.generation++;
  }
}

function removeByKey(list: PodInfo[], key: string): PodInfo | undefined {
  const i = list.findIndex((p) => p.key === key);
  if (i < 0) return undefined;
  const [p] = list.splice(i, 1);
  return p;
}
