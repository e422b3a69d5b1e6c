/**
 * Which pods a replica controller deletes first when it scales down (Kubernetes'
 * ActivePodsWithRanks): the pod that matters least goes first, so a scale-down removes pods that
 * are not yet useful before serving ones.
 *
 * Earlier in the order (deleted first), decided by the first rule that tells two pods apart:
 * 1. not assigned to a node before assigned;
 * 2. phase Pending before Unknown before Running;
 * 3. not ready before ready;
 * 4. more pods of the same owner on the same node before fewer (the rank: spreads survivors);
 * 5. both ready: ready for less time before ready for longer;
 * 6. more container restarts before fewer;
 * 7. created later before created earlier (newer first).
 * Ties keep their input order (Array.prototype.sort is stable).
 */
import type { Pod } from '../../../lib/api/types/core';
import { isPodReady, maxRestarts, readySinceMs } from './pod-readiness';

/** Phase ranks of rule 2 (lower is deleted first); phases not listed rank with Unknown. */
const PHASE_RANK: Readonly<Record<string, number>> = { '': 0, Pending: 0, Unknown: 1, Running: 2 };
const UNKNOWN_PHASE_RANK = 1;

/** A pod with its rule-4 rank: how many pods of the same owner share its node. */
export interface RankedPod {
  readonly pod: Pod;
  readonly rank: number;
}

function phaseRank(pod: Pod): number {
  return PHASE_RANK[pod.status?.phase ?? ''] ?? UNKNOWN_PHASE_RANK;
}

function createdMs(pod: Pod): number {
  const t = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Negative when `a` is deleted before `b` (the rules of the file comment). */
export function compareForDeletion(a: RankedPod, b: RankedPod): number {
  const assignedA = a.pod.spec?.nodeName ? 1 : 0;
  const assignedB = b.pod.spec?.nodeName ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  const phase = phaseRank(a.pod) - phaseRank(b.pod);
  if (phase !== 0) return phase;
  const readyA = isPodReady(a.pod) ? 1 : 0;
  const readyB = isPodReady(b.pod) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (readyA && readyB) {
    const sinceA = readySinceMs(a.pod);
    const sinceB = readySinceMs(b.pod);
    // Ready more recently (a later transition) means ready for less time: deleted first.
    if (sinceA !== undefined && sinceB !== undefined && sinceA !== sinceB) return sinceB - sinceA;
  }
  const restarts = maxRestarts(b.pod) - maxRestarts(a.pod);
  if (restarts !== 0) return restarts;
  return createdMs(b.pod) - createdMs(a.pod);
}

/**
 * The `count` pods of `pods` to delete first. `related` are the active pods of the owner and of
 * owners it shares pods with (for a ReplicaSet, just its own); each pod's rank counts those of
 * them on its node (Kubernetes' getPodsRankedByRelatedPodsOnSameNode).
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], count: number): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod): RankedPod => ({ pod, rank: pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  return ranked.sort(compareForDeletion).slice(0, count).map((r) => r.pod);
}
