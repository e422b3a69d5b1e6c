/**
 * The cluster events that can make a parked pod schedulable, and which plugins' rejections each
 * can lift (kube-scheduler's EventsToRegister, coarsely): a new node may fit anything; a changed
 * node only what changed about it; a deleted pod frees room, ports and spreading/anti-affinity
 * domains; an added pod may satisfy affinity or spreading.
 */
import type { Node } from './algorithm/api-types';
import { NODE_AFFINITY, NODE_PORTS, NODE_UNSCHEDULABLE, TAINT_TOLERATION } from './algorithm/filters/node-filters';
import { INTER_POD_AFFINITY } from './algorithm/filters/inter-pod-affinity';
import { NODE_RESOURCES_FIT } from './algorithm/filters/node-resources-fit';
import { POD_TOPOLOGY_SPREAD } from './algorithm/filters/pod-topology-spread';
import type { ClusterEvent } from './scheduling-queue';

/** A node joined: anything may fit now. */
export const NODE_ADDED: ClusterEvent = { name: 'NodeAdd', helps: 'all' };

const POD_EVENTS = {
  AssignedPodDelete: new Set([NODE_RESOURCES_FIT, NODE_PORTS, INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD]),
  AssignedPodAdd: new Set([INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD]),
  AssignedPodUpdate: new Set([INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD]),
} as const;

/** An event about a pod bound to a node. */
export function podEvent(name: keyof typeof POD_EVENTS): ClusterEvent {
  return { name, helps: POD_EVENTS[name] };
}

/** Namespace labels changed (namespaceSelector of affinity terms). */
export function namespaceEvent(): ClusterEvent {
  return { name: 'NamespaceUpdate', helps: new Set([INTER_POD_AFFINITY]) };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The event of a node update, or undefined when nothing the filters read changed. */
export function nodeEvent(old: Node, node: Node): ClusterEvent | undefined {
  const helps = new Set<string>();
  if (!same(old.metadata.labels, node.metadata.labels)) [NODE_AFFINITY, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY].forEach((p) => helps.add(p));
  if (!same(old.spec?.taints, node.spec?.taints)) [TAINT_TOLERATION, POD_TOPOLOGY_SPREAD].forEach((p) => helps.add(p));
  if (!same(old.spec?.unschedulable, node.spec?.unschedulable)) helps.add(NODE_UNSCHEDULABLE);
  if (!same(old.status?.allocatable, node.status?.allocatable) || !same(old.status?.capacity, node.status?.capacity)) helps.add(NODE_RESOURCES_FIT);
  return helps.size === 0 ? undefined : { name: 'NodeUpdate', helps };
}
