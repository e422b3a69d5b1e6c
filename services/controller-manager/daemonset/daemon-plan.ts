/**
 * What one DaemonSet sync does, as a pure function of the cache (Kubernetes' daemon controller
 * manage + rollingUpdate with maxSurge 0): per node, create the missing daemon pod, delete
 * failed pods, extra pods (the oldest stays) and pods on nodes that no longer qualify or no
 * longer exist; then, for RollingUpdate, delete old-template pods while the number of
 * unavailable nodes stays within maxUnavailable (unavailable old pods go first, freely).
 */
import { resolveIntOrPercent } from '../../../lib/api/int-or-string';
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Node, Pod } from '../../../lib/api/types/core';
import { msUntilAvailable } from '../replicaset/pod-readiness';
import { isPodUpdated, targetNodeName } from './daemon-pod';
import type { NodePlacement } from './node-placement';

/** Default spec.updateStrategy.rollingUpdate.maxUnavailable (pods). */
export const DEFAULT_MAX_UNAVAILABLE = 1;
export const ROLLING_UPDATE = 'RollingUpdate';

/** The cache as one sync sees it. */
export interface DaemonView {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  /** Claimed daemon pods that are not being deleted. */
  readonly pods: readonly Pod[];
  readonly placement: (node: Node) => NodePlacement;
  readonly hash: string;
  readonly nowMs: number;
}

/** Creates (node names) and deletes a sync should make. */
export interface DaemonPlan {
  readonly create: string[];
  readonly delete: Pod[];
}

function creationMs(p: Pod): number {
  const t = Date.parse(p.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Oldest first (ties by name), the order in which pods are kept. */
export function oldestFirst(a: Pod, b: Pod): number {
  return creationMs(a) - creationMs(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The daemon pods grouped by the node they are for, oldest first; pods for no node are under ''. */
export function podsByNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = targetNodeName(pod) ?? '';
    const list = byNode.get(node);
    if (list) list.push(pod);
    else byNode.set(node, [pod]);
  }
  for (const list of byNode.values()) list.sort(oldestFirst);
  return byNode;
}

const isFailed = (p: Pod): boolean => p.status?.phase === 'Failed';

/** Whether the pod is available (Ready for minReadySeconds). */
export function isDaemonPodAvailable(pod: Pod, ds: DaemonSet, nowMs: number): boolean {
  return msUntilAvailable(pod, ds.spec?.minReadySeconds ?? 0, nowMs) === 0;
}

/** The creates and deletes that move the DaemonSet toward one pod per eligible node. */
export function planDaemonSync(view: DaemonView): DaemonPlan {
  const byNode = podsByNode(view.pods);
  const create: string[] = [];
  const deletes = new Map<string, Pod>();
  const remove = (p: Pod) => deletes.set(p.metadata.uid ?? p.metadata.name ?? '', p);
  const known = new Set<string>();
  for (const node of view.nodes) {
    const name = node.metadata.name ?? '';
    known.add(name);
    const pods = byNode.get(name) ?? [];
    const { shouldRun, shouldContinueRunning } = view.placement(node);
    if (shouldRun) {
      pods.filter(isFailed).forEach(remove);
      const running = pods.filter((p) => !isFailed(p));
      if (running.length === 0) create.push(name);
      running.slice(1).forEach(remove);
    } else if (!shouldContinueRunning) {
      pods.forEach(remove);
    }
  }
  for (const [node, pods] of byNode) if (!known.has(node)) pods.forEach(remove);
  if ((view.ds.spec?.updateStrategy?.type ?? ROLLING_UPDATE) === ROLLING_UPDATE) rollingUpdateDeletes(view, byNode).forEach(remove);
  return { create, delete: [...deletes.values()] };
}

/** The old-template pods a rolling update may delete now (Kubernetes' rollingUpdate, maxSurge 0). */
function rollingUpdateDeletes(view: DaemonView, byNode: Map<string, Pod[]>): Pod[] {
  const eligible = view.nodes.filter((n) => view.placement(n).shouldRun);
  const maxUnavailable = Math.max(1, resolveIntOrPercent(view.ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, eligible.length, true));
  let unavailable = 0;
  const unavailableOld: Pod[] = [];
  const availableOld: Pod[] = [];
  for (const node of eligible) {
    const running = (byNode.get(node.metadata.name ?? '') ?? []).filter((p) => !isFailed(p));
    if (running.length !== 1) {
      unavailable++; // missing or extra pods: the per-node pass above acts on this node first
      continue;
    }
    const pod = running[0]!;
    const available = isDaemonPodAvailable(pod, view.ds, view.nowMs);
    if (isPodUpdated(pod, view.hash)) {
      if (!available) unavailable++;
    } else if (!available) {
      unavailableOld.push(pod);
    } else {
      availableOld.push(pod);
    }
  }
  const budget = Math.max(0, maxUnavailable - unavailable - unavailableOld.length);
  return [...unavailableOld, ...availableOld.slice(0, budget)];
}
