/**
 * What one DaemonSet sync does, as a pure function of the cache (Kubernetes' daemon controller
 * manage + rollingUpdate): per node, create the missing daemon pod, delete failed pods, extra
 * pods (the oldest stays; with surge the oldest new and oldest old one) and pods on nodes that no
 * longer qualify or no longer exist; then, for RollingUpdate, either (maxSurge 0) delete
 * old-revision pods while the number of unavailable nodes stays within maxUnavailable
 * (unavailable old pods go first, freely), or (maxSurge > 0) create the new pod beside the old
 * one on at most maxSurge nodes at once and delete the old pod once the new one is available.
 */
import { resolveIntOrPercent, type IntOrString } from '../../../lib/api/int-or-string';
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Node, Pod } from '../../../lib/api/types/core';
import { isPodReady, msUntilAvailable } from '../replicaset/pod-readiness';
import { isPodUpdated, targetNodeName } from './daemon-pod';
import type { NodePlacement } from './node-placement';

/** Default spec.updateStrategy.rollingUpdate.maxUnavailable (pods). */
export const DEFAULT_MAX_UNAVAILABLE = 1;
/** Default spec.updateStrategy.rollingUpdate.maxSurge (pods). */
export const DEFAULT_MAX_SURGE = 0;
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

const isRollingUpdate = (ds: DaemonSet): boolean => (ds.spec?.updateStrategy?.type ?? ROLLING_UPDATE) === ROLLING_UPDATE;

/** The rolling update's limits in pods (Kubernetes' updatedDesiredNodeCounts: both rounded up; never both 0). */
export interface UpdateLimits {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** `value` resolved against `desired`, rounded up; a malformed value throws an error naming the field. */
function resolveField(value: IntOrString, desired: number, field: string): number {
  try {
    return resolveIntOrPercent(value, desired, true);
  } catch (err) {
    throw new Error(`spec.updateStrategy.rollingUpdate.${field}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * maxSurge and maxUnavailable resolved against the number of nodes that should run the daemon.
 * Throws an error naming the field for a malformed value (the apiserver rejects those).
 */
export function updateLimits(ds: DaemonSet, desired: number): UpdateLimits {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = isRollingUpdate(ds) ? resolveField(ru?.maxSurge ?? DEFAULT_MAX_SURGE, desired, 'maxSurge') : 0;
  const maxUnavailable = resolveField(ru?.maxUnavailable ?? (maxSurge > 0 ? 0 : DEFAULT_MAX_UNAVAILABLE), desired, 'maxUnavailable');
  // Kubernetes: when both resolve to 0 (e.g. percentages of no nodes), one pod may be unavailable.
  return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

/**
 * The pods on a node to delete beyond the ones kept: without surge all but the oldest; with
 * surge all but the oldest new and oldest old pod, and the old one too once the new one is
 * available or the old one is not Ready (Kubernetes' podsShouldBeOnNode).
 */
function extraPodsOnNode(running: readonly Pod[], view: DaemonView, surge: boolean): Pod[] {
  if (!surge) return running.slice(1);
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  const extra: Pod[] = [];
  for (const pod of running) {
    if (isPodUpdated(pod, view.hash) && !newPod) newPod = pod;
    else if (!isPodUpdated(pod, view.hash) && !oldPod) oldPod = pod;
    else extra.push(pod);
  }
  if (newPod && oldPod && (!isPodReady(oldPod) || isDaemonPodAvailable(newPod, view.ds, view.nowMs))) extra.push(oldPod);
  return extra;
}

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
  const desired = view.nodes.filter((n) => view.placement(n).shouldRun).length;
  const limits = updateLimits(view.ds, desired);
  for (const node of view.nodes) {
    const name = node.metadata.name ?? '';
    known.add(name);
    const pods = byNode.get(name) ?? [];
    const { shouldRun, shouldContinueRunning } = view.placement(node);
    if (shouldRun) {
      pods.filter(isFailed).forEach(remove);
      const running = pods.filter((p) => !isFailed(p));
      if (running.length === 0) create.push(name);
      extraPodsOnNode(running, view, limits.maxSurge > 0).forEach(remove);
    } else if (!shouldContinueRunning) {
      pods.forEach(remove);
    }
  }
  for (const [node, pods] of byNode) if (!known.has(node)) pods.forEach(remove);
  if (isRollingUpdate(view.ds)) {
    if (limits.maxSurge > 0) create.push(...surgeCreates(view, byNode, limits.maxSurge));
    else rollingUpdateDeletes(view, byNode, limits.maxUnavailable).forEach(remove);
  }
  return { create, delete: [...deletes.values()] };
}

/**
 * The nodes a surging rolling update creates the new pod on now (Kubernetes' rollingUpdate with
 * maxSurge): a node whose only pod is old and unavailable gets one regardless of the limit; a
 * node whose old pod is available is a candidate while fewer than maxSurge nodes hold a new pod
 * that is not yet available (those count against the limit, as do nodes with extra pods).
 * Deleting the old pod once the new one is available is the per-node pass's job.
 */
function surgeCreates(view: DaemonView, byNode: Map<string, Pod[]>, maxSurge: number): string[] {
  const allowed: string[] = [];
  const candidates: string[] = [];
  let surging = 0;
  for (const node of view.nodes) {
    if (!view.placement(node).shouldRun) continue;
    const name = node.metadata.name ?? '';
    const running = (byNode.get(name) ?? []).filter((p) => !isFailed(p));
    const fresh = running.filter((p) => isPodUpdated(p, view.hash));
    const old = running.filter((p) => !isPodUpdated(p, view.hash));
    if (fresh.length > 1 || old.length > 1) {
      surging++; // extra pods: the per-node pass deletes them first
    } else if (old.length === 1 && fresh.length === 0) {
      if (!isDaemonPodAvailable(old[0]!, view.ds, view.nowMs)) allowed.push(name);
      else candidates.push(name);
    } else if (old.length === 1 && !isDaemonPodAvailable(fresh[0]!, view.ds, view.nowMs)) {
      surging++;
    }
  }
  const remaining = Math.min(candidates.length, Math.max(0, maxSurge - surging));
  return [...allowed, ...candidates.slice(0, remaining)];
}

/** The old-revision pods a rolling update without surge may delete now (Kubernetes' rollingUpdate, maxSurge 0). */
function rollingUpdateDeletes(view: DaemonView, byNode: Map<string, Pod[]>, maxUnavailable: number): Pod[] {
  const eligible = view.nodes.filter((n) => view.placement(n).shouldRun);
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
