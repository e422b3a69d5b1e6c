/**
 * Builders of Nodes, Pods and cluster states for the scheduler's tests and benchmarks: short
 * to write, Kubernetes-shaped, with explicit creation times so order is deterministic.
 */
import type { Affinity, Container, Labels, Node, Pod, PodSpec, Taint, Toleration, TopologySpreadConstraint } from './api-types';
import { ClusterState, type SpreadSelectorSource } from './cluster-state';
import type { FilterPlugin } from './framework';
import { compileNode } from './node-info';
import { PodInfo } from './pod-info';

/** What a test node offers and carries. */
export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  extra?: Record<string, string>;
  labels?: Labels;
  taints?: Taint[];
  unschedulable?: boolean;
}

/** A Node named `name` (4 cpu, 8Gi, 110 pods by default) with allocatable as given. */
export function makeNode(name: string, o: NodeOptions = {}): Node {
  const allocatable: Record<string, string> = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) };
  if (o.ephemeralStorage) allocatable['ephemeral-storage'] = o.ephemeralStorage;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, labels: o.labels ?? {} },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: { ...allocatable }, allocatable },
  };
}

/** What a test pod asks for. */
export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Labels;
  priority?: number;
  nodeName?: string;
  nominatedNodeName?: string;
  preemptionPolicy?: string;
  hostPorts?: number[];
  nodeSelector?: Labels;
  affinity?: Affinity;
  tolerations?: Toleration[];
  spread?: TopologySpreadConstraint[];
  initContainers?: Container[];
  overhead?: Record<string, string>;
  /** Seconds after a fixed epoch (creation order). */
  createdAt?: number;
  terminating?: boolean;
  ownerReferences?: NonNullable<Pod['metadata']['ownerReferences']>;
}

const EPOCH_MS = Date.UTC(2026, 0, 1);

/** A Pod named `name` with one container requesting what `o` says. */
export function makePod(name: string, o: PodOptions = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const spec: PodSpec = {
    schedulerName: 'default-scheduler',
    containers: [{ name: 'c', resources: { requests }, ports: (o.hostPorts ?? []).map((p) => ({ containerPort: p, hostPort: p, protocol: 'TCP' })) }],
  };
  if (o.nodeName) spec.nodeName = o.nodeName;
  if (o.priority !== undefined) spec.priority = o.priority;
  if (o.preemptionPolicy) spec.preemptionPolicy = o.preemptionPolicy;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.affinity) spec.affinity = o.affinity;
  if (o.tolerations) spec.tolerations = o.tolerations;
  if (o.spread) spec.topologySpreadConstraints = o.spread;
  if (o.initContainers) spec.initContainers = o.initContainers;
  if (o.overhead) spec.overhead = o.overhead;
  const created = new Date(EPOCH_MS + (o.createdAt ?? 0) * 1000).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${o.namespace ?? 'default'}-${name}`,
      labels: o.labels ?? {},
      creationTimestamp: created,
      ...(o.terminating ? { deletionTimestamp: created } : {}),
      ...(o.ownerReferences ? { ownerReferences: o.ownerReferences } : {}),
    },
    spec: spec as Pod['spec'],
    status: { phase: o.nodeName ? 'Running' : 'Pending', ...(o.nominatedNodeName ? { nominatedNodeName: o.nominatedNodeName } : {}), startTime: created },
  };
}

/** A cluster state holding `nodes` and the bound pods among `pods`. */
export function makeState(nodes: readonly Node[], pods: readonly Pod[] = [], spreadSelector?: SpreadSelectorSource): ClusterState {
  const state = new ClusterState(spreadSelector);
  for (const n of nodes) state.upsertNode(compileNode(n));
  for (const p of pods) {
    const info = PodInfo.of(p);
    if (info.nodeName) state.addPod(info);
    else if (info.nominatedNodeName) state.setNominated(info, info.nominatedNodeName);
  }
  return state;
}

/** A deterministic RandomSource that always answers `value` (clamped below n). */
export function fixedRandom(value = 0): { int(n: number): number } {
  return { int: (n) => Math.min(value, n - 1) };
}

/**
 * The reasons `plugin` rejects node `n1` (built from `node`) with for a pod built from `pod`,
 * or [] when it fits; `existing` pods are bound to the node.
 */
export function filterVerdict(plugin: FilterPlugin, pod: PodOptions, node: NodeOptions = {}, existing: PodOptions[] = []): string[] {
  const state = makeState([makeNode('n1', node)], existing.map((o, i) => makePod(`existing-${i}`, { nodeName: 'n1', ...o })));
  const r = plugin.preFilter(PodInfo.of(makePod('p', pod)), state)?.filter(state.node('n1')!);
  return r ? [...r.reasons] : [];
}

/**
 * Every node's verdict by `plugin` for a pod built from `pod`, in a cluster of `nodes` with the
 * `existing` pods: the first reason of its rejection, or "fits".
 */
export function filterVerdicts(
  plugin: FilterPlugin,
  nodes: readonly Node[],
  pod: PodOptions,
  existing: readonly Pod[] = [],
  namespaceLabels: Record<string, Labels> = {},
): Record<string, string> {
  const state = makeState(nodes, existing);
  for (const [ns, labels] of Object.entries(namespaceLabels)) state.setNamespaceLabels(ns, labels);
  const f = plugin.preFilter(PodInfo.of(makePod('incoming', pod)), state);
  return Object.fromEntries(state.nodes.map((n) => [n.name, f?.filter(n)?.reasons[0] ?? 'fits']));
}
